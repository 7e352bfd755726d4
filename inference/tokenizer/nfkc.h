// Unicode NFKC normalization (compatibility decomposition, canonical ordering,
// canonical composition), as JavaScript's String.prototype.normalize("NFKC") and
// Python's unicodedata.normalize("NFKC") do it. Tables: nfkc_tables.cpp.
#pragma once

#include <string>
#include <string_view>

namespace tokenizer::unicode {

// UTF-8 in, UTF-8 out. Malformed bytes become U+FFFD. ASCII text is returned as is.
std::string nfkc(std::string_view text);

}  // namespace tokenizer::unicode
