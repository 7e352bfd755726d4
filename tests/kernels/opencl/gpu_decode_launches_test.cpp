// Kernel launches per decode token with every layer on the OpenCL device: on a fast
// GPU the host's launches (an enqueue and its arguments each, ~5-8 us) bound decode, so
// the count per layer must not creep back up. Counted from the profile (as
// assistant-gpu-bench --profile does) over a few single-token steps of the conformance
// qwen3moe (Q8_0: the fused expert kernels) and qwen3 models. Label gpu (PoCL in CI).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/engine_access.h"
#include "kernels/opencl_backend.h"
#include "greedy_run.h"
#include "scoped_env.h"
#include "shared_data.h"

namespace {

using namespace assistant;
using gpu_test::testDevice;

struct LaunchCase {
    const char* model;
    double perLayer;  // launches a layer may take a token (the head and final norm aside)
};

class GpuDecodeLaunches : public ::testing::TestWithParam<LaunchCase> {};

TEST_P(GpuDecodeLaunches, StayAtTheirCount) {
    const std::string dev = testDevice();
    if (dev.empty()) {
        if (testdata::inCi()) FAIL() << "no OpenCL device (install pocl-opencl-icd)";
        GTEST_SKIP() << "no OpenCL device";
    }
    const LaunchCase c = GetParam();
    const std::string path = testdata::sharedPath(std::string("conformance/models/") + c.model);
    REQUIRE_SHARED(path);
    kernels_test::ScopedEnv profile("ASSISTANT_OPENCL_PROFILE", "1");
    ModelParams p;
    p.device = dev;
    p.gpuLayers = -1;
    p.moeExperts = MoeExperts::Gpu;
    auto model = Model::load(path, p);
    ASSERT_TRUE(model.has_value()) << model.error().message;
    const int layers = (*model)->info().layerCount;
    ASSERT_EQ((*model)->info().gpuLayers, layers) << (*model)->info().deviceNote;
    const arch::Placement* gpu = modelImpl(**model).placement.get();
    ASSERT_NE(gpu, nullptr);
    SessionParams sp;
    sp.contextLength = 64;
    sp.threads = 1;
    auto s = Session::create(*model, sp);
    ASSERT_TRUE(s.has_value()) << s.error().message;
    const std::vector<int32_t> tokens = {1, 403, 27, 84, 112, 9};
    ASSERT_TRUE((*s)->evaluate(std::span<const int32_t>(tokens.data(), 1), false).has_value());  // first launches
    gpu->takeStats();
    const int steps = static_cast<int>(tokens.size()) - 1;
    for (int i = 1; i <= steps; ++i)
        ASSERT_TRUE((*s)->evaluate(std::span<const int32_t>(&tokens[static_cast<size_t>(i)], 1), false).has_value());
    int64_t calls = 0;
    std::string table;
    for (const auto& k : gpu->takeStats()) {
        calls += k.calls;
        table += k.name + " " + std::to_string(k.calls) + "\n";
    }
    const double perToken = static_cast<double>(calls) / steps;
    // Beyond the layers: the final norm and the output head.
    EXPECT_LE(perToken, c.perLayer * layers + 2) << c.model << ": " << perToken / layers << " a layer\n" << table;
    EXPECT_GT(perToken, layers) << table;  // the profile counted the layers' launches
}

INSTANTIATE_TEST_SUITE_P(Models, GpuDecodeLaunches,
                         ::testing::Values(LaunchCase{"qwen3moe-a.Q8_0.gguf", 9}, LaunchCase{"qwen3-a.gguf", 9}),
                         [](const ::testing::TestParamInfo<LaunchCase>& i) {
                             std::string n = i.param.model;
                             for (char& ch : n)
                                 if (ch == '-' || ch == '.') ch = '_';
                             return n;
                         });

}  // namespace
