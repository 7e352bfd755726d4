// K-quant weight quantizers (kernels/ref/quantize_k.cpp): error bounds on Gaussian and
// heavy-tailed rows, the quality order of the formats, degenerate rows, and dot
// products of quantized weights against the float dot.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "ref_test_util.h"

using kernels::GgmlType;
using namespace reftest;
namespace ref = kernels::ref;

namespace {

constexpr int64_t kN = 4096;  // 16 super-blocks

double relativeRmsError(GgmlType t, const std::vector<float>& x) {
    std::vector<uint8_t> q(kernels::rowBytes(t, kN));
    EXPECT_TRUE(ref::quantizeRow(t, x.data(), q.data(), kN)) << kernels::typeName(t);
    const std::vector<float> y = dequantize(t, q.data(), kN);
    double err = 0.0, ref2 = 0.0;
    for (int64_t i = 0; i < kN; ++i) {
        EXPECT_TRUE(std::isfinite(y[i]));
        err += (x[i] - y[i]) * static_cast<double>(x[i] - y[i]);
        ref2 += x[i] * static_cast<double>(x[i]);
    }
    return std::sqrt(err / ref2);
}

// Gaussian with a few outliers per super-block, as real weight rows have.
std::vector<float> heavyTailed(std::mt19937& rng) {
    std::vector<float> x = randomFloats(rng, kN, 0.02f);
    std::uniform_int_distribution<int64_t> pick(0, kN - 1);
    for (int i = 0; i < kN / 64; ++i) x[pick(rng)] *= 8.0f;
    return x;
}

}  // namespace

// Bounds sit ~15% above what these quantizers measured (Gaussian / heavy-tailed):
// Q2_K 0.275/0.243, Q3_K 0.144/0.135, Q4_K 0.072/0.093, Q5_K 0.036/0.049, Q6_K 0.017/0.032.
TEST(RefQuantizeK, RoundTripErrorBounds) {
    using enum GgmlType;
    const std::tuple<GgmlType, double, double> cases[] = {
        {Q2_K, 0.32, 0.28}, {Q3_K, 0.165, 0.155}, {Q4_K, 0.083, 0.107}, {Q5_K, 0.042, 0.057}, {Q6_K, 0.020, 0.037},
    };
    std::mt19937 rng(3);
    const std::vector<float> gauss = randomFloats(rng, kN, 0.3f);
    const std::vector<float> tails = heavyTailed(rng);
    for (auto [t, gaussBound, tailBound] : cases) {
        EXPECT_LE(relativeRmsError(t, gauss), gaussBound) << kernels::typeName(t) << " gaussian";
        EXPECT_LE(relativeRmsError(t, tails), tailBound) << kernels::typeName(t) << " heavy-tailed";
    }
}

// More bits per weight must mean less error, and a K-quant must beat the legacy
// format of the same size (Q4_K vs Q4_0 at 4.5 bpw, Q5_K vs Q5_0 at 5.5 bpw).
TEST(RefQuantizeK, QualityFollowsBitsPerWeight) {
    using enum GgmlType;
    std::mt19937 rng(5);
    const std::vector<float> x = heavyTailed(rng);
    const GgmlType order[] = {Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_0};
    for (size_t i = 1; i < std::size(order); ++i)
        EXPECT_LT(relativeRmsError(order[i], x), relativeRmsError(order[i - 1], x))
            << kernels::typeName(order[i]) << " vs " << kernels::typeName(order[i - 1]);
    EXPECT_LT(relativeRmsError(Q4_K, x), relativeRmsError(Q4_0, x));
    EXPECT_LT(relativeRmsError(Q5_K, x), relativeRmsError(Q5_0, x));
}

TEST(RefQuantizeK, DegenerateRowsStayFinite) {
    using enum GgmlType;
    std::vector<float> zeros(kN, 0.0f), positive(kN, 0.75f), negative(kN, -0.5f);
    std::vector<float> spike(kN, 0.0f);
    spike[300] = 100.0f;
    for (GgmlType t : {Q2_K, Q3_K, Q4_K, Q5_K, Q6_K}) {
        std::vector<uint8_t> q(kernels::rowBytes(t, kN));
        ASSERT_TRUE(ref::quantizeRow(t, zeros.data(), q.data(), kN));
        for (float v : dequantize(t, q.data(), kN)) ASSERT_EQ(v, 0.0f) << kernels::typeName(t);
        for (const std::vector<float>* row : {&positive, &negative, &spike}) {
            ASSERT_TRUE(ref::quantizeRow(t, row->data(), q.data(), kN));
            const std::vector<float> y = dequantize(t, q.data(), kN);
            for (int64_t i = 0; i < kN; ++i) {
                ASSERT_TRUE(std::isfinite(y[i])) << kernels::typeName(t);
                // constant rows and an isolated spike are representable within 2% (q8 min/scale)
                ASSERT_NEAR(y[i], (*row)[i], 0.02 * std::fabs((*row)[i]) + 0.02 * (row == &spike ? 100.0 : 0.0))
                    << kernels::typeName(t) << " at " << i;
            }
        }
    }
}

// The dot product of quantized weights with Q8_K activations tracks the float dot of
// the original rows within the format's error.
TEST(RefQuantizeK, DotOfQuantizedWeightsTracksFloatDot) {
    using enum GgmlType;
    std::mt19937 rng(9);
    const std::vector<float> w = heavyTailed(rng);
    const std::vector<float> x = randomFloats(rng, kN, 1.0f);
    const double exact = floatDot(w, x), scale = sumAbsProducts(w, x);
    const std::pair<GgmlType, double> cases[] = {{Q2_K, 0.05}, {Q3_K, 0.03}, {Q4_K, 0.015}, {Q5_K, 0.008}, {Q6_K, 0.005}};
    std::vector<uint8_t> a(kernels::rowBytes(Q8_K, kN));
    ASSERT_TRUE(ref::quantizeRow(Q8_K, x.data(), a.data(), kN));
    for (auto [t, rel] : cases) {
        std::vector<uint8_t> q(kernels::rowBytes(t, kN));
        ASSERT_TRUE(ref::quantizeRow(t, w.data(), q.data(), kN));
        EXPECT_NEAR(ref::vecDot(t, kN, q.data(), a.data()), exact, rel * scale) << kernels::typeName(t);
    }
}
