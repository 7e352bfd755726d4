// Continuous batching on the OpenCL device (label gpu; PoCL in CI): sequences that
// share forward passes (assistant::Batcher) with their layers on the device, or split
// between the CPU and the device, get the continuation each gets alone there. A pass's
// later sequences go through the device's copy op (their rows of q|k|v and attention
// output); the device may order sums differently for a batch than for one token, so
// ids agree or part at a near-tie (greedy_run.h).
#include <gtest/gtest.h>

#include <thread>

#include "assistant/engine.h"
#include "greedy_run.h"
#include "shared_data.h"

namespace {

using namespace assistant;
using gpu_test::expectSameContinuation;
using gpu_test::greedy;
using gpu_test::GreedyRun;

TEST(GpuBatching, SequencesSharingPassesGetWhatTheyGetAlone) {
    const std::string dev = gpu_test::testDevice();
    if (dev.empty()) {
        if (testdata::inCi()) FAIL() << "no OpenCL device (install pocl-opencl-icd)";
        GTEST_SKIP() << "no OpenCL device";
    }
    const std::vector<std::vector<int32_t>> prompts = {
        gpu_test::kPrompt, {1, 5, 99, 311}, {1, 250, 251, 252, 253, 254, 255, 256, 257, 258, 259, 260, 261, 262, 263, 264, 265}};
    for (const char* file : {"llama-a.gguf", "qwen3-a.gguf", "gemma2-a.gguf"}) {
        const std::string path = testdata::sharedPath(std::string("conformance/models/") + file);
        REQUIRE_SHARED(path);
        for (int gpuLayers : {-1, 2}) {  // all layers on the device; the last two (CPU + device)
            ModelParams mp;
            mp.device = dev;
            mp.gpuLayers = gpuLayers;
            auto model = Model::load(path, mp);
            ASSERT_TRUE(model) << model.error().message;
            std::vector<GreedyRun> alone;
            for (const auto& p : prompts) alone.push_back(greedy(*model, KvType::F16, 512, 16, p));
            BatcherParams bp;
            bp.threads = 2;
            bp.promptChunk = 4;  // the longer prompts span passes beside the others
            bp.gatherMicros = 100000;
            auto batcher = Batcher::create(*model, bp);
            ASSERT_TRUE(batcher) << batcher.error().message;
            std::vector<GreedyRun> together(prompts.size());
            std::vector<std::thread> threads;
            for (size_t i = 0; i < prompts.size(); ++i)
                threads.emplace_back([&, i] { together[i] = greedy(*model, KvType::F16, 512, 16, prompts[i], *batcher); });
            for (std::thread& t : threads) t.join();
            for (size_t i = 0; i < prompts.size(); ++i)
                expectSameContinuation(alone[i], together[i], 2e-3f,
                                       std::string(file) + ", " + std::to_string(gpuLayers) + " GPU layers, #" + std::to_string(i));
            EXPECT_GT((*batcher)->stats().sequences, (*batcher)->stats().passes) << file;
        }
    }
}

// A batcher's sessions share prompt prefixes: the rows of a device layer are copied on
// the device (a split model: the CPU layers' rows on the host), and the continuation
// is the one computed from scratch.
TEST(GpuBatching, SharedPromptPrefixesAreCopiedOnTheDevice) {
    const std::string dev = gpu_test::testDevice();
    if (dev.empty()) {
        if (testdata::inCi()) FAIL() << "no OpenCL device (install pocl-opencl-icd)";
        GTEST_SKIP() << "no OpenCL device";
    }
    const std::string path = testdata::sharedPath("conformance/models/llama-a.gguf");
    REQUIRE_SHARED(path);
    std::vector<int32_t> longer = gpu_test::kPrompt;
    longer.insert(longer.end(), {500, 501, 502, 77, 45});
    for (int gpuLayers : {-1, 2}) {
        ModelParams mp;
        mp.device = dev;
        mp.gpuLayers = gpuLayers;
        auto model = Model::load(path, mp);
        ASSERT_TRUE(model) << model.error().message;
        const GreedyRun alone = greedy(*model, KvType::F16, 512, 12, longer);
        auto batcher = Batcher::create(*model, {});
        ASSERT_TRUE(batcher) << batcher.error().message;
        SessionParams sp;
        sp.kvType = KvType::F16;
        sp.batcher = *batcher;
        auto donor = Session::create(*model, sp);  // kept: its rows are shared while it lives
        ASSERT_TRUE(donor) << donor.error().message;
        GenerateParams gp;
        gp.sampling.temperature = 0.0f;
        gp.maxTokens = 4;
        ASSERT_TRUE((*donor)->generate(std::span<const int32_t>(gpu_test::kPrompt), gp, nullptr));
        const uint64_t before = (*batcher)->stats().sharedPromptTokens;
        const GreedyRun shared = greedy(*model, KvType::F16, 512, 12, longer, *batcher);
        EXPECT_GE((*batcher)->stats().sharedPromptTokens - before, gpu_test::kPrompt.size() - 1) << gpuLayers;
        expectSameContinuation(alone, shared, 2e-3f, "llama-a, " + std::to_string(gpuLayers) + " GPU layers, shared prefix");
    }
}

}  // namespace
