// PrecompiledCharsmap on the real blob of ggml-vocab-nomic-bert-moe.gguf (XLM-R's
// nmt_nfkc rules), and its validation of malformed blobs.
#include <gtest/gtest.h>

#include "gguf/gguf_file.h"
#include "shared_data.h"
#include "tokenizer/precompiled_charsmap.h"

using tokenizer::PrecompiledCharsmap;

namespace {

std::string readBlob(const std::string& path) {
    auto file = gguf::File::open(path);
    if (!file) return {};
    const gguf::Array* array = (*file)->getArray("tokenizer.ggml.precompiled_charsmap");
    std::string blob;
    if (!array) return blob;
    for (const auto& item : array->items) blob.push_back(static_cast<char>(item.asInt().value_or(0)));
    return blob;
}

TEST(PrecompiledCharsmap, ReadsTheXlmrBlob) {
    const std::string path = testdata::sharedPath("models/vocab/ggml-vocab-nomic-bert-moe.gguf");
    REQUIRE_SHARED(path);
    const std::string blob = readBlob(path);
    ASSERT_EQ(blob.size(), 237539u);
    auto map = PrecompiledCharsmap::parse(blob);
    ASSERT_TRUE(map.has_value()) << map.error().message;
    // Header: 0x0002B400 = 177,152 bytes of trie, the rest is the string pool.
    EXPECT_EQ(map->trieUnits(), 177152u / 4);
    EXPECT_EQ(map->poolBytes(), blob.size() - 4 - 177152u);

    struct Rule {
        std::string in, out;
    };
    const Rule rules[] = {
        {"\xEF\xBC\xA1", "A"},                // U+FF21 full-width A
        {"\xEF\xBC\x8C", ","},                // U+FF0C full-width comma
        {"\xEF\xBD\xB6", "\xE3\x82\xAB"},     // U+FF76 half-width katakana KA -> U+30AB
        {"\xEF\xAC\x81", "fi"},               // U+FB01 ligature
        {"\xE2\x91\xA0", "1"},                // U+2460 circled digit one
        {"\xE3\x8E\x8F", "kg"},               // U+338F square kg
        {"\xC2\xA0", " "},                    // U+00A0 no-break space
    };
    for (const Rule& r : rules) {
        const auto m = map->longestPrefix(r.in + "xyz");
        EXPECT_EQ(m.consumed, r.in.size()) << r.in;
        EXPECT_EQ(m.replacement, r.out) << r.in;
    }
    // Plain ASCII letters, German umlauts (already NFC) and CJK have no rule.
    for (std::string plain : {"a", "Z", "\xC3\xBC", "\xE4\xBD\xA0"}) {
        EXPECT_EQ(map->longestPrefix(plain).consumed, 0u) << plain;
        const std::string input = plain + "rest";  // the replacement may view into it
        const auto m = map->normalizePrefix(input);
        EXPECT_EQ(m.consumed, plain.size());
        EXPECT_EQ(m.replacement, plain);
    }
    // A malformed byte is one U+FFFD.
    const auto bad = map->normalizePrefix("\x80z");
    EXPECT_EQ(bad.consumed, 1u);
    EXPECT_EQ(bad.replacement, "\xEF\xBF\xBD");
}

TEST(PrecompiledCharsmap, RejectsBlobsWhoseTrieDoesNotFit) {
    EXPECT_TRUE(PrecompiledCharsmap::parse("").has_value());
    EXPECT_TRUE(PrecompiledCharsmap::parse("")->empty());
    EXPECT_FALSE(PrecompiledCharsmap::parse("\x01\x00").has_value());
    EXPECT_FALSE(PrecompiledCharsmap::parse(std::string("\x08\x00\x00\x00\x00\x00\x00\x00", 8)).has_value());
    EXPECT_FALSE(PrecompiledCharsmap::parse(std::string("\x03\x00\x00\x00\x00\x00\x00", 7)).has_value());
    EXPECT_TRUE(PrecompiledCharsmap::parse(std::string("\x04\x00\x00\x00\x00\x00\x00\x00", 8)).has_value());
}

// A trie of arbitrary units (a corrupt file) must not read outside the blob: offsets
// past the units and values past the pool end the match instead.
TEST(PrecompiledCharsmap, SurvivesArbitraryUnits) {
    uint32_t state = 12345;
    for (int round = 0; round < 50; ++round) {
        std::string blob("\x40\x00\x00\x00", 4);  // 16 units
        for (int i = 0; i < 64 + 8; ++i) {
            state = state * 1664525u + 1013904223u;
            blob.push_back(static_cast<char>(state >> 24));
        }
        auto map = PrecompiledCharsmap::parse(blob);
        ASSERT_TRUE(map.has_value());
        for (int a = 1; a < 256; ++a)
            for (int b = 0; b < 256; b += 17) {
                const std::string text{static_cast<char>(a), static_cast<char>(b), 'x'};
                const auto m = map->normalizePrefix(text);
                EXPECT_GE(m.consumed, 1u);
                EXPECT_LE(m.consumed, text.size());
            }
    }
}

}  // namespace
