// llama.cpp's tokenizer test vectors (shared/models/vocab/*.gguf.inp/.out): every
// case is tokenized without BOS/EOS and with special-token parsing, as upstream's
// test-tokenizer-0 does. Also decode round trips and the stories260K prompt.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "gguf/gguf_file.h"
#include "shared_data.h"
#include "tokenizer/tokenizer.h"

using tokenizer::Tokenizer;

namespace {

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Texts of X.gguf.inp: each is followed by "\n__ggml_vocab_test__\n".
std::vector<std::string> readInputs(const std::string& path) {
    const std::string data = readFile(path);
    const std::string sep = "\n__ggml_vocab_test__\n";
    std::vector<std::string> texts;
    size_t pos = 0;
    while (true) {
        const size_t hit = data.find(sep, pos);
        if (hit == std::string::npos) break;
        texts.push_back(data.substr(pos, hit - pos));
        pos = hit + sep.size();
    }
    return texts;
}

// Lines of X.gguf.out: " id id id" per case.
std::vector<std::vector<int32_t>> readOutputs(const std::string& path) {
    std::istringstream in(readFile(path));
    std::vector<std::vector<int32_t>> out;
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ids(line);
        std::vector<int32_t> row;
        for (int32_t id; ids >> id;) row.push_back(id);
        out.push_back(row);
    }
    return out;
}

std::string join(const std::vector<int32_t>& ids) {
    std::string s;
    for (int32_t id : ids) s += " " + std::to_string(id);
    return s;
}

// Null with `why` set on failure; `unsupported` says the model type is not implemented.
std::unique_ptr<Tokenizer> loadVocab(const std::string& path, std::string* why, bool* unsupported = nullptr) {
    auto file = gguf::File::open(path);
    if (!file) {
        *why = "open: " + file.error().message;
        return nullptr;
    }
    auto tok = Tokenizer::fromGguf(**file);
    if (!tok) {
        *why = tok.error().message;
        if (unsupported) *unsupported = tok.error().code == assistant::ErrorCode::UnsupportedTokenizer;
        return nullptr;
    }
    return std::move(*tok);
}

// Names (after "ggml-vocab-") listed in known_unsupported_vocabs.txt.
std::set<std::string> knownUnsupported() {
    std::set<std::string> names;
    std::istringstream in(readFile(ASSISTANT_SOURCE_DIR "/tests/inference/tokenizer/known_unsupported_vocabs.txt"));
    for (std::string line; std::getline(in, line);) {
        line = line.substr(0, line.find('#'));
        const size_t b = line.find_first_not_of(" \t\r"), e = line.find_last_not_of(" \t\r");
        if (b != std::string::npos) names.insert(line.substr(b, e - b + 1));
    }
    return names;
}

// An unsupported tokenizer skips the test locally; under CI=true only a vocabulary
// listed in known_unsupported_vocabs.txt may skip, any other fails. A listed one that
// loads fails too, so the list cannot go stale.
#define LOAD_VOCAB_OR_SKIP(tok, path, name)                                                                 \
    std::string why;                                                                                        \
    bool unsupported = false;                                                                               \
    auto tok = loadVocab(path, &why, &unsupported);                                                         \
    const bool listed = knownUnsupported().contains(name);                                                  \
    if (tok && listed) FAIL() << name << " loads now: remove it from known_unsupported_vocabs.txt";          \
    if (!tok && unsupported) {                                                                              \
        if (testdata::inCi() && !listed)                                                                    \
            FAIL() << name << ": " << why << " (not listed in known_unsupported_vocabs.txt)";               \
        GTEST_SKIP() << "not supported: " << why;                                                           \
    }                                                                                                       \
    ASSERT_TRUE(tok) << why

class TokenizerVocab : public testing::TestWithParam<std::string> {};

TEST_P(TokenizerVocab, MatchesReferenceTokenization) {
    const std::string base = testdata::sharedPath("models/vocab/ggml-vocab-" + GetParam() + ".gguf");
    REQUIRE_SHARED(base);
    LOAD_VOCAB_OR_SKIP(tok, base, GetParam());
    const auto inputs = readInputs(base + ".inp");
    const auto expected = readOutputs(base + ".out");
    ASSERT_EQ(inputs.size(), expected.size());
    size_t passed = 0;
    for (size_t i = 0; i < inputs.size(); ++i) {
        const auto got = tok->encode(inputs[i], false, true);
        if (got == expected[i]) {
            ++passed;
        } else {
            ADD_FAILURE() << GetParam() << " case " << i << " text \"" << inputs[i] << "\"\n  expected:"
                          << join(expected[i]) << "\n  got:     " << join(got);
        }
    }
    std::cout << "[vocab] " << GetParam() << " (" << tok->model() << "/" << tok->pre() << "): " << passed << "/"
              << inputs.size() << " passed\n";
}

TEST_P(TokenizerVocab, DecodeRoundTrip) {
    const std::string base = testdata::sharedPath("models/vocab/ggml-vocab-" + GetParam() + ".gguf");
    REQUIRE_SHARED(base);
    LOAD_VOCAB_OR_SKIP(tok, base, GetParam());
    if (tok->model() == "bert") {
        // WordPiece lowercases and drops accents, so it is not lossless; its decode
        // must still be stable: re-encoding the decoded text gives the same ids
        // (less [UNK], which decodes to nothing).
        for (const std::string& text : readInputs(base + ".inp")) {
            auto ids = tok->encode(text, false, true);
            const auto again = tok->encode(tok->decode(ids), false, true);
            std::erase(ids, tok->unk());
            EXPECT_EQ(again, ids) << GetParam() << ":" << join(ids);
        }
        return;
    }
    for (const std::string& text : readInputs(base + ".inp")) {
        const auto ids = tok->encode(text, false, true);
        EXPECT_EQ(tok->decode(ids), text) << GetParam() << ":" << join(ids);
        // The streaming decoder must give the same text, piece by piece.
        tokenizer::StreamingDecoder stream(*tok);
        std::string streamed;
        for (int32_t id : ids) streamed += stream.push(id);
        streamed += stream.flush();
        EXPECT_EQ(streamed, text) << GetParam();
    }
}

INSTANTIATE_TEST_SUITE_P(Shared, TokenizerVocab,
                         testing::Values("llama-spm", "phi-3", "bert-bge", "gpt-2", "llama-bpe", "qwen2", "qwen35",
                                         "deepseek-llm", "deepseek-coder", "falcon", "mpt", "starcoder", "refact",
                                         "command-r"),
                         [](const testing::TestParamInfo<std::string>& info) {
                             std::string name = info.param;
                             for (char& c : name) if (c == '-') c = '_';
                             return name;
                         });

// The forward-pass golden test's prompt: BOS, then the SPM encoding of " Zoo".
TEST(TokenizerStories260K, ZooPrompt) {
    const std::string path = testdata::sharedPath("models/llm/stories260K.gguf");
    REQUIRE_SHARED(path);
    std::string why;
    auto tok = loadVocab(path, &why);
    ASSERT_TRUE(tok) << why;
    EXPECT_EQ(tok->vocabSize(), 512);
    EXPECT_EQ(tok->bos(), 1);
    EXPECT_EQ(tok->eos(), 2);
    EXPECT_TRUE(tok->addBos());
    const auto ids = tok->encode("Zoo", true, true);
    ASSERT_GE(ids.size(), 2u);
    EXPECT_EQ(ids[0], 1);
    std::string pieces;
    for (size_t i = 1; i < ids.size(); ++i) pieces += tok->tokenText(ids[i]) + "|";
    std::cout << "[stories260K] \"Zoo\" ->" << join(ids) << " (" << pieces << ")\n";
    EXPECT_EQ(tok->decode(ids), "Zoo");
    EXPECT_TRUE(tok->isEndOfGeneration(2));
}

}  // namespace

namespace {

// Llama 2 has no piece for U+1F999: it is spelled with four byte tokens, and the
// streaming decoder must hold the first three back.
TEST(TokenizerLlamaSpm, StreamingDecoderJoinsByteTokens) {
    const std::string path = testdata::sharedPath("models/vocab/ggml-vocab-llama-spm.gguf");
    REQUIRE_SHARED(path);
    std::string why;
    auto tok = loadVocab(path, &why);
    ASSERT_TRUE(tok) << why;
    const auto ids = tok->encode("a \xF0\x9F\xA6\x99!", false, true);
    const std::vector<int32_t> bytes = {243, 162, 169, 156};  // <0xF0> <0x9F> <0xA6> <0x99>
    ASSERT_NE(std::search(ids.begin(), ids.end(), bytes.begin(), bytes.end()), ids.end()) << join(ids);
    tokenizer::StreamingDecoder stream(*tok);
    std::vector<std::string> pieces;
    for (int32_t id : ids) pieces.push_back(stream.push(id));
    std::string all;
    for (const auto& p : pieces) {
        EXPECT_TRUE(p.empty() || p == "a" || p == " " || p == "\xF0\x9F\xA6\x99" || p == "!") << p;
        all += p;
    }
    EXPECT_EQ(all + stream.flush(), "a \xF0\x9F\xA6\x99!");
}

}  // namespace
