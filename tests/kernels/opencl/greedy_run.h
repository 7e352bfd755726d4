// Shared by the GPU end-to-end tests: the OpenCL device to test on, and a model's
// greedy continuation of a fixed prompt with the logits each token was chosen from.
#pragma once

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

// Prompt logits of every position, then maxTokens greedy tokens.
inline GreedyRun greedy(const std::shared_ptr<const Model>& model, KvType kv, int batch = 512, int maxTokens = 24) {
    GreedyRun r;
    SessionParams sp;
    sp.contextLength = 128;
    sp.kvType = kv;
    sp.threads = 1;
    sp.batchSize = batch;
    auto s = Session::create(model, sp);
    EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message);
    if (!s) return r;
    const std::vector<int32_t> prompt = {1, 403, 27, 84, 112, 9, 301, 77, 45, 200, 18, 6};
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

}  // namespace gpu_test
