// GGUF parser. Layout (little-endian, v2/v3):
//   header     : magic "GGUF" | version u32 | tensor_count u64 | kv_count u64
//   metadata   : kv_count x (key string | value_type u32 | value)
//                string = length u64 + bytes; array = elem_type u32 + count u64 + items
//   tensor info: tensor_count x (name string | n_dims u32 | ne u64[n_dims] | type u32 | offset u64)
//   padding to general.alignment (u32, default 32), then the data section; tensor
//   offsets are relative to it.
// Every length and count is checked against the bytes that remain BEFORE anything is
// allocated for it, so a 2^60 count costs nothing; every sum and product is checked
// for overflow. The first problem found ends the parse with an Error naming the field.
#include "gguf/gguf_parser.h"

#include <bit>
#include <cstring>
#include <limits>

#include "common/log.h"

namespace gguf {

static_assert(std::endian::native == std::endian::little, "the GGUF reader assumes a little-endian host");

namespace {

using assistant::ErrorCode;
using assistant::detail::cat;

constexpr uint32_t kMaxValueType = static_cast<uint32_t>(ValueType::F64);
// Smallest possible encodings, used to bound counts by the bytes that remain.
constexpr uint64_t kMinKvBytes = 8 + 4 + 1;             // empty key, u8 value
constexpr uint64_t kMinTensorBytes = 8 + 4 + 8 + 4 + 8; // empty name, one dim

// Bytes of one encoded item of a type, or the minimum for variable-size types.
uint64_t minEncodedSize(ValueType type) {
    switch (type) {
        case ValueType::U8: case ValueType::I8: case ValueType::Bool: return 1;
        case ValueType::U16: case ValueType::I16: return 2;
        case ValueType::U32: case ValueType::I32: case ValueType::F32: return 4;
        case ValueType::U64: case ValueType::I64: case ValueType::F64: return 8;
        case ValueType::String: return 8;       // length only
        case ValueType::Array: return 4 + 8;    // element type + count
    }
    return 1;
}

// Names from a hostile file go into messages: printable ASCII only, at most 64 chars.
std::string printable(std::string_view s) {
    std::string out;
    constexpr size_t kMax = 64;
    for (size_t i = 0; i < s.size() && i < kMax; ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out += static_cast<char>(c);
        } else {
            static constexpr char kHex[] = "0123456789abcdef";
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    if (s.size() > kMax) out += cat("...(", s.size(), " bytes)");
    return out;
}

}  // namespace

class Parser::Reader {
public:
    explicit Reader(File& file, std::span<const uint8_t> bytes) : m_file(file), m_bytes(bytes) {}

    assistant::Status run();

private:
    bool parseHeader();
    bool parseMetadata();
    bool parseAlignment();
    bool parseTensorInfos();
    bool placeTensors();
    bool parseTensorInfo(uint64_t index, TensorInfo& info);
    bool readValue(ValueType type, Value& out, int depth);
    bool readArray(Value& out, int depth);
    bool readValueType(ValueType& out, const char* field);

    // Primitive reads: each checks the remaining bytes first.
    uint64_t remaining() const { return m_bytes.size() - m_pos; }
    bool take(uint64_t n, const char* field, const uint8_t*& out);
    template <class T>
    bool readPod(T& out, const char* field) {
        const uint8_t* p = nullptr;
        if (!take(sizeof(T), field, p)) return false;
        std::memcpy(&out, p, sizeof(T));
        return true;
    }
    bool readString(std::string_view& out, const char* field);

    template <class... Args>
    bool fail(ErrorCode code, const Args&... args) {
        if (!m_error) m_error = assistant::Error{code, cat(m_context, m_context.empty() ? "" : ": ", args...)};
        return false;
    }

    File& m_file;
    std::span<const uint8_t> m_bytes;
    uint64_t m_pos = 0;
    uint64_t m_tensorCount = 0;
    uint64_t m_kvCount = 0;
    std::string m_context;  // what is being read ("key 'general.name'"), prefixes errors
    std::optional<assistant::Error> m_error;
};

bool Parser::Reader::take(uint64_t n, const char* field, const uint8_t*& out) {
    if (n > remaining())
        return fail(ErrorCode::InvalidFormat, field, " (", n, " bytes at offset ", m_pos,
                    ") runs past the end of the file (size ", m_bytes.size(), ")");
    out = m_bytes.data() + m_pos;
    m_pos += n;
    return true;
}

bool Parser::Reader::readString(std::string_view& out, const char* field) {
    uint64_t length = 0;
    if (!readPod(length, field)) return false;
    if (length > remaining())
        return fail(ErrorCode::InvalidFormat, field, " length ", length, " at offset ", m_pos - 8,
                    " exceeds the ", remaining(), " bytes left in the file");
    out = std::string_view(reinterpret_cast<const char*>(m_bytes.data() + m_pos), length);
    m_pos += length;
    return true;
}

bool Parser::Reader::readValueType(ValueType& out, const char* field) {
    uint32_t raw = 0;
    if (!readPod(raw, field)) return false;
    if (raw > kMaxValueType) return fail(ErrorCode::InvalidFormat, "unknown ", field, " ", raw);
    out = static_cast<ValueType>(raw);
    return true;
}

bool Parser::Reader::parseHeader() {
    const uint64_t size = m_bytes.size();
    if (size < 4 || std::memcmp(m_bytes.data(), "GGUF", 4) != 0) {
        std::string_view head(reinterpret_cast<const char*>(m_bytes.data()), size < 4 ? size : 4);
        return fail(ErrorCode::InvalidFormat, "not a GGUF file: magic is '", printable(head),
                    "', expected 'GGUF' (file size ", size, ")");
    }
    m_pos = 4;
    uint32_t version = 0;
    if (!readPod(version, "version")) return false;
    if (version == 1)
        return fail(ErrorCode::InvalidFormat,
                    "GGUF version 1 is not supported (only versions 2 and 3); re-convert the model");
    if (version != 2 && version != 3) {
        const uint32_t swapped = __builtin_bswap32(version);
        if (swapped >= 1 && swapped <= 3)
            return fail(ErrorCode::InvalidFormat, "big-endian GGUF (version ", swapped,
                        ") is not supported");
        return fail(ErrorCode::InvalidFormat, "unsupported GGUF version ", version,
                    " (only versions 2 and 3)");
    }
    m_file.m_version = version;
    if (!readPod(m_tensorCount, "tensor_count") || !readPod(m_kvCount, "kv_count")) return false;
    if (m_kvCount > remaining() / kMinKvBytes)
        return fail(ErrorCode::InvalidFormat, "kv_count ", m_kvCount, " is impossible: the ", remaining(),
                    " bytes after the header hold at most ", remaining() / kMinKvBytes, " entries");
    if (m_tensorCount > remaining() / kMinTensorBytes)
        return fail(ErrorCode::InvalidFormat, "tensor_count ", m_tensorCount, " is impossible: the ",
                    remaining(), " bytes after the header hold at most ", remaining() / kMinTensorBytes,
                    " tensor infos");
    return true;
}

bool Parser::Reader::readArray(Value& out, int depth) {
    if (depth >= kMaxArrayDepth)
        return fail(ErrorCode::InvalidFormat, "arrays nested deeper than ", kMaxArrayDepth,
                    " levels at offset ", m_pos);
    auto array = std::make_shared<Array>();
    if (!readValueType(array->elementType, "array element type")) return false;
    uint64_t count = 0;
    if (!readPod(count, "array count")) return false;
    const uint64_t itemBytes = minEncodedSize(array->elementType);
    if (count > remaining() / itemBytes)
        return fail(ErrorCode::InvalidFormat, "array count ", count, " of ", valueTypeName(array->elementType),
                    " needs at least ", itemBytes, " bytes each but only ", remaining(),
                    " bytes remain (offset ", m_pos, ")");
    array->items.resize(count);
    for (uint64_t i = 0; i < count; ++i) {
        Value& item = array->items[i];
        item.type = array->elementType;
        if (!readValue(array->elementType, item, depth + 1)) {
            if (m_error) m_error->message += cat(" (array element ", i, " of ", count, ")");
            return false;
        }
    }
    out.data = std::move(array);
    return true;
}

bool Parser::Reader::readValue(ValueType type, Value& out, int depth) {
    out.type = type;
    switch (type) {
        case ValueType::U8: { uint8_t v; if (!readPod(v, "u8 value")) return false; out.data = uint64_t{v}; return true; }
        case ValueType::I8: { int8_t v; if (!readPod(v, "i8 value")) return false; out.data = int64_t{v}; return true; }
        case ValueType::U16: { uint16_t v; if (!readPod(v, "u16 value")) return false; out.data = uint64_t{v}; return true; }
        case ValueType::I16: { int16_t v; if (!readPod(v, "i16 value")) return false; out.data = int64_t{v}; return true; }
        case ValueType::U32: { uint32_t v; if (!readPod(v, "u32 value")) return false; out.data = uint64_t{v}; return true; }
        case ValueType::I32: { int32_t v; if (!readPod(v, "i32 value")) return false; out.data = int64_t{v}; return true; }
        case ValueType::U64: { uint64_t v; if (!readPod(v, "u64 value")) return false; out.data = v; return true; }
        case ValueType::I64: { int64_t v; if (!readPod(v, "i64 value")) return false; out.data = v; return true; }
        case ValueType::F32: { float v; if (!readPod(v, "f32 value")) return false; out.data = double{v}; return true; }
        case ValueType::F64: { double v; if (!readPod(v, "f64 value")) return false; out.data = v; return true; }
        case ValueType::Bool: { uint8_t v; if (!readPod(v, "bool value")) return false; out.data = v != 0; return true; }
        case ValueType::String: {
            std::string_view s;
            if (!readString(s, "string value")) return false;
            out.data = s;
            return true;
        }
        case ValueType::Array: return readArray(out, depth);
    }
    return fail(ErrorCode::InvalidFormat, "unknown value type ", static_cast<uint32_t>(type));
}

bool Parser::Reader::parseMetadata() {
    m_file.m_metadata.reserve(m_kvCount);  // bounded by the file size in parseHeader
    m_file.m_keyIndex.reserve(m_kvCount);
    for (uint64_t i = 0; i < m_kvCount; ++i) {
        m_context = cat("metadata entry ", i);
        std::string_view key;
        if (!readString(key, "key")) return false;
        m_context = cat("key '", printable(key), "'");
        if (!m_file.m_keyIndex.emplace(key, m_file.m_metadata.size()).second)
            return fail(ErrorCode::InvalidFormat, "duplicate key");
        ValueType type{};
        if (!readValueType(type, "value type")) return false;
        Value value;
        if (!readValue(type, value, 0)) return false;
        m_file.m_metadata.emplace_back(key, std::move(value));
    }
    m_context.clear();
    return true;
}

bool Parser::Reader::parseAlignment() {
    m_file.m_alignment = kDefaultAlignment;
    const Value* value = m_file.find("general.alignment");
    if (!value) return true;
    m_context = "key 'general.alignment'";
    if (value->type != ValueType::U32)
        return fail(ErrorCode::InvalidFormat, "type is ", valueTypeName(value->type), ", expected u32");
    const uint64_t alignment = *value->asUInt();
    if (alignment == 0 || !std::has_single_bit(alignment))
        return fail(ErrorCode::InvalidFormat, "alignment ", alignment, " is not a nonzero power of two");
    m_file.m_alignment = alignment;
    m_context.clear();
    return true;
}

bool Parser::Reader::parseTensorInfo(uint64_t index, TensorInfo& info) {
    m_context = cat("tensor #", index);
    if (!readString(info.name, "name")) return false;
    m_context = cat("tensor '", printable(info.name), "'");
    if (!m_file.m_tensorIndex.emplace(info.name, index).second)
        return fail(ErrorCode::InvalidFormat, "duplicate tensor name");
    uint32_t nDims = 0;
    if (!readPod(nDims, "n_dims")) return false;
    if (nDims < 1 || nDims > kMaxDims)
        return fail(ErrorCode::InvalidFormat, "n_dims ", nDims, " is out of range 1..", kMaxDims);
    int64_t elements = 1;
    info.shape.resize(nDims);
    for (uint32_t d = 0; d < nDims; ++d) {
        uint64_t ne = 0;
        if (!readPod(ne, "dimension")) return false;
        if (ne == 0 || ne > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
            return fail(ErrorCode::InvalidFormat, "dimension ", d, " is ", ne, " (must be 1..2^63-1)");
        info.shape[d] = static_cast<int64_t>(ne);
        if (__builtin_mul_overflow(elements, info.shape[d], &elements))
            return fail(ErrorCode::InvalidFormat, "element count overflows at dimension ", d, " (", ne, ")");
    }
    uint32_t typeId = 0;
    if (!readPod(typeId, "type")) return false;
    const std::optional<kernels::TypeTraits> traits = kernels::typeTraits(typeId);
    if (!traits) return fail(ErrorCode::UnsupportedTensorType, "unknown tensor type id ", typeId);
    info.type = static_cast<kernels::GgmlType>(typeId);
    if (info.shape[0] % traits->blockSize != 0)
        return fail(ErrorCode::InvalidFormat, "row length ne[0]=", info.shape[0],
                    " is not a multiple of the block size ", traits->blockSize, " of ", traits->name);
    if (__builtin_mul_overflow(static_cast<uint64_t>(elements / traits->blockSize), uint64_t{traits->blockBytes},
                               &info.bytes))
        return fail(ErrorCode::InvalidFormat, "data size of ", elements, " elements of ", traits->name,
                    " overflows");
    return readPod(info.offset, "offset");
}

bool Parser::Reader::parseTensorInfos() {
    // Re-checked here: the metadata consumed part of what the header check allowed.
    if (m_tensorCount > remaining() / kMinTensorBytes)
        return fail(ErrorCode::InvalidFormat, "tensor_count ", m_tensorCount, " is impossible: the ",
                    remaining(), " bytes after the metadata hold at most ", remaining() / kMinTensorBytes,
                    " tensor infos");
    m_file.m_tensors.resize(m_tensorCount);
    m_file.m_tensorIndex.reserve(m_tensorCount);
    for (uint64_t i = 0; i < m_tensorCount; ++i)
        if (!parseTensorInfo(i, m_file.m_tensors[i])) return false;
    m_context.clear();
    return true;
}

bool Parser::Reader::placeTensors() {
    const uint64_t size = m_bytes.size();
    const uint64_t alignment = m_file.m_alignment;
    // m_pos <= size and alignment <= 2^31, so this cannot overflow.
    m_file.m_dataOffset = (m_pos + alignment - 1) / alignment * alignment;
    const uint64_t dataOffset = m_file.m_dataOffset;
    for (TensorInfo& t : m_file.m_tensors) {
        m_context = cat("tensor '", printable(t.name), "'");
        if (t.offset % alignment != 0)
            return fail(ErrorCode::InvalidFormat, "offset ", t.offset, " is not a multiple of the alignment ",
                        alignment);
        if (dataOffset > size || t.offset > size - dataOffset || t.bytes > size - dataOffset - t.offset)
            return fail(ErrorCode::InvalidFormat, "offset ", t.offset, " + ", t.bytes,
                        " bytes exceeds file size ", size, " (data section starts at ", dataOffset, ")");
        t.data = m_bytes.data() + dataOffset + t.offset;
    }
    m_context.clear();
    return true;
}

assistant::Status Parser::Reader::run() {
    const bool ok = parseHeader() && parseMetadata() && parseAlignment() && parseTensorInfos() &&
                    placeTensors();
    if (!ok) {
        if (!m_error) m_error = assistant::Error{ErrorCode::Internal, "GGUF parse failed without a message"};
        return std::unexpected(std::move(*m_error));
    }
    return {};
}

assistant::Status Parser::parse(File& file) {
    Reader reader(file, file.m_bytes);
    return reader.run();
}

}  // namespace gguf
