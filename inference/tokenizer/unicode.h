// The Unicode properties the tokenizers need: general categories,
// White_Space, lowercase and canonical decomposition. Tables are generated from
// Python's unicodedata (see tools/gen_unicode_tables.py; Unicode 14.0).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tokenizer::unicode {

// General categories, Cn (unassigned) first.
enum class Category : uint8_t {
    Cn, Lu, Ll, Lt, Lm, Lo, Mn, Mc, Me, Nd, Nl, No, Pc, Pd, Ps, Pe, Pi, Pf, Po,
    Sm, Sc, Sk, So, Zs, Zl, Zp, Cc, Cf, Cs, Co,
};

// Byte length of the UTF-8 sequence that starts with `lead` (1 for a stray byte).
size_t utf8Length(uint8_t lead);
std::string toUtf8(char32_t cp);
std::vector<char32_t> toCodepoints(std::string_view text);
// Length of the longest prefix of `bytes` that is complete UTF-8 characters, and
// whether the rest could still become a character (an unfinished sequence).
size_t completeUtf8Prefix(std::string_view bytes);

Category category(char32_t cp);
bool isLetter(char32_t cp);       // \p{L}
bool isNumber(char32_t cp);       // \p{N}
bool isPunctuation(char32_t cp);  // \p{P}
bool isSymbol(char32_t cp);       // \p{S}
bool isMark(char32_t cp);         // \p{M}
bool isWhitespace(char32_t cp);   // \s: the White_Space property
bool isControl(char32_t cp);      // Cc, Cf

// Full lowercase mapping (may be several code points, e.g. U+0130).
void appendLower(std::u32string& out, char32_t cp);
// Full canonical decomposition (NFD of one code point), Hangul included.
void appendNfd(std::u32string& out, char32_t cp);

const char* unicodeVersion();

}  // namespace tokenizer::unicode
