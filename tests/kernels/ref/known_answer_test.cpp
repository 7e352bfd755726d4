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

TEST(RefKnownAnswer, Q4_0) {
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

TEST(RefKnownAnswer, Q4_1) {
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

TEST(RefKnownAnswer, Q5_0) {
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

TEST(RefKnownAnswer, Q5_1) {
    Bytes b;
    b.f16(0.25f).f16(2.0f).u32(kQh);
    nibbleRamp(b);
    std::vector<float> e(32);
    for (int i = 0; i < 32; ++i) e[i] = 0.25f * static_cast<float>(rampNibble(i) | (qhBit(i) << 4)) + 2.0f;
    expectDecodes(GgmlType::Q5_1, b, e);
}

TEST(RefKnownAnswer, Q8_0AndRoundingHalfAwayFromZero) {
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

TEST(RefKnownAnswer, Q8_1CarriesScaledSum) {
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

// ---- 256-element super-blocks. Element index e; "sub-block" = e/16 or e/32. ----

TEST(RefKnownAnswer, Q2_K) {
    // scales byte g: low nibble = scale (g), high nibble = min (1); every qs byte is
    // 0b11100100, so 2-bit field k of a byte is k: element e reads field (e/32)%4.
    Bytes b;
    for (int g = 0; g < 16; ++g) b.u8(static_cast<uint8_t>(g | (1 << 4)));
    for (int i = 0; i < 64; ++i) b.u8(0xE4);
    b.f16(1.0f).f16(0.5f);
    std::vector<float> e(256);
    for (int i = 0; i < 256; ++i) e[i] = static_cast<float>((i / 16) * ((i / 32) % 4)) - 0.5f;
    expectDecodes(GgmlType::Q2_K, b, e);
}

TEST(RefKnownAnswer, Q3_K) {
    // hmask bit (e/32) of byte e%32 set means no -4 offset; only element 5 has it clear.
    // 6-bit scales s_j = 24 + j (scale s_j - 32 = j - 8), packed low nibbles in bytes
    // 0..7 (j<8 low nibble, j>=8 high nibble of byte j-8), top 2 bits in bytes 8..11.
    Bytes b;
    for (int i = 0; i < 32; ++i) b.u8(i == 5 ? 0xFE : 0xFF);
    for (int i = 0; i < 64; ++i) b.u8(0xE4);
    uint8_t sc[12] = {};
    for (int j = 0; j < 16; ++j) {
        const int s = 24 + j;
        sc[j % 8] |= static_cast<uint8_t>((s & 0x0f) << (j < 8 ? 0 : 4));
        sc[8 + j % 4] |= static_cast<uint8_t>((s >> 4) << (2 * (j / 4)));
    }
    for (uint8_t v : sc) b.u8(v);
    b.f16(0.5f);
    std::vector<float> e(256);
    for (int i = 0; i < 256; ++i) {
        const int q = (i / 32) % 4 - (i == 5 ? 4 : 0);
        e[i] = 0.5f * static_cast<float>(i / 16 - 8) * static_cast<float>(q);
    }
    expectDecodes(GgmlType::Q3_K, b, e);
}

namespace {

// Q4_K/Q5_K scales: sub-block j has 6-bit scale sc_j = 8j+3 and min m_j = 63-7j.
// j<4: bytes j and j+4 hold sc_j and m_j in 6 bits, their top 2 bits hold the high
// bits of sc_{j+4} and m_{j+4}; byte j+8 holds the low nibbles of sc_{j+4}, m_{j+4}.
int kScale(int j) { return 8 * j + 3; }
int kMin(int j) { return 63 - 7 * j; }
void packKScales(Bytes& b) {
    uint8_t s[12];
    for (int j = 0; j < 4; ++j) {
        s[j] = static_cast<uint8_t>(kScale(j) | ((kScale(j + 4) >> 4) << 6));
        s[j + 4] = static_cast<uint8_t>(kMin(j) | ((kMin(j + 4) >> 4) << 6));
        s[j + 8] = static_cast<uint8_t>((kScale(j + 4) & 0x0f) | ((kMin(j + 4) & 0x0f) << 4));
    }
    for (uint8_t v : s) b.u8(v);
}
// qs byte b = (b%16) | (15 - b%16) << 4. Element e: chunk e/64 of 32 bytes, low
// nibbles for the first 32 elements of the chunk, high nibbles for the next 32.
int kNibble(int e) {
    const int l = e % 32 % 16;
    return (e % 64) < 32 ? l : 15 - l;
}
void kNibbles(Bytes& b) {
    for (int i = 0; i < 128; ++i) b.u8(static_cast<uint8_t>((i % 16) | ((15 - i % 16) << 4)));
}

}  // namespace

TEST(RefKnownAnswer, Q4_K) {
    Bytes b;
    b.f16(1.0f).f16(0.25f);
    packKScales(b);
    kNibbles(b);
    std::vector<float> e(256);
    for (int i = 0; i < 256; ++i)
        e[i] = static_cast<float>(kScale(i / 32) * kNibble(i)) - 0.25f * static_cast<float>(kMin(i / 32));
    expectDecodes(GgmlType::Q4_K, b, e);
}

TEST(RefKnownAnswer, Q5_K) {
    // qh byte l = 37*l (mod 256): bit (e/32) of qh[e%32] is the 5th bit of element e.
    Bytes b;
    b.f16(1.0f).f16(0.25f);
    packKScales(b);
    for (int l = 0; l < 32; ++l) b.u8(static_cast<uint8_t>(37 * l));
    kNibbles(b);
    std::vector<float> e(256);
    for (int i = 0; i < 256; ++i) {
        const int hb = ((37 * (i % 32)) & 0xff) >> (i / 32) & 1;
        const int q = kNibble(i) | (hb << 4);
        e[i] = static_cast<float>(kScale(i / 32) * q) - 0.25f * static_cast<float>(kMin(i / 32));
    }
    expectDecodes(GgmlType::Q5_K, b, e);
}

TEST(RefKnownAnswer, Q6_K) {
    // Element e = 128h + 32k + l: low 4 bits from ql[64h + l + 32*(k%2)] (low nibble
    // for k<2, high for k>=2), top 2 bits from bits 2k of qh[32h + l]; q - 32 times
    // the int8 scale of e/16.
    Bytes b;
    for (int i = 0; i < 128; ++i) b.u8(static_cast<uint8_t>(i * 7 + 3));
    for (int i = 0; i < 64; ++i) b.u8(static_cast<uint8_t>(i * 13 + 1));
    for (int j = 0; j < 16; ++j) b.u8(static_cast<uint8_t>(static_cast<int8_t>(j * 9 - 70)));
    b.f16(0.125f);
    std::vector<float> e(256);
    for (int i = 0; i < 256; ++i) {
        const int h = i / 128, k = (i % 128) / 32, l = i % 32;
        const uint8_t ql = static_cast<uint8_t>((64 * h + l + 32 * (k % 2)) * 7 + 3);
        const uint8_t qh = static_cast<uint8_t>((32 * h + l) * 13 + 1);
        const int q = ((k < 2 ? ql & 0x0f : ql >> 4) | (((qh >> (2 * k)) & 3) << 4)) - 32;
        e[i] = 0.125f * static_cast<float>((i / 16) * 9 - 70) * static_cast<float>(q);
    }
    expectDecodes(GgmlType::Q6_K, b, e);
}

namespace {
constexpr int kCodebook[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
}

TEST(RefKnownAnswer, IQ4_NL) {
    Bytes b;
    b.f16(0.5f);
    nibbleRamp(b);
    std::vector<float> e(32);
    for (int i = 0; i < 32; ++i) e[i] = 0.5f * static_cast<float>(kCodebook[rampNibble(i)]);
    expectDecodes(GgmlType::IQ4_NL, b, e);
    // The quantizer keeps values that are exactly a codebook times a scale.
    std::vector<uint8_t> q(18);
    ASSERT_TRUE(ref::quantizeRow(GgmlType::IQ4_NL, e.data(), q.data(), 32));
    EXPECT_EQ(dequantize(GgmlType::IQ4_NL, q.data(), 32), e);
}

TEST(RefKnownAnswer, IQ4_XS) {
    // 8 sub-blocks of 32 with 6-bit scale ls_s = 7s + 5 (value ls - 32): low nibble
    // in scales_l[s/2] (low half for even s), top 2 bits at bit 2s of scales_h.
    Bytes b;
    b.f16(0.5f);
    uint16_t h = 0;
    uint8_t l[4] = {};
    for (int s = 0; s < 8; ++s) {
        const int ls = 7 * s + 5;
        l[s / 2] |= static_cast<uint8_t>((ls & 0x0f) << (4 * (s % 2)));
        h |= static_cast<uint16_t>((ls >> 4) << (2 * s));
    }
    b.u16(h);
    for (uint8_t v : l) b.u8(v);
    for (int s = 0; s < 8; ++s) nibbleRamp(b);
    std::vector<float> e(256);
    for (int i = 0; i < 256; ++i)
        e[i] = 0.5f * static_cast<float>(7 * (i / 32) + 5 - 32) * static_cast<float>(kCodebook[rampNibble(i % 32)]);
    expectDecodes(GgmlType::IQ4_XS, b, e);
}

TEST(RefKnownAnswer, TQ1_0) {
    // A byte holds ceil(v*256/243), v the 5 trits (most significant first) in base 3.
    // Trits (2,1,0,2,1): v = 196 -> 207. qh trits (0,1,2,2) padded: v = 51 -> 54.
    // Element of trit n: qs[m], m<32: 32n+m; qs[32+m]: 160+16n+m; qh[j]: 240+4n+j.
    Bytes b;
    for (int i = 0; i < 48; ++i) b.u8(207);
    for (int i = 0; i < 4; ++i) b.u8(54);
    b.f16(2.0f);
    const int qsTrits[5] = {1, 0, -1, 1, 0}, qhTrits[4] = {-1, 0, 1, 1};
    std::vector<float> e(256);
    for (int i = 0; i < 256; ++i) {
        const int t = i < 160 ? qsTrits[i / 32] : i < 240 ? qsTrits[(i - 160) / 16] : qhTrits[(i - 240) / 4];
        e[i] = 2.0f * static_cast<float>(t);
    }
    expectDecodes(GgmlType::TQ1_0, b, e);
    std::vector<uint8_t> q(54);
    ASSERT_TRUE(ref::quantizeRow(GgmlType::TQ1_0, e.data(), q.data(), 256));
    EXPECT_EQ(q, b.b);
}

TEST(RefKnownAnswer, TQ2_0) {
    // Element 128h + 32k + m is bits 2k..2k+1 of qs[32h + m], value (q - 1) * d.
    Bytes b;
    for (int i = 0; i < 64; ++i) b.u8(static_cast<uint8_t>(i % 3 | (((i + 1) % 3) << 2) | (((i + 2) % 3) << 4) | ((i % 2) << 6)));
    b.f16(0.75f);
    std::vector<float> e(256);
    for (int i = 0; i < 256; ++i) {
        const int byte = 32 * (i / 128) + i % 32, k = (i % 128) / 32;
        const int q = k < 3 ? (byte + k) % 3 : byte % 2;
        e[i] = 0.75f * static_cast<float>(q - 1);
    }
    expectDecodes(GgmlType::TQ2_0, b, e);
    std::vector<uint8_t> q(66);
    ASSERT_TRUE(ref::quantizeRow(GgmlType::TQ2_0, e.data(), q.data(), 256));
    EXPECT_EQ(q, b.b);
}

TEST(RefKnownAnswer, Q8_KSignOfExtremeSetsScale) {
    // iscale = -127/max with max the signed extreme, so the extreme always maps to
    // -127 and d = 1/iscale takes the opposite sign; rounding is ties-to-even.
    std::vector<float> x(256, 0.0f);
    x[3] = 2.0f;   // extreme, positive -> d = -2/127, q = -127
    x[4] = -1.0f;  // q = nearest(63.5) = 64 (ties to even)
    x[5] = 1.0f;   // q = -64
    x[17] = 0.5f;  // q = nearest(-31.75) = -32
    std::vector<uint8_t> q(292);
    ASSERT_TRUE(ref::quantizeRow(GgmlType::Q8_K, x.data(), q.data(), 256));
    float d;
    std::memcpy(&d, q.data(), 4);
    EXPECT_EQ(d, 1.0f / (-127.0f / 2.0f));
    const auto qs = [&](int i) { return static_cast<int8_t>(q[4 + i]); };
    EXPECT_EQ(qs(3), -127);
    EXPECT_EQ(qs(4), 64);
    EXPECT_EQ(qs(5), -64);
    EXPECT_EQ(qs(17), -32);
    const auto bsum = [&](int j) { return static_cast<int16_t>(q[260 + 2 * j] | (q[261 + 2 * j] << 8)); };
    EXPECT_EQ(bsum(0), -127 + 64 - 64);
    EXPECT_EQ(bsum(1), -32);
    for (int j = 2; j < 16; ++j) EXPECT_EQ(bsum(j), 0);
}
