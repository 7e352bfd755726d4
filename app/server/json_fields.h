// Reading typed fields out of request bodies, shared by the OpenAI and the Ollama
// protocols: each reader leaves `out` alone when the field is absent or null and
// returns a 400 error naming the field when its type or range is wrong.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "json/json.h"
#include "openai_protocol.h"

namespace server {

ApiError badParam(const std::string& param, const std::string& message);

// The field, or null when it is absent or JSON null (or body is not an object).
const json::Value* field(const json::Value& body, const char* name);

std::optional<ApiError> readBool(const json::Value& body, const char* name, bool& out);
std::optional<ApiError> readNumber(const json::Value& body, const char* name, double lo, double hi, float& out);
// An integer literal (5, not 5.0) within [lo, hi].
std::optional<ApiError> readInt(const json::Value& body, const char* name, int64_t lo, int64_t hi, int64_t& out);
std::optional<ApiError> readString(const json::Value& body, const char* name, std::string& out);

}  // namespace server
