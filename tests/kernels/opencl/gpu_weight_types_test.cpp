// End to end, per weight type the OpenCL backend converts at upload (label gpu): the F32
// conformance llama model quantized to the type (assistant-cli quantize's converter),
// then its greedy continuation with every layer on the device against the CPU backend.
// As in gpu_offload_test: logits within a tolerance at every step and the same ids,
// or ids that part at a near-tie of the CPU's logits. Tolerance 0.5 for the quantized
// types (a third of the conformance tolerance of a Q4_K_M file: one activation rounding
// flipped at a .5 boundary moves a value by a whole quantization step).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "assistant/engine.h"
#include "kernels/device_list.h"
#include "quantize/model_quantizer.h"
#include "greedy_run.h"
#include "shared_data.h"

namespace {

using namespace assistant;
using gpu_test::greedy;
using gpu_test::GreedyRun;
using gpu_test::testDevice;

std::shared_ptr<const Model> load(const std::string& path, const std::string& device) {
    ModelParams p;
    p.device = device;
    p.gpuLayers = device == "cpu" ? 0 : -1;
    auto m = Model::load(path, p);
    EXPECT_TRUE(m.has_value()) << (m ? "" : m.error().message);
    return m ? *m : nullptr;
}

class GpuWeightTypes : public ::testing::TestWithParam<const char*> {};

TEST_P(GpuWeightTypes, QuantizedLlamaMatchesCpu) {
    const std::string dev = testDevice();
    if (dev.empty()) {
        if (testdata::inCi()) FAIL() << "no OpenCL device (install pocl-opencl-icd)";
        GTEST_SKIP() << "no OpenCL device";
    }
    const std::string src = testdata::sharedPath("conformance/models/llama-a.gguf");
    REQUIRE_SHARED(src);
    const std::string type = GetParam();
    const std::string path = (std::filesystem::path(::testing::TempDir()) / ("gpu-types-llama-a." + type + ".gguf")).string();
    auto stats = quantize::quantizeModel({src, path, type, 2, {}});
    ASSERT_TRUE(stats.has_value()) << stats.error().message;
    EXPECT_GT(stats->typeCounts[type], 0u) << "no tensor of " << type;

    auto cpu = load(path, "cpu"), gpu = load(path, dev);
    ASSERT_TRUE(cpu && gpu);
    ASSERT_EQ(gpu->info().device, dev) << gpu->info().deviceNote;
    EXPECT_EQ(gpu->info().gpuLayers, gpu->info().layerCount);
    const GreedyRun a = greedy(cpu, KvType::F16, 512, 16), b = greedy(gpu, KvType::F16, 512, 16);
    ASSERT_EQ(a.tokens.size(), b.tokens.size());
    ASSERT_EQ(a.stepLogits.size(), b.stepLogits.size());
    const float tol = 0.5f;
    size_t i = 0;
    float worst = 0;
    for (; i < a.tokens.size(); ++i) {
        float diff = 0;
        for (size_t v = 0; v < a.stepLogits[i].size(); ++v)
            diff = std::max(diff, std::fabs(a.stepLogits[i][v] - b.stepLogits[i][v]));
        EXPECT_LT(diff, tol) << "step " << i;
        worst = std::max(worst, diff);
        if (a.tokens[i] != b.tokens[i]) {
            const float gap = a.stepLogits[i][a.tokens[i]] - a.stepLogits[i][b.tokens[i]];
            EXPECT_LE(gap, 2 * diff) << "ids part at step " << i << " without a near-tie";
            break;
        }
    }
    EXPECT_GE(i, 3u);  // the first tokens come from the prompt's logits: they must agree
    std::string types;
    for (const auto& [name, count] : stats->typeCounts) types += " " + name + ":" + std::to_string(count);
    RecordProperty("types", types);
    std::printf("%s: %zu of %zu tokens agree, largest logit difference %.3g; tensors%s\n", type.c_str(), i,
                a.tokens.size(), worst, types.c_str());
    std::filesystem::remove(path);
}

INSTANTIATE_TEST_SUITE_P(Types, GpuWeightTypes,
                         ::testing::Values("BF16", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "IQ4_NL", "IQ4_XS", "TQ1_0",
                                           "TQ2_0"));

}  // namespace
