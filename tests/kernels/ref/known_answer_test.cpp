// Known-answer tests: blocks built byte by byte from the published GGUF layouts,
// with the values they must decode to. These pin the element order and the bit
// packing, independent of the structs in kernels/ref/blocks.h.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "ref_test_util.h"

using kernels::GgmlType;
using namespace reftest;
namespace ref = kernels::ref;

namespace {

// Little-endian byte writer for building blocks.
struct Bytes {
    std::vector<uint8_t> b;
    Bytes& u8(uint8_t v) { b.push_back(v); return *this; }
    Bytes& u16(uint16_t v) { b.push_back(v & 0xff); b.push_back(v >> 8); return *this; }
    Bytes& f16(float v) { return u16(ref::fp32ToFp16(v)); }
    Bytes& f32(float v) { uint32_t u; std::memcpy(&u, &v, 4); for (int i = 0; i < 4; ++i) u8((u >> (8 * i)) & 0xff); return *this; }
    Bytes& u32(uint32_t v) { for (int i = 0; i < 4; ++i) u8((v >> (8 * i)) & 0xff); return *this; }
};

void expectDecodes(GgmlType t, const Bytes& block, const std::vector<float>& expect) {
    ASSERT_EQ(block.b.size(), kernels::traits(t).blockBytes) << kernels::typeName(t);
    const std::vector<float> got = dequantize(t, block.b.data(), static_cast<int64_t>(expect.size()));
    for (size_t i = 0; i < expect.size(); ++i)
        ASSERT_EQ(got[i], expect[i]) << kernels::typeName(t) << " element " << i;
}

// nibbles j | (15-j) << 4: low nibbles are elements 0..15, high nibbles 16..31
Bytes& nibbleRamp(Bytes& b) {
    for (int j = 0; j < 16; ++j) b.u8(static_cast<uint8_t>(j | ((15 - j) << 4)));
    return b;
}
int rampNibble(int e) { return e < 16 ? e : 15 - (e - 16); }

constexpr uint32_t kQh = 0xAAAA5555u;  // 5th bit of element e is bit e
int qhBit(int e) { return static_cast<int>((kQh >> e) & 1u); }

}  // namespace

TEST(KnownAnswer, Q4_0) {
    Bytes b;
    b.f16(1.0f);
    nibbleRamp(b);
    std::vector<float> e(32);
    for (int i = 0; i < 32; ++i) e[i] = static_cast<float>(rampNibble(i) - 8);  // -8..7 then 7..-8
    expectDecodes(GgmlType::Q4_0, b, e);
    // The quantizer maps exactly these values back to the same bytes (d = max/-8 = 1).
    std::vector<uint8_t> q(18);
    ASSERT_TRUE(ref::quantizeRow(GgmlType::Q4_0, e.data(), q.data(), 32));
    EXPECT_EQ(q, b.b);
}

TEST(KnownAnswer, Q4_1) {
    Bytes b;
    b.f16(0.5f).f16(-1.0f);
    nibbleRamp(b);
    std::vector<float> e(32);
    for (int i = 0; i < 32; ++i) e[i] = 0.5f * static_cast<float>(rampNibble(i)) - 1.0f;
    expectDecodes(GgmlType::Q4_1, b, e);
    std::vector<float> x(32);
    for (int i = 0; i < 32; ++i) x[i] = static_cast<float>(rampNibble(i));  // d = 1, m = 0
    std::vector<uint8_t> q(20);
    ASSERT_TRUE(ref::quantizeRow(GgmlType::Q4_1, x.data(), q.data(), 32));
    Bytes expect;
    expect.f16(1.0f).f16(0.0f);
    EXPECT_EQ(q, nibbleRamp(expect).b);
}

TEST(KnownAnswer, Q5_0) {
    Bytes b;
    b.f16(1.0f).u32(kQh);
    nibbleRamp(b);
    std::vector<float> e(32);
    for (int i = 0; i < 32; ++i) e[i] = static_cast<float>((rampNibble(i) | (qhBit(i) << 4)) - 16);
    expectDecodes(GgmlType::Q5_0, b, e);
    // Values -16..15 with -16 present: d = -16/-16 = 1 and the bytes come back.
    bool hasMin = false;
    for (float v : e) hasMin |= v == -16.0f;
    if (hasMin) {
        std::vector<uint8_t> q(22);
        ASSERT_TRUE(ref::quantizeRow(GgmlType::Q5_0, e.data(), q.data(), 32));
        EXPECT_EQ(q, b.b);
    }
}

TEST(KnownAnswer, Q5_1) {
    Bytes b;
    b.f16(0.25f).f16(2.0f).u32(kQh);
    nibbleRamp(b);
    std::vector<float> e(32);
    for (int i = 0; i < 32; ++i) e[i] = 0.25f * static_cast<float>(rampNibble(i) | (qhBit(i) << 4)) + 2.0f;
    expectDecodes(GgmlType::Q5_1, b, e);
}

TEST(KnownAnswer, Q8_0AndRoundingHalfAwayFromZero) {
    Bytes b;
    b.f16(0.5f);
    std::vector<float> e(32);
    for (int i = 0; i < 32; ++i) {
        b.u8(static_cast<uint8_t>(i * 8 - 128));
        e[i] = 0.5f * static_cast<float>(i * 8 - 128);
    }
    expectDecodes(GgmlType::Q8_0, b, e);
    // amax 127 gives d = 1: q = roundf(x), ties away from zero.
    std::vector<float> x(32, 0.0f);
    x[0] = 127.0f;
    x[1] = 0.5f;
    x[2] = -0.5f;
    x[3] = 1.5f;
    x[4] = 2.5f;
    x[5] = -2.5f;
    x[6] = 2.49f;
    std::vector<uint8_t> q(34);
    ASSERT_TRUE(ref::quantizeRow(GgmlType::Q8_0, x.data(), q.data(), 32));
    EXPECT_EQ(q[0] | (q[1] << 8), 0x3c00);
    const int8_t expectQ[7] = {127, 1, -1, 2, 3, -3, 2};
    for (int i = 0; i < 7; ++i) EXPECT_EQ(static_cast<int8_t>(q[2 + i]), expectQ[i]) << i;
}

TEST(KnownAnswer, Q8_1CarriesScaledSum) {
    std::vector<float> x(32);
    for (int i = 0; i < 32; ++i) x[i] = static_cast<float>(i) - 4.0f;  // amax 27
    std::vector<uint8_t> q(36);
    ASSERT_TRUE(ref::quantizeRow(GgmlType::Q8_1, x.data(), q.data(), 32));
    const float d = 27.0f / 127.0f;
    EXPECT_EQ(q[0] | (q[1] << 8), ref::fp32ToFp16(d));
    int sum = 0;
    for (int i = 0; i < 32; ++i) {
        const int8_t qi = static_cast<int8_t>(q[4 + i]);
        EXPECT_EQ(qi, static_cast<int8_t>(std::round(x[i] * (1.0f / d)))) << i;
        sum += qi;
    }
    EXPECT_EQ(q[2] | (q[3] << 8), ref::fp32ToFp16(static_cast<float>(sum) * d));
    const std::vector<float> y = dequantize(GgmlType::Q8_1, q.data(), 32);
    EXPECT_EQ(y[31], 127.0f * ref::fp16ToFp32(ref::fp32ToFp16(d)));
}
