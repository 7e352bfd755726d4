// The CPU backend (kernels/backend.h) against the same layer written with the plain
// ops of ops.h on dense arrays: stacked weights of mixed types, strided outputs,
// accumulation, the SwiGLU input of the down projection, biases, head norms, RoPE's
// q/k scale and the cache; and the experts op against a hand-routed mixture.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>
#include <numeric>

#include "backend_scenario.h"
#include "kernels/ref.h"
#include "kernels/thread_pool.h"

#include "../../kernels/cpu/cpu_backend.h"

namespace {

using namespace kernels_test;
using S = LayerScenario;

// The scenario's layer with dense arrays and the ops of ops.h.
ScenarioOutputs plainLayer(kernels::ThreadPool& pool, const LayerScenario& s) {
    const kernels::AttentionOp op = s.op();
    std::vector<float> x = s.x, cur(S::n * S::E), q(S::n * S::qW), k(S::n * S::kvW), v(S::n * S::kvW);
    std::vector<float> kc = s.history, vc = s.history, attn(S::n * S::qW), tmp(S::n * S::E);
    for (int64_t t = 0; t < S::n; ++t) kernels::rmsNorm(&x[t * S::E], s.norm.data(), S::E, 1e-5f, &cur[t * S::E]);
    kernels::matmul(pool, s.wq.m, cur.data(), S::n, q.data());
    kernels::matmul(pool, s.wk.m, cur.data(), S::n, k.data());
    kernels::matmul(pool, s.wv.m, cur.data(), S::n, v.data());
    kernels::addBias(q.data(), s.bias.data(), S::n, S::qW);
    kernels::addBias(k.data(), s.bias.data() + S::qW, S::n, S::kvW);
    kernels::addBias(v.data(), s.bias.data() + S::qW + S::kvW, S::n, S::kvW);
    kernels::rmsNormGroups(q.data(), s.qNorm.data(), S::n * S::H, S::D, 1e-5f);
    kernels::rmsNormGroups(k.data(), s.kNorm.data(), S::n * S::Hkv, S::D, 1e-5f);
    ScenarioOutputs out;
    out.qkv.resize(S::n * S::ldq);
    for (int64_t t = 0; t < S::n; ++t) {
        kernels::rope(&q[t * S::qW], S::H, S::D, S::pos0 + t, op.rope);
        kernels::rope(&k[t * S::kvW], S::Hkv, S::D, S::pos0 + t, op.rope);
        kernels::scale(&q[t * S::qW], S::qW, op.qkScale);
        kernels::scale(&k[t * S::kvW], S::kvW, op.qkScale);
        std::copy_n(&k[t * S::kvW], S::kvW, &kc[(S::pos0 + t) * S::kvW]);
        std::copy_n(&v[t * S::kvW], S::kvW, &vc[(S::pos0 + t) * S::kvW]);
        std::copy_n(&q[t * S::qW], S::qW, &out.qkv[t * S::ldq]);
        std::copy_n(&k[t * S::kvW], S::kvW, &out.qkv[t * S::ldq + S::qW]);
        std::copy_n(&v[t * S::kvW], S::kvW, &out.qkv[t * S::ldq + S::qW + S::kvW]);
    }
    kernels::attention(pool, q.data(), S::n, S::pos0, kc.data(), vc.data(), op.kvType, op.shape, attn.data());
    kernels::matmul(pool, s.wo.m, attn.data(), S::n, tmp.data());
    kernels::addInPlace(x.data(), tmp.data(), S::n * S::E);
    for (int64_t t = 0; t < S::n; ++t) kernels::rmsNorm(&x[t * S::E], s.norm.data(), S::E, 1e-5f, &cur[t * S::E]);
    std::vector<float> g(S::n * S::F), u(S::n * S::F);
    kernels::matmul(pool, s.gate.m, cur.data(), S::n, g.data());
    kernels::matmul(pool, s.up.m, cur.data(), S::n, u.data());
    kernels::swiglu(g.data(), u.data(), S::n * S::F, g.data());
    kernels::matmul(pool, s.down.m, g.data(), S::n, tmp.data());
    kernels::addInPlace(x.data(), tmp.data(), S::n * S::E);
    out.x = x;
    out.kCache = kc;
    return out;
}

TEST(CpuBackend, LayerOpsMatchThePlainOps) {
    kernels::ThreadPool pool(2);
    const LayerScenario s;
    auto be = kernels::makeCpuBackend(&pool);
    EXPECT_TRUE(be->isHost());
    const ScenarioOutputs got = runScenario(*be, s), want = plainLayer(pool, s);
    // The same kernels in the same order: equal up to the thread split of the sums.
    EXPECT_LT(maxAbsDiff(got.qkv, want.qkv), 1e-5f);
    EXPECT_LT(maxAbsDiff(got.kCache, want.kCache), 1e-5f);
    EXPECT_LT(maxAbsDiff(got.x, want.x), 1e-4f);
    // A cache row before pos0 is untouched.
    EXPECT_EQ(got.kCache[0], s.history[0]);
}

TEST(CpuBackend, ExpertsMatchAHandRoutedMixture) {
    constexpr int64_t E = 64, Fe = 32, X = 4, K = 2;
    kernels::ThreadPool pool(2);
    Quantized router = quantizedMatrix(kernels::GgmlType::F32, X, E, 40);
    std::vector<Quantized> gq, uq, dq;
    std::vector<kernels::Matrix> gate, up, down;
    for (int64_t e = 0; e < X; ++e) {
        gq.push_back(quantizedMatrix(kernels::GgmlType::Q8_0, Fe, E, 50 + e));
        uq.push_back(quantizedMatrix(kernels::GgmlType::Q8_0, Fe, E, 60 + e));
        dq.push_back(quantizedMatrix(kernels::GgmlType::Q8_0, E, Fe, 70 + e));
    }
    for (int64_t e = 0; e < X; ++e) {
        gate.push_back(gq[e].m);
        up.push_back(uq[e].m);
        down.push_back(dq[e].m);
    }
    auto be = kernels::makeCpuBackend(&pool);
    auto w = be->uploadExperts(kernels::ExpertSet{&router.m, gate, up, down, K, true});
    ASSERT_TRUE(w.has_value());
    for (int64_t n : {1, 5}) {
        const std::vector<float> x = randomVector(n * E, 80 + n);
        auto xb = be->upload(std::span<const float>(x));
        auto ob = be->alloc(n * E * 4);
        ASSERT_TRUE(xb && ob);
        be->experts(**w, **xb, n, **ob);
        std::vector<float> got(n * E);
        be->read(**ob, 0, got.data(), got.size() * 4);
        for (int64_t t = 0; t < n; ++t) {
            // softmax over the router's logits, the top K renormalized
            std::vector<float> logits(X), g(Fe), u(Fe), y(E), want(E, 0.0f);
            kernels::matmul(pool, router.m, &x[t * E], 1, logits.data());
            std::vector<int> order(X);
            std::iota(order.begin(), order.end(), 0);
            std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return logits[a] > logits[b]; });
            float top = 0;
            for (int k = 0; k < K; ++k) top += std::exp(logits[order[k]] - logits[order[0]]);
            for (int k = 0; k < K; ++k) {
                const int e = order[k];
                const float weight = std::exp(logits[e] - logits[order[0]]) / top;
                kernels::matmul(pool, gate[e], &x[t * E], 1, g.data());
                kernels::matmul(pool, up[e], &x[t * E], 1, u.data());
                kernels::swiglu(g.data(), u.data(), Fe, g.data());
                kernels::matmul(pool, down[e], g.data(), 1, y.data());
                for (int64_t i = 0; i < E; ++i) want[i] += weight * y[i];
            }
            for (int64_t i = 0; i < E; ++i) EXPECT_NEAR(got[t * E + i], want[i], 1e-3f * (1 + std::fabs(want[i])))
                << "n " << n << " token " << t << " value " << i;
        }
    }
}

// A batch of tokens through the experts (prefill: grouped by expert, inputs quantized
// once and gathered) gives each token, bit for bit, what it gets alone (decode: its
// chosen experts one by one): else a greedy run would depend on how a prompt is split.
TEST(CpuBackend, ExpertsOnABatchGiveEachTokenItsOneTokenBits) {
    constexpr int64_t E = 256, Fe = 64, X = 8, K = 3, n = 13;
    kernels::ThreadPool pool(2);
    Quantized router = quantizedMatrix(kernels::GgmlType::F32, X, E, 140);
    std::vector<Quantized> q;
    std::vector<kernels::Matrix> gate, up, down;
    for (int64_t e = 0; e < X; ++e) {
        q.push_back(quantizedMatrix(kernels::GgmlType::Q4_0, Fe, E, 150 + e));
        q.push_back(quantizedMatrix(kernels::GgmlType::Q4_0, Fe, E, 160 + e));
        q.push_back(quantizedMatrix(kernels::GgmlType::Q8_0, E, Fe, 170 + e));
    }
    for (int64_t e = 0; e < X; ++e) {
        for (int i = 0; i < 3; ++i) kernels::repackForCpu(q[3 * e + i].m);  // the loader's layout
        gate.push_back(q[3 * e].m);
        up.push_back(q[3 * e + 1].m);
        down.push_back(q[3 * e + 2].m);
    }
    auto be = kernels::makeCpuBackend(&pool);
    auto w = be->uploadExperts(kernels::ExpertSet{&router.m, gate, up, down, K, true});
    ASSERT_TRUE(w.has_value());
    const std::vector<float> x = randomVector(n * E, 180);
    auto run = [&](const float* in, int64_t tokens) {
        auto xb = be->upload(std::span<const float>(in, static_cast<size_t>(tokens * E)));
        auto ob = be->alloc(tokens * E * 4);
        EXPECT_TRUE(xb && ob);
        be->experts(**w, **xb, tokens, **ob);
        std::vector<float> got(tokens * E);
        be->read(**ob, 0, got.data(), got.size() * 4);
        return got;
    };
    const std::vector<float> batch = run(x.data(), n);
    for (int64_t t = 0; t < n; ++t) {
        const std::vector<float> one = run(&x[t * E], 1);
        EXPECT_EQ(0, std::memcmp(one.data(), &batch[t * E], E * sizeof(float))) << "token " << t;
    }
}

// forPieces cuts each row into non-empty pieces of whole 8-float vectors that cover it
// once. On 16 threads, one row of 1,378,560 values (1,795 expert rows of 768: an experts
// batch beside a hot-expert cache) was cut into steps of 1,025, and the last piece began
// past the row's end: the vector SwiGLU took its negative length for a huge memcpy.
TEST(CpuBackend, ForPiecesCoversEachRowOnceWithNoEmptyPiece) {
    for (int threads : {2, 16}) {
        kernels::ThreadPool pool(threads);
        for (int64_t tokens : {int64_t{1}, int64_t{3}, int64_t{16}, int64_t{20}}) {
            for (int64_t width : {int64_t{1}, int64_t{7}, int64_t{8}, int64_t{1000}, int64_t{5632}, int64_t{79872},
                                  int64_t{1378560}, int64_t{1378561}}) {
                std::mutex mutex;
                std::vector<std::vector<std::pair<int64_t, int64_t>>> seen(static_cast<size_t>(tokens));
                kernels::cpu::forPieces(pool, tokens, width, [&](int64_t t, int64_t b, int64_t e) {
                    std::lock_guard lock(mutex);
                    seen[static_cast<size_t>(t)].emplace_back(b, e);
                });
                for (int64_t t = 0; t < tokens; ++t) {
                    auto& pieces = seen[static_cast<size_t>(t)];
                    std::sort(pieces.begin(), pieces.end());
                    int64_t at = 0;
                    for (const auto& [b, e] : pieces) {
                        ASSERT_EQ(b, at) << threads << " threads, width " << width << ", token " << t;
                        ASSERT_LT(b, e) << threads << " threads, width " << width << ", token " << t;
                        EXPECT_EQ(b % 8, 0) << width;
                        at = e;
                    }
                    EXPECT_EQ(at, width) << threads << " threads, width " << width << ", token " << t;
                }
            }
        }
    }
}

TEST(CpuBackend, CopiesBetweenHostBuffers) {
    kernels::ThreadPool pool(1);
    auto a = kernels::makeCpuBackend(&pool), b = kernels::makeCpuBackend(&pool);
    const std::vector<float> v = {1, 2, 3, 4};
    auto src = a->upload(std::span<const float>(v));
    auto dst = b->alloc(16);
    ASSERT_TRUE(src && dst);
    kernels::copyBetween(*a, **src, *b, **dst, 16);
    std::vector<float> got(4);
    b->read(**dst, 0, got.data(), 16);
    EXPECT_EQ(got, v);
    float external[4] = {};
    auto view = kernels::wrapHostMemory(external, sizeof external);
    b->write(*view, 4, &v[1], 8);
    EXPECT_EQ(external[1], 2.0f);
    EXPECT_EQ(external[2], 3.0f);
}

TEST(CpuBackend, CopiesRowsWithinAndBetweenBuffers) {
    kernels::ThreadPool pool(1);
    auto be = kernels::makeCpuBackend(&pool);
    const std::vector<float> v = {1, 2, 3, 4, 5, 6};
    auto a = be->upload(std::span<const float>(v));
    auto b = be->alloc(24);
    ASSERT_TRUE(a && b);
    be->copy(**a, 8, **b, 4, 12);  // 3, 4, 5 to b[1..3]
    std::vector<float> got(6);
    be->read(**b, 0, got.data(), 24);
    EXPECT_EQ(got, (std::vector<float>{0, 3, 4, 5, 0, 0}));
    be->copy(**a, 0, **a, 8, 16);  // overlapping, within one buffer
    be->read(**a, 0, got.data(), 24);
    EXPECT_EQ(got, (std::vector<float>{1, 2, 1, 2, 3, 4}));
}

// Shifted cache rows are what RoPE + store writes at the new positions: keys rotated
// by the shift (within rounding of the cache type), values moved as they are.
TEST(CpuBackend, ShiftedKvRowsAreTheRowsStoredAtTheirNewPositions) {
    kernels::ThreadPool pool(1);
    auto be = kernels::makeCpuBackend(&pool);
    const int64_t Hkv = 2, D = 32, kvW = Hkv * D, rows = 12, from = 7, to = 3, count = 5;
    for (kernels::GgmlType type : {kernels::GgmlType::F32, kernels::GgmlType::F16, kernels::GgmlType::Q8_0}) {
        kernels::AttentionOp op;
        op.heads = 4;
        op.headsKv = Hkv;
        op.headDim = D;
        op.rope.dims = D;
        op.rope.freqBase = 10000.0f;
        op.rope.neox = type == kernels::GgmlType::F16;
        op.kvType = type;
        const size_t rowBytes = kernels::rowBytes(type, kvW);
        std::vector<float> raw = kernels_test::randomVector(rows * kvW, 7);
        std::vector<uint8_t> k(rows * rowBytes), v(rows * rowBytes), want(rows * rowBytes);
        for (int64_t r = 0; r < rows; ++r) {  // row r: key at position r, value as it is
            std::vector<float> key(raw.begin() + r * kvW, raw.begin() + (r + 1) * kvW);
            kernels::rope(key.data(), Hkv, D, r, op.rope);
            kernels::storeRow(type, key.data(), kvW, &k[r * rowBytes]);
            kernels::storeRow(type, &raw[r * kvW], kvW, &v[r * rowBytes]);
        }
        for (int64_t r = from; r < from + count; ++r) {  // the key of row r stored at position r - 4
            std::vector<float> key(raw.begin() + r * kvW, raw.begin() + (r + 1) * kvW);
            kernels::rope(key.data(), Hkv, D, r - (from - to), op.rope);
            kernels::storeRow(type, key.data(), kvW, &want[(r - (from - to)) * rowBytes]);
        }
        const std::vector<uint8_t> vBefore = v;
        auto kb = kernels::wrapHostMemory(k.data(), k.size()), vb = kernels::wrapHostMemory(v.data(), v.size());
        be->shiftKv(op, *kb, *vb, from, to, count);
        const float tol = type == kernels::GgmlType::F32 ? 1e-5f : type == kernels::GgmlType::F16 ? 4e-3f : 4e-2f;
        std::vector<float> got(kvW), exp(kvW);
        for (int64_t r = to; r < to + count; ++r) {
            kernels::ref::dequantizeRow(type, &k[r * rowBytes], got.data(), kvW);
            kernels::ref::dequantizeRow(type, &want[r * rowBytes], exp.data(), kvW);
            for (int64_t i = 0; i < kvW; ++i) EXPECT_NEAR(got[i], exp[i], tol) << kernels::typeName(type) << " row " << r;
            EXPECT_TRUE(std::equal(&v[r * rowBytes], &v[(r + 1) * rowBytes], &vBefore[(r + from - to) * rowBytes]))
                << kernels::typeName(type) << " value row " << r;
        }
    }
}

}  // namespace
