#include "json_fields.h"

#include <cmath>

namespace server {

using nlohmann::json;

ApiError badParam(const std::string& param, const std::string& message) {
    return ApiError{400, message, "invalid_request_error", param, ""};
}

const json* field(const json& body, const char* name) {
    auto it = body.find(name);
    if (it == body.end() || it->is_null()) return nullptr;
    return &*it;
}

// Each reader: absent/null leaves `out` alone; a wrong type or range is an error.
std::optional<ApiError> readBool(const json& body, const char* name, bool& out) {
    const json* v = field(body, name);
    if (!v) return std::nullopt;
    if (!v->is_boolean()) return badParam(name, std::string("'") + name + "' must be a boolean");
    out = v->get<bool>();
    return std::nullopt;
}

std::optional<ApiError> readNumber(const json& body, const char* name, double lo, double hi, float& out) {
    const json* v = field(body, name);
    if (!v) return std::nullopt;
    if (!v->is_number()) return badParam(name, std::string("'") + name + "' must be a number");
    const double d = v->get<double>();
    if (!std::isfinite(d) || d < lo || d > hi)
        return badParam(name, std::string("'") + name + "' must be between " + json(lo).dump() + " and " + json(hi).dump());
    out = static_cast<float>(d);
    return std::nullopt;
}

std::optional<ApiError> readInt(const json& body, const char* name, int64_t lo, int64_t hi, int64_t& out) {
    const json* v = field(body, name);
    if (!v) return std::nullopt;
    if (!v->is_number_integer()) return badParam(name, std::string("'") + name + "' must be an integer");
    // Unsigned values above INT64_MAX land here as negative; the range check catches both.
    const int64_t i = v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)
                          ? INT64_MAX : v->get<int64_t>();
    if (i < lo || i > hi)
        return badParam(name, std::string("'") + name + "' must be between " + std::to_string(lo) + " and " + std::to_string(hi));
    out = i;
    return std::nullopt;
}

std::optional<ApiError> readString(const json& body, const char* name, std::string& out) {
    const json* v = field(body, name);
    if (!v) return std::nullopt;
    if (!v->is_string()) return badParam(name, std::string("'") + name + "' must be a string");
    out = v->get<std::string>();
    return std::nullopt;
}

}  // namespace server
