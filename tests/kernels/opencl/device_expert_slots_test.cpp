// A hot-expert cache's ops (Backend::routeExperts, uploadExpertSlots, expertsChosen,
// replaceExpertSlot): a token's experts split between slots on the OpenCL device and
// the CPU, both parts added, against the CPU backend's whole experts op; the same after
// slots are replaced. Per expert weight type the cache is likely to hold. Label gpu
// (PoCL in CI).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

#include "../backend_scenario.h"
#include "kernels/device_list.h"
#include "kernels/opencl_backend.h"
#include "kernels/thread_pool.h"
#include "shared_data.h"

namespace {

using namespace kernels_test;
using kernels::ExpertChoice;
using kernels::GgmlType;

constexpr int64_t kE = 256, kFe = 256, kX = 8, kUsed = 3;

std::unique_ptr<kernels::Backend> openDevice() {
    std::string id;
    if (const char* e = std::getenv("ASSISTANT_TEST_OPENCL_DEVICE"); e && *e) id = e;
    else if (auto devices = kernels::openclDevices(); !devices.empty()) id = devices.front().id;
    if (id.empty()) return nullptr;
    auto cl = kernels::opencl::Backend::create(id);
    if (!cl) return nullptr;
    return kernels::opencl::makeDeviceBackend(std::shared_ptr<kernels::opencl::Backend>(std::move(*cl)));
}

std::vector<float> readAll(kernels::Backend& be, const kernels::DeviceBuffer& b, size_t floats) {
    std::vector<float> v(floats);
    be.read(b, 0, v.data(), floats * 4);
    return v;
}

struct SlotCase {
    GgmlType gateUp, down;
};

class DeviceExpertSlots : public ::testing::TestWithParam<SlotCase> {};

TEST_P(DeviceExpertSlots, SplitWithTheCpuMatchesTheCpuBackend) {
    auto dev = openDevice();
    if (!dev) {
        if (testdata::inCi()) FAIL() << "no OpenCL device (install pocl-opencl-icd)";
        GTEST_SKIP() << "no OpenCL device";
    }
    const SlotCase c = GetParam();
    Quantized router = quantizedMatrix(GgmlType::F32, kX, kE, 31);
    std::vector<Quantized> gate, up, down;
    std::vector<kernels::Matrix> g, u, d;
    for (int64_t e = 0; e < kX; ++e) {
        gate.push_back(quantizedMatrix(c.gateUp, kFe, kE, 100 + static_cast<uint32_t>(e)));
        up.push_back(quantizedMatrix(c.gateUp, kFe, kE, 200 + static_cast<uint32_t>(e)));
        down.push_back(quantizedMatrix(c.down, kE, kFe, 300 + static_cast<uint32_t>(e)));
    }
    for (int64_t e = 0; e < kX; ++e) {
        g.push_back(gate[e].m);
        u.push_back(up[e].m);
        d.push_back(down[e].m);
    }
    const kernels::ExpertSet set{&router.m, g, u, d, kUsed, true};
    kernels::ThreadPool pool(2);
    auto cpu = kernels::makeCpuBackend(&pool);
    auto all = cpu->uploadExperts(set);
    ASSERT_TRUE(all.has_value()) << all.error();
    std::vector<int32_t> resident = {1, 4, 6};  // slot i: expert resident[i]
    auto slots = dev->uploadExpertSlots(set, resident);
    ASSERT_TRUE(slots.has_value()) << slots.error();

    for (int round = 0; round < 2; ++round) {
        if (round == 1) {  // slot 1 (expert 4) now holds expert 2, slot 2 (expert 6) expert 7
            for (auto [slot, expert] : {std::pair{1, 2}, {2, 7}}) {
                const int32_t one[] = {expert};
                auto staged = dev->uploadExpertSlots(set, one);
                ASSERT_TRUE(staged.has_value()) << staged.error();
                auto ok = dev->replaceExpertSlot(**slots, slot, **staged);
                ASSERT_TRUE(ok.has_value()) << ok.error();
                resident[slot] = expert;
            }
        }
        for (int64_t n : {int64_t{1}, int64_t{6}}) {
            std::vector<float> x = randomVector(static_cast<size_t>(n * kE), 41 + static_cast<uint32_t>(n));
            for (float& v : x) v *= 4.0f;  // router logits apart
            const size_t floats = static_cast<size_t>(n * kE);
            auto xc = cpu->upload(std::span<const float>(x)), xd = dev->upload(std::span<const float>(x));
            auto wantB = cpu->alloc(floats * 4), hostB = cpu->alloc(floats * 4), devB = dev->alloc(floats * 4);
            ASSERT_TRUE(xc && xd && wantB && hostB && devB);
            cpu->experts(**all, **xc, n, **wantB);
            const std::vector<float> want = readAll(*cpu, **wantB, floats);

            // The split: cached experts by slot on the device (-1 pads), the rest on the CPU.
            std::vector<ExpertChoice> choice(static_cast<size_t>(n * kUsed));
            cpu->routeExperts(**all, **xc, n, choice);
            std::vector<ExpertChoice> onDev(static_cast<size_t>(n * kUsed), ExpertChoice{-1, 0.0f}), onHost = choice;
            int hits = 0;
            for (int64_t i = 0; i < n * kUsed; ++i) {
                auto at = std::find(resident.begin(), resident.end(), choice[i].expert);
                if (at == resident.end()) continue;
                onDev[i] = ExpertChoice{static_cast<int32_t>(at - resident.begin()), choice[i].weight};
                onHost[i].expert = -1;
                ++hits;
            }
            ASSERT_GT(hits, 0) << "the case must put some experts on the device";
            ASSERT_LT(hits, n * kUsed) << "and some on the CPU";
            dev->expertsChosen(**slots, **xd, n, onDev, kUsed, **devB);
            cpu->expertsChosen(**all, **xc, n, onHost, kUsed, **hostB);
            std::vector<float> got = readAll(*dev, **devB, floats);
            const std::vector<float> host = readAll(*cpu, **hostB, floats);
            EXPECT_EQ(dev->takeError(), "");
            for (size_t i = 0; i < floats; ++i) got[i] += host[i];
            float scale = 0, diff = 0;
            for (size_t i = 0; i < floats; ++i) {
                scale = std::max(scale, std::fabs(want[i]));
                diff = std::max(diff, std::fabs(got[i] - want[i]));
            }
            ASSERT_GT(scale, 0.0f);
            EXPECT_LT(diff / scale, 1e-3f) << "round " << round << ", tokens " << n;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Types, DeviceExpertSlots,
                         ::testing::Values(SlotCase{GgmlType::F32, GgmlType::F32}, SlotCase{GgmlType::Q4_0, GgmlType::Q4_0},
                                           SlotCase{GgmlType::Q8_0, GgmlType::Q4_K}),
                         [](const auto& info) {
                             std::string n = std::string(kernels::typeName(info.param.gateUp)) + "_" +
                                             std::string(kernels::typeName(info.param.down));
                             std::replace(n.begin(), n.end(), '-', '_');
                             return n;
                         });

// The CPU's own slots (views) through the same ops give the whole op's result exactly
// when every expert is cached: the CPU side of the cache's interface.
TEST(CpuExpertSlots, AllCachedEqualsTheWholeOp) {
    Quantized router = quantizedMatrix(GgmlType::F32, kX, kE, 31);
    std::vector<Quantized> q;
    std::vector<kernels::Matrix> g, u, d;
    for (int64_t e = 0; e < kX; ++e) q.push_back(quantizedMatrix(GgmlType::Q8_0, kFe, kE, 100 + static_cast<uint32_t>(e)));
    for (int64_t e = 0; e < kX; ++e) q.push_back(quantizedMatrix(GgmlType::Q8_0, kE, kFe, 300 + static_cast<uint32_t>(e)));
    for (int64_t e = 0; e < kX; ++e) {
        g.push_back(q[e].m);
        u.push_back(q[(e + 1) % kX].m);
        d.push_back(q[kX + e].m);
    }
    const kernels::ExpertSet set{&router.m, g, u, d, kUsed, true};
    kernels::ThreadPool pool(2);
    auto cpu = kernels::makeCpuBackend(&pool);
    auto all = cpu->uploadExperts(set);
    std::vector<int32_t> order = {7, 6, 5, 4, 3, 2, 1, 0};  // slot s: expert 7 - s
    auto slots = cpu->uploadExpertSlots(set, order);
    ASSERT_TRUE(all && slots);
    const int64_t n = 4;
    const std::vector<float> x = randomVector(static_cast<size_t>(n * kE), 9);
    auto xb = cpu->upload(std::span<const float>(x));
    auto a = cpu->alloc(static_cast<size_t>(n * kE) * 4), b = cpu->alloc(static_cast<size_t>(n * kE) * 4);
    cpu->experts(**all, **xb, n, **a);
    std::vector<ExpertChoice> choice(static_cast<size_t>(n * kUsed));
    cpu->routeExperts(**all, **xb, n, choice);
    for (ExpertChoice& c : choice) c.expert = 7 - c.expert;
    cpu->expertsChosen(**slots, **xb, n, choice, kUsed, **b);
    EXPECT_EQ(readAll(*cpu, **a, static_cast<size_t>(n * kE)), readAll(*cpu, **b, static_cast<size_t>(n * kE)));
}

}  // namespace
