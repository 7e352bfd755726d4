#include <gtest/gtest.h>

#include "sha256.h"
#include "text_util.h"

TEST(RagText, NfkcExpandsLigaturesAndWidthForms) {
    EXPECT_EQ(rag::normalizeText("e\xEF\xAC\x83" "cient"), "efficient");          // U+FB03 ffi
    EXPECT_EQ(rag::normalizeText("\xEF\xBC\xA1\xEF\xBC\xA2" "1"), "AB1");           // full-width A B
    EXPECT_EQ(rag::normalizeText("cafe\xCC\x81"), "caf\xC3\xA9");                   // e + combining acute
    EXPECT_EQ(rag::normalizeText("a\r\nb\rc\fd"), "a\nb\nc\nd");
    EXPECT_EQ(rag::normalizeText("soft\xC2\xADhyphen"), "softhyphen");
    EXPECT_EQ(rag::normalizeText("bad\xFF" "byte"), "bad\xEF\xBF\xBD" "byte");      // U+FFFD
}

TEST(RagText, DehyphenatesOnlyLowerCaseWordBreaks) {
    EXPECT_EQ(rag::dehyphenate("infor-\nmation is here"), "information\nis here");
    EXPECT_EQ(rag::dehyphenate("the end-\nless, story"), "the endless,\nstory");
    EXPECT_EQ(rag::dehyphenate("well-\nKnown"), "well-\nKnown");
    EXPECT_EQ(rag::dehyphenate("2019-\n2020"), "2019-\n2020");
    EXPECT_EQ(rag::dehyphenate("a - b"), "a - b");
    EXPECT_EQ(rag::dehyphenate("Stra\xC3\x9F" "en-\nbahn"), "Stra\xC3\x9F" "enbahn\n");
}

TEST(RagText, ReadableFractionFlagsGlyphGarbage) {
    EXPECT_DOUBLE_EQ(rag::readableFraction("Hello, world!"), 1.0);
    EXPECT_DOUBLE_EQ(rag::readableFraction(""), 1.0);
    EXPECT_LT(rag::readableFraction("\xEE\x80\x81\xEE\x80\x82\xEE\x80\x83x"), 0.5);  // private use
    EXPECT_EQ(rag::countAlnum("a1 \xC3\xA9!"), 3u);
    EXPECT_EQ(rag::wordsLower("Hello, WORLD-wide 42"), "hello world wide 42");
}

TEST(RagText, Sha256KnownAnswers) {
    EXPECT_EQ(rag::sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(rag::sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(rag::sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    std::string million(1000000, 'a');
    EXPECT_EQ(rag::sha256Hex(million), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
