// BERT embeddings against llama.cpp's references for conformance/models/bert-a.gguf
// (refs/bert-a.embd.bin: [3][E] pooled L2-normalized, [3][E] pooled raw, then the
// final hidden state of every token). Tolerances from refs/bert-a.json.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "assistant/engine.h"
#include "json/json.h"
#include "kernels/thread_pool.h"
#include "shared_data.h"
#include "engine/engine_access.h"

namespace {

std::string readAll(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

double cosine(const float* a, const float* b, size_t n) {
    double ab = 0, aa = 0, bb = 0;
    for (size_t i = 0; i < n; ++i) {
        ab += static_cast<double>(a[i]) * b[i];
        aa += static_cast<double>(a[i]) * a[i];
        bb += static_cast<double>(b[i]) * b[i];
    }
    return ab / std::sqrt(aa * bb);
}

float maxAbsDiff(const float* a, const float* b, size_t n) {
    float m = 0.0f;
    for (size_t i = 0; i < n; ++i) m = std::max(m, std::fabs(a[i] - b[i]));
    return m;
}

class BertConformance : public ::testing::Test {
protected:
    void SetUp() override {
        const std::string modelPath = testdata::sharedPath("conformance/models/bert-a.gguf");
        const std::string refPath = testdata::sharedPath("conformance/refs/bert-a.json");
        REQUIRE_SHARED(modelPath);
        REQUIRE_SHARED(refPath);
        auto meta = json::Value::parse(readAll(refPath));
        ASSERT_TRUE(meta.has_value());
        m_meta = std::move(*meta);
        const std::string bin = readAll(testdata::sharedPath("conformance/" + m_meta["bin_file"].asString()));
        m_ref.resize(bin.size() / sizeof(float));
        std::memcpy(m_ref.data(), bin.data(), m_ref.size() * sizeof(float));
        auto model = assistant::Model::load(modelPath);
        ASSERT_TRUE(model.has_value()) << model.error().message;
        m_model = *model;
        m_dim = static_cast<size_t>(m_meta["n_embd"].asInt());
        for (const json::Value& t : m_meta["texts"].asArray()) m_texts.push_back(t.asString());
        for (const json::Value& s : m_meta["sequences"].asArray()) {
            std::vector<int32_t> ids;
            for (const json::Value& id : s.asArray()) ids.push_back(static_cast<int32_t>(id.asInt()));
            m_seqs.push_back(std::move(ids));
        }
        ASSERT_EQ(m_texts.size(), 3u);
        ASSERT_EQ(m_seqs.size(), 3u);
        size_t tokens = 0;
        for (const auto& s : m_seqs) tokens += s.size();
        ASSERT_EQ(m_ref.size(), (6 + tokens) * m_dim);
    }

    const float* pooledNormalized(size_t s) const { return m_ref.data() + s * m_dim; }
    const float* pooledRaw(size_t s) const { return m_ref.data() + (3 + s) * m_dim; }
    const float* tokenStates() const { return m_ref.data() + 6 * m_dim; }

    json::Value m_meta;
    std::vector<float> m_ref;
    std::shared_ptr<const assistant::Model> m_model;
    size_t m_dim = 0;
    std::vector<std::string> m_texts;
    std::vector<std::vector<int32_t>> m_seqs;
};

TEST_F(BertConformance, IsAnEmbeddingModel) {
    EXPECT_TRUE(m_model->info().isEmbeddingModel);
    EXPECT_EQ(m_model->info().architecture, "bert");
    // An encoder has no forward pass (arch::Encoder is not an arch::Decoder), so a
    // session, which needs logits, is refused with a reason.
    EXPECT_EQ(assistant::modelImpl(*m_model).arch->decoder(), nullptr);
    auto session = assistant::Session::create(m_model);
    ASSERT_FALSE(session.has_value());
    EXPECT_EQ(session.error().code, assistant::ErrorCode::InvalidArgument);
    EXPECT_NE(session.error().message.find("bert is an embedding model"), std::string::npos)
        << session.error().message;
}

TEST_F(BertConformance, TokenizesLikeTheReference) {
    for (size_t i = 0; i < m_texts.size(); ++i) {
        auto ids = m_model->tokenize(m_texts[i]);
        ASSERT_TRUE(ids.has_value());
        EXPECT_EQ(*ids, m_seqs[i]) << "text " << i;
    }
}

TEST_F(BertConformance, EmbedTextsMatchesPooledVectors) {
    const float tol = static_cast<float>(m_meta["tolerance"]["pooled_normalized_max_abs_diff"].asNumber());
    auto vectors = m_model->embed(m_texts);
    ASSERT_TRUE(vectors.has_value()) << vectors.error().message;
    ASSERT_EQ(vectors->size(), 3u);
    double minCos = 1.0;
    for (size_t s = 0; s < 3; ++s) {
        ASSERT_EQ((*vectors)[s].size(), m_dim);
        const double cos = cosine((*vectors)[s].data(), pooledNormalized(s), m_dim);
        minCos = std::min(minCos, cos);
        EXPECT_GE(cos, 0.9999) << "sequence " << s;
        EXPECT_LE(maxAbsDiff((*vectors)[s].data(), pooledNormalized(s), m_dim), tol) << "sequence " << s;
    }
    std::printf("[ bert-a ] min cosine vs llama.cpp: %.8f\n", minCos);
}

TEST_F(BertConformance, TokenStatesAndRawPoolingMatch) {
    const float tokTol = static_cast<float>(m_meta["tolerance"]["token_hidden_max_abs_diff"].asNumber());
    const arch::Encoder* enc = assistant::modelImpl(*m_model).arch->encoder();
    ASSERT_NE(enc, nullptr);
    kernels::ThreadPool pool(2);
    std::vector<float> pooled, states;
    enc->encode(pool, m_seqs, pooled, &states);
    ASSERT_EQ(pooled.size(), 3 * m_dim);
    ASSERT_EQ(states.size(), m_ref.size() - 6 * m_dim);
    const float tokDiff = maxAbsDiff(states.data(), tokenStates(), states.size());
    EXPECT_LE(tokDiff, tokTol);
    for (size_t s = 0; s < 3; ++s)
        EXPECT_LE(maxAbsDiff(pooled.data() + s * m_dim, pooledRaw(s), m_dim), tokTol) << "sequence " << s;
    std::printf("[ bert-a ] max abs token-state diff: %.3g\n", tokDiff);
}

TEST_F(BertConformance, BatchingDoesNotChangeVectors) {
    auto batch = m_model->embedTokens(m_seqs);
    ASSERT_TRUE(batch.has_value());
    for (size_t s = 0; s < 3; ++s) {
        auto alone = m_model->embedTokens(std::span(m_seqs).subspan(s, 1));
        ASSERT_TRUE(alone.has_value());
        EXPECT_LE(maxAbsDiff((*alone)[0].data(), (*batch)[s].data(), m_dim), 1e-6f) << "sequence " << s;
    }
}

TEST_F(BertConformance, RejectsBadTokenIds) {
    const std::vector<std::vector<int32_t>> outside{{101, 30522, 102}};
    auto r = m_model->embedTokens(outside);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, assistant::ErrorCode::InvalidArgument);
    const std::vector<std::vector<int32_t>> empty{{}};
    EXPECT_FALSE(m_model->embedTokens(empty).has_value());
    const std::vector<std::vector<int32_t>> negative{{101, -1, 102}};
    EXPECT_FALSE(m_model->embedTokens(negative).has_value());
}

TEST_F(BertConformance, LongInputIsCutToTheContext) {
    // 300 tokens > n_ctx 128: cut to 128, keeping [SEP] last.
    std::vector<int32_t> longSeq{101};
    for (int i = 0; i < 298; ++i) longSeq.push_back(1996 + i % 50);
    longSeq.push_back(102);
    std::vector<int32_t> cut(longSeq.begin(), longSeq.begin() + 128);
    cut.back() = 102;
    auto a = m_model->embedTokens(std::vector<std::vector<int32_t>>{longSeq});
    auto b = m_model->embedTokens(std::vector<std::vector<int32_t>>{cut});
    ASSERT_TRUE(a.has_value());
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ((*a)[0], (*b)[0]);
}

TEST(EmbedDecoder, DecoderModelRefusesEmbed) {
    const std::string path = std::string(ASSISTANT_SOURCE_DIR) + "/resources/models/stories260K.gguf";
    auto model = assistant::Model::load(path);
    ASSERT_TRUE(model.has_value()) << model.error().message;
    EXPECT_FALSE((*model)->info().isEmbeddingModel);
    const std::vector<std::string> texts{"hello"};
    auto r = (*model)->embed(texts);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, assistant::ErrorCode::InvalidArgument);
}

}  // namespace
