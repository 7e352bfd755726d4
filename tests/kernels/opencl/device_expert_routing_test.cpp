// Decode's routing inside the fused gate/up launch (cl/experts.cl moe_gateup with
// logits) against the separate moe_route launch: one token routed in the gate/up launch
// (no moe_route enqueued) gives the same expert ids and weights, bit for bit, and the
// same output as that token inside a two-token call (routed by moe_route, whose router
// logits and products are the same kernels). Router rows 2 and 5 are equal and larger:
// a tie in the top K, lower id first. Label gpu (PoCL in CI).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "../backend_scenario.h"
#include "kernels/device_list.h"
#include "kernels/opencl_backend.h"
#include "shared_data.h"

namespace {

using namespace kernels_test;
using kernels::GgmlType;
namespace cl = kernels::opencl;

constexpr int64_t kE = 256, kFe = 64;

struct RoutingCase {
    int64_t experts, used;
    bool normalize;
};

std::unique_ptr<cl::Backend> openProfiled() {
    std::string id;
    if (const char* e = std::getenv("ASSISTANT_TEST_OPENCL_DEVICE"); e && *e) id = e;
    else if (auto devices = kernels::openclDevices(); !devices.empty()) id = devices.front().id;
    if (id.empty()) return nullptr;
    auto be = cl::Backend::create(id, true);
    return be ? std::move(*be) : nullptr;
}

int64_t callsOf(const std::vector<cl::KernelStat>& stats, const std::string& name) {
    for (const cl::KernelStat& s : stats)
        if (s.name == name) return s.calls;
    return 0;
}

cl::Weight uploadStack(cl::Backend& be, const std::vector<Quantized>& parts) {
    std::vector<const kernels::Matrix*> m;
    for (const Quantized& q : parts) m.push_back(&q.m);
    auto w = be.upload(m);
    EXPECT_TRUE(w.has_value()) << (w ? "" : w.error());
    return w ? std::move(*w) : cl::Weight{};
}

struct Routed {
    std::vector<int32_t> ids;
    std::vector<float> weights, out;
};

// experts() of the tokens x [n][kE]: the ids / weights it left in the scratch and out.
Routed run(cl::Backend& be, const cl::ExpertWeights& w, const std::vector<float>& x, int64_t n) {
    Routed r;
    cl::ExpertScratch s;
    auto in = be.uploadFloats(x);
    auto out = be.alloc(static_cast<size_t>(n * kE) * 4);
    EXPECT_TRUE(in && out);
    if (!in || !out) return r;
    be.experts(w, *in, n, *out, s);
    const size_t slots = static_cast<size_t>(n * w.used);
    r.ids.resize(slots);
    r.weights.resize(slots);
    r.out.resize(static_cast<size_t>(n * kE));
    be.read(s.ids, 0, r.ids.data(), slots * 4);
    be.read(s.weights, 0, r.weights.data(), slots * 4);
    be.read(*out, 0, r.out.data(), r.out.size() * 4);
    EXPECT_EQ(be.takeError(), "");
    return r;
}

class DeviceExpertRouting : public ::testing::TestWithParam<RoutingCase> {};

TEST_P(DeviceExpertRouting, InTheGateUpLaunchIsMoeRoutes) {
    auto be = openProfiled();
    if (!be) {
        if (testdata::inCi()) FAIL() << "no OpenCL device (install pocl-opencl-icd)";
        GTEST_SKIP() << "no OpenCL device";
    }
    const RoutingCase c = GetParam();
    const int64_t X = c.experts, K = c.used;
    // Logits of about unit spread, rows 2 and 5 (equal) at about 5: a tie at the top.
    std::vector<float> x = randomVector(static_cast<size_t>(kE), 41);
    for (float& v : x) v /= 16.0f;
    float xx = 0;
    for (float v : x) xx += v * v;
    // F32 router: moe_router_f32 gives each token's logits the same bits for 1 or 2 tokens.
    std::vector<float> router = randomVector(static_cast<size_t>(X * kE), 31);
    for (int64_t i = 0; i < kE; ++i) router[static_cast<size_t>(2 * kE + i)] = x[static_cast<size_t>(i)] * 5.0f / xx;
    std::copy_n(router.begin() + 2 * kE, kE, router.begin() + 5 * kE);
    const Quantized routerM{kernels::Matrix{GgmlType::F32, router.data(), X, kE}, {}};
    std::vector<Quantized> gate, up, down;
    for (int64_t e = 0; e < X; ++e) {
        gate.push_back(quantizedMatrix(GgmlType::Q4_0, kFe, kE, 100 + static_cast<uint32_t>(e)));
        up.push_back(quantizedMatrix(GgmlType::Q4_0, kFe, kE, 200 + static_cast<uint32_t>(e)));
        down.push_back(quantizedMatrix(GgmlType::Q4_0, kE, kFe, 300 + static_cast<uint32_t>(e)));
    }
    cl::ExpertWeights w;
    w.router = uploadStack(*be, {routerM});
    w.gate = uploadStack(*be, gate);
    w.up = uploadStack(*be, up);
    w.down = uploadStack(*be, down);
    w.used = K;
    w.normalize = c.normalize;
    ASSERT_EQ(be->takeError(), "");

    std::vector<float> x2 = x;
    x2.insert(x2.end(), x.begin(), x.end());  // the same token twice: routed by moe_route
    be->takeStats();
    const Routed one = run(*be, w, x, 1);
    const std::vector<cl::KernelStat> oneStats = be->takeStats();
    const Routed two = run(*be, w, x2, 2);
    const std::vector<cl::KernelStat> twoStats = be->takeStats();

    EXPECT_EQ(callsOf(oneStats, "moe_route"), 0) << "decode routes inside the gate/up launch";
    EXPECT_EQ(callsOf(oneStats, "moe_gateup_q4_0"), 1);
    EXPECT_EQ(callsOf(twoStats, "moe_route"), 1);
    ASSERT_EQ(one.ids.size(), static_cast<size_t>(K));
    ASSERT_EQ(two.ids.size(), static_cast<size_t>(2 * K));
    for (int64_t k = 0; k < K; ++k) {
        EXPECT_EQ(one.ids[k], two.ids[k]) << "slot " << k;
        EXPECT_EQ(one.weights[k], two.weights[k]) << "slot " << k;  // bits: same softmax, sum and order
    }
    // The tie: both equal rows chosen, lower id first, same weight.
    const auto at = [&](int32_t id) { return std::find(one.ids.begin(), one.ids.end(), id) - one.ids.begin(); };
    ASSERT_LT(at(2), K);
    ASSERT_EQ(at(5), at(2) + 1);
    EXPECT_EQ(one.weights[at(2)], one.weights[at(5)]);
    for (int64_t i = 0; i < kE; ++i) ASSERT_EQ(one.out[i], two.out[i]) << "at " << i;
}

INSTANTIATE_TEST_SUITE_P(Shapes, DeviceExpertRouting,
                         ::testing::Values(RoutingCase{8, 3, true}, RoutingCase{130, 8, true},
                                           RoutingCase{128, 8, false}, RoutingCase{512, 64, true}),
                         [](const ::testing::TestParamInfo<RoutingCase>& i) {
                             return std::to_string(i.param.experts) + "x" + std::to_string(i.param.used) +
                                    (i.param.normalize ? "" : "_softmax");
                         });

}  // namespace
