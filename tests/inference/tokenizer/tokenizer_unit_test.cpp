// Tokenizer algorithms on tiny vocabularies built in the test (no files needed).
#include <gtest/gtest.h>

#include <cstdio>

#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"

using tokenizer::Tokenizer;
using tokenizer::VocabSpec;

namespace {

// <unk> <s> </s>, the 256 byte tokens, then the pieces with their scores.
VocabSpec tinySpm(const std::vector<std::pair<std::string, float>>& pieces) {
    VocabSpec spec;
    spec.model = "llama";
    spec.tokens = {"<unk>", "<s>", "</s>"};
    spec.types = {2, 3, 3};
    spec.scores = {0, 0, 0};
    for (int b = 0; b < 256; ++b) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "<0x%02X>", b);
        spec.tokens.push_back(hex);
        spec.types.push_back(6);
        spec.scores.push_back(0);
    }
    for (const auto& [text, score] : pieces) {
        spec.tokens.push_back(text);
        spec.types.push_back(1);
        spec.scores.push_back(score);
    }
    spec.bos = 1;
    spec.eos = 2;
    spec.unk = 0;
    return spec;
}

constexpr int32_t kFirstPiece = 3 + 256;

std::unique_ptr<Tokenizer> makeSpm() {
    auto tok = Tokenizer::fromSpec(tinySpm({
        {"\xE2\x96\x81", -1.0f},            // 259 ▁
        {"a", -2.0f},                       // 260
        {"b", -3.0f},                       // 261
        {"\xE2\x96\x81" "a", -0.5f},        // 262 ▁a
        {"ab", -0.4f},                      // 263
        {"\xE2\x96\x81" "ab", -0.1f},       // 264 ▁ab
        {"ba", -0.2f},                      // 265
    }));
    EXPECT_TRUE(tok.has_value());
    return tok ? std::move(*tok) : nullptr;
}

}  // namespace

TEST(TokenizerSpm, MergesByScoreWithDummyPrefix) {
    auto tok = makeSpm();
    ASSERT_TRUE(tok);
    EXPECT_EQ(tok->model(), "llama");
    EXPECT_TRUE(tok->addBos());
    // "▁ab": "ab" (-0.4) beats "▁a" (-0.5), then "▁" + "ab" -> "▁ab".
    EXPECT_EQ(tok->encode("ab", false, true), (std::vector<int32_t>{kFirstPiece + 5}));
    EXPECT_EQ(tok->encode("ab", true, true), (std::vector<int32_t>{1, kFirstPiece + 5}));
    // "▁aba": "ba" (-0.2) beats "ab" (-0.4) when both are possible; the leftmost wins a tie.
    EXPECT_EQ(tok->encode("aba", false, true), (std::vector<int32_t>{kFirstPiece + 3, kFirstPiece + 6}));
    EXPECT_TRUE(tok->encode("", false, true).empty());
}

TEST(TokenizerSpm, ByteFallbackAndSpecialTokens) {
    auto tok = makeSpm();
    ASSERT_TRUE(tok);
    // "é" is not a piece: its two UTF-8 bytes become <0xC3> <0xA9>.
    EXPECT_EQ(tok->encode("\xC3\xA9", false, true), (std::vector<int32_t>{kFirstPiece, 3 + 0xC3, 3 + 0xA9}));
    // "<s>" is a control token: matched only with parseSpecial; the text after it gets a prefix space.
    EXPECT_EQ(tok->encode("<s>ab", false, true), (std::vector<int32_t>{1, kFirstPiece + 5}));
    const auto literal = tok->encode("<s>", false, false);
    EXPECT_EQ(literal.size(), 4u);  // ▁ < s > as bytes
}

TEST(TokenizerSpm, DecodeRoundTrip) {
    auto tok = makeSpm();
    ASSERT_TRUE(tok);
    for (std::string text : {"ab", " ab", "a b  ba", "\xC3\xA9t\xC3\xA9 \xF0\x9F\xA6\x99", "\n\tx"}) {
        EXPECT_EQ(tok->decode(tok->encode(text, true, true)), text) << text;
    }
    EXPECT_EQ(tok->tokenToPiece(1), "");
    EXPECT_EQ(tok->tokenToPiece(1, true), "<s>");
    EXPECT_EQ(tok->tokenToPiece(3 + 'A'), "A");
}

TEST(TokenizerStreamingDecoder, HoldsBackSplitCharacters) {
    auto tok = makeSpm();
    ASSERT_TRUE(tok);
    // "a🦙é" as tokens: ▁a, then the 4 bytes of U+1F999, then the 2 bytes of é.
    const std::vector<int32_t> ids = tok->encode("a\xF0\x9F\xA6\x99\xC3\xA9", true, true);
    tokenizer::StreamingDecoder stream(*tok);
    std::vector<std::string> pieces;
    std::string all;
    for (int32_t id : ids) {
        pieces.push_back(stream.push(id));
        all += pieces.back();
    }
    all += stream.flush();
    EXPECT_EQ(all, "a\xF0\x9F\xA6\x99\xC3\xA9");
    ASSERT_EQ(pieces.size(), 8u);  // BOS, ▁a, 4 + 2 bytes
    EXPECT_EQ(pieces[1], "a");
    EXPECT_EQ(pieces[2], "");
    EXPECT_EQ(pieces[4], "");
    EXPECT_EQ(pieces[5], "\xF0\x9F\xA6\x99");
    EXPECT_EQ(pieces[6], "");
    EXPECT_EQ(pieces[7], "\xC3\xA9");
    // An unfinished character at the end comes out as U+FFFD.
    tokenizer::StreamingDecoder cut(*tok);
    EXPECT_EQ(cut.push(3 + 0xC3), "");
    EXPECT_EQ(cut.flush(), "\xEF\xBF\xBD");
}

TEST(TokenizerUnicode, Categories) {
    using namespace tokenizer::unicode;
    EXPECT_TRUE(isLetter(U'a'));
    EXPECT_TRUE(isLetter(U'\u0416'));  // Ж
    EXPECT_TRUE(isLetter(U'\u6211'));  // 我
    EXPECT_TRUE(isNumber(U'3'));
    EXPECT_TRUE(isNumber(U'\u00BD'));  // ½ (No)
    EXPECT_TRUE(isPunctuation(U'!'));
    EXPECT_FALSE(isPunctuation(U'$'));
    EXPECT_TRUE(isSymbol(U'$'));
    EXPECT_TRUE(isMark(U'\u0301'));
    EXPECT_TRUE(isWhitespace(U'\u3000'));
    EXPECT_FALSE(isLetter(U'\U0001F999'));
    std::u32string nfd;
    appendNfd(nfd, U'\u00C4');
    EXPECT_EQ(nfd, (std::u32string{U'A', U'\u0308'}));
    std::u32string lower;
    appendLower(lower, U'\u00C4');
    EXPECT_EQ(lower, std::u32string{U'\u00E4'});
}

// ---------------------------------------------------------------------------
// Pre-tokenizer regexes
// ---------------------------------------------------------------------------
namespace {
std::vector<std::string> splitWith(std::string_view pre, std::string_view text) {
    auto p = tokenizer::PreTokenizer::forName(pre);
    EXPECT_TRUE(p.has_value()) << pre;
    return p ? p->split(text) : std::vector<std::string>{};
}
using Words = std::vector<std::string>;
}  // namespace

TEST(TokenizerPre, Gpt2Rules) {
    EXPECT_EQ(splitWith("gpt-2", "Hello world's  end!!"),
              (Words{"Hello", " world", "'s", " ", " end", "!!"}));
    // Contractions are case-sensitive in GPT-2 and not in Llama 3.
    EXPECT_EQ(splitWith("gpt-2", "I'VE"), (Words{"I", "'", "VE"}));
    EXPECT_EQ(splitWith("llama-bpe", "I'VE"), (Words{"I", "'VE"}));
    EXPECT_TRUE(splitWith("gpt-2", "").empty());
}

TEST(TokenizerPre, DigitsAndNewlines) {
    EXPECT_EQ(splitWith("llama-bpe", "1234567"), (Words{"123", "456", "7"}));
    EXPECT_EQ(splitWith("qwen2", "123"), (Words{"1", "2", "3"}));
    EXPECT_EQ(splitWith("llama-bpe", "a\n\n b"), (Words{"a", "\n\n", " b"}));
    EXPECT_EQ(splitWith("starcoder", "x12"), (Words{"x", "1", "2"}));
    EXPECT_EQ(splitWith("falcon", "a1234"), (Words{"a", "123", "4"}));
}

TEST(TokenizerPre, UnicodeClasses) {
    // Cyrillic letters are \p{L}; U+0301 (a combining mark) joins the word only in qwen35.
    EXPECT_EQ(splitWith("gpt-2", "\xD0\xBD\xD0\xB0 x"), (Words{"\xD0\xBD\xD0\xB0", " x"}));
    EXPECT_EQ(splitWith("qwen35", "re\xCC\x81s"), (Words{"re\xCC\x81s"}));
    EXPECT_EQ(splitWith("qwen2", "re\xCC\x81s"), (Words{"re", "\xCC\x81s"}));
    EXPECT_FALSE(tokenizer::PreTokenizer::forName("no-such-pre").has_value());
    EXPECT_FALSE(tokenizer::PreTokenizer::fromPatterns({"[a-"}).has_value());
}

// ---------------------------------------------------------------------------
// Byte-level BPE and WordPiece on tiny vocabularies
// ---------------------------------------------------------------------------
TEST(TokenizerBpe, MergesByRank) {
    VocabSpec spec;
    spec.model = "gpt2";
    spec.pre = "gpt-2";
    // "Ġ" (U+0120) stands for the space byte.
    spec.tokens = {"a", "b", "c", "\xC4\xA0", "ab", "bc", "\xC4\xA0" "a", "\xC4\xA0" "ab", "<|end|>"};
    spec.types = {1, 1, 1, 1, 1, 1, 1, 1, 3};
    spec.merges = {"b c", "\xC4\xA0 a", "a b", "\xC4\xA0" "a b"};
    spec.eos = 8;
    auto tok = Tokenizer::fromSpec(spec);
    ASSERT_TRUE(tok.has_value()) << tok.error().message;
    const auto& t = **tok;
    EXPECT_FALSE(t.addBos());
    // "abc": "b c" has the best rank, so a + bc (not ab + c).
    EXPECT_EQ(t.encode("abc", true, true), (std::vector<int32_t>{0, 5}));
    // " ab": Ġ a -> Ġa, then Ġa b -> Ġab.
    EXPECT_EQ(t.encode(" ab", false, true), (std::vector<int32_t>{7}));
    EXPECT_EQ(t.encode("ab<|end|>", false, true), (std::vector<int32_t>{4, 8}));
    EXPECT_EQ(t.decode({7, 8}), " ab");
    EXPECT_EQ(t.decode({7, 8}, true), " ab<|end|>");
    EXPECT_TRUE(t.isEndOfGeneration(8));
}

TEST(TokenizerWordPiece, BasicTokenizerAndGreedyMatch) {
    VocabSpec spec;
    spec.model = "bert";
    // llama.cpp's GGUF layout: "▁" marks a word start, continuations have no "##".
    spec.tokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "\xE2\x96\x81" "un", "aff", "able", "\xE2\x96\x81" "!",
                   "\xE2\x96\x81" "apfel", "\xE2\x96\x81" "\xE6\x88\x91"};
    spec.types = {3, 2, 3, 3, 1, 1, 1, 1, 1, 1};
    spec.unk = 1;
    spec.cls = 2;
    spec.sep = 3;
    auto tok = Tokenizer::fromSpec(spec);
    ASSERT_TRUE(tok.has_value()) << tok.error().message;
    const auto& t = **tok;
    EXPECT_EQ(t.encode("Unaffable!", true, true), (std::vector<int32_t>{2, 4, 5, 6, 7, 3}));
    // Accents are stripped after NFD; CJK ideographs are words of their own.
    EXPECT_EQ(t.encode("\xC3\x84pfel\xE6\x88\x91", false, true), (std::vector<int32_t>{8, 9}));
    // A word that cannot be covered is one [UNK].
    EXPECT_EQ(t.encode("unafx", false, true), (std::vector<int32_t>{1}));
    EXPECT_EQ(t.decode({2, 4, 5, 6, 7, 3}), "unaffable !");
}

// UGM ("t5") without a charsmap: Viterbi by score, ties to the earlier start, unknown
// characters at (lowest score - 10) merged into one <unk>, the two space rules.
VocabSpec tinyUgm(bool removeExtraWhitespaces) {
    VocabSpec spec;
    spec.model = "t5";
    spec.tokens = {"<s>", "<pad>", "</s>", "<unk>", "\xE2\x96\x81", "a", "\xE2\x96\x81" "a", "b", "ab", "<x>"};
    spec.types = {3, 3, 3, 2, 1, 1, 1, 1, 1, 4};
    spec.scores = {0, 0, 0, 0, -2, -3, -4, -1, -3, 0};
    spec.bos = 0;
    spec.eos = 2;
    spec.unk = 3;
    spec.addBos = true;
    spec.addEos = true;
    spec.removeExtraWhitespaces = removeExtraWhitespaces;
    return spec;
}

TEST(TokenizerUgm, ViterbiTiesAndUnknowns) {
    auto tok = Tokenizer::fromSpec(tinyUgm(true));
    ASSERT_TRUE(tok.has_value()) << tok.error().message;
    const Tokenizer& t = **tok;
    // ▁ab: ▁a+b = -5 ties ▁+ab = -5; the path through the earlier-starting ab wins.
    EXPECT_EQ(t.encode("ab", true, true), (std::vector<int32_t>{0, 4, 8, 2}));
    // ▁a▁b: ▁a (-4) ▁ (-2) b (-1).
    EXPECT_EQ(t.encode("  a   b  ", false, false), (std::vector<int32_t>{6, 4, 7}));
    // c and d are unknown (-4 - 10 each); cc is one <unk>, the spaces split them.
    EXPECT_EQ(t.encode("cc", false, false), (std::vector<int32_t>{4, 3}));
    EXPECT_EQ(t.encode("c d", false, false), (std::vector<int32_t>{4, 3, 4, 3}));
    // A user-defined token is cut out verbatim, even without parseSpecial.
    EXPECT_EQ(t.encode("a<x>b", false, false), (std::vector<int32_t>{6, 9, 4, 7}));
    EXPECT_EQ(t.encode("", true, true), (std::vector<int32_t>{0, 2}));
    EXPECT_EQ(t.decode({0, 6, 4, 7, 2}), "a b");
}

TEST(TokenizerUgm, KeepsSpacesWithoutRemoveExtraWhitespaces) {
    auto tok = Tokenizer::fromSpec(tinyUgm(false));
    ASSERT_TRUE(tok.has_value()) << tok.error().message;
    // Every space is a ▁; the space prefix comes before the first non-space only.
    EXPECT_EQ((*tok)->encode("a  b", false, false), (std::vector<int32_t>{6, 4, 4, 7}));
    EXPECT_EQ((*tok)->encode(" a", false, false), (std::vector<int32_t>{4, 6}));
}

TEST(TokenizerModels, RejectsUnknownModels) {
    VocabSpec spec;
    spec.model = "rwkv";
    spec.tokens = {"a"};
    auto tok = Tokenizer::fromSpec(spec);
    ASSERT_FALSE(tok.has_value());
    EXPECT_EQ(tok.error().code, assistant::ErrorCode::UnsupportedTokenizer);
    spec.model = "gpt2";
    spec.pre = "no-such-pre";
    spec.merges = {"a a"};
    EXPECT_EQ(Tokenizer::fromSpec(spec).error().code, assistant::ErrorCode::UnsupportedTokenizer);
}
