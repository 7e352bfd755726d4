// The OpenCL device behind kernels/backend.h against the CPU backend on the same layer
// of ops (backend_scenario.h): stacked weights of mixed types (uploaded apart on the
// device), biases, per-head norms, RoPE with a q/k scale, attention over cached rows,
// accumulation and the fused SwiGLU input. Label gpu (PoCL in CI).
#include <gtest/gtest.h>

#include <cstdlib>

#include "../backend_scenario.h"
#include "kernels/device_list.h"
#include "kernels/opencl_backend.h"
#include "kernels/thread_pool.h"
#include "shared_data.h"

namespace {

using namespace kernels_test;

TEST(DeviceBackend, LayerOpsMatchTheCpuBackend) {
    std::string id;
    if (const char* e = std::getenv("ASSISTANT_TEST_OPENCL_DEVICE"); e && *e) id = e;
    else if (auto devices = kernels::openclDevices(); !devices.empty()) id = devices.front().id;
    if (id.empty()) {
        if (testdata::inCi()) FAIL() << "no OpenCL device (install pocl-opencl-icd)";
        GTEST_SKIP() << "no OpenCL device";
    }
    auto cl = kernels::opencl::Backend::create(id);
    ASSERT_TRUE(cl.has_value()) << cl.error();
    auto dev = kernels::opencl::makeDeviceBackend(std::shared_ptr<kernels::opencl::Backend>(std::move(*cl)));
    EXPECT_FALSE(dev->isHost());
    EXPECT_TRUE(dev->supports(kernels::Op::Experts, kernels::GgmlType::Q8_0));
    EXPECT_TRUE(dev->supports(kernels::Op::Attention, kernels::GgmlType::Q8_0));
    EXPECT_TRUE(dev->supports(kernels::Op::Attention, kernels::GgmlType::Q4_0));
    EXPECT_FALSE(dev->supports(kernels::Op::ShiftKv, kernels::GgmlType::F16));
    kernels::ThreadPool pool(1);
    auto cpu = kernels::makeCpuBackend(&pool);
    const LayerScenario s;
    const ScenarioOutputs got = runScenario(*dev, s);  // one thread: no lock() needed
    const ScenarioOutputs want = runScenario(*cpu, s);
    // Activations quantized the same way, sums in another order.
    EXPECT_LT(maxAbsDiff(got.qkv, want.qkv), 2e-3f);
    EXPECT_LT(maxAbsDiff(got.kCache, want.kCache), 2e-3f);
    EXPECT_LT(maxAbsDiff(got.x, want.x), 2e-2f);
}

}  // namespace
