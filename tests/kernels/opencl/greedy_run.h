// Shared by the GPU end-to-end tests: the OpenCL device to test on, and a model's
// greedy continuation of a fixed prompt with the logits each token was chosen from.
#pragma once

#include <cmath>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "assistant/engine.h"
#include "kernels/device_list.h"

namespace gpu_test {

using namespace assistant;

inline std::string testDevice() {
    if (const char* e = std::getenv("ASSISTANT_TEST_OPENCL_DEVICE"); e && *e) return e;
    const auto devices = kernels::openclDevices();
    return devices.empty() ? std::string() : devices.front().id;
}

struct GreedyRun {
    std::vector<int32_t> tokens;
    std::vector<float> promptLogits;  // [prompt][vocab]
    std::vector<std::vector<float>> stepLogits;  // the logits each token was chosen from
};

inline const std::vector<int32_t> kPrompt = {1, 403, 27, 84, 112, 9, 301, 77, 45, 200, 18, 6};

// Prompt logits of every position, then maxTokens greedy tokens (in passes shared with
// the batcher's other sessions when one is given).
inline GreedyRun greedy(const std::shared_ptr<const Model>& model, KvType kv, int batch = 512, int maxTokens = 24,
                        const std::vector<int32_t>& prompt = kPrompt, std::shared_ptr<Batcher> batcher = nullptr) {
    GreedyRun r;
    SessionParams sp;
    sp.contextLength = 128;
    sp.kvType = kv;
    sp.threads = 1;
    sp.batchSize = batch;
    sp.batcher = std::move(batcher);
    auto s = Session::create(model, sp);
    EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message);
    if (!s) return r;
    auto logits = (*s)->evaluate(prompt, true);
    EXPECT_TRUE(logits.has_value()) << (logits ? "" : logits.error().message);
    if (logits) r.promptLogits = *logits;
    (*s)->reset();
    GenerateParams gp;
    gp.sampling.temperature = 0.0f;
    gp.maxTokens = maxTokens;
    gp.ignoreEos = true;
    gp.onLogits = [&](std::span<const float> l) { r.stepLogits.emplace_back(l.begin(), l.end()); };
    auto out = (*s)->generate(std::span<const int32_t>(prompt), gp, nullptr);
    EXPECT_TRUE(out.has_value()) << (out ? "" : out.error().message);
    if (out) r.tokens = out->tokens;
    return r;
}

// Same ids, or a near-tie where they part; logits within tol up to there.
inline void expectSameContinuation(const GreedyRun& cpu, const GreedyRun& gpu, float tol, const std::string& what) {
    ASSERT_EQ(cpu.tokens.size(), gpu.tokens.size()) << what;
    ASSERT_EQ(cpu.stepLogits.size(), cpu.tokens.size()) << what;
    size_t i = 0;
    for (; i < cpu.tokens.size(); ++i) {
        const std::vector<float>& a = cpu.stepLogits[i];
        const std::vector<float>& b = gpu.stepLogits[i];
        float diff = 0;
        for (size_t v = 0; v < a.size(); ++v) diff = std::max(diff, std::fabs(a[v] - b[v]));
        EXPECT_LT(diff, tol) << what << ": step " << i;
        if (cpu.tokens[i] != gpu.tokens[i]) {
            const float gap = a[cpu.tokens[i]] - a[gpu.tokens[i]];
            EXPECT_LE(gap, 2 * diff) << what << ": ids part at step " << i << " without a near-tie";
            break;
        }
    }
    // The first tokens come from the prompt's logits: they must agree.
    EXPECT_GE(i, 3u) << what;
}

}  // namespace gpu_test
