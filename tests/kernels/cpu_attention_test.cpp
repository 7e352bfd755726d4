// The fused attention kernel of every runnable ISA family against a double-precision
// softmax(q.k) v, over F32, F16, Q8_0 and Q4_0 caches: long contexts (several key
// tiles), decode and prefill, grouped-query heads, sliding window, soft cap, and a head
// size that is not a multiple of the quantized block (the slice path); one token over
// several key chunks (flash decoding) on 1 and 3 threads against a prefill's last row.
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
        // one token over several key chunks (split over the threads, then folded): a
        // depth not a multiple of the chunk, a window across chunk bounds, a soft cap,
        // odd groups, 80- and 128-wide heads; prefill crossing a chunk bound
        {32, 4, 64, 1, 1300, 0, 0.0f},
        {8, 2, 64, 1, 1100, 700, 0.0f},
        {8, 4, 32, 1, 1030, 0, 5.0f},
        {14, 2, 64, 1, 1536, 0, 0.0f},
        {4, 2, 80, 1, 600, 0, 0.0f},
        {16, 2, 128, 1, 1023, 0, 0.0f},
        {8, 2, 64, 40, 490, 0, 0.0f},
        {8, 2, 64, 30, 1000, 600, 2.0f},
        {8, 2, 64, 33, 1000, 0, 0.0f},  // the last query block one token: chunks folded in the task
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

// A decode step over several key chunks (split over the pool's threads, folded in key
// order) must not depend on the thread count and must equal, bit for bit, the last row
// of a prefill that ends at the same token: the conformance tests hold decode logits
// to the prefill's, and int8 activations turn a last-bit difference into a flipped code.
constexpr float kDecodeVsPrefill = 0.0f;

TEST(CpuAttention, SplitDecodeMatchesPrefillBitForBit) {
    const kernels::CpuIsa saved = kernels::activeCpuIsa();
    kernels::ThreadPool one(1), three(3);
    struct Case {
        int64_t heads, headsKv, headDim, len;
        float cap;
    };
    const Case cases[] = {{32, 4, 64, 1301, 0.0f}, {14, 2, 64, 1024, 0.0f}, {16, 2, 128, 700, 4.0f},
                          {8, 8, 32, 2049, 0.0f}};
    for (int i = 0; i < kernels::kCpuIsaCount; ++i) {
        const auto isa = static_cast<kernels::CpuIsa>(i);
        if (isa == kernels::CpuIsa::Scalar || !kernels::setCpuIsa(isa)) continue;
        for (const Case& c : cases)
            for (auto type : {kernels::GgmlType::F16, kernels::GgmlType::Q8_0, kernels::GgmlType::Q4_0}) {
                kernels::AttentionShape s{c.heads, c.headsKv, c.headDim, 1.0f / std::sqrt(float(c.headDim)), 0, c.cap};
                const int64_t kvW = s.headsKv * s.headDim, qW = s.heads * s.headDim, tokens = 3;
                const auto q = randomVector(tokens * qW, 21 + i), kv = randomVector(2 * c.len * kvW, 22);
                const size_t stride = kernels::rowBytes(type, kvW);
                std::vector<uint8_t> kc(stride * c.len), vc(stride * c.len);
                for (int64_t r = 0; r < c.len; ++r) {
                    kernels::storeRow(type, &kv[r * kvW], kvW, &kc[r * stride]);
                    kernels::storeRow(type, &kv[(c.len + r) * kvW], kvW, &vc[r * stride]);
                }
                std::vector<float> prefill(q.size()), split(qW), serial(qW);
                kernels::attention(three, q.data(), tokens, c.len - tokens, kc.data(), vc.data(), type, s, prefill.data());
                const float* last = q.data() + (tokens - 1) * qW;
                kernels::attention(three, last, 1, c.len - 1, kc.data(), vc.data(), type, s, split.data());
                kernels::attention(one, last, 1, c.len - 1, kc.data(), vc.data(), type, s, serial.data());
                for (int64_t e = 0; e < qW; ++e) {
                    const float want = prefill[(tokens - 1) * qW + e];
                    ASSERT_NEAR(split[e], want, kDecodeVsPrefill * std::max(1.0f, std::fabs(want)))
                        << kernels::cpuIsaName(isa) << " " << kernels::typeName(type) << " len " << c.len << " at " << e;
                    ASSERT_EQ(split[e], serial[e]) << kernels::cpuIsaName(isa) << " " << kernels::typeName(type);
                }
            }
    }
    kernels::setCpuIsa(saved);
}

}  // namespace
