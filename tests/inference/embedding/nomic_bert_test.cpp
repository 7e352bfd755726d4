// nomic-bert (fused QKV, NeoX RoPE, SwiGLU, no biases) on a tiny random model made by
// data/make_nomic_bert_tiny.py, against that script's float64 numpy forward pass of
// the graph llama.cpp builds for the architecture.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "assistant/engine.h"
#include "json/json.h"
#include "kernels/thread_pool.h"
#include "engine/engine_access.h"

namespace {

const std::string kDir = std::string(ASSISTANT_SOURCE_DIR) + "/tests/inference/embedding/data/";

std::string readAll(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

TEST(NomicBert, MatchesTheReferenceGraph) {
    auto model = assistant::Model::load(kDir + "nomic-bert-tiny.gguf");
    ASSERT_TRUE(model.has_value()) << model.error().message;
    EXPECT_TRUE((*model)->info().isEmbeddingModel);
    auto doc = json::Value::parse(readAll(kDir + "nomic-bert-tiny.json"));
    ASSERT_TRUE(doc.has_value());
    std::vector<std::vector<int32_t>> seqs;
    for (const json::Value& s : (*doc)["sequences"].asArray()) {
        seqs.emplace_back();
        for (const json::Value& id : s.asArray()) seqs.back().push_back(static_cast<int32_t>(id.asInt()));
    }
    auto vectors = (*model)->embedTokens(seqs);
    ASSERT_TRUE(vectors.has_value()) << vectors.error().message;
    const auto& pooled = (*doc)["pooled_normalized"].asArray();
    for (size_t s = 0; s < seqs.size(); ++s) {
        const auto& want = pooled[s].asArray();
        ASSERT_EQ((*vectors)[s].size(), want.size());
        for (size_t i = 0; i < want.size(); ++i)
            EXPECT_NEAR((*vectors)[s][i], want[i].asNumber(), 1e-5) << "sequence " << s << " dim " << i;
    }
    // Per-token final hidden states (the rotary positions restart in every sequence).
    kernels::ThreadPool pool(2);
    std::vector<float> raw, states;
    assistant::modelImpl(**model).arch->encoder()->encode(pool, seqs, raw, &states);
    size_t row = 0;
    float maxDiff = 0.0f;
    for (const json::Value& seq : (*doc)["token_states"].asArray())
        for (const json::Value& tok : seq.asArray()) {
            const auto& values = tok.asArray();
            for (size_t i = 0; i < values.size(); ++i)
                maxDiff = std::max(maxDiff, std::fabs(states[row * values.size() + i] -
                                                      static_cast<float>(values[i].asNumber())));
            ++row;
        }
    EXPECT_EQ(row * 32, states.size());
    EXPECT_LE(maxDiff, 1e-4f);
}

TEST(NomicBert, TokenizesWithClsAndSep) {
    auto model = assistant::Model::load(kDir + "nomic-bert-tiny.gguf");
    ASSERT_TRUE(model.has_value());
    EXPECT_EQ(*(*model)->tokenize("the cat sat."), (std::vector<int32_t>{2, 5, 6, 7, 10, 3}));
    const std::vector<std::string> texts{"the cat sat.", "a dog ran far away"};
    auto v = (*model)->embed(texts);
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(v->size(), 2u);
}

}  // namespace
