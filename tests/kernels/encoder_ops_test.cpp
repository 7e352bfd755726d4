// Encoder ops (kernels/cpu/encoder_ops.cpp) against naive double-precision formulas.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/ops.h"
#include "kernels/ref.h"
#include "kernels/thread_pool.h"

namespace {

std::vector<float> randomVector(size_t n, uint32_t seed, float scale = 1.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, scale);
    std::vector<float> v(n);
    for (float& x : v) x = dist(rng);
    return v;
}

TEST(EncoderOps, LayerNormMatchesFormula) {
    const int64_t n = 77;
    const auto x = randomVector(n, 1, 3.0f), w = randomVector(n, 2), b = randomVector(n, 3);
    std::vector<float> out(n);
    kernels::layerNorm(x.data(), w.data(), b.data(), n, 1e-5f, out.data());
    double mean = 0, var = 0;
    for (float v : x) mean += v;
    mean /= n;
    for (float v : x) var += (v - mean) * (v - mean);
    var /= n;
    for (int64_t i = 0; i < n; ++i)
        EXPECT_NEAR(out[i], (x[i] - mean) / std::sqrt(var + 1e-5) * w[i] + b[i], 1e-5) << i;
    // Without weight and bias: mean 0, variance 1; in place.
    std::vector<float> y = x;
    kernels::layerNorm(y.data(), nullptr, nullptr, n, 0.0f, y.data());
    double m2 = 0, v2 = 0;
    for (float v : y) m2 += v;
    for (float v : y) v2 += v * v;
    EXPECT_NEAR(m2 / n, 0.0, 1e-6);
    EXPECT_NEAR(v2 / n, 1.0, 1e-5);
}

TEST(EncoderOps, GeluTableIsFp16GeluTanh) {
    std::vector<float> x{-12.0f, -10.0f, -3.0f, -0.5f, 0.0f, 0.1234f, 1.0f, 2.5f, 9.99f, 10.0f, 42.0f};
    std::vector<float> y = x;
    kernels::geluTableInPlace(y.data(), static_cast<int64_t>(y.size()));
    for (size_t i = 0; i < x.size(); ++i) {
        if (x[i] <= -10.0f) {
            EXPECT_EQ(y[i], 0.0f);
            continue;
        }
        if (x[i] >= 10.0f) {
            EXPECT_EQ(y[i], x[i]);
            continue;
        }
        // The table is indexed by the fp16 rounding of x and stores an fp16 value.
        const double xh = kernels::ref::fp16ToFp32(kernels::ref::fp32ToFp16(x[i]));
        const double g = 0.5 * xh * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (xh + 0.044715 * xh * xh * xh)));
        EXPECT_EQ(y[i], kernels::ref::fp16ToFp32(kernels::ref::fp32ToFp16(static_cast<float>(g)))) << x[i];
        EXPECT_NEAR(y[i], 0.5 * x[i] * (1.0 + std::erf(x[i] / std::sqrt(2.0))), 2e-2 * (1 + std::fabs(x[i])));
    }
}

TEST(EncoderOps, ReluAndRowBias) {
    std::vector<float> x{-1.0f, 0.0f, 2.0f, -0.0f, 3.5f, -7.0f};
    kernels::reluInPlace(x.data(), 6);
    EXPECT_EQ(x, (std::vector<float>{0.0f, 0.0f, 2.0f, 0.0f, 3.5f, 0.0f}));
    const std::vector<float> bias{1.0f, -2.0f, 0.5f};
    kernels::addRowBias(x.data(), bias.data(), 2, 3);
    EXPECT_EQ(x, (std::vector<float>{1.0f, -2.0f, 2.5f, 1.0f, 1.5f, 0.5f}));
}

// Naive reference: softmax(scale q.k) v over the keys of the query's own sequence.
std::vector<float> naiveAttention(const std::vector<float>& qkv, int64_t stride, const std::vector<int64_t>& start,
                                  int64_t heads, int64_t d, float scale) {
    const int64_t W = heads * d;
    std::vector<float> out(static_cast<size_t>(start.back() * W), 0.0f);
    for (size_t s = 0; s + 1 < start.size(); ++s)
        for (int64_t h = 0; h < heads; ++h)
            for (int64_t i = start[s]; i < start[s + 1]; ++i) {
                std::vector<double> p;
                double mx = -1e300, sum = 0;
                for (int64_t j = start[s]; j < start[s + 1]; ++j) {
                    double dot = 0;
                    for (int64_t k = 0; k < d; ++k) dot += double(qkv[i * stride + h * d + k]) * qkv[j * stride + W + h * d + k];
                    p.push_back(dot * scale);
                    mx = std::max(mx, p.back());
                }
                for (double& v : p) sum += (v = std::exp(v - mx));
                for (int64_t j = start[s]; j < start[s + 1]; ++j)
                    for (int64_t k = 0; k < d; ++k)
                        out[i * W + h * d + k] += static_cast<float>(p[j - start[s]] / sum * qkv[j * stride + 2 * W + h * d + k]);
            }
    return out;
}

TEST(EncoderOps, AttentionStaysInsideEachSequence) {
    const int64_t heads = 3, d = 8, W = heads * d, stride = 3 * W;
    const std::vector<int64_t> start{0, 5, 6, 13};  // lengths 5, 1, 7
    auto qkv = randomVector(static_cast<size_t>(start.back() * stride), 7);
    kernels::ThreadPool pool(3);
    std::vector<float> out(static_cast<size_t>(start.back() * W));
    const float scale = 1.0f / std::sqrt(float(d));
    kernels::encoderAttention(pool, qkv.data(), qkv.data() + W, qkv.data() + 2 * W, stride, start, heads, d, scale,
                              out.data(), W);
    const auto want = naiveAttention(qkv, stride, start, heads, d, scale);
    for (size_t i = 0; i < out.size(); ++i) EXPECT_NEAR(out[i], want[i], 1e-5) << i;
    // A one-token sequence attends only to itself: its output is its own value.
    for (int64_t k = 0; k < W; ++k) EXPECT_NEAR(out[5 * W + k], qkv[5 * stride + 2 * W + k], 1e-6);
    // Changing the third sequence leaves the first two untouched.
    for (int64_t t = 6; t < 13; ++t) qkv[t * stride + 2 * W] += 100.0f;
    std::vector<float> again(out.size());
    kernels::encoderAttention(pool, qkv.data(), qkv.data() + W, qkv.data() + 2 * W, stride, start, heads, d, scale,
                              again.data(), W);
    for (int64_t i = 0; i < 6 * W; ++i) EXPECT_EQ(again[i], out[i]);
}

TEST(EncoderOps, PoolingMeanClsLast) {
    const std::vector<float> x{1, 2, 3, 4, 5, 6, 10, 20};  // 4 rows of 2
    const std::vector<int64_t> start{0, 3, 4};
    std::vector<float> out(4);
    kernels::poolSequences(x.data(), 2, start, kernels::Pooling::Mean, out.data());
    EXPECT_EQ(out, (std::vector<float>{3, 4, 10, 20}));
    kernels::poolSequences(x.data(), 2, start, kernels::Pooling::Cls, out.data());
    EXPECT_EQ(out, (std::vector<float>{1, 2, 10, 20}));
    kernels::poolSequences(x.data(), 2, start, kernels::Pooling::Last, out.data());
    EXPECT_EQ(out, (std::vector<float>{5, 6, 10, 20}));
}

TEST(EncoderOps, L2Normalize) {
    std::vector<float> v{3.0f, 4.0f};
    kernels::l2Normalize(v.data(), 2);
    EXPECT_FLOAT_EQ(v[0], 0.6f);
    EXPECT_FLOAT_EQ(v[1], 0.8f);
    std::vector<float> zero(4, 0.0f);
    kernels::l2Normalize(zero.data(), 4);
    for (float z : zero) EXPECT_EQ(z, 0.0f);
}

}  // namespace
