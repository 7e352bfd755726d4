// fp16 / bf16 conversions, exhaustive over all 65536 bit patterns.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/ref.h"

using namespace kernels::ref;

namespace {

uint32_t bits(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }
float fromBits(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }

// Exact value of a half bit pattern computed independently with ldexp.
double halfValue(uint16_t h) {
    const int sign = (h & 0x8000) ? -1 : 1;
    const int exp = (h >> 10) & 0x1f;
    const int mant = h & 0x3ff;
    if (exp == 0) return sign * std::ldexp(static_cast<double>(mant), -24);
    if (exp == 31) return mant ? std::numeric_limits<double>::quiet_NaN() : sign * INFINITY;
    return sign * std::ldexp(static_cast<double>(mant | 0x400), exp - 25);
}

}  // namespace

TEST(RefFp16, DecodesEveryPatternExactly) {
    for (uint32_t h = 0; h < 65536; ++h) {
        const float f = fp16ToFp32(static_cast<uint16_t>(h));
        const double expect = halfValue(static_cast<uint16_t>(h));
        if (std::isnan(expect)) {
            EXPECT_TRUE(std::isnan(f)) << std::hex << h;
        } else {
            EXPECT_EQ(static_cast<double>(f), expect) << std::hex << h;
            EXPECT_EQ(std::signbit(f), (h & 0x8000) != 0) << std::hex << h;
        }
    }
}

TEST(RefFp16, RoundTripsEveryPattern) {
    for (uint32_t h = 0; h < 65536; ++h) {
        const float f = fp16ToFp32(static_cast<uint16_t>(h));
        const uint16_t back = fp32ToFp16(f);
        if (std::isnan(f)) {
            EXPECT_EQ(back & 0x7c00, 0x7c00) << std::hex << h;
            EXPECT_NE(back & 0x03ff, 0) << std::hex << h;
            EXPECT_EQ(back & 0x8000, h & 0x8000) << std::hex << h;
        } else {
            EXPECT_EQ(back, h) << std::hex << h;
        }
    }
}

TEST(RefFp16, RoundsToNearestEvenBetweenNeighbours) {
    // For each pair of adjacent finite positive halves, the midpoint rounds to the
    // even one and points just beside it round to the nearer one.
    for (uint32_t h = 0; h < 0x7bff; ++h) {
        const double lo = halfValue(static_cast<uint16_t>(h)), hi = halfValue(static_cast<uint16_t>(h + 1));
        const float mid = static_cast<float>((lo + hi) / 2);  // exact in float
        const uint16_t even = (h & 1) ? h + 1 : h;
        EXPECT_EQ(fp32ToFp16(mid), even) << std::hex << h;
        EXPECT_EQ(fp32ToFp16(std::nextafter(mid, 0.0f)), h) << std::hex << h;
        EXPECT_EQ(fp32ToFp16(std::nextafter(mid, INFINITY)), h + 1) << std::hex << h;
        EXPECT_EQ(fp32ToFp16(-mid), even | 0x8000) << std::hex << h;
    }
}

TEST(RefFp16, OverflowUnderflowAndSpecials) {
    EXPECT_EQ(fp32ToFp16(65504.0f), 0x7bff);
    EXPECT_EQ(fp32ToFp16(65519.99f), 0x7bff);
    EXPECT_EQ(fp32ToFp16(65520.0f), 0x7c00);  // tie rounds to even: infinity
    EXPECT_EQ(fp32ToFp16(1e9f), 0x7c00);
    EXPECT_EQ(fp32ToFp16(-1e9f), 0xfc00);
    EXPECT_EQ(fp32ToFp16(INFINITY), 0x7c00);
    EXPECT_EQ(fp32ToFp16(-INFINITY), 0xfc00);
    EXPECT_EQ(fp32ToFp16(0.0f), 0x0000);
    EXPECT_EQ(fp32ToFp16(-0.0f), 0x8000);
    EXPECT_EQ(fp32ToFp16(std::ldexp(1.0f, -25)), 0x0000);  // half of the smallest subnormal: even
    EXPECT_EQ(fp32ToFp16(std::nextafter(std::ldexp(1.0f, -25), 1.0f)), 0x0001);
    EXPECT_EQ(fp32ToFp16(1e-10f), 0x0000);
    const uint16_t nan = fp32ToFp16(std::numeric_limits<float>::quiet_NaN());
    EXPECT_EQ(nan & 0x7c00, 0x7c00);
    EXPECT_NE(nan & 0x03ff, 0);
    EXPECT_TRUE(std::isnan(fp16ToFp32(fp32ToFp16(fromBits(0x7f800001)))));  // signalling NaN stays NaN
}

TEST(RefBf16, DecodeAndRoundTripEveryPattern) {
    for (uint32_t h = 0; h < 65536; ++h) {
        const float f = bf16ToFp32(static_cast<uint16_t>(h));
        EXPECT_EQ(bits(f), h << 16);
        const uint16_t back = fp32ToBf16(f);
        if (std::isnan(f)) {
            EXPECT_TRUE(std::isnan(bf16ToFp32(back))) << std::hex << h;
            EXPECT_EQ(back & 0x8000, h & 0x8000);
        } else {
            EXPECT_EQ(back, h) << std::hex << h;
        }
    }
}

TEST(RefBf16, RoundsToNearestEven) {
    for (uint32_t h = 0; h < 0x7f7f; h += 7) {
        const uint32_t mid = (h << 16) | 0x8000u;  // exactly between h and h+1
        const uint16_t even = (h & 1) ? h + 1 : h;
        EXPECT_EQ(fp32ToBf16(fromBits(mid)), even) << std::hex << h;
        EXPECT_EQ(fp32ToBf16(fromBits(mid - 1)), h) << std::hex << h;
        EXPECT_EQ(fp32ToBf16(fromBits(mid + 1)), h + 1) << std::hex << h;
    }
    EXPECT_EQ(fp32ToBf16(fromBits(0x7f7fffff)), 0x7f80);  // max float rounds to inf
    EXPECT_EQ(fp32ToBf16(INFINITY), 0x7f80);
    EXPECT_TRUE(std::isnan(bf16ToFp32(fp32ToBf16(fromBits(0x7f800001)))));  // payload in low bits only
}
