// A small GGUF writer for tests: builds valid files value by value, and lets a test
// override any header field or tensor offset to make malformed ones.
//   testgguf::Writer w;
//   w.kv("general.architecture", testgguf::str("llama"));
//   w.tensor("a", {32, 2}, kernels::GgmlType::Q8_0);
//   std::vector<uint8_t> bytes = w.build();
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/gguf_file.h"
#include "kernels/ggml_type.h"

namespace testgguf {

using Bytes = std::vector<uint8_t>;
using gguf::ValueType;

template <class T>
void put(Bytes& out, T value) {
    uint8_t raw[sizeof(T)];
    std::memcpy(raw, &value, sizeof(T));
    out.insert(out.end(), raw, raw + sizeof(T));
}

inline void putString(Bytes& out, std::string_view s) {
    put<uint64_t>(out, s.size());
    out.insert(out.end(), s.begin(), s.end());
}

// A typed, encoded metadata value (the type tag is written by the caller: key or array).
struct Encoded {
    ValueType type;
    Bytes bytes;
};

template <class T>
Encoded scalar(ValueType type, T value) {
    Encoded e{type, {}};
    put<T>(e.bytes, value);
    return e;
}
inline Encoded u8(uint8_t v) { return scalar(ValueType::U8, v); }
inline Encoded i8(int8_t v) { return scalar(ValueType::I8, v); }
inline Encoded u16(uint16_t v) { return scalar(ValueType::U16, v); }
inline Encoded i16(int16_t v) { return scalar(ValueType::I16, v); }
inline Encoded u32(uint32_t v) { return scalar(ValueType::U32, v); }
inline Encoded i32(int32_t v) { return scalar(ValueType::I32, v); }
inline Encoded u64(uint64_t v) { return scalar(ValueType::U64, v); }
inline Encoded i64(int64_t v) { return scalar(ValueType::I64, v); }
inline Encoded f32(float v) { return scalar(ValueType::F32, v); }
inline Encoded f64(double v) { return scalar(ValueType::F64, v); }
inline Encoded boolean(bool v) { return scalar(ValueType::Bool, uint8_t{v ? uint8_t{1} : uint8_t{0}}); }
inline Encoded str(std::string_view s) {
    Encoded e{ValueType::String, {}};
    putString(e.bytes, s);
    return e;
}
// Items must all have elementType (not checked: tests may want to lie).
inline Encoded array(ValueType elementType, const std::vector<Encoded>& items,
                     std::optional<uint64_t> countOverride = std::nullopt) {
    Encoded e{ValueType::Array, {}};
    put<uint32_t>(e.bytes, static_cast<uint32_t>(elementType));
    put<uint64_t>(e.bytes, countOverride.value_or(items.size()));
    for (const Encoded& item : items) e.bytes.insert(e.bytes.end(), item.bytes.begin(), item.bytes.end());
    return e;
}

class Writer {
public:
    struct Tensor {
        std::string name;
        std::vector<uint64_t> dims;
        uint32_t type = 0;
        std::optional<uint64_t> offset;  // default: packed, aligned
        Bytes data;                      // default: zeros of the right size
    };

    // Header fields, public so tests can break them.
    std::string magic = "GGUF";
    uint32_t version = 3;
    std::optional<uint64_t> tensorCount;  // default: tensors.size()
    std::optional<uint64_t> kvCount;      // default: number of kv() calls
    uint64_t alignment = 32;              // padding used; setAlignment() also writes the key
    std::vector<Tensor> tensors;

    Writer& kv(std::string_view key, const Encoded& value) {
        putString(m_kvs, key);
        put<uint32_t>(m_kvs, static_cast<uint32_t>(value.type));
        m_kvs.insert(m_kvs.end(), value.bytes.begin(), value.bytes.end());
        ++m_kvEntries;
        return *this;
    }
    // A key with a raw type tag (for unknown value types).
    Writer& kvRaw(std::string_view key, uint32_t typeTag, const Bytes& value) {
        putString(m_kvs, key);
        put<uint32_t>(m_kvs, typeTag);
        m_kvs.insert(m_kvs.end(), value.begin(), value.end());
        ++m_kvEntries;
        return *this;
    }
    Writer& setAlignment(uint32_t a) {
        alignment = a;
        return kv("general.alignment", u32(a));
    }
    Writer& tensor(std::string name, std::vector<uint64_t> dims, kernels::GgmlType type, Bytes data = {}) {
        tensors.push_back({std::move(name), std::move(dims), static_cast<uint32_t>(type), std::nullopt,
                           std::move(data)});
        return *this;
    }

    static uint64_t dataBytes(const Tensor& t) {
        if (!t.data.empty()) return t.data.size();
        const auto traits = kernels::typeTraits(t.type);
        if (!traits) return 0;
        uint64_t n = 1;
        for (uint64_t d : t.dims) n *= d;
        return n / traits->blockSize * traits->blockBytes;
    }

    Bytes build() const {
        Bytes out(magic.begin(), magic.end());
        put<uint32_t>(out, version);
        put<uint64_t>(out, tensorCount.value_or(tensors.size()));
        put<uint64_t>(out, kvCount.value_or(m_kvEntries));
        out.insert(out.end(), m_kvs.begin(), m_kvs.end());
        std::vector<uint64_t> offsets;
        uint64_t next = 0;
        for (const Tensor& t : tensors) {
            offsets.push_back(t.offset.value_or(next));
            next = alignUp(offsets.back() + dataBytes(t));
            putString(out, t.name);
            put<uint32_t>(out, static_cast<uint32_t>(t.dims.size()));
            for (uint64_t d : t.dims) put<uint64_t>(out, d);
            put<uint32_t>(out, t.type);
            put<uint64_t>(out, offsets.back());
        }
        if (tensors.empty()) return out;
        out.resize(alignUp(out.size()), 0);
        const uint64_t dataStart = out.size();
        for (size_t i = 0; i < tensors.size(); ++i) {
            const Tensor& t = tensors[i];
            if (t.offset) continue;  // overridden offsets are the test's business
            const uint64_t bytes = dataBytes(t);
            out.resize(dataStart + offsets[i] + bytes, 0);
            if (!t.data.empty()) std::memcpy(out.data() + dataStart + offsets[i], t.data.data(), bytes);
        }
        return out;
    }

private:
    uint64_t alignUp(uint64_t n) const { return alignment ? (n + alignment - 1) / alignment * alignment : n; }
    Bytes m_kvs;
    uint64_t m_kvEntries = 0;
};

}  // namespace testgguf
