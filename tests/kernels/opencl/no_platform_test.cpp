// Without any OpenCL platform the engine runs on the CPU and says why (label gpu).
// The ICD loader is pointed at an empty vendor folder before anything calls OpenCL:
// this file's static initializer runs before main.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "assistant/engine.h"
#include "kernels/device_list.h"
#include "shared_data.h"

namespace {

const bool kNoVendors = [] {
    const std::filesystem::path empty = std::filesystem::temp_directory_path() / "assistant-no-opencl-vendors";
    std::filesystem::create_directories(empty);
    setenv("OCL_ICD_VENDORS", empty.c_str(), 1);
    setenv("OPENCL_VENDOR_PATH", empty.c_str(), 1);
    return true;
}();

TEST(GpuNoPlatform, NoOpenclDevicesAreListed) {
    ASSERT_TRUE(kNoVendors);
    EXPECT_TRUE(kernels::openclDevices().empty());
    const auto all = assistant::listDevices();
    ASSERT_FALSE(all.empty());
    EXPECT_EQ(all.front().id, "cpu");
    for (const auto& d : all) EXPECT_NE(d.backend, "opencl");
}

TEST(GpuNoPlatform, ModelRunsOnTheCpuAndSaysWhy) {
    const std::string path = testdata::sharedPath("conformance/models/llama-a.Q8_0.gguf");
    REQUIRE_SHARED(path);
    for (const char* device : {"auto", "opencl:0.0"}) {
        assistant::ModelParams p;
        p.device = device;
        auto m = assistant::Model::load(path, p);
        ASSERT_TRUE(m.has_value()) << m.error().message;
        EXPECT_EQ((*m)->info().device, "cpu");
        EXPECT_EQ((*m)->info().gpuLayers, 0);
        EXPECT_FALSE((*m)->info().deviceNote.empty()) << device;
        auto s = assistant::Session::create(*m);
        ASSERT_TRUE(s.has_value());
        assistant::GenerateParams gp;
        gp.sampling.temperature = 0;
        gp.maxTokens = 4;
        gp.ignoreEos = true;
        const std::vector<int32_t> prompt = {1, 50, 60};
        auto out = (*s)->generate(std::span<const int32_t>(prompt), gp, nullptr);
        ASSERT_TRUE(out.has_value());
        EXPECT_EQ(out->tokens.size(), 4u);
        EXPECT_EQ(out->stats.device, "cpu");
    }
}

}  // namespace
