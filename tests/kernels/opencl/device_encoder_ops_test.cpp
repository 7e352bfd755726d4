// The encoders' ops on the OpenCL device (cl/encoder.cl) against the CPU backend, whose
// encoder ops are ops.h's host kernels: LayerNorm with weight and bias (in place and
// not), GELU (the fp16 table form), ReLU and tanh in place, bidirectional attention in
// each sequence of a packed batch (lengths 1 to 300, q|k|v rows with a stride, no mask
// across sequences), and mean / CLS / last pooling. Label gpu (PoCL in CI).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <random>
#include <vector>

#include "kernels/backend.h"
#include "kernels/device_list.h"
#include "kernels/opencl_backend.h"
#include "kernels/thread_pool.h"
#include "device_under_test.h"
#include "shared_data.h"

namespace {


std::vector<float> randomValues(size_t n, float scale, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(0.0f, scale);
    std::vector<float> v(n);
    for (float& x : v) x = d(rng);
    return v;
}

std::vector<float> readAll(kernels::Backend& be, const kernels::DeviceBuffer& b, size_t n) {
    std::vector<float> v(n);
    be.read(b, 0, v.data(), n * sizeof(float));
    return v;
}

float maxAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size()) return INFINITY;
    float d = 0;
    for (size_t i = 0; i < a.size(); ++i) d = std::max(d, std::fabs(a[i] - b[i]));
    return d;
}

// Runs fn on both backends with the same uploaded inputs and returns buffer `out` of each.
struct Both {
    kernels::ThreadPool pool{2};
    std::unique_ptr<kernels::Backend> cpu = kernels::makeCpuBackend(&pool);
    kernels::Backend* dev = nullptr;
    kernels::Backend& be(int i) { return i == 0 ? *cpu : *dev; }
    kernels::BufferPtr up(int i, const std::vector<float>& v) { return std::move(*be(i).upload(std::span<const float>(v))); }
};

TEST(DeviceEncoderOps, LayerNormMatchesTheCpu) {
    REQUIRE_DEVICE(dev);
    Both b;
    b.dev = dev.get();
    for (int64_t cols : {128, 256, 300, 512}) {
        const int64_t rows = 37;
        const auto x = randomValues(rows * cols, 2.0f, 1), w = randomValues(cols, 0.5f, 2), bias = randomValues(cols, 0.3f, 3);
        std::vector<float> got[2][2];
        for (int i = 0; i < 2; ++i) {
            auto bx = b.up(i, x), bw = b.up(i, w), bb = b.up(i, bias);
            auto out = *b.be(i).alloc(x.size() * sizeof(float));
            b.be(i).layerNorm(*bx, *bw, *bb, rows, cols, 1e-12f, *out);
            got[i][0] = readAll(b.be(i), *out, x.size());
            b.be(i).layerNorm(*bx, *bw, *bb, rows, cols, 1e-6f, *bx);  // in place
            got[i][1] = readAll(b.be(i), *bx, x.size());
        }
        EXPECT_EQ(dev->takeError(), "");
        EXPECT_LT(maxAbsDiff(got[1][0], got[0][0]), 2e-5f) << cols;
        EXPECT_LT(maxAbsDiff(got[1][1], got[0][1]), 2e-5f) << cols;
        EXPECT_GT(maxAbsDiff(got[0][0], x), 0.1f);  // it did something
    }
}

TEST(DeviceEncoderOps, ActivationsMatchTheCpu) {
    REQUIRE_DEVICE(dev);
    Both b;
    b.dev = dev.get();
    auto x = randomValues(5000, 4.0f, 7);
    x[0] = -10.5f, x[1] = 10.5f, x[2] = -10.0f, x[3] = 9.99f, x[4] = 0.0f;  // the table's ends
    for (auto act : {kernels::Activation::Gelu, kernels::Activation::Relu, kernels::Activation::Tanh}) {
        std::vector<float> got[2];
        for (int i = 0; i < 2; ++i) {
            auto bx = b.up(i, x);
            b.be(i).activate(act, *bx, static_cast<int64_t>(x.size()));
            got[i] = readAll(b.be(i), *bx, x.size());
        }
        EXPECT_EQ(dev->takeError(), "");
        // ReLU: the same max; tanh: the device's tanh; GELU: the same fp16 roundings, of
        // a tanh that may differ in the last float bit (one fp16 step at most, 2^-10 relative;
        // near zero a few fp16 subnormal steps, < 1e-6).
        if (act == kernels::Activation::Gelu) {
            for (size_t k = 0; k < x.size(); ++k)
                ASSERT_LE(std::fabs(got[1][k] - got[0][k]), std::fabs(got[0][k]) * 0x1p-10f + 1e-6f) << x[k];
        } else {
            EXPECT_LE(maxAbsDiff(got[1], got[0]), act == kernels::Activation::Tanh ? 1e-6f : 0.0f);
        }
        EXPECT_GT(maxAbsDiff(got[0], x), 0.1f);
    }
}

TEST(DeviceEncoderOps, AttentionInsideEachSequenceMatchesTheCpu) {
    REQUIRE_DEVICE(dev);
    Both b;
    b.dev = dev.get();
    struct Case {
        int64_t heads, D;
        std::vector<int64_t> lengths;
    };
    for (const Case& c : {Case{4, 32, {1, 7, 33, 2}}, Case{8, 64, {300, 5}}, Case{2, 16, {129}}}) {
        std::vector<int64_t> start{0};
        for (int64_t len : c.lengths) start.push_back(start.back() + len);
        const int64_t n = start.back(), W = c.heads * c.D, ldq = 3 * W + 8, ldo = W + 4;
        const auto qkv = randomValues(n * ldq, 1.0f, 11);
        const float scale = 1.0f / std::sqrt(static_cast<float>(c.D));
        std::vector<float> got[2];
        for (int i = 0; i < 2; ++i) {
            auto bq = b.up(i, qkv);
            auto out = b.up(i, std::vector<float>(n * ldo, 0.0f));
            b.be(i).encoderAttention(*bq, ldq, W, 2 * W, start, c.heads, c.D, scale, *out, ldo);
            got[i] = readAll(b.be(i), *out, n * ldo);
        }
        EXPECT_EQ(dev->takeError(), "");
        EXPECT_LT(maxAbsDiff(got[1], got[0]), 1e-5f) << c.heads << "x" << c.D;
        // A one-token sequence attends only to itself: its output is its own v.
        if (c.lengths[0] == 1)
            for (int64_t d = 0; d < W; ++d) ASSERT_NEAR(got[1][d], qkv[2 * W + d], 1e-6f);
    }
    // Longer than the device kernel's key limit: an error, not a wrong answer.
    const std::vector<int64_t> tooLong{0, 2100};
    auto bq = *dev->alloc(2100 * 3 * 32 * sizeof(float));
    auto out = *dev->alloc(2100 * 32 * sizeof(float));
    dev->encoderAttention(*bq, 96, 32, 64, tooLong, 1, 32, 1.0f, *out, 32);
    EXPECT_NE(dev->takeError().find("2048"), std::string::npos);
}

TEST(DeviceEncoderOps, PoolingMatchesTheCpu) {
    REQUIRE_DEVICE(dev);
    Both b;
    b.dev = dev.get();
    const std::vector<int64_t> start{0, 1, 9, 40, 41, 300};
    const int64_t E = 160, n = start.back(), nSeq = static_cast<int64_t>(start.size()) - 1;
    const auto x = randomValues(n * E, 1.0f, 5);
    for (auto pooling : {kernels::Pooling::Mean, kernels::Pooling::Cls, kernels::Pooling::Last}) {
        std::vector<float> got[2];
        for (int i = 0; i < 2; ++i) {
            auto bx = b.up(i, x);
            auto out = *b.be(i).alloc(nSeq * E * sizeof(float));
            b.be(i).pool(*bx, E, start, pooling, *out);
            got[i] = readAll(b.be(i), *out, nSeq * E);
        }
        EXPECT_EQ(dev->takeError(), "");
        // Mean: the same sum in the same order; CLS / last: copies.
        EXPECT_LE(maxAbsDiff(got[1], got[0]), pooling == kernels::Pooling::Mean ? 1e-6f : 0.0f);
    }
}

}  // namespace
