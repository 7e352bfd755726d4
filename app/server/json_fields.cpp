#include "json_fields.h"

#include <cmath>

namespace server {

using json::Value;

ApiError badParam(const std::string& param, const std::string& message) {
    return ApiError{400, message, "invalid_request_error", param, ""};
}

const Value* field(const Value& body, const char* name) {
    const Value* v = body.find(name);
    return v && !v->isNull() ? v : nullptr;
}

// Each reader: absent/null leaves `out` alone; a wrong type or range is an error.
std::optional<ApiError> readBool(const Value& body, const char* name, bool& out) {
    const Value* v = field(body, name);
    if (!v) return std::nullopt;
    if (!v->isBool()) return badParam(name, std::string("'") + name + "' must be a boolean");
    out = v->asBool();
    return std::nullopt;
}

std::optional<ApiError> readNumber(const Value& body, const char* name, double lo, double hi, float& out) {
    const Value* v = field(body, name);
    if (!v) return std::nullopt;
    if (!v->isNumber()) return badParam(name, std::string("'") + name + "' must be a number");
    const double d = v->asNumber();
    if (!std::isfinite(d) || d < lo || d > hi)
        return badParam(name, std::string("'") + name + "' must be between " + Value(lo).dump() + " and " + Value(hi).dump());
    out = static_cast<float>(d);
    return std::nullopt;
}

std::optional<ApiError> readInt(const Value& body, const char* name, int64_t lo, int64_t hi, int64_t& out) {
    const Value* v = field(body, name);
    if (!v) return std::nullopt;
    // An integer literal beyond int64 parses as a double and is refused here.
    if (!v->isInteger()) return badParam(name, std::string("'") + name + "' must be an integer");
    const int64_t i = v->asInt();
    if (i < lo || i > hi)
        return badParam(name, std::string("'") + name + "' must be between " + std::to_string(lo) + " and " + std::to_string(hi));
    out = i;
    return std::nullopt;
}

std::optional<ApiError> readString(const Value& body, const char* name, std::string& out) {
    const Value* v = field(body, name);
    if (!v) return std::nullopt;
    if (!v->isString()) return badParam(name, std::string("'") + name + "' must be a string");
    out = v->asString();
    return std::nullopt;
}

}  // namespace server
