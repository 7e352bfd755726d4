// Typed access to GGUF metadata values. Storage by type:
//   U8..U64 -> uint64_t, I8..I64 -> int64_t, F32/F64 -> double, Bool -> bool,
//   String -> std::string_view (into the file image), Array -> shared_ptr<Array>.
#include <limits>

#include "gguf/gguf_file.h"

namespace gguf {

std::optional<uint64_t> Value::asUInt() const {
    if (const auto* u = std::get_if<uint64_t>(&data)) return *u;
    if (const auto* i = std::get_if<int64_t>(&data)) {
        if (*i >= 0) return static_cast<uint64_t>(*i);
        return std::nullopt;
    }
    if (const auto* b = std::get_if<bool>(&data)) return *b ? 1u : 0u;
    return std::nullopt;
}

std::optional<int64_t> Value::asInt() const {
    if (const auto* i = std::get_if<int64_t>(&data)) return *i;
    if (const auto* u = std::get_if<uint64_t>(&data)) {
        if (*u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
            return static_cast<int64_t>(*u);
        return std::nullopt;
    }
    if (const auto* b = std::get_if<bool>(&data)) return *b ? 1 : 0;
    return std::nullopt;
}

std::optional<double> Value::asFloat() const {
    if (const auto* d = std::get_if<double>(&data)) return *d;
    if (const auto* i = std::get_if<int64_t>(&data)) return static_cast<double>(*i);
    if (const auto* u = std::get_if<uint64_t>(&data)) return static_cast<double>(*u);
    return std::nullopt;
}

std::optional<bool> Value::asBool() const {
    if (const auto* b = std::get_if<bool>(&data)) return *b;
    return std::nullopt;
}

std::optional<std::string_view> Value::asString() const {
    if (const auto* s = std::get_if<std::string_view>(&data)) return *s;
    return std::nullopt;
}

const Array* Value::asArray() const {
    if (const auto* a = std::get_if<std::shared_ptr<Array>>(&data)) return a->get();
    return nullptr;
}

int64_t TensorInfo::elements() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;  // the parser rejected shapes whose product overflows
    return n;
}

std::string_view valueTypeName(ValueType type) {
    switch (type) {
        case ValueType::U8: return "u8";
        case ValueType::I8: return "i8";
        case ValueType::U16: return "u16";
        case ValueType::I16: return "i16";
        case ValueType::U32: return "u32";
        case ValueType::I32: return "i32";
        case ValueType::F32: return "f32";
        case ValueType::Bool: return "bool";
        case ValueType::String: return "string";
        case ValueType::Array: return "array";
        case ValueType::U64: return "u64";
        case ValueType::I64: return "i64";
        case ValueType::F64: return "f64";
    }
    return "unknown";
}

}  // namespace gguf
