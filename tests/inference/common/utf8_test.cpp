// common/utf8.h: the one UTF-8 encoder and decoder. Well-formed sequences decode to
// their code point; every byte of a malformed one (RFC 3629: bad lead, truncated,
// overlong, surrogate, above U+10FFFF) is one U+FFFD.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/utf8.h"

namespace {

std::vector<char32_t> decodeAll(std::string_view s) {
    std::vector<char32_t> out;
    for (size_t i = 0; i < s.size();) out.push_back(utf8::decode(s, i));
    return out;
}

TEST(Utf8, DecodesWhatItEncodes) {
    for (char32_t cp : {0x0u, 0x41u, 0x7Fu, 0x80u, 0x7FFu, 0x800u, 0xD7FFu, 0xE000u, 0xFFFDu, 0xFFFFu, 0x10000u,
                        0x1F600u, 0x10FFFFu}) {
        std::string s;
        utf8::append(s, cp);
        size_t i = 0;
        EXPECT_EQ(utf8::sequenceLength(s, 0), s.size()) << std::hex << static_cast<uint32_t>(cp);
        EXPECT_EQ(utf8::decode(s, i), cp);
        EXPECT_EQ(i, s.size());
    }
}

TEST(Utf8, MalformedBytesAreOneReplacementEach) {
    struct Case {
        const char* name;
        std::string bytes;
        std::vector<char32_t> want;
    };
    const char32_t R = utf8::kReplacement;
    const Case cases[] = {
        {"stray continuation", "a\x80" "b", {'a', R, 'b'}},
        {"bad lead", "\xFF\xFE", {R, R}},
        {"truncated at the end", "x\xE2\x82", {'x', R, R}},
        {"truncated before ASCII", "\xE2\x82" "a", {R, R, 'a'}},
        {"overlong 2-byte", "\xC0\xAF", {R, R}},
        {"overlong 3-byte", "\xE0\x80\xAF", {R, R, R}},
        {"surrogate", "\xED\xA0\x80", {R, R, R}},
        {"above U+10FFFF", "\xF4\x90\x80\x80", {R, R, R, R}},
        {"euro sign", "\xE2\x82\xAC", {0x20AC}},
    };
    for (const Case& c : cases) EXPECT_EQ(decodeAll(c.bytes), c.want) << c.name;
}

}  // namespace
