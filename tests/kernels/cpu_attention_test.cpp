// The fused attention kernel of every runnable ISA family against a double-precision
// softmax(q.k) v, over F32, F16, Q8_0 and Q4_0 caches: long contexts (several key
// tiles), decode and prefill, grouped-query heads, sliding window, soft cap, and a head
// size that is not a multiple of the quantized block (the slice path).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "kernels/cpu_features.h"
#include "kernels/ops.h"
#include "kernels/ref.h"
#include "kernels/thread_pool.h"

namespace {

std::vector<float> randomVector(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    std::vector<float> v(n);
    for (float& x : v) x = dist(rng);
    return v;
}

std::vector<double> naive(const std::vector<float>& q, const std::vector<float>& k, const std::vector<float>& v,
                          int64_t tokens, int64_t pos0, const kernels::AttentionShape& s) {
    const int64_t qW = s.heads * s.headDim, kvW = s.headsKv * s.headDim, group = s.heads / s.headsKv;
    std::vector<double> out(static_cast<size_t>(tokens * qW), 0.0);
    for (int64_t t = 0; t < tokens; ++t)
        for (int64_t h = 0; h < s.heads; ++h) {
            const int64_t kvh = h / group, pos = pos0 + t;
            const int64_t first = s.window > 0 ? std::max<int64_t>(0, pos - s.window + 1) : 0;
            std::vector<double> w;
            double mx = -1e300, sum = 0;
            for (int64_t j = first; j <= pos; ++j) {
                double d = 0;
                for (int64_t e = 0; e < s.headDim; ++e)
                    d += double(q[t * qW + h * s.headDim + e]) * k[j * kvW + kvh * s.headDim + e];
                d *= s.scale;
                if (s.softCap > 0) d = s.softCap * std::tanh(d / s.softCap);
                w.push_back(d);
                mx = std::max(mx, d);
            }
            for (double& x : w) sum += (x = std::exp(x - mx));
            for (int64_t j = first; j <= pos; ++j)
                for (int64_t e = 0; e < s.headDim; ++e)
                    out[t * qW + h * s.headDim + e] += w[j - first] / sum * v[j * kvW + kvh * s.headDim + e];
        }
    return out;
}

TEST(CpuAttention, FusedKernelMatchesNaiveOnEveryIsa) {
    const kernels::CpuIsa saved = kernels::activeCpuIsa();
    kernels::ThreadPool pool(2);
    struct Case {
        int64_t heads, headsKv, headDim, tokens, pos0, window;
        float cap;
    };
    const Case cases[] = {
        {8, 2, 64, 1, 150, 0, 0.0f},   // decode over 3 key tiles
        {8, 2, 64, 37, 100, 0, 0.0f},  // prefill continuing a cache
        {6, 3, 32, 20, 0, 9, 0.0f},    // sliding window from position 0
        {4, 4, 64, 5, 70, 0, 3.0f},    // soft cap, no grouping
        {4, 2, 80, 9, 40, 0, 0.0f},    // 80-wide heads: Q8_0 slices cross blocks
        // one token (the lane-per-head decode kernel): 8 heads per KV head, odd groups,
        // the first token, a window, a soft cap, 80- and 128-wide heads, more than 8 heads
        {32, 4, 64, 1, 300, 0, 0.0f},
        {14, 2, 64, 1, 77, 0, 0.0f},
        {8, 8, 64, 1, 0, 0, 0.0f},
        {8, 2, 64, 1, 90, 33, 0.0f},
        {8, 4, 32, 1, 50, 0, 5.0f},
        {4, 2, 80, 1, 21, 0, 0.0f},
        {16, 2, 128, 1, 40, 0, 0.0f},
        {32, 2, 64, 1, 40, 0, 0.0f},
    };
    for (int i = 0; i < kernels::kCpuIsaCount; ++i) {
        const auto isa = static_cast<kernels::CpuIsa>(i);
        if (!kernels::setCpuIsa(isa)) continue;
        for (const Case& c : cases)
            for (auto type : {kernels::GgmlType::F32, kernels::GgmlType::F16, kernels::GgmlType::Q8_0,
                              kernels::GgmlType::Q4_0}) {
                kernels::AttentionShape s{c.heads, c.headsKv, c.headDim, 1.0f / std::sqrt(float(c.headDim)), c.window, c.cap};
                const int64_t kvW = s.headsKv * s.headDim, len = c.pos0 + c.tokens;
                const auto q = randomVector(c.tokens * s.heads * s.headDim, 11 + i);
                const auto k = randomVector(len * kvW, 12), v = randomVector(len * kvW, 13);
                const size_t stride = kernels::rowBytes(type, kvW);
                std::vector<uint8_t> kc(stride * len), vc(stride * len);
                std::vector<float> kq(len * kvW), vq(len * kvW);
                for (int64_t r = 0; r < len; ++r) {
                    kernels::storeRow(type, &k[r * kvW], kvW, &kc[r * stride]);
                    kernels::storeRow(type, &v[r * kvW], kvW, &vc[r * stride]);
                    kernels::ref::dequantizeRow(type, &kc[r * stride], &kq[r * kvW], kvW);
                    kernels::ref::dequantizeRow(type, &vc[r * stride], &vq[r * kvW], kvW);
                }
                std::vector<float> out(q.size(), NAN);
                kernels::attention(pool, q.data(), c.tokens, c.pos0, kc.data(), vc.data(), type, s, out.data());
                const auto expect = naive(q, kq, vq, c.tokens, c.pos0, s);
                for (size_t e = 0; e < out.size(); ++e)
                    ASSERT_NEAR(out[e], expect[e], 2e-5)
                        << kernels::cpuIsaName(isa) << " " << kernels::typeName(type) << " heads " << c.heads
                        << " dim " << c.headDim << " tokens " << c.tokens << " pos0 " << c.pos0 << " at " << e;
            }
    }
    kernels::setCpuIsa(saved);
}

}  // namespace
