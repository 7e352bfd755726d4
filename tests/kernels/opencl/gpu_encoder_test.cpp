// End-to-end encoders on the OpenCL device (label gpu: PoCL in CI;
// $ASSISTANT_TEST_OPENCL_DEVICE): the conformance bert model (conformance/README.md:
// pooled+normalized within 1e-5 of llama.cpp) and the shipped USE-Lite (its TF.js
// reference vectors, cosine >= 0.999) embed batches of texts of different lengths on
// the device, all layers and a CPU+GPU split, as the CPU does: bert within the README's
// pooled tolerance of the CPU's vectors and of llama.cpp's; USE-Lite (F16 weights) within
// 5e-4 of the CPU's and at cosine >= 0.999 of TF.js's.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "assistant/engine.h"
#include "assistant/model_tools.h"
#include "greedy_run.h"
#include "json/json.h"
#include "shared_data.h"

namespace {

using namespace assistant;
using gpu_test::testDevice;

#define REQUIRE_DEVICE(id)                                                             \
    const std::string id = testDevice();                                               \
    if (id.empty()) {                                                                  \
        if (testdata::inCi()) FAIL() << "no OpenCL device (install pocl-opencl-icd)"; \
        GTEST_SKIP() << "no OpenCL device";                                            \
    }

std::string readAll(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::shared_ptr<const Model> load(const std::string& path, const std::string& device, int gpuLayers) {
    ModelParams p;
    p.device = device;
    p.gpuLayers = gpuLayers;
    auto m = Model::load(path, p);
    EXPECT_TRUE(m.has_value()) << (m ? "" : m.error().message);
    return m ? *m : nullptr;
}

float maxAbsDiff(const std::vector<float>& a, const float* b, size_t n) {
    if (a.size() != n) return INFINITY;
    float d = 0;
    for (size_t i = 0; i < n; ++i) d = std::max(d, std::fabs(a[i] - b[i]));
    return d;
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

// Texts of different lengths in one batch (one of them longer than bert-a's 128-token
// context, cut by Model::embedTokens), and one alone.
const std::vector<std::string> kTexts = {
    "hello",
    "the quick brown fox jumps over the lazy dog near the river bank",
    "embeddings during indexing run on the gpu",
    std::string(600, 'a') + " " + std::string(400, 'b') + " tokens tokens tokens tokens",
    "a much longer sentence that goes on and on, with commas, numbers like 42 and 1999, and words of every "
    "length: short, medium, considerably longer, and extraordinarily long, so that this sequence has many "
    "more tokens than the others in the batch",
};

void expectSameEmbeddings(const Model& cpu, const Model& dev, float tol) {
    auto a = cpu.embed(kTexts);
    auto b = dev.embed(kTexts);
    ASSERT_TRUE(a && b);
    ASSERT_EQ(a->size(), b->size());
    for (size_t i = 0; i < a->size(); ++i) {
        const float d = maxAbsDiff((*b)[i], (*a)[i].data(), (*a)[i].size());
        std::printf("[ %s ] text %zu: max abs diff %.2e\n", dev.info().device.c_str(), i, d);
        EXPECT_LE(d, tol) << "text " << i;
    }
    auto one = dev.embed(std::vector<std::string>{kTexts[1]});  // alone: as in the batch
    ASSERT_TRUE(one);
    EXPECT_LE(maxAbsDiff((*one)[0], (*a)[1].data(), (*a)[1].size()), tol);
}

class GpuEncoder : public ::testing::Test {
protected:
    void SetUp() override {
        m_bert = testdata::sharedPath("conformance/models/bert-a.gguf");
        m_useLite = std::string(ASSISTANT_SOURCE_DIR) + "/resources/models/use-lite.gguf";
    }
    std::string m_bert, m_useLite;
};

TEST_F(GpuEncoder, BertAllLayersAndSplitMatchCpuAndReference) {
    REQUIRE_DEVICE(dev);
    REQUIRE_SHARED(m_bert);
    const std::string refPath = testdata::sharedPath("conformance/refs/bert-a.json");
    REQUIRE_SHARED(refPath);
    auto meta = json::Value::parse(readAll(refPath));
    ASSERT_TRUE(meta.has_value());
    const float tol = static_cast<float>((*meta)["tolerance"]["pooled_normalized_max_abs_diff"].asNumber());
    const std::string bin = readAll(testdata::sharedPath("conformance/" + (*meta)["bin_file"].asString()));
    std::vector<float> ref(bin.size() / sizeof(float));
    std::memcpy(ref.data(), bin.data(), ref.size() * sizeof(float));
    std::vector<std::vector<int32_t>> seqs;
    for (const json::Value& s : (*meta)["sequences"].asArray()) {
        std::vector<int32_t> ids;
        for (const json::Value& id : s.asArray()) ids.push_back(static_cast<int32_t>(id.asInt()));
        seqs.push_back(std::move(ids));
    }
    const size_t E = static_cast<size_t>((*meta)["n_embd"].asInt());

    auto cpu = load(m_bert, "cpu", 0);
    ASSERT_TRUE(cpu);
    for (int gpuLayers : {-1, 1}) {
        SCOPED_TRACE(gpuLayers);
        auto model = load(m_bert, dev, gpuLayers);
        ASSERT_TRUE(model);
        EXPECT_EQ(model->info().gpuLayers, gpuLayers < 0 ? 2 : 1) << model->info().deviceNote;
        EXPECT_EQ(model->info().deviceNote, "");
        ModelParams mp;  // assistant-cli info's plan says the same
        mp.device = dev;
        mp.gpuLayers = gpuLayers;
        auto plan = planPlacement(m_bert, mp);
        ASSERT_TRUE(plan);
        EXPECT_EQ(plan->gpuLayers, model->info().gpuLayers);
        EXPECT_EQ(plan->device, dev);
        expectSameEmbeddings(*cpu, *model, tol);
        auto got = model->embedTokens(seqs);  // llama.cpp's vectors, all three in one batch
        ASSERT_TRUE(got);
        for (size_t s = 0; s < seqs.size(); ++s)
            EXPECT_LE(maxAbsDiff((*got)[s], ref.data() + s * E, E), tol) << "reference sequence " << s;
    }
}

TEST_F(GpuEncoder, UseLiteAllLayersAndSplitMatchCpuAndTfJs) {
    REQUIRE_DEVICE(dev);
    const std::string refPath = testdata::sharedPath("models/embedding/use-lite-energetic/expected_embeddings.json");
    REQUIRE_SHARED(refPath);
    auto doc = json::Value::parse(readAll(refPath));
    ASSERT_TRUE(doc.has_value());
    std::vector<std::string> texts;
    std::vector<std::vector<float>> expected;
    for (const auto& [text, vec] : (*doc)["vectors"].asObject()) {
        texts.push_back(text);
        std::vector<float> v;
        for (const json::Value& x : vec.asArray()) v.push_back(static_cast<float>(x.asNumber()));
        expected.push_back(std::move(v));
    }
    auto cpu = load(m_useLite, "cpu", 0);
    ASSERT_TRUE(cpu);
    for (int gpuLayers : {-1, 1}) {
        SCOPED_TRACE(gpuLayers);
        auto model = load(m_useLite, dev, gpuLayers);
        ASSERT_TRUE(model);
        EXPECT_EQ(model->info().gpuLayers, gpuLayers < 0 ? 2 : 1) << model->info().deviceNote;
        // F16 weights: both backends round the activations to fp16 before each product
        // (ggml's vec_dot_type), and a sum landing on an fp16 rounding boundary (relative
        // step 9.8e-4) rounds apart; measured on PoCL: 1.3e-4 at most, components ~0.04.
        expectSameEmbeddings(*cpu, *model, 5e-4f);
        auto got = model->embed(texts);
        ASSERT_TRUE(got);
        for (size_t i = 0; i < texts.size(); ++i) EXPECT_GE(cosine((*got)[i], expected[i]), 0.999) << texts[i];
    }
}

TEST_F(GpuEncoder, NomicBertSaysWhyItStaysOnTheCpu) {
    REQUIRE_DEVICE(dev);
    const std::string path = std::string(ASSISTANT_SOURCE_DIR) + "/tests/inference/embedding/data/nomic-bert-tiny.gguf";
    ASSERT_TRUE(std::ifstream(path).good()) << path;
    auto m = load(path, dev, -1);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->info().gpuLayers, 0);
    EXPECT_NE(m->info().deviceNote.find("nomic-bert"), std::string::npos) << m->info().deviceNote;
    ModelParams mp;
    mp.device = dev;
    auto plan = planPlacement(path, mp);
    ASSERT_TRUE(plan);
    EXPECT_EQ(plan->gpuLayers, 0);
    EXPECT_EQ(plan->note, m->info().deviceNote);
}

}  // namespace
