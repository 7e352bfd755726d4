// Which writing system a code point belongs to, as far as search and chunking need
// to know: CJK (Han, kana, Hangul) is written without spaces between words, so the
// full-text index cuts it into characters and pairs of characters instead of words.
// Header-only; plain C++ (no ICU), so the query builder and the chunker share it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

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

// Appends the code point's UTF-8 bytes (rag's one encoder; the engine has its own below
// its public header, which rag does not include).
inline void append(std::string& out, char32_t c) {
    if (c < 0x80) {
        out += static_cast<char>(c);
    } else if (c < 0x800) {
        out += static_cast<char>(0xC0 | (c >> 6));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        out += static_cast<char>(0xE0 | (c >> 12));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (c >> 18));
        out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    }
}

// Decodes the code point at s[i] and advances i; an invalid byte gives U+FFFD and
// advances by one.
inline char32_t next(std::string_view s, size_t& i) {
    const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = b(i);
    auto cont = [&](size_t k) { return k < s.size() && (b(k) & 0xC0) == 0x80; };
    if (c < 0x80) { ++i; return c; }
    if ((c & 0xE0) == 0xC0 && cont(i + 1)) {
        const char32_t v = ((c & 0x1Fu) << 6) | (b(i + 1) & 0x3Fu);
        i += 2;
        return v >= 0x80 ? v : 0xFFFD;
    }
    if ((c & 0xF0) == 0xE0 && cont(i + 1) && cont(i + 2)) {
        const char32_t v = ((c & 0x0Fu) << 12) | ((b(i + 1) & 0x3Fu) << 6) | (b(i + 2) & 0x3Fu);
        i += 3;
        return v >= 0x800 ? v : 0xFFFD;
    }
    if ((c & 0xF8) == 0xF0 && cont(i + 1) && cont(i + 2) && cont(i + 3)) {
        const char32_t v = ((c & 0x07u) << 18) | ((b(i + 1) & 0x3Fu) << 12) | ((b(i + 2) & 0x3Fu) << 6) | (b(i + 3) & 0x3Fu);
        i += 4;
        return v >= 0x10000 && v <= 0x10FFFF ? v : 0xFFFD;
    }
    ++i;
    return 0xFFFD;
}

}  // namespace rag::script
