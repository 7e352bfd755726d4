// Table-driven checks over the 17 weight types: vecDot against the float dot of the
// dequantized operands, quantizer error bounds, matmul, block geometry.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "blocks.h"
#include "ref_test_util.h"

using kernels::GgmlType;
using namespace reftest;
namespace ref = kernels::ref;

namespace {

constexpr int64_t kN = 1024;  // four super-blocks, 32 legacy blocks

std::vector<uint8_t> quantizeActivations(GgmlType weightType, const std::vector<float>& x) {
    const GgmlType at = ref::vecDotType(weightType);
    std::vector<uint8_t> a(kernels::rowBytes(at, static_cast<int64_t>(x.size())));
    EXPECT_TRUE(ref::quantizeRow(at, x.data(), a.data(), static_cast<int64_t>(x.size())));
    return a;
}

// vecDot must equal the float dot of the two dequantized rows up to float rounding
// of the block sums. Q8_1 carries s = fp16(d * sum q) computed before d is rounded
// to fp16, so the min term of Q4_1/Q5_1 differs by up to ~2^-10 relative.
void expectDotMatchesDequantized(GgmlType wt, const std::vector<uint8_t>& w,
                                 const std::vector<uint8_t>& a, const char* what) {
    const GgmlType at = ref::vecDotType(wt);
    const std::vector<float> wf = dequantize(wt, w.data(), kN);
    const std::vector<float> af = dequantize(at, a.data(), kN);
    const double expect = floatDot(wf, af);
    const double scale = sumAbsProducts(wf, af);
    const double rel = at == GgmlType::Q8_1 ? 2e-3 : 2e-6;
    const float got = ref::vecDot(wt, kN, w.data(), a.data());
    EXPECT_NEAR(got, expect, rel * scale + 1e-30) << kernels::typeName(wt) << " " << what;
}

}  // namespace

TEST(RefDispatch, VecDotTypes) {
    using enum GgmlType;
    const std::pair<GgmlType, GgmlType> cases[] = {
        {F32, F32},     {F16, F16},     {BF16, BF16},   {Q4_0, Q8_0},   {Q4_1, Q8_1},
        {Q5_0, Q8_0},   {Q5_1, Q8_1},   {Q8_0, Q8_0},   {Q2_K, Q8_K},   {Q3_K, Q8_K},
        {Q4_K, Q8_K},   {Q5_K, Q8_K},   {Q6_K, Q8_K},   {IQ4_NL, Q8_0}, {IQ4_XS, Q8_K},
        {TQ1_0, Q8_K},  {TQ2_0, Q8_K},
    };
    for (auto [w, a] : cases) EXPECT_EQ(ref::vecDotType(w), a) << kernels::typeName(w);
}

TEST(RefDispatch, BlockStructsMatchTypeTraits) {
    using enum GgmlType;
    namespace r = kernels::ref;
    const std::pair<GgmlType, size_t> cases[] = {
        {Q4_0, sizeof(r::BlockQ4_0)},   {Q4_1, sizeof(r::BlockQ4_1)},   {Q5_0, sizeof(r::BlockQ5_0)},
        {Q5_1, sizeof(r::BlockQ5_1)},   {Q8_0, sizeof(r::BlockQ8_0)},   {Q8_1, sizeof(r::BlockQ8_1)},
        {Q2_K, sizeof(r::BlockQ2_K)},   {Q3_K, sizeof(r::BlockQ3_K)},   {Q4_K, sizeof(r::BlockQ4_K)},
        {Q5_K, sizeof(r::BlockQ5_K)},   {Q6_K, sizeof(r::BlockQ6_K)},   {Q8_K, sizeof(r::BlockQ8_K)},
        {IQ4_NL, sizeof(r::BlockIQ4NL)}, {IQ4_XS, sizeof(r::BlockIQ4XS)}, {TQ1_0, sizeof(r::BlockTQ1_0)},
        {TQ2_0, sizeof(r::BlockTQ2_0)},
    };
    for (auto [t, bytes] : cases) EXPECT_EQ(kernels::traits(t).blockBytes, bytes) << kernels::typeName(t);
}

TEST(RefVecDot, RandomBlocksMatchFloatDotOfDequantized) {
    std::mt19937 rng(1234);
    for (const TypeCase& c : weightTypes()) {
        for (int trial = 0; trial < 8; ++trial) {
            const std::vector<uint8_t> w = randomRow(rng, c, kN);
            const std::vector<uint8_t> a = quantizeActivations(c.type, randomFloats(rng, kN));
            expectDotMatchesDequantized(c.type, w, a, "random blocks");
        }
    }
}

TEST(RefVecDot, QuantizedWeightsMatchFloatDotOfDequantized) {
    std::mt19937 rng(99);
    for (const TypeCase& c : weightTypes()) {
        if (!c.hasQuantizer) continue;
        for (int trial = 0; trial < 4; ++trial) {
            const std::vector<float> wf = randomFloats(rng, kN, 0.02f);
            std::vector<uint8_t> w(kernels::rowBytes(c.type, kN));
            ASSERT_TRUE(ref::quantizeRow(c.type, wf.data(), w.data(), kN)) << kernels::typeName(c.type);
            const std::vector<uint8_t> a = quantizeActivations(c.type, randomFloats(rng, kN, 3.0f));
            expectDotMatchesDequantized(c.type, w, a, "quantized weights");
        }
    }
}

TEST(RefVecDot, ZeroActivationsGiveZero) {
    std::mt19937 rng(5);
    const std::vector<float> zeros(kN, 0.0f);
    for (const TypeCase& c : weightTypes()) {
        const std::vector<uint8_t> w = randomRow(rng, c, kN);
        const std::vector<uint8_t> a = quantizeActivations(c.type, zeros);
        EXPECT_EQ(ref::vecDot(c.type, kN, w.data(), a.data()), 0.0f) << kernels::typeName(c.type);
    }
}

// quantize -> dequantize relative RMS error on Gaussian data, per type. The bounds
// are about 1.3x the expected uniform rounding error of each format.
TEST(RefQuantize, RoundTripErrorBounds) {
    using enum GgmlType;
    const std::pair<GgmlType, double> cases[] = {
        {F32, 0.0},     {F16, 5e-4},   {BF16, 4e-3},   {Q8_0, 0.008}, {Q8_1, 0.008},
        {Q8_K, 0.008},  {Q4_0, 0.12},  {Q4_1, 0.12},   {Q5_0, 0.06},  {Q5_1, 0.06},
        {IQ4_NL, 0.11}, {IQ4_XS, 0.11},
    };
    std::mt19937 rng(7);
    for (auto [t, bound] : cases) {
        const std::vector<float> x = randomFloats(rng, kN, 0.3f);
        std::vector<uint8_t> q(kernels::rowBytes(t, kN));
        ASSERT_TRUE(ref::quantizeRow(t, x.data(), q.data(), kN)) << kernels::typeName(t);
        const std::vector<float> y = dequantize(t, q.data(), kN);
        double err = 0.0, ref2 = 0.0;
        for (int64_t i = 0; i < kN; ++i) {
            err += (x[i] - y[i]) * static_cast<double>(x[i] - y[i]);
            ref2 += x[i] * static_cast<double>(x[i]);
        }
        EXPECT_LE(std::sqrt(err / ref2), bound) << kernels::typeName(t);
    }
}

// IQ4_XS (what `assistant-cli quantize ... IQ4_XS` writes) stores each 32-element
// scale in 6 bits of a per-256 f16 scale instead of IQ4_NL's f16 per block: its
// error must stay close to IQ4_NL's, on Gaussian rows and on rows whose blocks differ
// in magnitude (up to 8x within a super-block), and an all-zero block must decode to 0.
namespace {

double relRms(GgmlType t, const std::vector<float>& x) {
    std::vector<uint8_t> q(kernels::rowBytes(t, kN));
    EXPECT_TRUE(ref::quantizeRow(t, x.data(), q.data(), kN));
    const std::vector<float> y = dequantize(t, q.data(), kN);
    double err = 0.0, ref2 = 0.0;
    for (int64_t i = 0; i < kN; ++i) {
        err += (x[i] - y[i]) * static_cast<double>(x[i] - y[i]);
        ref2 += x[i] * static_cast<double>(x[i]);
    }
    return std::sqrt(err / ref2);
}

}  // namespace

TEST(RefQuantize, Iq4XsErrorCloseToIq4Nl) {
    std::mt19937 rng(21);
    std::uniform_real_distribution<float> octaves(0.0f, 3.0f);
    for (int trial = 0; trial < 8; ++trial) {
        std::vector<float> x = randomFloats(rng, kN, 0.3f);
        if (trial % 2)  // a random magnitude per 32-element block
            for (int64_t b = 0; b < kN / 32; ++b) {
                const float m = std::exp2(octaves(rng));
                for (int64_t i = 32 * b; i < 32 * b + 32; ++i) x[i] *= m;
            }
        const double nl = relRms(GgmlType::IQ4_NL, x), xs = relRms(GgmlType::IQ4_XS, x);
        EXPECT_LE(xs, 0.11) << "trial " << trial;
        EXPECT_LE(xs, 1.08 * nl) << "trial " << trial << " IQ4_NL " << nl;
    }
    std::vector<float> x = randomFloats(rng, kN, 0.3f);
    std::fill(x.begin() + 64, x.begin() + 96, 0.0f);
    std::vector<uint8_t> q(kernels::rowBytes(GgmlType::IQ4_XS, kN));
    ASSERT_TRUE(ref::quantizeRow(GgmlType::IQ4_XS, x.data(), q.data(), kN));
    const std::vector<float> y = dequantize(GgmlType::IQ4_XS, q.data(), kN);
    for (int64_t i = 64; i < 96; ++i) EXPECT_EQ(y[i], 0.0f) << i;
}

TEST(RefQuantize, TernaryValuesRoundTripExactly) {
    std::mt19937 rng(11);
    std::uniform_int_distribution<int> trit(-1, 1);
    for (GgmlType t : {GgmlType::TQ1_0, GgmlType::TQ2_0}) {
        std::vector<float> x(kN);
        for (float& v : x) v = 0.25f * static_cast<float>(trit(rng));  // 0.25 is exact in fp16
        x[0] = 0.25f;  // every block needs a nonzero to fix d = 0.25
        for (int64_t b = 0; b < kN; b += 256) x[b] = -0.25f;
        std::vector<uint8_t> q(kernels::rowBytes(t, kN));
        ASSERT_TRUE(ref::quantizeRow(t, x.data(), q.data(), kN));
        EXPECT_EQ(dequantize(t, q.data(), kN), x) << kernels::typeName(t);
    }
}

TEST(RefQuantize, TypesWithoutAQuantizerReportFalse) {
    std::vector<float> x(256, 0.5f);
    std::vector<uint8_t> q(kernels::rowBytes(GgmlType::Q6_K, 256));
    EXPECT_FALSE(ref::quantizeRow(GgmlType::IQ2_XXS, x.data(), q.data(), 256));
}

TEST(RefMatmul, EqualsVecDotPerTokenAndRow) {
    std::mt19937 rng(3);
    constexpr int64_t kRows = 5, kTokens = 3, kK = 512;
    for (const TypeCase& c : weightTypes()) {
        const auto& tr = kernels::traits(c.type);
        std::vector<uint8_t> w;
        for (int64_t r = 0; r < kRows; ++r) {
            const std::vector<uint8_t> row = randomRow(rng, c, kK);
            w.insert(w.end(), row.begin(), row.end());
        }
        const std::vector<float> x = randomFloats(rng, kTokens * kK);
        std::vector<float> out(kRows * kTokens);
        ref::matmul(c.type, w.data(), kRows, kK, x.data(), kTokens, out.data());
        const size_t wRow = kernels::rowBytes(c.type, kK);
        for (int64_t t = 0; t < kTokens; ++t) {
            const std::vector<float> xt(x.begin() + t * kK, x.begin() + (t + 1) * kK);
            const GgmlType at = ref::vecDotType(c.type);
            std::vector<uint8_t> a(kernels::rowBytes(at, kK));
            ASSERT_TRUE(ref::quantizeRow(at, xt.data(), a.data(), kK));
            for (int64_t r = 0; r < kRows; ++r)
                EXPECT_EQ(out[t * kRows + r], ref::vecDot(c.type, kK, w.data() + r * wRow, a.data()))
                    << tr.name << " t=" << t << " r=" << r;
        }
    }
}
