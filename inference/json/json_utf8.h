// Internal UTF-8 helpers shared by the parser and the serializer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace json::detail {

// Length (1..4) of the well-formed UTF-8 sequence at p[0..n), or 0 when the bytes
// there are not one (bad lead byte, truncated, overlong, surrogate, > U+10FFFF).
inline size_t utf8Sequence(const unsigned char* p, size_t n) {
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


}  // namespace json::detail
