// GGUF v3 layout written here: "GGUF", u32 version, u64 tensor count, u64 kv count;
// each kv: string key, u32 value type, value; each tensor: string name, u32 n_dims,
// u64 dims..., u32 type, u64 offset (relative to the data section, aligned); padding
// to general.alignment (default 32); the data. Strings are u64 length + bytes.
#include "gguf/gguf_writer.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "common/log.h"

namespace gguf {
namespace {

using assistant::ErrorCode;
using assistant::detail::makeError;
using Bytes = std::vector<uint8_t>;

template <class T>
void put(Bytes& out, T value) {
    uint8_t raw[sizeof(T)];
    std::memcpy(raw, &value, sizeof(T));
    out.insert(out.end(), raw, raw + sizeof(T));
}

void putString(Bytes& out, std::string_view s) {
    put<uint64_t>(out, s.size());
    out.insert(out.end(), s.begin(), s.end());
}

// The value's payload (without its type tag), in the encoding of `type`.
void encodeValue(Bytes& out, ValueType type, const Value& v) {
    switch (type) {
        case ValueType::U8: put<uint8_t>(out, static_cast<uint8_t>(v.asUInt().value_or(0))); break;
        case ValueType::I8: put<int8_t>(out, static_cast<int8_t>(v.asInt().value_or(0))); break;
        case ValueType::U16: put<uint16_t>(out, static_cast<uint16_t>(v.asUInt().value_or(0))); break;
        case ValueType::I16: put<int16_t>(out, static_cast<int16_t>(v.asInt().value_or(0))); break;
        case ValueType::U32: put<uint32_t>(out, static_cast<uint32_t>(v.asUInt().value_or(0))); break;
        case ValueType::I32: put<int32_t>(out, static_cast<int32_t>(v.asInt().value_or(0))); break;
        case ValueType::U64: put<uint64_t>(out, v.asUInt().value_or(0)); break;
        case ValueType::I64: put<int64_t>(out, v.asInt().value_or(0)); break;
        case ValueType::F32: put<float>(out, static_cast<float>(v.asFloat().value_or(0.0))); break;
        case ValueType::F64: put<double>(out, v.asFloat().value_or(0.0)); break;
        case ValueType::Bool: put<uint8_t>(out, v.asBool().value_or(false) ? 1 : 0); break;
        case ValueType::String: putString(out, v.asString().value_or("")); break;
        case ValueType::Array: {
            const Array* a = v.asArray();
            put<uint32_t>(out, static_cast<uint32_t>(a ? a->elementType : ValueType::U8));
            put<uint64_t>(out, a ? a->items.size() : 0);
            if (a)
                for (const Value& item : a->items) encodeValue(out, a->elementType, item);
            break;
        }
    }
}

struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
};

}  // namespace

void Writer::setEncoded(std::string_view key, ValueType type, Bytes bytes) {
    for (auto& [k, v] : m_values)
        if (k == key) {
            v = {type, std::move(bytes)};
            return;
        }
    m_values.emplace_back(std::string(key), std::make_pair(type, std::move(bytes)));
}

void Writer::copyValue(std::string_view key, const Value& value) {
    Bytes b;
    encodeValue(b, value.type, value);
    setEncoded(key, value.type, std::move(b));
}

void Writer::setString(std::string_view key, std::string_view value) {
    Bytes b;
    putString(b, value);
    setEncoded(key, ValueType::String, std::move(b));
}

void Writer::setU32(std::string_view key, uint32_t value) {
    Bytes b;
    put<uint32_t>(b, value);
    setEncoded(key, ValueType::U32, std::move(b));
}

void Writer::setF32(std::string_view key, float value) {
    Bytes b;
    put<float>(b, value);
    setEncoded(key, ValueType::F32, std::move(b));
}

void Writer::setBool(std::string_view key, bool value) {
    setEncoded(key, ValueType::Bool, Bytes{static_cast<uint8_t>(value ? 1 : 0)});
}

bool Writer::remove(std::string_view key) {
    for (auto it = m_values.begin(); it != m_values.end(); ++it)
        if (it->first == key) {
            m_values.erase(it);
            return true;
        }
    return false;
}

void Writer::addTensor(std::string_view name, kernels::GgmlType type, std::vector<int64_t> shape) {
    m_tensors.push_back({std::string(name), type, std::move(shape)});
}

uint64_t Writer::tensorBytes(size_t index) const {
    const Tensor& t = m_tensors[index];
    int64_t rows = 1;
    for (size_t d = 1; d < t.shape.size(); ++d) rows *= t.shape[d];
    return static_cast<uint64_t>(kernels::rowBytes(t.type, t.shape.empty() ? 1 : t.shape[0])) *
           static_cast<uint64_t>(rows);
}

uint64_t Writer::alignment() const {
    for (const auto& [k, v] : m_values)
        if (k == "general.alignment" && v.first == ValueType::U32 && v.second.size() == 4) {
            uint32_t a;
            std::memcpy(&a, v.second.data(), 4);
            if (a != 0 && (a & (a - 1)) == 0) return a;
        }
    return 32;
}

std::vector<uint8_t> Writer::header(std::vector<uint64_t>& offsets) const {
    const uint64_t align = alignment();
    auto padTo = [align](uint64_t n) { return (n + align - 1) / align * align; };
    Bytes header;
    header.reserve(4096);  // (also keeps g++ 12 from a false -Wstringop-overflow on the first insert)
    for (char c : {'G', 'G', 'U', 'F'}) header.push_back(static_cast<uint8_t>(c));
    put<uint32_t>(header, 3);
    put<uint64_t>(header, m_tensors.size());
    put<uint64_t>(header, m_values.size());
    for (const auto& [key, value] : m_values) {
        putString(header, key);
        put<uint32_t>(header, static_cast<uint32_t>(value.first));
        header.insert(header.end(), value.second.begin(), value.second.end());
    }
    offsets.clear();
    uint64_t offset = 0;
    for (size_t i = 0; i < m_tensors.size(); ++i) {
        const Tensor& t = m_tensors[i];
        putString(header, t.name);
        put<uint32_t>(header, static_cast<uint32_t>(t.shape.size()));
        for (int64_t d : t.shape) put<uint64_t>(header, static_cast<uint64_t>(d));
        put<uint32_t>(header, static_cast<uint32_t>(t.type));
        put<uint64_t>(header, offset);
        offsets.push_back(offset);
        offset = padTo(offset + tensorBytes(i));
    }
    header.resize(padTo(header.size()), 0);
    offsets.push_back(offset);  // the end of the data section
    return header;
}

assistant::Result<std::vector<uint8_t>> Writer::image(const FillFn& fill) const {
    std::vector<uint64_t> offsets;
    Bytes out = header(offsets);
    const size_t dataStart = out.size();
    out.resize(dataStart + offsets.back(), 0);
    for (size_t i = 0; i < m_tensors.size(); ++i) {
        const std::span<uint8_t> bytes(out.data() + dataStart + offsets[i], tensorBytes(i));
        if (auto r = fill(i, bytes); !r) return std::unexpected(r.error());
    }
    return out;
}

assistant::Result<void> Writer::write(const std::string& path, const FillFn& fill) const {
    const uint64_t align = alignment();
    auto padTo = [align](uint64_t n) { return (n + align - 1) / align * align; };
    std::vector<uint64_t> offsets;
    const Bytes header = this->header(offsets);

    const std::string partial = path + ".part";
    std::unique_ptr<std::FILE, FileCloser> f(std::fopen(partial.c_str(), "wb"));
    if (!f) return std::unexpected(makeError(ErrorCode::IoError, "cannot create ", partial, ": ", std::strerror(errno)));
    auto fail = [&](auto&&... parts) -> assistant::Result<void> {
        f.reset();
        std::remove(partial.c_str());
        return std::unexpected(makeError(ErrorCode::IoError, parts...));
    };
    if (std::fwrite(header.data(), 1, header.size(), f.get()) != header.size())
        return fail("write failed on ", partial, ": ", std::strerror(errno));

    Bytes data;
    uint64_t written = 0;
    for (size_t i = 0; i < m_tensors.size(); ++i) {
        data.assign(tensorBytes(i), 0);
        if (auto r = fill(i, data); !r) {
            f.reset();
            std::remove(partial.c_str());
            return std::unexpected(r.error());
        }
        const uint64_t pad = (i + 1 < m_tensors.size() ? offsets[i + 1] : padTo(written + data.size())) -
                             (written + data.size());
        data.resize(data.size() + pad, 0);
        if (std::fwrite(data.data(), 1, data.size(), f.get()) != data.size())
            return fail("write failed on ", partial, ": ", std::strerror(errno));
        written += data.size();
    }
    if (std::fflush(f.get()) != 0) return fail("write failed on ", partial, ": ", std::strerror(errno));
    f.reset();
    if (std::rename(partial.c_str(), path.c_str()) != 0)
        return fail("cannot rename ", partial, " to ", path, ": ", std::strerror(errno));
    return {};
}

}  // namespace gguf
