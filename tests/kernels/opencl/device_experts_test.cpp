// The OpenCL device's mixture-of-experts op (Backend::experts) against the CPU
// backend's, per expert weight type the device converts: one token (decode) and a
// batch (prefill), router weights renormalized or not, a quantized router, gate and up
// of different types than down. Label gpu (PoCL in CI).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <tuple>

#include "../backend_scenario.h"
#include "kernels/device_list.h"
#include "kernels/opencl_backend.h"
#include "kernels/thread_pool.h"
#include "shared_data.h"

namespace {

using namespace kernels_test;
using kernels::GgmlType;

// Widths of 256: the K-quants' super-blocks.
constexpr int64_t kE = 256, kFe = 256, kX = 8, kUsed = 3;

struct ExpertCase {
    GgmlType gateUp, down, router;
    bool normalize;
    int64_t experts = kX, used = kUsed;  // more than the routing's 64 lanes: each lane scans several
};

std::string caseName(const ::testing::TestParamInfo<ExpertCase>& info) {
    const ExpertCase& c = info.param;
    std::string n = std::string(kernels::typeName(c.gateUp)) + "_" + std::string(kernels::typeName(c.down)) +
                    "_router_" + std::string(kernels::typeName(c.router)) + (c.normalize ? "" : "_softmax") +
                    (c.experts != kX ? "_" + std::to_string(c.experts) + "x" + std::to_string(c.used) : "");
    std::replace(n.begin(), n.end(), '-', '_');
    return n;
}

std::unique_ptr<kernels::Backend> openDevice() {
    std::string id;
    if (const char* e = std::getenv("ASSISTANT_TEST_OPENCL_DEVICE"); e && *e) id = e;
    else if (auto devices = kernels::openclDevices(); !devices.empty()) id = devices.front().id;
    if (id.empty()) return nullptr;
    auto cl = kernels::opencl::Backend::create(id);
    if (!cl) return nullptr;
    return kernels::opencl::makeDeviceBackend(std::shared_ptr<kernels::opencl::Backend>(std::move(*cl)));
}

// out [n][E] of the expert set on `be`; added to `onto` (accumulate) when one is given.
std::vector<float> runExperts(kernels::Backend& be, const kernels::DeviceWeight& w, const std::vector<float>& x,
                              int64_t n, const std::vector<float>* onto = nullptr) {
    auto in = be.upload(std::span<const float>(x.data(), static_cast<size_t>(n * kE)));
    auto out = onto ? be.upload(std::span<const float>(onto->data(), static_cast<size_t>(n * kE)))
                    : be.alloc(static_cast<size_t>(n * kE) * 4);
    EXPECT_TRUE(in && out);
    if (!in || !out) return {};
    be.experts(w, **in, n, **out, onto != nullptr);
    std::vector<float> got(static_cast<size_t>(n * kE));
    be.read(**out, 0, got.data(), got.size() * 4);
    EXPECT_EQ(be.takeError(), "");
    return got;
}

class DeviceExperts : public ::testing::TestWithParam<ExpertCase> {};

TEST_P(DeviceExperts, MatchTheCpuBackend) {
    auto dev = openDevice();
    if (!dev) {
        if (testdata::inCi()) FAIL() << "no OpenCL device (install pocl-opencl-icd)";
        GTEST_SKIP() << "no OpenCL device";
    }
    const ExpertCase c = GetParam();
    ASSERT_TRUE(dev->supports(kernels::Op::Experts, c.gateUp));
    const int64_t X = c.experts;
    Quantized router = quantizedMatrix(c.router, X, kE, 31);
    std::vector<Quantized> gate, up, down;
    for (int64_t e = 0; e < X; ++e) {
        gate.push_back(quantizedMatrix(c.gateUp, kFe, kE, 100 + static_cast<uint32_t>(e)));
        up.push_back(quantizedMatrix(c.gateUp, kFe, kE, 200 + static_cast<uint32_t>(e)));
        down.push_back(quantizedMatrix(c.down, kE, kFe, 300 + static_cast<uint32_t>(e)));
    }
    std::vector<kernels::Matrix> g, u, d;
    for (int64_t e = 0; e < X; ++e) {
        g.push_back(gate[e].m);
        u.push_back(up[e].m);
        d.push_back(down[e].m);
    }
    const kernels::ExpertSet set{&router.m, g, u, d, c.used, c.normalize};
    kernels::ThreadPool pool(2);
    auto cpu = kernels::makeCpuBackend(&pool);
    auto onCpu = cpu->uploadExperts(set);
    auto onDev = dev->uploadExperts(set);
    ASSERT_TRUE(onCpu.has_value()) << onCpu.error();
    ASSERT_TRUE(onDev.has_value()) << onDev.error();
    EXPECT_GT((*onDev)->bytes(), 0u);

    for (int64_t n : {int64_t{1}, int64_t{5}}) {
        std::vector<float> x = randomVector(static_cast<size_t>(n * kE), 41 + static_cast<uint32_t>(n));
        for (float& v : x) v *= 4.0f;  // router logits apart: no near-tie flips between two summation orders
        const std::vector<float> want = runExperts(*cpu, **onCpu, x, n);
        const std::vector<float> got = runExperts(*dev, **onDev, x, n);
        ASSERT_EQ(got.size(), want.size());
        float scale = 0;
        for (float v : want) scale = std::max(scale, std::fabs(v));
        ASSERT_GT(scale, 0.0f);
        // Activations quantized the same way, sums in another order (measured on PoCL:
        // 2e-7 to 5e-7 of the largest output for Q4_0).
        EXPECT_LT(maxAbsDiff(got, want) / scale, 1e-3f) << "tokens " << n;
        // Accumulated (a layer's residual sum): the same bits as adding the output after.
        const std::vector<float> residual = randomVector(static_cast<size_t>(n * kE), 77 + static_cast<uint32_t>(n));
        for (auto [be, w, plain, side] : {std::tuple{cpu.get(), onCpu->get(), &want, "cpu"},
                                          std::tuple{dev.get(), onDev->get(), &got, "device"}}) {
            const std::vector<float> sum = runExperts(*be, *w, x, n, &residual);
            ASSERT_EQ(sum.size(), residual.size());
            for (size_t i = 0; i < sum.size(); ++i)
                ASSERT_EQ(sum[i], residual[i] + (*plain)[i]) << side << ", tokens " << n << ", at " << i;
        }
    }
}

constexpr bool kNorm = true;
INSTANTIATE_TEST_SUITE_P(
    Types, DeviceExperts,
    ::testing::Values(ExpertCase{GgmlType::F32, GgmlType::F32, GgmlType::F32, kNorm},
                      ExpertCase{GgmlType::F16, GgmlType::F16, GgmlType::F32, kNorm},
                      ExpertCase{GgmlType::BF16, GgmlType::BF16, GgmlType::F32, kNorm},
                      ExpertCase{GgmlType::Q4_0, GgmlType::Q4_0, GgmlType::F32, kNorm},
                      ExpertCase{GgmlType::Q4_0, GgmlType::Q4_0, GgmlType::F32, !kNorm},
                      ExpertCase{GgmlType::Q4_0, GgmlType::Q4_0, GgmlType::F32, kNorm, 130, 8},
                      ExpertCase{GgmlType::Q4_1, GgmlType::Q8_0, GgmlType::Q8_0, kNorm},
                      ExpertCase{GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::F32, kNorm},
                      ExpertCase{GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::F16, kNorm},
                      ExpertCase{GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::F32, kNorm},
                      ExpertCase{GgmlType::Q4_K, GgmlType::Q6_K, GgmlType::F32, kNorm},
                      ExpertCase{GgmlType::Q5_K, GgmlType::Q4_K, GgmlType::F32, kNorm},
                      ExpertCase{GgmlType::IQ4_NL, GgmlType::IQ4_XS, GgmlType::F32, kNorm},
                      ExpertCase{GgmlType::TQ1_0, GgmlType::TQ2_0, GgmlType::F32, kNorm}),
    caseName);

}  // namespace
