// UTF-8, the one copy the engine's parts and rag/ share (tokenizer, JSON, chat
// templates, retrieval): the encoder, the strict validator and the decoder.
// Header-only: the bottom of inference/, including nothing of it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace utf8 {

inline constexpr char32_t kReplacement = 0xFFFD;

// Appends the code point's UTF-8 bytes (1-4). Surrogates and values above U+10FFFF
// are the caller's to reject; they are encoded as they come.
inline void append(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// Length (1..4) of the well-formed UTF-8 sequence at p[0..n), or 0 when the bytes
// there are not one (a bad lead byte, truncated, overlong, a surrogate, > U+10FFFF),
// as RFC 3629 defines well-formed. n must be at least 1.
inline size_t sequenceLength(const unsigned char* p, size_t n) {
    const unsigned c = p[0];
    if (c < 0x80) return 1;
    if (c < 0xC2) return 0;  // continuation byte or overlong 2-byte lead
    auto cont = [](unsigned char b) { return (b & 0xC0) == 0x80; };
    if (c < 0xE0) return n >= 2 && cont(p[1]) ? 2 : 0;
    if (c < 0xF0) {
        if (n < 3) return 0;
        const unsigned lo = c == 0xE0 ? 0xA0 : 0x80;  // no overlongs
        const unsigned hi = c == 0xED ? 0x9F : 0xBF;  // no surrogates
        if (p[1] < lo || p[1] > hi || !cont(p[2])) return 0;
        return 3;
    }
    if (c < 0xF5) {
        if (n < 4) return 0;
        const unsigned lo = c == 0xF0 ? 0x90 : 0x80;  // no overlongs
        const unsigned hi = c == 0xF4 ? 0x8F : 0xBF;  // <= U+10FFFF
        if (p[1] < lo || p[1] > hi || !cont(p[2]) || !cont(p[3])) return 0;
        return 4;
    }
    return 0;
}

inline size_t sequenceLength(std::string_view s, size_t i) {
    return sequenceLength(reinterpret_cast<const unsigned char*>(s.data()) + i, s.size() - i);
}

// Decodes the code point at s[i] (i < s.size()) and advances i past it. A byte that
// does not start a well-formed sequence gives U+FFFD and advances i by one, so every
// byte of malformed input is one replacement character.
inline char32_t decode(std::string_view s, size_t& i) {
    const size_t n = sequenceLength(s, i);
    const auto b = [&](size_t k) { return static_cast<char32_t>(static_cast<unsigned char>(s[i + k])); };
    char32_t cp = kReplacement;
    switch (n) {
    case 1: cp = b(0); break;
    case 2: cp = ((b(0) & 0x1F) << 6) | (b(1) & 0x3F); break;
    case 3: cp = ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F); break;
    case 4: cp = ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F); break;
    default: break;
    }
    i += n == 0 ? 1 : n;
    return cp;
}

}  // namespace utf8
