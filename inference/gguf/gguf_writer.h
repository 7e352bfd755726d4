// GGUF v3 writer: metadata (copied from a File or set one by one, in insertion
// order), a tensor table, and tensor data produced one tensor at a time by a
// callback, so writing a model never needs a second copy of it in memory.
// The file is written to "<path>.part" and renamed at the end: an interrupted write
// never leaves a truncated file under the final name.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "assistant/engine.h"
#include "gguf/gguf_file.h"
#include "kernels/ggml_type.h"

namespace gguf {

class Writer {
public:
    // Metadata. Setting an existing key replaces its value in place.
    void copyValue(std::string_view key, const Value& value);
    void setString(std::string_view key, std::string_view value);
    void setU32(std::string_view key, uint32_t value);
    void setF32(std::string_view key, float value);
    void setBool(std::string_view key, bool value);
    bool remove(std::string_view key);

    // Tensors, in file order. shape[0] is the row length, as in GGUF.
    void addTensor(std::string_view name, kernels::GgmlType type, std::vector<int64_t> shape);

    // Fills the bytes of tensor `index` (rowBytes(type, shape[0]) * rows); returns false
    // (with a message in the Error) to abort the write.
    using FillFn = std::function<assistant::Result<void>(size_t index, std::span<uint8_t> out)>;
    assistant::Result<void> write(const std::string& path, const FillFn& fill) const;
    // The same GGUF image in memory (a model converted at load: ModelParams::requantize).
    assistant::Result<std::vector<uint8_t>> image(const FillFn& fill) const;

    size_t tensorCount() const { return m_tensors.size(); }
    uint64_t tensorBytes(size_t index) const;

private:
    struct Tensor {
        std::string name;
        kernels::GgmlType type;
        std::vector<int64_t> shape;
    };
    // The header and tensor table, padded; offsets: each tensor's data offset, then the data size.
    std::vector<uint8_t> header(std::vector<uint64_t>& offsets) const;
    void setEncoded(std::string_view key, ValueType type, std::vector<uint8_t> bytes);
    uint64_t alignment() const;

    std::vector<std::pair<std::string, std::pair<ValueType, std::vector<uint8_t>>>> m_values;
    std::vector<Tensor> m_tensors;
};

}  // namespace gguf
