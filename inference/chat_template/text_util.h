// String helpers with Python's str semantics (case mapping for Latin, Greek and
// Cyrillic letters; lengths and indices in code points).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace chat_template {

inline constexpr std::string_view kWhitespace = " \t\n\r\f\v\x1c\x1d\x1e\x1f";

std::string strip(std::string_view s, std::string_view chars, bool left, bool right);
std::string toUpper(std::string_view s);
std::string toLower(std::string_view s);
std::string titleCase(std::string_view s);
std::string capitalize(std::string_view s);
// str.split() without a separator: runs of whitespace, no empty parts. fromRight: rsplit.
std::vector<std::string> splitWhitespace(std::string_view s, int64_t maxSplit, bool fromRight);
std::vector<std::string> splitOn(std::string_view s, std::string_view sep, int64_t maxSplit, bool fromRight);
std::string replaceAll(std::string_view s, std::string_view from, std::string_view to, int64_t count);
size_t codepointCount(std::string_view s);

}  // namespace chat_template
