// The OpenCL device behind kernels/backend.h against the CPU backend on the same layer
// of ops (backend_scenario.h): stacked weights of mixed types (uploaded apart on the
// device), biases, per-head norms, RoPE with a q/k scale, attention over cached rows,
// accumulation and the fused SwiGLU input. Label gpu (PoCL in CI).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <tuple>
#include <vector>

#include "../backend_scenario.h"
#include "kernels/device_list.h"
#include "kernels/opencl_backend.h"
#include "kernels/ops.h"
#include "kernels/ref.h"
#include "../random_weights.h"
#include "kernels/thread_pool.h"
#include "device_under_test.h"
#include "shared_data.h"

namespace {

using namespace kernels_test;


TEST(DeviceBackend, LayerOpsMatchTheCpuBackend) {
    REQUIRE_DEVICE(dev);
    EXPECT_FALSE(dev->isHost());
    EXPECT_TRUE(dev->supports(kernels::Op::Experts, kernels::GgmlType::Q8_0));
    EXPECT_TRUE(dev->supports(kernels::Op::Attention, kernels::GgmlType::Q8_0));
    EXPECT_TRUE(dev->supports(kernels::Op::Attention, kernels::GgmlType::Q4_0));
    EXPECT_TRUE(dev->supports(kernels::Op::ShiftKv, kernels::GgmlType::F16));
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

// The q and k head norms of a qkv row in one launch: the bits of rmsNormHeads on each
// (qwen3's per-head norms: one launch a layer fewer), on the device and on the CPU
// backend (its default runs the two).
TEST(DeviceBackend, QkHeadNormsInOneLaunchAreTheTwoNorms) {
    REQUIRE_DEVICE(dev);
    kernels::ThreadPool pool(1);
    auto cpu = kernels::makeCpuBackend(&pool);
    const int64_t n = 3, H = 6, Hkv = 2, D = 80, ldq = (H + 2 * Hkv) * D;
    const std::vector<float> qkv = randomVector(static_cast<size_t>(n * ldq), 5);
    const std::vector<float> wq = randomVector(D, 6), wk = randomVector(D, 7);
    for (kernels::Backend* be : {dev.get(), cpu.get()}) {
        auto a = be->upload(std::span<const float>(qkv));
        auto b = be->upload(std::span<const float>(qkv));
        auto q = be->upload(std::span<const float>(wq));
        auto k = be->upload(std::span<const float>(wk));
        ASSERT_TRUE(a && b && q && k);
        be->rmsNormQkHeads(**a, ldq, n, H, Hkv, D, **q, **k, 1e-6f);
        be->rmsNormHeads(**b, ldq, 0, n, H, D, **q, 1e-6f);
        be->rmsNormHeads(**b, ldq, H * D, n, Hkv, D, **k, 1e-6f);
        std::vector<float> one(qkv.size()), two(qkv.size());
        be->read(**a, 0, one.data(), one.size() * 4);
        be->read(**b, 0, two.data(), two.size() * 4);
        EXPECT_EQ(be->takeError(), "");
        for (size_t i = 0; i < one.size(); ++i) ASSERT_EQ(one[i], two[i]) << be->name() << " at " << i;
        int64_t changed = 0;  // q and k normalized, v left alone
        for (int64_t t = 0; t < n; ++t)
            for (int64_t i = 0; i < ldq; ++i) {
                const size_t at = static_cast<size_t>(t * ldq + i);
                if (i >= (H + Hkv) * D) ASSERT_EQ(one[at], qkv[at]) << be->name() << ": v at " << i;
                else changed += one[at] != qkv[at];
            }
        EXPECT_GT(changed, n * (H + Hkv) * D * 9 / 10) << be->name();
    }
}

// Qwen3's head norms inside the RoPE and cache-store launch (normRopeStoreKv: one
// launch a layer fewer on the device) are rmsNormQkHeads then ropeStoreKv, bit for bit:
// the rotated q, k and v in qkv and the cache rows, per cache type, interleaved and NeoX
// RoPE, a partial rotation, a head width above the work-group's 64 pairs. On the CPU
// backend (its default runs the two) as on the device.
TEST(DeviceBackend, QkHeadNormsInTheRopeLaunchAreNormThenRope) {
    REQUIRE_DEVICE(dev);
    kernels::ThreadPool pool(1);
    auto cpu = kernels::makeCpuBackend(&pool);
    const int64_t n = 3, pos0 = 5, rows = pos0 + n;
    for (const auto& [type, D, dims, neox] :
         {std::tuple{kernels::GgmlType::F32, int64_t{128}, 128, true}, std::tuple{kernels::GgmlType::F16, int64_t{64}, 32, false},
          std::tuple{kernels::GgmlType::Q8_0, int64_t{256}, 256, true}, std::tuple{kernels::GgmlType::Q4_0, int64_t{80}, 80, false}}) {
        kernels::AttentionOp op;
        op.heads = 6;
        op.headsKv = 2;
        op.headDim = D;
        op.rope.dims = dims;
        op.rope.freqBase = 10000.0f;
        op.rope.neox = neox;
        op.kvType = type;
        op.qkScale = 0.5f;
        const int64_t ldq = (op.heads + 2 * op.headsKv) * D, kvW = op.headsKv * D;
        const size_t cacheBytes = kernels::rowBytes(type, kvW) * static_cast<size_t>(rows);
        const std::vector<float> qkv = randomVector(static_cast<size_t>(n * ldq), 5);
        const std::vector<float> wq = randomVector(D, 6), wk = randomVector(D, 7);
        const std::string what = std::string(kernels::typeName(type)) + " D " + std::to_string(D);
        for (kernels::Backend* be : {dev.get(), cpu.get()}) {
            auto rope = be->ropeTable(op.rope);
            auto q = be->upload(std::span<const float>(wq));
            auto k = be->upload(std::span<const float>(wk));
            ASSERT_TRUE(rope && q && k);
            std::vector<float> outQkv[2];
            std::vector<uint8_t> outK[2], outV[2];
            for (int fused = 0; fused < 2; ++fused) {
                auto a = be->upload(std::span<const float>(qkv));
                auto kc = be->alloc(cacheBytes), vc = be->alloc(cacheBytes);
                ASSERT_TRUE(a && kc && vc);
                if (fused) {
                    be->normRopeStoreKv(**a, ldq, n, pos0, op, **rope, **kc, **vc, **q, **k, 1e-6f);
                } else {
                    be->rmsNormQkHeads(**a, ldq, n, op.heads, op.headsKv, D, **q, **k, 1e-6f);
                    be->ropeStoreKv(**a, ldq, n, pos0, op, **rope, **kc, **vc);
                }
                outQkv[fused].resize(qkv.size());
                outK[fused].resize(cacheBytes);
                outV[fused].resize(cacheBytes);
                be->read(**a, 0, outQkv[fused].data(), qkv.size() * 4);
                be->read(**kc, 0, outK[fused].data(), cacheBytes);
                be->read(**vc, 0, outV[fused].data(), cacheBytes);
                ASSERT_EQ(be->takeError(), "") << be->name() << ", " << what;
            }
            const size_t from = kernels::rowBytes(type, kvW) * static_cast<size_t>(pos0);  // rows written
            for (size_t i = 0; i < qkv.size(); ++i)
                ASSERT_EQ(outQkv[1][i], outQkv[0][i]) << be->name() << ", " << what << ": qkv at " << i;
            EXPECT_TRUE(std::equal(outK[1].begin() + from, outK[1].end(), outK[0].begin() + from))
                << be->name() << ", " << what << ": k cache";
            EXPECT_TRUE(std::equal(outV[1].begin() + from, outV[1].end(), outV[0].begin() + from))
                << be->name() << ", " << what << ": v cache";
            int64_t changed = 0;  // the norm and rotation did run
            for (size_t i = 0; i < qkv.size(); ++i) changed += outQkv[1][i] != qkv[i];
            EXPECT_GT(changed, n * (op.heads + op.headsKv) * D * 9 / 10) << be->name() << ", " << what;
        }
    }
}

// A decode step's attention: over one key range the split writes the row and its Q8_0
// quantization itself (no merge launch; PoCL's few compute units take this path), over
// several the merge does; either way the row and the Q8_0 output projection that reads
// the quantization are the CPU backend's, per cache type.
TEST(DeviceBackend, DecodeAttentionInOneOrTwoLaunchesMatchesTheCpuBackend) {
    REQUIRE_DEVICE(dev);
    kernels::ThreadPool pool(1);
    auto cpu = kernels::makeCpuBackend(&pool);
    const int64_t H = 2, Hkv = 1, D = 64, qW = H * D, kvW = Hkv * D, ldq = qW + 2 * kvW, E = 96;
    const Quantized wo = quantizedMatrix(kernels::GgmlType::Q8_0, E, qW, 14);
    const std::vector<float> qkv = randomVector(static_cast<size_t>(ldq), 3);
    for (kernels::GgmlType type :
         {kernels::GgmlType::F32, kernels::GgmlType::F16, kernels::GgmlType::Q8_0, kernels::GgmlType::Q4_0})
        for (int64_t kvLen : {int64_t{40}, int64_t{300}}) {  // one range; several where the device has the units
            kernels::AttentionOp op;
            op.heads = H;
            op.headsKv = Hkv;
            op.headDim = D;
            op.shape = {H, Hkv, D, 0.125f};
            op.kvType = type;
            const size_t rowBytes = kernels::rowBytes(type, kvW);
            const std::vector<float> raw = randomVector(static_cast<size_t>(kvLen * kvW), 9);
            std::vector<uint8_t> cache(static_cast<size_t>(kvLen) * rowBytes);
            for (int64_t r = 0; r < kvLen; ++r) kernels::storeRow(type, &raw[r * kvW], kvW, &cache[r * rowBytes]);
            std::vector<float> attn[2], y[2];
            int side = 0;
            for (kernels::Backend* be : {dev.get(), cpu.get()}) {
                auto q = be->upload(std::span<const float>(qkv));
                auto kc = be->alloc(cache.size()), vc = be->alloc(cache.size());
                auto out = be->alloc(qW * 4), proj = be->alloc(E * 4);
                const kernels::Matrix* woPart[] = {&wo.m};
                auto w = be->upload(std::span<const kernels::Matrix* const>(woPart));
                ASSERT_TRUE(q && kc && vc && out && proj && w);
                be->write(**kc, 0, cache.data(), cache.size());
                be->write(**vc, 0, cache.data(), cache.size());
                be->attention(**q, ldq, 1, kvLen - 1, op, **kc, **vc, **out);
                be->matmul(**w, **out, qW, 1, **proj, E, 0, false);
                attn[side].resize(qW);
                y[side].resize(E);
                be->read(**out, 0, attn[side].data(), qW * 4);
                be->read(**proj, 0, y[side].data(), E * 4);
                ASSERT_EQ(be->takeError(), "") << be->name();
                ++side;
            }
            const std::string what = std::string(kernels::typeName(type)) + ", " + std::to_string(kvLen) + " keys";
            EXPECT_LT(maxAbsDiff(attn[0], attn[1]), 2e-3f) << what;
            float scale = 0;
            for (float v : y[1]) scale = std::max(scale, std::fabs(v));
            EXPECT_LT(maxAbsDiff(y[0], y[1]), 2e-3f * scale) << what;
        }
}

// The sinks policy's eviction on the device: rows moved to earlier positions with their
// keys re-rotated are what the CPU backend's shift gives (within the cache type's
// rounding: a re-quantized block may land one step apart), values byte for byte, for
// ranges apart and overlapping, interleaved and NeoX RoPE.
TEST(DeviceBackend, ShiftedKvRowsMatchTheCpuBackend) {
    REQUIRE_DEVICE(dev);
    kernels::ThreadPool pool(1);
    auto cpu = kernels::makeCpuBackend(&pool);
    const int64_t Hkv = 2, D = 64, kvW = Hkv * D, rows = 40;
    for (kernels::GgmlType type :
         {kernels::GgmlType::F32, kernels::GgmlType::F16, kernels::GgmlType::Q8_0, kernels::GgmlType::Q4_0})
        for (const auto& [from, to, count] : {std::tuple<int64_t, int64_t, int64_t>{24, 4, 12}, {10, 4, 26}}) {
            kernels::AttentionOp op;
            op.heads = 4;
            op.headsKv = Hkv;
            op.headDim = D;
            op.rope.dims = type == kernels::GgmlType::Q8_0 ? 32 : D;  // a partial rotation once
            op.rope.freqBase = 10000.0f;
            op.rope.neox = type == kernels::GgmlType::F16 || type == kernels::GgmlType::Q4_0;
            op.kvType = type;
            const size_t rowBytes = kernels::rowBytes(type, kvW);
            const std::vector<float> raw = randomVector(rows * kvW, 11);
            std::vector<uint8_t> k(rows * rowBytes), v(rows * rowBytes);
            for (int64_t r = 0; r < rows; ++r) {
                std::vector<float> key(raw.begin() + r * kvW, raw.begin() + (r + 1) * kvW);
                kernels::rope(key.data(), Hkv, D, r, op.rope);
                kernels::storeRow(type, key.data(), kvW, &k[r * rowBytes]);
                kernels::storeRow(type, &raw[((r + 7) % rows) * kvW], kvW, &v[r * rowBytes]);
            }
            // the CPU's shift, in host memory
            std::vector<uint8_t> kCpu = k, vCpu = v;
            auto kh = kernels::wrapHostMemory(kCpu.data(), kCpu.size()), vh = kernels::wrapHostMemory(vCpu.data(), vCpu.size());
            cpu->shiftKv(op, *kh, *vh, from, to, count);
            // the device's
            auto kd = dev->alloc(k.size()), vd = dev->alloc(v.size());
            ASSERT_TRUE(kd && vd);
            dev->write(**kd, 0, k.data(), k.size());
            dev->write(**vd, 0, v.data(), v.size());
            dev->shiftKv(op, **kd, **vd, from, to, count);
            std::vector<uint8_t> kDev(k.size()), vDev(v.size());
            dev->read(**kd, 0, kDev.data(), kDev.size());
            dev->read(**vd, 0, vDev.data(), vDev.size());
            ASSERT_EQ(dev->takeError(), "");
            const std::string what = std::string(kernels::typeName(type)) + " rows " + std::to_string(from) + " -> " +
                                     std::to_string(to) + " x " + std::to_string(count);
            EXPECT_EQ(vDev, vCpu) << what;
            const float tol = type == kernels::GgmlType::F32 ? 1e-4f : type == kernels::GgmlType::F16 ? 4e-3f
                              : type == kernels::GgmlType::Q8_0 ? 3e-2f : 0.35f;
            std::vector<float> got(kvW), want(kvW);
            float worst = 0;
            for (int64_t r = 0; r < rows; ++r) {
                kernels::ref::dequantizeRow(type, &kDev[r * rowBytes], got.data(), kvW);
                kernels::ref::dequantizeRow(type, &kCpu[r * rowBytes], want.data(), kvW);
                for (int64_t i = 0; i < kvW; ++i) worst = std::max(worst, std::fabs(got[i] - want[i]));
            }
            EXPECT_LE(worst, tol) << what;
        }
}

}  // namespace
