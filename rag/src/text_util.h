// Text clean-up shared by the extractors: Unicode NFKC (ICU), de-hyphenation of
// line-broken words, and a score of how much of a text layer is readable.
#pragma once

#include <string>
#include <string_view>

namespace rag {

// NFKC-normalizes UTF-8 (ligatures "ﬁ" -> "fi", full-width forms, compatibility
// digits), replaces invalid bytes with U+FFFD, drops soft hyphens and control
// characters other than '\n' and '\t', and turns '\r\n', '\r' and '\f' into '\n'.
std::string normalizeText(std::string_view utf8);

// Joins words broken at a line end: "infor-\nmation" -> "information\n" when a
// lower-case letter precedes the hyphen and one follows the line break. Hyphens
// between other characters ("well-\nKnown", "2019-\n2020") stay.
std::string dehyphenate(std::string_view text);

// Fraction in [0, 1] of non-space code points that look like text (letters, digits,
// common punctuation) rather than glyph garbage (private use, U+FFFD, control,
// unassigned). 1 for empty text.
double readableFraction(std::string_view utf8);

// Code points that are letters or digits.
size_t countAlnum(std::string_view utf8);

// Lower-cased words (letters/digits, Unicode-aware) joined by single spaces: the
// comparison form used for header/footer detection and OCR word accuracy.
std::string wordsLower(std::string_view utf8);

}  // namespace rag
