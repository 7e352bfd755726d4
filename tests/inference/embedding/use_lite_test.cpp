// The shipped default embedder (resources/models/use-lite.gguf, converted from the
// TF.js Universal Sentence Encoder Lite by tools/convert_use_lite.py) against the
// vectors TF.js produced (../shared/models/embedding/use-lite-energetic/
// expected_embeddings.json): cosine >= 0.999 per sentence, and its two cosine checks.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "assistant/engine.h"
#include "json/json.h"
#include "kernels/thread_pool.h"
#include "shared_data.h"
#include "engine/model_impl.h"
#include "tokenizer/nfkc.h"

namespace {

std::string readAll(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
    double ab = 0, aa = 0, bb = 0;
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
        ab += static_cast<double>(a[i]) * b[i];
        aa += static_cast<double>(a[i]) * a[i];
        bb += static_cast<double>(b[i]) * b[i];
    }
    return ab / std::sqrt(aa * bb);
}

std::shared_ptr<const assistant::Model> loadShipped() {
    static std::shared_ptr<const assistant::Model> model = [] {
        auto m = assistant::Model::load(std::string(ASSISTANT_SOURCE_DIR) + "/resources/models/use-lite.gguf");
        EXPECT_TRUE(m.has_value()) << (m ? "" : m.error().message);
        return m ? *m : nullptr;
    }();
    return model;
}

TEST(UseLite, ShippedFileDescribesAnEmbedder) {
    auto model = loadShipped();
    ASSERT_NE(model, nullptr);
    EXPECT_EQ(model->info().architecture, "use-lite");
    EXPECT_TRUE(model->info().isEmbeddingModel);
    EXPECT_EQ(model->info().embeddingLength, 512);
    EXPECT_EQ(model->info().tokenizerModel, "unigram");
    EXPECT_LE(model->info().fileSize, 15u * 1000 * 1000);
}

// Ids the TF.js tokenizer gives these sentences (the reference vectors were made from
// them; our Python port of the tokenizer and graph reproduces those vectors to 1e-6).
TEST(UseLite, TokenizesLikeTfJs) {
    auto model = loadShipped();
    ASSERT_NE(model, nullptr);
    EXPECT_EQ(*model->tokenize("hello world"), (std::vector<int32_t>{2002, 102, 311}));
    EXPECT_EQ(*model->tokenize("the fox jumped over the lazy dog"),
              (std::vector<int32_t>{9, 1394, 152, 2009, 26, 132, 9, 6266, 959}));
    EXPECT_EQ(*model->tokenize("lorem ipsum"), (std::vector<int32_t>{1148, 53, 47, 103, 1541, 400}));
    EXPECT_TRUE(model->tokenize("")->empty());
    EXPECT_EQ(model->detokenize(*model->tokenize("the fox jumped")), "the fox jumped");
}

TEST(UseLite, UnknownCharactersCollapseIntoOneUnknown) {
    auto model = loadShipped();
    ASSERT_NE(model, nullptr);
    // Three CJK ideographs in a row are not in the English vocabulary: one unknown (0).
    auto ids = model->tokenize("a \xE4\xB8\x80\xE4\xB8\x81\xE4\xB8\x82 b");
    ASSERT_TRUE(ids.has_value());
    EXPECT_EQ(std::count(ids->begin(), ids->end(), 0), 1);
}

TEST(UseLite, NormalizesNfkc) {
    using tokenizer::unicode::nfkc;
    EXPECT_EQ(nfkc("plain ascii"), "plain ascii");
    EXPECT_EQ(nfkc("\xEF\xAC\x81"), "fi");                     // U+FB01 ligature
    EXPECT_EQ(nfkc("e\xCC\x81"), "\xC3\xA9");                  // e + U+0301 -> U+00E9
    EXPECT_EQ(nfkc("\xEF\xBC\xA1"), "A");                      // fullwidth A
    EXPECT_EQ(nfkc("\xC2\xA0"), " ");                          // no-break space
    EXPECT_EQ(nfkc("\xE1\x84\x80\xE1\x85\xA1"), "\xEA\xB0\x80");  // Hangul L+V -> U+AC00
    // Canonical ordering: dot below (220) before acute (230), then composition.
    EXPECT_EQ(nfkc("a\xCC\x81\xCC\xA3"), nfkc("a\xCC\xA3\xCC\x81"));
    auto model = loadShipped();
    ASSERT_NE(model, nullptr);
    EXPECT_EQ(*model->tokenize("\xEF\xAC\x81nd"), *model->tokenize("find"));
}

class UseLiteReference : public ::testing::Test {
protected:
    void SetUp() override {
        const std::string path = testdata::sharedPath("models/embedding/use-lite-energetic/expected_embeddings.json");
        REQUIRE_SHARED(path);
        auto doc = json::Value::parse(readAll(path));
        ASSERT_TRUE(doc.has_value());
        m_doc = std::move(*doc);
        m_model = loadShipped();
        ASSERT_NE(m_model, nullptr);
    }
    json::Value m_doc;
    std::shared_ptr<const assistant::Model> m_model;
};

TEST_F(UseLiteReference, VectorsMatchTfJs) {
    std::vector<std::string> texts;
    std::vector<std::vector<float>> expected;
    for (const auto& [text, vec] : m_doc["vectors"].asObject()) {
        texts.push_back(text);
        std::vector<float> v;
        for (const json::Value& x : vec.asArray()) v.push_back(static_cast<float>(x.asNumber()));
        expected.push_back(std::move(v));
    }
    ASSERT_EQ(texts.size(), 3u);
    auto got = m_model->embed(texts);
    ASSERT_TRUE(got.has_value()) << got.error().message;
    for (size_t i = 0; i < texts.size(); ++i) {
        ASSERT_EQ((*got)[i].size(), expected[i].size());
        const double cos = cosine((*got)[i], expected[i]);
        float maxDiff = 0.0f;
        for (size_t k = 0; k < expected[i].size(); ++k) maxDiff = std::max(maxDiff, std::fabs((*got)[i][k] - expected[i][k]));
        std::printf("[ use-lite ] \"%s\": cosine %.7f, max abs diff %.2e\n", texts[i].c_str(), cos, maxDiff);
        EXPECT_GE(cos, 0.999) << texts[i];
    }
}

TEST_F(UseLiteReference, CosineChecksHold) {
    for (const json::Value& c : m_doc["cosine_checks"].asArray()) {
        const std::vector<std::string> pair{c["a"].asString(), c["b"].asString()};
        auto v = m_model->embed(pair);
        ASSERT_TRUE(v.has_value());
        const double cos = cosine((*v)[0], (*v)[1]);
        std::printf("[ use-lite ] cos(\"%s\", \"%s\") = %.4f (expected %.2f)\n", pair[0].c_str(), pair[1].c_str(), cos,
                    c["expected"].asNumber());
        EXPECT_NEAR(cos, c["expected"].asNumber(), c["abs_tol"].asNumber());
    }
}

TEST_F(UseLiteReference, BatchedEqualsOneByOne) {
    const std::vector<std::string> texts{"Fruit is healthy", "hello world",
                                         "Embeddings are a powerful machine learning tool", "x"};
    auto batch = m_model->embed(texts);
    ASSERT_TRUE(batch.has_value());
    for (size_t i = 0; i < texts.size(); ++i) {
        auto alone = m_model->embed(std::span(texts).subspan(i, 1));
        ASSERT_TRUE(alone.has_value());
        for (size_t k = 0; k < (*alone)[0].size(); ++k) ASSERT_NEAR((*alone)[0][k], (*batch)[i][k], 1e-6f) << texts[i];
        double norm = 0;
        for (float x : (*batch)[i]) norm += static_cast<double>(x) * x;
        EXPECT_NEAR(norm, 1.0, 1e-5);
    }
}

TEST_F(UseLiteReference, EmptyTextIsAnError) {
    const std::vector<std::string> texts{"ok", ""};
    auto r = m_model->embed(texts);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, assistant::ErrorCode::InvalidArgument);
}

}  // namespace
