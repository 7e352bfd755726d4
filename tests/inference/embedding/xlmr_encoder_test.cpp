// An XLM-RoBERTa-shaped encoder (bert architecture, t5/UGM vocabulary of 250,048
// pieces, random weights from make_xlmr_gguf.py) end to end through Model::embed:
// multilingual texts tokenize with <s> ... </s> and give finite unit vectors of the
// model's width, deterministically.
#include <gtest/gtest.h>

#include <cmath>

#include "assistant/engine.h"
#include "shared_data.h"
#include "xlmr_test_model.h"

namespace {

constexpr int kDims = 64;  // the generator's default --dim

std::shared_ptr<const assistant::Model> loadXlmr(const std::string& extraArgs = "") {
    std::string why;
    const std::string path = testdata::makeXlmrTestModel(&why, extraArgs);
    EXPECT_FALSE(path.empty()) << why;
    if (path.empty()) return nullptr;
    auto model = assistant::Model::load(path);
    EXPECT_TRUE(model.has_value()) << model.error().message;
    return model ? std::move(*model) : nullptr;
}

const std::vector<std::string> kTexts = {
    "Wie hoch ist die Zugspitze? Grüße aus München.",
    "北京是中华人民共和国的首都。",
    "The quick brown fox jumps over the lazy dog.",
    "東京は日本の首都です。",
};

TEST(XlmrEncoder, LoadsAsAnEmbeddingModelWithTheUgmVocabulary) {
    REQUIRE_SHARED(testdata::xlmrVocabPath());
    auto model = loadXlmr();
    ASSERT_TRUE(model);
    EXPECT_TRUE(model->info().isEmbeddingModel);
    EXPECT_EQ(model->info().architecture, "bert");
    EXPECT_EQ(model->info().tokenizerModel, "t5");
    EXPECT_EQ(model->info().embeddingLength, kDims);
    // <s> ▁Hello ▁world </s>, as XLM-R's tokenizer gives it.
    EXPECT_EQ(*model->tokenize("Hello world"), (std::vector<int32_t>{0, 35378, 8999, 2}));
}

TEST(XlmrEncoder, EmbedsMultilingualTextDeterministically) {
    REQUIRE_SHARED(testdata::xlmrVocabPath());
    auto model = loadXlmr();
    ASSERT_TRUE(model);
    auto vectors = model->embed(kTexts);
    ASSERT_TRUE(vectors.has_value()) << vectors.error().message;
    ASSERT_EQ(vectors->size(), kTexts.size());
    for (size_t i = 0; i < kTexts.size(); ++i) {
        const auto& v = (*vectors)[i];
        ASSERT_EQ(v.size(), static_cast<size_t>(kDims)) << kTexts[i];
        double norm = 0.0;
        for (float x : v) {
            ASSERT_TRUE(std::isfinite(x)) << kTexts[i];
            norm += static_cast<double>(x) * x;
        }
        EXPECT_NEAR(std::sqrt(norm), 1.0, 1e-4) << kTexts[i];
    }
    // Different texts, different vectors; the same text alone or in a batch, the same.
    EXPECT_NE((*vectors)[0], (*vectors)[1]);
    const std::vector<std::string> again = {kTexts[1], kTexts[1]};
    auto twice = model->embed(again);
    ASSERT_TRUE(twice.has_value());
    for (size_t d = 0; d < static_cast<size_t>(kDims); ++d) {
        EXPECT_EQ((*twice)[0][d], (*twice)[1][d]);
        EXPECT_NEAR((*twice)[0][d], (*vectors)[1][d], 1e-5);
    }
}

TEST(XlmrEncoder, RunsWithoutATokenTypeTable) {
    REQUIRE_SHARED(testdata::xlmrVocabPath());
    auto model = loadXlmr("--no-token-types");
    ASSERT_TRUE(model);
    auto vectors = model->embed(std::vector<std::string>{"Grüße", "你好"});
    ASSERT_TRUE(vectors.has_value()) << vectors.error().message;
    for (const auto& v : *vectors)
        for (float x : v) ASSERT_TRUE(std::isfinite(x));
}

TEST(XlmrEncoder, CutsLongInputsToTheContextKeepingTheEndToken) {
    REQUIRE_SHARED(testdata::xlmrVocabPath());
    auto model = loadXlmr();
    ASSERT_TRUE(model);
    std::string longText;
    for (int i = 0; i < 100; ++i) longText += "Grüße aus München und 你好世界 ";
    ASSERT_GT(model->tokenize(longText)->size(), 128u);  // over the generator's --ctx
    auto vectors = model->embed(std::vector<std::string>{longText});
    ASSERT_TRUE(vectors.has_value()) << vectors.error().message;
    for (float x : (*vectors)[0]) ASSERT_TRUE(std::isfinite(x));
}

// RoBERTa's max_position_embeddings (514) counts two padding positions that the
// position table no longer has: the table's 128 rows are the context.
TEST(XlmrEncoder, TakesTheContextFromThePositionTable) {
    REQUIRE_SHARED(testdata::xlmrVocabPath());
    auto model = loadXlmr("--context-length 130");
    ASSERT_TRUE(model);
    EXPECT_EQ(model->info().contextLength, 128);
    std::string longText;
    for (int i = 0; i < 100; ++i) longText += "Grüße aus München ";
    auto vectors = model->embed(std::vector<std::string>{longText, "kurz"});
    ASSERT_TRUE(vectors.has_value()) << vectors.error().message;
    for (const auto& v : *vectors)
        for (float x : v) ASSERT_TRUE(std::isfinite(x));
}

}  // namespace
