// End-to-end GPU offload (label gpu): the conformance models of the pre-norm decoders
// (llama, qwen2 with Q/K/V biases, qwen3 with per-head Q/K norms, phi3 with fused QKV
// and gate/up, qwen3moe with its experts on the device (auto), gemma2 with post-norms, GeGLU,
// soft-caps and sliding windows) run on the OpenCL device (PoCL in CI; $ASSISTANT_TEST_OPENCL_DEVICE) give the CPU backend's greedy
// continuation, with every layer on the device and with CPU+GPU splits.
//
// The backends quantize activations identically but sum in another order (~1e-6
// relative), and these random models are chaotic: llama.cpp itself loses greedy
// agreement after a few tokens on some sequences between its own settings (see
// conformance/refs/*.json "stability"). So: logits agree within a tolerance at every
// step, ids agree, and where they part the two ids were a near-tie of the CPU's logits
// (gap within the two backends' difference at that step). Logit tolerances: F32 models
// 2e-3; Q8_0 0.15 and Q4_K_M 0.5 (a third of the conformance tolerance of that file),
// where one activation rounding flipped at a .5 boundary moves a value by a whole
// quantization step (llama.cpp's own batch vs token-by-token variation on the Q4_K_M
// file reaches 0.15).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include "assistant/engine.h"
#include "kernels/device_list.h"
#include "greedy_run.h"
#include "shared_data.h"
#include "engine/placement.h"

namespace {

using namespace assistant;
using gpu_test::expectSameContinuation;
using gpu_test::greedy;
using gpu_test::GreedyRun;
using gpu_test::testDevice;

#define REQUIRE_DEVICE(id)                                                                 \
    const std::string id = testDevice();                                                   \
    if (id.empty()) {                                                                      \
        if (testdata::inCi()) FAIL() << "no OpenCL device (install pocl-opencl-icd)";     \
        GTEST_SKIP() << "no OpenCL device";                                                \
    }

std::shared_ptr<const Model> load(const std::string& path, const std::string& device, int gpuLayers) {
    ModelParams p;
    p.device = device;
    p.gpuLayers = gpuLayers;
    auto m = Model::load(path, p);
    EXPECT_TRUE(m.has_value()) << (m ? "" : m.error().message);
    return m ? *m : nullptr;
}

float maxRelDiff(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size() || a.empty()) return INFINITY;
    float d = 0, m = 1e-6f;
    for (size_t i = 0; i < a.size(); ++i) {
        d = std::max(d, std::fabs(a[i] - b[i]));
        m = std::max(m, std::fabs(b[i]));
    }
    return d / m;
}

// Whether a session may keep this model's cache in Q8_0 (KV rows a multiple of 32).
bool acceptsQ8Cache(const std::shared_ptr<const Model>& m) {
    SessionParams sp;
    sp.contextLength = 16;
    sp.kvType = KvType::Q8_0;
    return Session::create(m, sp).has_value();
}

class GpuOffload : public ::testing::TestWithParam<const char*> {};

TEST_P(GpuOffload, AllLayersMatchCpu) {
    REQUIRE_DEVICE(dev);
    const std::string path = testdata::sharedPath(std::string("conformance/models/") + GetParam());
    REQUIRE_SHARED(path);
    auto cpu = load(path, "cpu", 0);
    auto gpu = load(path, dev, -1);
    ASSERT_TRUE(cpu && gpu);
    EXPECT_EQ(cpu->info().device, "cpu");
    ASSERT_EQ(gpu->info().device, dev) << gpu->info().deviceNote;
    EXPECT_EQ(gpu->info().gpuLayers, gpu->info().layerCount);
    const std::string type = cpu->info().fileType;
    const float tol = type == "F32" ? 2e-3f : type == "Q8_0" ? 0.15f : 0.5f;
    for (KvType kv : {KvType::F32, KvType::F16}) {
        const GreedyRun a = greedy(cpu, kv), b = greedy(gpu, kv);
        expectSameContinuation(a, b, tol, "kv " + std::to_string(static_cast<int>(kv)));
        EXPECT_LT(maxRelDiff(b.promptLogits, a.promptLogits), tol / 5);
    }
    // Decode-only path (prompt in batches of one token).
    expectSameContinuation(greedy(cpu, KvType::F16), greedy(gpu, KvType::F16, 1), tol, "token by token");
    // A Q8_0 cache on both sides where the model's KV rows are whole blocks. A key whose
    // rounding flips at a .5 boundary moves by a whole step (max/127), as with Q8_0
    // weights: their tolerance.
    if (acceptsQ8Cache(cpu)) {
        ASSERT_TRUE(acceptsQ8Cache(gpu));
        expectSameContinuation(greedy(cpu, KvType::Q8_0), greedy(gpu, KvType::Q8_0), std::max(tol, 0.15f), "kv q8_0");
        // Q4_0: a flipped rounding moves a value by an eighth of its block's largest.
        expectSameContinuation(greedy(cpu, KvType::Q4_0), greedy(gpu, KvType::Q4_0), std::max(tol, 0.5f), "kv q4_0");
    }
}

INSTANTIATE_TEST_SUITE_P(Conformance, GpuOffload,
                         ::testing::Values("llama-a.gguf", "llama-a.Q8_0.gguf", "llama-a.Q4_K_M.gguf",
                                           "llama3rope-a.gguf", "qwen2-a.gguf", "qwen2-a.Q4_0.gguf", "qwen3-a.gguf",
                                           "phi3-a.gguf", "phi3-a.Q6_K.gguf", "qwen3moe-a.gguf",
                                           "qwen3moe-a.Q8_0.gguf", "gemma2-a.gguf"),
                         [](const auto& info) {
                             std::string n = info.param;
                             for (char& c : n)
                                 if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                             return n;
                         });

TEST(GpuOffloadSplit, CpuAndGpuLayersGiveTheSameTokens) {
    REQUIRE_DEVICE(dev);
    const std::string path = testdata::sharedPath("conformance/models/llama-a.Q8_0.gguf");
    REQUIRE_SHARED(path);
    const GreedyRun want = greedy(load(path, "cpu", 0), KvType::F16);
    for (int n : {1, 2, 3}) {  // of 4 layers: the last n (and the output head) on the device
        auto m = load(path, dev, n);
        ASSERT_TRUE(m);
        EXPECT_EQ(m->info().gpuLayers, n);
        expectSameContinuation(want, greedy(m, KvType::F16), 0.15f, std::to_string(n) + " GPU layers");
    }
}

// Layers split across two devices (PoCL exposes two with POCL_DEVICES="pthread pthread":
// ctest's gpu_offload_two_devices sets it): the residual stream crosses between them
// through the host; tokens as on the CPU.
TEST(GpuOffloadSplit, TwoDevicesShareTheLayers) {
    const auto devices = kernels::openclDevices();
    if (devices.size() < 2) {
        if (const char* pocl = std::getenv("POCL_DEVICES"); pocl && std::string(pocl).find(' ') != std::string::npos)
            FAIL() << "POCL_DEVICES asks for two devices but " << devices.size() << " are listed";
        GTEST_SKIP() << "fewer than two OpenCL devices";
    }
    const std::string path = testdata::sharedPath("conformance/models/llama-a.Q8_0.gguf");
    REQUIRE_SHARED(path);
    const std::string both = devices[0].id + "," + devices[1].id;
    const GreedyRun want = greedy(load(path, "cpu", 0), KvType::F16);
    const struct {
        int layers;
        std::vector<float> split;
    } cases[] = {{-1, {}}, {-1, {1, 3}}, {3, {2, 1}}};
    for (const auto& c : cases) {
        ModelParams p;
        p.device = both;
        p.gpuLayers = c.layers;
        p.gpuSplit = c.split;
        auto m = Model::load(path, p);
        ASSERT_TRUE(m.has_value()) << m.error().message;
        EXPECT_EQ((*m)->info().device, both) << (*m)->info().deviceNote;
        EXPECT_EQ((*m)->info().gpuLayers, c.layers < 0 ? 4 : c.layers);
        expectSameContinuation(want, greedy(*m, KvType::F16), 0.15f, "split " + std::to_string(c.split.size()));
    }
    // Shares for another number of devices: on the CPU, saying why.
    ModelParams bad;
    bad.device = both;
    bad.gpuSplit = {1, 2, 3};
    auto m = Model::load(path, bad);
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ((*m)->info().device, "cpu");
    EXPECT_NE((*m)->info().deviceNote.find("gpu-split"), std::string::npos) << (*m)->info().deviceNote;
}

TEST(GpuOffloadSplit, LayersAreSharedInProportion) {
    EXPECT_EQ(arch::splitLayers(4, 2, {}), (std::vector<int64_t>{2, 2}));
    EXPECT_EQ(arch::splitLayers(4, 2, {1, 3}), (std::vector<int64_t>{1, 3}));
    EXPECT_EQ(arch::splitLayers(32, 2, {3, 1}), (std::vector<int64_t>{24, 8}));
    EXPECT_EQ(arch::splitLayers(5, 3, {}), (std::vector<int64_t>{2, 1, 2}));
    EXPECT_EQ(arch::splitLayers(3, 2, {0, 1}), (std::vector<int64_t>{0, 3}));
}

TEST(GpuOffloadSplit, CpuRequestedHasNoNote) {
    const std::string path = testdata::sharedPath("conformance/models/llama-a.gguf");
    REQUIRE_SHARED(path);
    auto m = load(path, "cpu", -1);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->info().device, "cpu");
    EXPECT_EQ(m->info().deviceNote, "");
}

// The sinks context policy with layers on the device: generation streams past the
// context (the device's caches shift their rows, keys re-rotated) and gives the CPU's
// continuation, or parts from it only at a near-tie.
TEST(GpuOffloadSplit, SinksPolicyStreamsPastTheContextOnTheDevice) {
    const std::string dev = testDevice();
    if (dev.empty()) {
        if (testdata::inCi()) FAIL() << "no OpenCL device (install pocl-opencl-icd)";
        GTEST_SKIP() << "no OpenCL device";
    }
    const std::string path = testdata::sharedPath("conformance/models/llama-a.gguf");
    REQUIRE_SHARED(path);
    auto run = [&](int gpuLayers, KvType kv) {
        ModelParams mp;
        mp.device = gpuLayers ? dev : "cpu";
        mp.gpuLayers = gpuLayers;
        auto model = Model::load(path, mp);
        EXPECT_TRUE(model) << model.error().message;
        SessionParams sp;
        sp.contextLength = 48;
        sp.kvType = kv;
        sp.contextPolicy = ContextPolicy::Sinks;
        auto s = Session::create(*model, sp);
        EXPECT_TRUE(s) << s.error().message;
        GreedyRun r;
        GenerateParams gp;
        gp.sampling.temperature = 0.0f;
        gp.maxTokens = 120;
        gp.ignoreEos = true;
        gp.onLogits = [&](std::span<const float> l) { r.stepLogits.emplace_back(l.begin(), l.end()); };
        auto out = (*s)->generate(std::span<const int32_t>(gpu_test::kPrompt), gp, nullptr);
        EXPECT_TRUE(out) << out.error().message;
        if (out) {
            r.tokens = out->tokens;
            EXPECT_LE((*s)->tokens().size(), 48u);
        }
        return r;
    };
    for (KvType kv : {KvType::F16, KvType::Q8_0}) {
        const GreedyRun cpu = run(0, kv);
        ASSERT_EQ(cpu.tokens.size(), 120u);
        for (int gpuLayers : {-1, 2}) {
            const GreedyRun gpu = run(gpuLayers, kv);
            expectSameContinuation(cpu, gpu, 2e-2f,
                                   std::string("sinks, ") + std::to_string(gpuLayers) + " GPU layers, kv " +
                                       (kv == KvType::F16 ? "f16" : "q8_0"));
        }
    }
}

}  // namespace
