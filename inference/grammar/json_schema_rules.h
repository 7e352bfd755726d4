// Shared by json_schema.cpp and json_schema_strings.cpp: the fixed JSON rules and
// the pieces generated from numbers and formats.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace grammar::detail {

// ws, json-string, json-int, json-number, json-unsigned-number, json-bool, json-null,
// json-value, json-object, json-array (GBNF rules, one per line).
extern const char* const kJsonBaseRules;

// The GBNF body for a string "format" (quotes included), "" when unknown.
std::string formatRule(const std::string& format);

// The GBNF body matching exactly the integers in [lo, hi] (either side open).
std::string integerRange(std::optional<int64_t> lo, std::optional<int64_t> hi);

}  // namespace grammar::detail
