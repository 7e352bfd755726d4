// Which writing system a code point belongs to, as far as search and chunking need
// to know: CJK (Han, kana, Hangul) is written without spaces between words, so the
// full-text index cuts it into characters and pairs of characters instead of words.
// Header-only; plain C++ (no ICU), so the query builder and the chunker share it.
// UTF-8 itself is the engine's common/utf8.h (utf8::append, utf8::decode).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/utf8.h"

namespace rag::script {

// Han ideographs (CJK Unified + extensions + compatibility), Hiragana, Katakana (with
// the prolonged sound mark and half-width forms), Bopomofo and Hangul.
constexpr bool isCjk(char32_t c) {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2FA1F) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x3040 && c <= 0x30FF && c != 0x30FB) ||
           (c >= 0x31F0 && c <= 0x31FF) || (c >= 0xFF66 && c <= 0xFF9F) || (c >= 0x3100 && c <= 0x312F) ||
           (c >= 0xAC00 && c <= 0xD7AF) || (c >= 0x1100 && c <= 0x11FF) || (c >= 0x3130 && c <= 0x318F) ||
           c == 0x3005 /* 々 */;
}

constexpr bool isKana(char32_t c) { return (c >= 0x3040 && c <= 0x30FF && c != 0x30FB) || (c >= 0x31F0 && c <= 0x31FF); }
constexpr bool isHangul(char32_t c) {
    return (c >= 0xAC00 && c <= 0xD7AF) || (c >= 0x1100 && c <= 0x11FF) || (c >= 0x3130 && c <= 0x318F);
}

// Sentence-ending punctuation of CJK text (。！？； and their half-width forms, also
// after NFKC has turned the full-width ones into ASCII).
constexpr bool isCjkSentenceEnd(char32_t c) { return c == 0x3002 || c == 0xFF61 || c == 0xFF01 || c == 0xFF1F || c == 0xFF1B; }

}  // namespace rag::script
