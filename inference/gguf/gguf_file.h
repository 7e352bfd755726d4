// GGUF v2/v3 reader: header, metadata (every value type, nested arrays), tensor
// table, alignment, data offset. The file is memory-mapped; tensor data is a view
// into the mapping, never copied. Every count, offset, size and dimension is checked
// against the file size and for overflow; a bad file gives an Error naming the field.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "assistant/engine.h"
#include "kernels/ggml_type.h"

namespace gguf {

// GGUF metadata value types, numbered as in the format.
enum class ValueType : uint32_t {
    U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, Bool = 7,
    String = 8, Array = 9, U64 = 10, I64 = 11, F64 = 12,
};

struct Value;
struct Array {
    ValueType elementType = ValueType::U8;
    std::vector<Value> items;
};

// One metadata value. Strings are views into the mapping (valid while the File lives).
struct Value {
    ValueType type = ValueType::U8;
    std::variant<uint64_t, int64_t, double, bool, std::string_view, std::shared_ptr<Array>> data;

    std::optional<uint64_t> asUInt() const;      // any integer type >= 0 (and bool)
    std::optional<int64_t> asInt() const;        // any integer type in range
    std::optional<double> asFloat() const;       // floats and integers
    std::optional<bool> asBool() const;
    std::optional<std::string_view> asString() const;
    const Array* asArray() const;                // nullptr if not an array
};

struct TensorInfo {
    std::string_view name;
    kernels::GgmlType type = kernels::GgmlType::F32;
    std::vector<int64_t> shape;   // ne[0] (contiguous, row length) first, as in GGUF
    uint64_t offset = 0;          // relative to the data section
    uint64_t bytes = 0;           // size of the data in bytes
    const uint8_t* data = nullptr;  // into the mapping

    int64_t elements() const;
    int64_t rows() const { return shape.empty() ? 1 : elements() / shape[0]; }
};

class File {
public:
    // Opens, maps and validates. useMmap=false reads the whole file into memory instead.
    static assistant::Result<std::unique_ptr<File>> open(const std::string& path, bool useMmap = true);
    // Parses an in-memory image (fuzzing, tests). The bytes must outlive the File.
    static assistant::Result<std::unique_ptr<File>> fromMemory(std::span<const uint8_t> bytes);
    ~File();

    uint32_t version() const { return m_version; }
    uint64_t alignment() const { return m_alignment; }
    uint64_t dataOffset() const { return m_dataOffset; }
    uint64_t fileSize() const { return m_bytes.size(); }
    const std::string& path() const { return m_path; }

    // Metadata, in file order.
    const std::vector<std::pair<std::string_view, Value>>& metadata() const { return m_metadata; }
    const Value* find(std::string_view key) const;
    // Typed lookups; nullopt when absent or of an incompatible type.
    std::optional<std::string_view> getString(std::string_view key) const;
    std::optional<uint64_t> getUInt(std::string_view key) const;
    std::optional<int64_t> getInt(std::string_view key) const;
    std::optional<double> getFloat(std::string_view key) const;
    std::optional<bool> getBool(std::string_view key) const;
    const Array* getArray(std::string_view key) const;
    // "<general.architecture>.<suffix>", e.g. archKey("context_length").
    std::string archKey(std::string_view suffix) const;

    const std::vector<TensorInfo>& tensors() const { return m_tensors; }
    const TensorInfo* tensor(std::string_view name) const;

    // Advises the kernel that a tensor's pages will not be needed (after repacking).
    void release(const TensorInfo& tensor) const;
    // The same for `bytes` from `data` (any part of a tensor): whole pages inside the
    // range, only where it lies in the mapping (a file read into memory keeps it). The
    // pages refault from the file if read again.
    void releaseRange(const void* data, size_t bytes) const;

private:
    File() = default;
    std::string m_path;
    std::span<const uint8_t> m_bytes;
    void* m_mapping = nullptr;          // munmap on destruction when set
    std::vector<uint8_t> m_owned;       // when not mapped
    uint32_t m_version = 0;
    uint64_t m_alignment = 32;
    uint64_t m_dataOffset = 0;
    std::vector<std::pair<std::string_view, Value>> m_metadata;
    std::vector<TensorInfo> m_tensors;
    std::unordered_map<std::string_view, size_t> m_keyIndex;     // key -> m_metadata index
    std::unordered_map<std::string_view, size_t> m_tensorIndex;  // name -> m_tensors index
    friend class Parser;
};

std::string_view valueTypeName(ValueType type);

}  // namespace gguf
