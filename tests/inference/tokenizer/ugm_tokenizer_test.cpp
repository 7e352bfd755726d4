// The "t5" (UGM) tokenizer on ../shared/models/vocab/ggml-vocab-nomic-bert-moe.gguf, an
// XLM-RoBERTa vocabulary of 250,048 pieces. No reference vectors ship with it: the
// expected ids were derived from its pieces and scores by a brute-force Viterbi over
// code points (every substring looked up, the text NFKC-normalized, spaces merged and
// escaped by hand), independent of the trie and the charsmap reader. A second check
// runs ugm_reference.py (Python: its own charsmap reader and a brute-force Viterbi) on
// every text of llama.cpp's vocab test inputs in ../shared.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "gguf/gguf_file.h"
#include "shared_data.h"
#include "tokenizer/tokenizer.h"

using tokenizer::Tokenizer;

namespace {

constexpr int32_t kBos = 0, kEos = 2, kUnk = 3;

std::unique_ptr<Tokenizer> loadNomicVocab(std::string* why) {
    auto file = gguf::File::open(testdata::sharedPath("models/vocab/ggml-vocab-nomic-bert-moe.gguf"));
    if (!file) {
        *why = file.error().message;
        return nullptr;
    }
    auto tok = Tokenizer::fromGguf(**file);
    if (!tok) {
        *why = tok.error().message;
        return nullptr;
    }
    return std::move(*tok);
}

class UgmNomicVocab : public testing::Test {
protected:
    void SetUp() override {
        const std::string path = testdata::sharedPath("models/vocab/ggml-vocab-nomic-bert-moe.gguf");
        REQUIRE_SHARED(path);
        std::string why;
        m_tok = loadNomicVocab(&why);
        ASSERT_TRUE(m_tok) << why;
    }
    std::unique_ptr<Tokenizer> m_tok;
};

struct Case {
    const char* name;
    std::string text;
    std::vector<int32_t> ids;  // with <s> ... </s>
};

// Pieces in the comments are the vocabulary's texts of the ids between <s> and </s>.
const Case kCases[] = {
    {"ascii", "Hello world", {kBos, 35378, 8999, kEos}},  // ▁Hello ▁world
    {"german", "Grüße aus München, schöne Äpfel",
     {kBos, 184191, 1312, 43769, 4, 47622, 20056, 254, 7510, kEos}},  // ▁Grüße ▁aus ▁München , ▁schöne ▁Ä p fel
    {"german_sharp_s", "Der Bär läuft über die Straße.",
     {kBos, 1310, 335, 7241, 93974, 1659, 68, 90515, 5, kEos}},  // ▁Der ▁B är ▁läuft ▁über ▁die ▁Straße .
    {"chinese", "你好，世界", {kBos, 6, 124084, 4, 3221, kEos}},  // ▁ 你好 , 世界 (full-width comma -> ",")
    {"japanese", "日本語のテキストです", {kBos, 6, 98449, 154, 193508, 1453, kEos}},  // ▁ 日本語 の テキスト です
    {"fullwidth", "ＡＢＣ", {kBos, 47457, kEos}},  // ▁ABC
    {"extra_spaces", "  Hello    world  ", {kBos, 35378, 8999, kEos}},  // as "Hello world"
    {"empty", "", {kBos, kEos}},
    {"unknown_symbol", "a \xE2\x98\x83 b", {kBos, 10, 6, 245060, 876, kEos}},  // ▁a ▁ ☃ ▁b
    // Two Egyptian hieroglyphs, neither in the vocabulary: one merged <unk>.
    {"unknown_merged", "\xF0\x93\x80\x80\xF0\x93\x80\x81", {kBos, 6, kUnk, kEos}},
};

TEST_F(UgmNomicVocab, ReadsTheVocabulary) {
    EXPECT_EQ(m_tok->model(), "t5");
    EXPECT_EQ(m_tok->vocabSize(), 250048);
    EXPECT_EQ(m_tok->bos(), kBos);
    EXPECT_EQ(m_tok->eos(), kEos);
    EXPECT_EQ(m_tok->unk(), kUnk);
    EXPECT_TRUE(m_tok->addBos());
    EXPECT_TRUE(m_tok->addEos());
    EXPECT_TRUE(m_tok->addSpacePrefix());
}

TEST_F(UgmNomicVocab, EncodesHandDerivedCases) {
    for (const Case& c : kCases) {
        EXPECT_EQ(m_tok->encode(c.text, true, true), c.ids) << c.name;
        // Without special tokens: the same ids less <s> and </s>.
        const std::vector<int32_t> inner(c.ids.begin() + 1, c.ids.end() - 1);
        EXPECT_EQ(m_tok->encode(c.text, false, false), inner) << c.name;
    }
}

TEST_F(UgmNomicVocab, ParsesSpecialTokensOnlyWhenAsked) {
    // <mask> (250001) is a control token: matched verbatim only with parseSpecial.
    const auto parsed = m_tok->encode("Hello<mask>", false, true);
    ASSERT_EQ(parsed.size(), 2u);
    EXPECT_EQ(parsed[0], 35378);  // ▁Hello
    EXPECT_EQ(parsed[1], 250001);
    const auto plain = m_tok->encode("Hello<mask>", false, false);
    EXPECT_GT(plain.size(), 2u);
    EXPECT_EQ(std::find(plain.begin(), plain.end(), 250001), plain.end());
}

TEST_F(UgmNomicVocab, DecodesToTheNormalizedText) {
    EXPECT_EQ(m_tok->decode(m_tok->encode("Hello world", true, true)), "Hello world");
    EXPECT_EQ(m_tok->decode(m_tok->encode("Grüße aus München", true, true)), "Grüße aus München");
    EXPECT_EQ(m_tok->decode(m_tok->encode("ＡＢＣ", true, true)), "ABC");
    EXPECT_EQ(m_tok->decode(m_tok->encode("  a   b ", false, false)), "a b");
    EXPECT_EQ(m_tok->decode({kBos, 35378, kEos}, true), "<s> Hello</s>");
    tokenizer::StreamingDecoder stream(*m_tok);
    std::string streamed;
    for (int32_t id : m_tok->encode("你好，世界", true, true)) streamed += stream.push(id);
    EXPECT_EQ(streamed + stream.flush(), "你好,世界");
}

TEST_F(UgmNomicVocab, MalformedUtf8BecomesReplacementCharacter) {
    // A stray continuation byte becomes U+FFFD after the charsmap (which would map a
    // U+FFFD of the input further); no piece holds it: ▁a <unk> b.
    EXPECT_EQ(m_tok->encode("a\x80" "b", false, false), (std::vector<int32_t>{10, kUnk, 275}));
}

// Texts of every ../shared/models/vocab/*.inp file (whitespace runs, emoji, CJK,
// code, accents), and a few the charsmap rewrites.
std::vector<std::string> referenceTexts() {
    std::vector<std::string> texts = {"ＡＢＣ ｶﾀｶﾅ ① ㎏ ﬁ", "Grüße\taus\nMünchen\r\n", "a\x80" "b\xFF",
                                      "A\xCC\x88 e\xCC\x81", "\xC2\xA0x\xE3\x80\x80y"};
    const std::string sep = "\n__ggml_vocab_test__\n";
    for (const auto& entry : std::filesystem::directory_iterator(testdata::sharedPath("models/vocab"))) {
        if (entry.path().extension() != ".inp") continue;
        std::ifstream in(entry.path(), std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        const std::string data = ss.str();
        for (size_t pos = 0, hit; (hit = data.find(sep, pos)) != std::string::npos; pos = hit + sep.size()) {
            const std::string text = data.substr(pos, hit - pos);
            if (text.find('\0') == std::string::npos) texts.push_back(text);
        }
    }
    return texts;
}

TEST_F(UgmNomicVocab, MatchesTheBruteForceReference) {
    const std::vector<std::string> texts = referenceTexts();
    ASSERT_GT(texts.size(), 100u);
    const auto dir = std::filesystem::temp_directory_path() / ("assistant-ugm-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    {
        std::ofstream out(dir / "texts.bin", std::ios::binary);
        for (size_t i = 0; i < texts.size(); ++i) out << (i ? std::string(1, '\0') : "") << texts[i];
    }
    const std::string command = "/usr/bin/python3 '" ASSISTANT_SOURCE_DIR
                                "/tests/inference/tokenizer/ugm_reference.py' '" +
                                testdata::sharedPath("models/vocab/ggml-vocab-nomic-bert-moe.gguf") + "' '" +
                                (dir / "texts.bin").string() + "' '" + (dir / "ids.txt").string() + "'";
    const int status = std::system(command.c_str());
    std::ifstream in(dir / "ids.txt");
    std::vector<std::vector<int32_t>> expected;
    for (std::string line; std::getline(in, line);) {
        std::istringstream ids(line);
        expected.emplace_back();
        for (int32_t id; ids >> id;) expected.back().push_back(id);
    }
    std::filesystem::remove_all(dir);
    ASSERT_EQ(status, 0) << command;
    ASSERT_EQ(expected.size(), texts.size());
    size_t passed = 0;
    for (size_t i = 0; i < texts.size(); ++i) {
        const auto got = m_tok->encode(texts[i], false, false);
        if (got == expected[i]) ++passed;
        else ADD_FAILURE() << "case " << i << " \"" << texts[i] << "\"";
    }
    std::cout << "[ugm] nomic-bert-moe: " << passed << "/" << texts.size() << " match the reference\n";
}

}  // namespace
