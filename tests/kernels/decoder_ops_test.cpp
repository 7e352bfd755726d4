// Decoder-architecture ops (activations.cpp, row_ops.cpp, moe.cpp) against plain
// double-precision formulas.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/ops.h"
#include "kernels/ref.h"

namespace {

std::vector<float> randomVector(size_t n, uint32_t seed, float sd = 1.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, sd);
    std::vector<float> v(n);
    for (float& x : v) x = dist(rng);
    return v;
}

double geluDouble(double x) {
    return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
}

float roundFp16(float x) { return kernels::ref::fp16ToFp32(kernels::ref::fp32ToFp16(x)); }

TEST(DecoderOps, GeluMatchesTanhFormula) {
    for (float x : {-8.0f, -3.0f, -1.0f, -0.25f, 0.0f, 0.5f, 1.0f, 2.5f, 7.0f})
        EXPECT_NEAR(kernels::gelu(x), geluDouble(x), 1e-6 * (1.0 + std::fabs(x))) << x;
    EXPECT_EQ(kernels::gelu(0.0f), 0.0f);
    EXPECT_NEAR(kernels::gelu(1.0f), 0.841192, 1e-5);
}

TEST(DecoderOps, GegluRoundsThroughFp16AndSaturates) {
    const std::vector<float> gate = randomVector(4096, 1, 3.0f);
    const std::vector<float> up = randomVector(4096, 2);
    std::vector<float> out(gate.size());
    kernels::geglu(gate.data(), up.data(), static_cast<int64_t>(gate.size()), out.data());
    for (size_t i = 0; i < gate.size(); ++i) {
        // Exactly the fp16-table value fp16(gelu(fp16(g))) * up inside (-10, 10).
        const float g = gate[i];
        const float act = g <= -10.0f ? 0.0f : g >= 10.0f ? g : roundFp16(kernels::gelu(roundFp16(g)));
        ASSERT_EQ(out[i], act * up[i]) << g;
        // And within fp16 precision of the exact GELU.
        ASSERT_NEAR(out[i], geluDouble(gate[i]) * up[i], 2e-3 * (std::fabs(gate[i]) + 1) * std::fabs(up[i]) + 1e-6);
    }
    const float g[4] = {-10.0f, -50.0f, 10.0f, 42.0f}, u[4] = {2.0f, 2.0f, 2.0f, 0.5f};
    float o[4];
    kernels::geglu(g, u, 4, o);
    EXPECT_EQ(o[0], 0.0f);
    EXPECT_EQ(o[1], 0.0f);
    EXPECT_EQ(o[2], 20.0f);
    EXPECT_EQ(o[3], 21.0f);
    // In place (out == gate).
    std::vector<float> inPlace = gate;
    kernels::geglu(inPlace.data(), up.data(), static_cast<int64_t>(gate.size()), inPlace.data());
    EXPECT_EQ(inPlace, out);
}

TEST(DecoderOps, SoftCapIsBoundedOddAndNearIdentityForSmallValues) {
    std::vector<float> x = {-1000.0f, -30.0f, -0.01f, 0.0f, 0.01f, 2.0f, 30.0f, 1000.0f};
    const std::vector<float> in = x;
    kernels::softCap(x.data(), static_cast<int64_t>(x.size()), 5.0f);
    for (size_t i = 0; i < x.size(); ++i) {
        EXPECT_NEAR(x[i], 5.0 * std::tanh(in[i] / 5.0), 1e-5) << in[i];
        EXPECT_LE(std::fabs(x[i]), 5.0f);
    }
    EXPECT_NEAR(x[4], 0.01f, 1e-7);
    EXPECT_EQ(x[0], -x[7]);
    EXPECT_EQ(x[3], 0.0f);
}

TEST(DecoderOps, ScaleAndAddBias) {
    std::vector<float> x = randomVector(3 * 5, 3);
    const std::vector<float> in = x;
    const std::vector<float> bias = randomVector(5, 4);
    kernels::addBias(x.data(), bias.data(), 3, 5);
    for (int t = 0; t < 3; ++t)
        for (int i = 0; i < 5; ++i) EXPECT_EQ(x[t * 5 + i], in[t * 5 + i] + bias[i]);
    kernels::scale(x.data(), 15, -2.0f);
    for (int t = 0; t < 3; ++t)
        for (int i = 0; i < 5; ++i) EXPECT_EQ(x[t * 5 + i], (in[t * 5 + i] + bias[i]) * -2.0f);
}

TEST(DecoderOps, RmsNormGroupsNormalizesEachHeadSeparately) {
    const int64_t groups = 6, width = 32;
    std::vector<float> x = randomVector(groups * width, 5);
    for (int64_t i = 0; i < width; ++i) x[width + i] *= 100.0f;  // one head far larger
    const std::vector<float> in = x;
    const std::vector<float> w = randomVector(width, 6);
    kernels::rmsNormGroups(x.data(), w.data(), groups, width, 1e-6f);
    for (int64_t g = 0; g < groups; ++g) {
        double ss = 0;
        for (int64_t i = 0; i < width; ++i) ss += double(in[g * width + i]) * in[g * width + i];
        const double inv = 1.0 / std::sqrt(ss / width + 1e-6);
        for (int64_t i = 0; i < width; ++i)
            ASSERT_NEAR(x[g * width + i], in[g * width + i] * inv * w[i], 1e-5 * (1 + std::fabs(w[i])));
    }
}

TEST(DecoderOps, RouteTopKSoftmaxOverAllExpertsThenRenormalizes) {
    const float logits[6] = {0.5f, 2.0f, -1.0f, 1.5f, 2.0f, 0.0f};
    double z = 0;
    for (float l : logits) z += std::exp(double(l));
    kernels::ExpertChoice top[3];
    kernels::routeTopK(logits, 6, 3, /*normalize=*/false, top);
    // Descending probability; the tie between experts 1 and 4 goes to the lower id.
    EXPECT_EQ(top[0].expert, 1);
    EXPECT_EQ(top[1].expert, 4);
    EXPECT_EQ(top[2].expert, 3);
    EXPECT_NEAR(top[0].weight, std::exp(2.0) / z, 1e-6);
    EXPECT_NEAR(top[2].weight, std::exp(1.5) / z, 1e-6);

    kernels::routeTopK(logits, 6, 3, /*normalize=*/true, top);
    const double kept = 2 * std::exp(2.0) + std::exp(1.5);
    EXPECT_NEAR(top[0].weight, std::exp(2.0) / kept, 1e-6);
    EXPECT_NEAR(top[2].weight, std::exp(1.5) / kept, 1e-6);
    EXPECT_NEAR(top[0].weight + top[1].weight + top[2].weight, 1.0, 1e-6);

    // k == nExpert keeps everything; huge logits do not overflow.
    const float big[2] = {1000.0f, 999.0f};
    kernels::ExpertChoice both[2];
    kernels::routeTopK(big, 2, 2, true, both);
    EXPECT_EQ(both[0].expert, 0);
    EXPECT_NEAR(both[0].weight, 1.0 / (1.0 + std::exp(-1.0)), 1e-6);
    EXPECT_TRUE(std::isfinite(both[1].weight));
}

}  // namespace
