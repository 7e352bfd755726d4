// Block layouts of the GGUF quantization types (private to kernels/: kernels/ref/ and
// the CPU backend's load-time repacking, kernels/cpu/repack.cpp).
// Every struct is bit-compatible with the file format: fields in file order, no
// padding, little-endian; sizes are checked against ggml_type.h's blockBytes.
#pragma once

#include <cstdint>
#include <cstring>

#include "kernels/ggml_type.h"

namespace kernels::ref {

inline constexpr int kQK = 32;    // elements per legacy block (Q4_0 .. Q8_1, IQ4_NL)
inline constexpr int kQKK = 256;  // elements per K-quant super-block

// ---- fp16 / bf16 bit conversions, inline for the inner loops ----

inline uint32_t floatBits(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }
inline float bitsFloat(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }

inline float halfToFloat(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu;
    const uint32_t mant = h & 0x3ffu;
    if (exp == 0) {
        // zero or subnormal: mant * 2^-24 is exact in float
        const float v = static_cast<float>(mant) * 5.9604644775390625e-8f;
        return bitsFloat(sign | floatBits(v));
    }
    if (exp == 31) return bitsFloat(sign | 0x7f800000u | (mant << 13));  // inf / NaN
    return bitsFloat(sign | ((exp + 112u) << 23) | (mant << 13));
}

inline uint16_t floatToHalf(float f) {
    const uint32_t bits = floatBits(f);
    const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
    const uint32_t abs = bits & 0x7fffffffu;
    if (abs > 0x7f800000u)  // NaN: keep the top payload bits, force quiet
        return static_cast<uint16_t>(sign | 0x7e00u | ((abs >> 13) & 0x3ffu));
    if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // >= 65520 -> inf
    if (abs < 0x38800000u) {
        // below the smallest normal half (2^-14): units of 2^-24, rounded to nearest
        // even by adding 2^23 in float arithmetic (exact scaling by a power of two)
        const float scaled = bitsFloat(abs) * 16777216.0f;
        const float rounded = (scaled + 8388608.0f) - 8388608.0f;
        return static_cast<uint16_t>(sign | static_cast<uint16_t>(rounded));
    }
    uint32_t r = abs - 0x38000000u;  // rebias exponent 127 -> 15
    r += 0xfffu + ((r >> 13) & 1u);  // round to nearest even on the 13 dropped bits
    return static_cast<uint16_t>(sign | (r >> 13));
}

inline float bf16ToFloat(uint16_t h) { return bitsFloat(static_cast<uint32_t>(h) << 16); }

inline uint16_t floatToBf16(float f) {
    const uint32_t u = floatBits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 64u);  // quiet NaN
    return static_cast<uint16_t>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

// Round to nearest, ties to even, for |x| < 2^22: the reference's nearest_int.
inline int nearestInt(float x) {
    const float v = x + 12582912.0f;  // 1.5 * 2^23 pins the integer into the mantissa
    return static_cast<int>(floatBits(v) & 0x007fffffu) - 0x00400000;
}

// ---- legacy 32-element blocks ----

struct BlockQ4_0 {  // x = d * (q - 8)
    uint16_t d;
    uint8_t qs[kQK / 2];  // element j in low nibble of qs[j], element j+16 in the high
};
struct BlockQ4_1 {  // x = d * q + m
    uint16_t d, m;
    uint8_t qs[kQK / 2];
};
struct BlockQ5_0 {  // x = d * (q - 16), q = nibble | bit j of qh << 4
    uint16_t d;
    uint8_t qh[4];
    uint8_t qs[kQK / 2];
};
struct BlockQ5_1 {
    uint16_t d, m;
    uint8_t qh[4];
    uint8_t qs[kQK / 2];
};
struct BlockQ8_0 {
    uint16_t d;
    int8_t qs[kQK];
};
struct BlockQ8_1 {  // s = d * sum(qs)
    uint16_t d, s;
    int8_t qs[kQK];
};
struct BlockIQ4NL {  // x = d * kIQ4NLValues[nibble], nibble order as Q4_0
    uint16_t d;
    uint8_t qs[kQK / 2];
};

// ---- 256-element super-blocks ----

struct BlockQ2_K {  // 16 sub-blocks of 16: x = d*(sc&15)*q - dmin*(sc>>4)
    uint8_t scales[kQKK / 16];
    uint8_t qs[kQKK / 4];
    uint16_t d, dmin;
};
struct BlockQ3_K {  // 16 sub-blocks of 16, 6-bit scales packed in 12 bytes
    uint8_t hmask[kQKK / 8];
    uint8_t qs[kQKK / 4];
    uint8_t scales[12];
    uint16_t d;
};
struct BlockQ4_K {  // 8 sub-blocks of 32, 6-bit scales and mins packed in 12 bytes
    uint16_t d, dmin;
    uint8_t scales[12];
    uint8_t qs[kQKK / 2];
};
struct BlockQ5_K {
    uint16_t d, dmin;
    uint8_t scales[12];
    uint8_t qh[kQKK / 8];
    uint8_t qs[kQKK / 2];
};
struct BlockQ6_K {  // 16 sub-blocks of 16, int8 scales
    uint8_t ql[kQKK / 2];
    uint8_t qh[kQKK / 4];
    int8_t scales[kQKK / 16];
    uint16_t d;
};
struct BlockQ8_K {  // activations of the K-quants; bsums[i] = sum of qs[16i .. 16i+15]
    float d;
    int8_t qs[kQKK];
    int16_t bsums[kQKK / 16];
};
struct BlockIQ4XS {  // 8 sub-blocks of 32 with 6-bit scales (4 low bits + 2 high bits)
    uint16_t d;
    uint16_t scalesH;
    uint8_t scalesL[kQKK / 64];
    uint8_t qs[kQKK / 2];
};
struct BlockTQ1_0 {  // ternary, 5 trits per byte (qs) and 4 per byte (qh)
    uint8_t qs[(kQKK - 4 * kQKK / 64) / 5];
    uint8_t qh[kQKK / 64];
    uint16_t d;
};
struct BlockTQ2_0 {  // ternary, 2 bits per element
    uint8_t qs[kQKK / 4];
    uint16_t d;
};


// blockBytes in ggml_type.cpp is a runtime table; the dispatch test checks it equals
// these sizes (kernelBlockBytes in ref_kernels.h).
static_assert(sizeof(BlockQ4_0) == 18 && sizeof(BlockQ4_1) == 20);
static_assert(sizeof(BlockQ5_0) == 22 && sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockQ8_0) == 34 && sizeof(BlockQ8_1) == 36);
static_assert(sizeof(BlockIQ4NL) == 18);
static_assert(sizeof(BlockQ2_K) == 84 && sizeof(BlockQ3_K) == 110);
static_assert(sizeof(BlockQ4_K) == 144 && sizeof(BlockQ5_K) == 176);
static_assert(sizeof(BlockQ6_K) == 210 && sizeof(BlockQ8_K) == 292);
static_assert(sizeof(BlockIQ4XS) == 136);
static_assert(sizeof(BlockTQ1_0) == 54 && sizeof(BlockTQ2_0) == 66);

// Q4_K / Q5_K: 8 6-bit scales and 8 6-bit mins in 12 bytes. Sub-blocks 0..3 use
// the low 6 bits of bytes 0..3 (scale) and 4..7 (min); sub-blocks 4..7 take 4 bits
// from bytes 8..11 and their top 2 bits from the spare bits of bytes 0..7.
struct ScaleMin {
    int scale, min;
};
inline ScaleMin q4kScaleMin(int j, const uint8_t s[12]) {
    if (j < 4) return {s[j] & 63, s[j + 4] & 63};
    return {(s[j + 4] & 0x0f) | ((s[j - 4] >> 6) << 4), (s[j + 4] >> 4) | ((s[j] >> 6) << 4)};
}

// Q6_K element values of one super-block in element order, q - 32 (-32..31).
void unpackQ6K(const BlockQ6_K& b, int8_t q[kQKK]);

}  // namespace kernels::ref
