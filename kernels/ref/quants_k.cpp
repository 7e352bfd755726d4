// K-quants: Q2_K, Q3_K, Q4_K, Q5_K, Q6_K weights (256-element super-blocks) and the
// Q8_K activations they are dotted with. Weight quantization is in quantize_k.cpp.
//
// Dot products follow ggml's generic kernels: integer sums per sub-block, then the
// float accumulation they use. Q2_K adds per super-block; Q3_K..Q6_K keep 8 float
// lanes (element index mod 8) across the row and add the lanes at the end.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "blocks.h"
#include "ref_kernels.h"

namespace kernels::ref {
namespace {

// Q3_K: 16 6-bit scales in 12 bytes. Low 4 bits: bytes 0..7 (low nibbles for
// scales 0..7, high nibbles for 8..15); high 2 bits: bytes 8..11, 2 bits per scale.
std::array<int, 16> q3kScales(const uint8_t s[12]) {
    std::array<int, 16> out{};
    for (int j = 0; j < 16; ++j) {
        const int low = j < 8 ? (s[j] & 0x0f) : (s[j - 8] >> 4);
        const int high = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
        out[j] = (low | (high << 4)) - 32;
    }
    return out;
}

// Element values of one super-block, decoded into integers (before scales).
void unpackQ3K(const BlockQ3_K& b, int8_t q[kQKK]) {
    for (int half = 0; half < 2; ++half)  // 128 elements per 32 bytes of qs
        for (int shift = 0; shift < 4; ++shift) {
            const uint8_t hbit = static_cast<uint8_t>(1u << (half * 4 + shift));
            for (int l = 0; l < 32; ++l) {
                const int low = (b.qs[half * 32 + l] >> (2 * shift)) & 3;
                q[half * 128 + shift * 32 + l] = static_cast<int8_t>(low - ((b.hmask[l] & hbit) ? 0 : 4));
            }
        }
}

void unpackQ4K(const uint8_t* qs, const uint8_t* qh, int8_t q[kQKK]) {
    for (int chunk = 0; chunk < 4; ++chunk)  // 64 elements per 32 bytes: low then high nibbles
        for (int l = 0; l < 32; ++l) {
            const uint8_t byte = qs[chunk * 32 + l];
            int lo = byte & 0x0f, hi = byte >> 4;
            if (qh) {  // Q5_K: 5th bit of chunk c lives in bits 2c and 2c+1 of qh[l]
                lo |= ((qh[l] >> (2 * chunk)) & 1) << 4;
                hi |= ((qh[l] >> (2 * chunk + 1)) & 1) << 4;
            }
            q[chunk * 64 + l] = static_cast<int8_t>(lo);
            q[chunk * 64 + 32 + l] = static_cast<int8_t>(hi);
        }
}


// The 8-lane accumulation of the generic K-quant dots: lane l sums scale * q * a
// over the elements with index = l (mod 8); `subBlock` elements share one scale.
struct Lanes {
    std::array<float, 8> sums{};
    void add(const int8_t* q, const int8_t* a, const int* scales, int subBlock, float d) {
        std::array<int32_t, 8> acc{};
        for (int e = 0; e < kQKK; ++e) acc[e % 8] += scales[e / subBlock] * (q[e] * a[e]);
        for (int l = 0; l < 8; ++l) sums[l] += d * static_cast<float>(acc[l]);
    }
    float total(float sumf) const {
        for (float s : sums) sumf += s;
        return sumf;
    }
};

// sum over 16-element groups of bsums * min of the group's 32-element sub-block
int minsTerm(const BlockQ8_K& y, const uint8_t scales[12]) {
    int sum = 0;
    for (int j = 0; j < 16; ++j) sum += y.bsums[j] * q4kScaleMin(j / 2, scales).min;
    return sum;
}

}  // namespace

void unpackQ6K(const BlockQ6_K& b, int8_t q[kQKK]) {
    for (int half = 0; half < 2; ++half) {
        const uint8_t* ql = b.ql + half * 64;
        const uint8_t* qh = b.qh + half * 32;
        int8_t* out = q + half * 128;
        for (int l = 0; l < 32; ++l) {
            out[l] = static_cast<int8_t>(((ql[l] & 0x0f) | (((qh[l] >> 0) & 3) << 4)) - 32);
            out[l + 32] = static_cast<int8_t>(((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4)) - 32);
            out[l + 64] = static_cast<int8_t>(((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
            out[l + 96] = static_cast<int8_t>(((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
        }
    }
}

// ---------------------------------------------------------------- dequantize

void dequantize_q2_k_ref(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const BlockQ2_K*>(src);
    for (int64_t i = 0; i < n / kQKK; ++i, dst += kQKK) {
        const float d = halfToFloat(b[i].d), dmin = halfToFloat(b[i].dmin);
        // element e: 2 bits at shift 2*((e/32)%4) of qs[32*(e/128) + e%32]; scale e/16
        for (int e = 0; e < kQKK; ++e) {
            const int q = (b[i].qs[32 * (e / 128) + e % 32] >> (2 * ((e / 32) % 4))) & 3;
            const uint8_t sc = b[i].scales[e / 16];
            dst[e] = d * static_cast<float>(sc & 0x0f) * static_cast<float>(q) - dmin * static_cast<float>(sc >> 4);
        }
    }
}

void dequantize_q3_k_ref(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const BlockQ3_K*>(src);
    int8_t q[kQKK];
    for (int64_t i = 0; i < n / kQKK; ++i, dst += kQKK) {
        const float d = halfToFloat(b[i].d);
        const std::array<int, 16> sc = q3kScales(b[i].scales);
        unpackQ3K(b[i], q);
        for (int e = 0; e < kQKK; ++e) dst[e] = d * static_cast<float>(sc[e / 16]) * static_cast<float>(q[e]);
    }
}

void dequantize_q4_k_ref(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const BlockQ4_K*>(src);
    int8_t q[kQKK];
    for (int64_t i = 0; i < n / kQKK; ++i, dst += kQKK) {
        const float d = halfToFloat(b[i].d), dmin = halfToFloat(b[i].dmin);
        unpackQ4K(b[i].qs, nullptr, q);
        for (int s = 0; s < 8; ++s) {
            const ScaleMin sm = q4kScaleMin(s, b[i].scales);
            const float d1 = d * static_cast<float>(sm.scale), m1 = dmin * static_cast<float>(sm.min);
            for (int l = 0; l < 32; ++l) dst[s * 32 + l] = d1 * static_cast<float>(q[s * 32 + l]) - m1;
        }
    }
}

void dequantize_q5_k_ref(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const BlockQ5_K*>(src);
    int8_t q[kQKK];
    for (int64_t i = 0; i < n / kQKK; ++i, dst += kQKK) {
        const float d = halfToFloat(b[i].d), dmin = halfToFloat(b[i].dmin);
        unpackQ4K(b[i].qs, b[i].qh, q);
        for (int s = 0; s < 8; ++s) {
            const ScaleMin sm = q4kScaleMin(s, b[i].scales);
            const float d1 = d * static_cast<float>(sm.scale), m1 = dmin * static_cast<float>(sm.min);
            for (int l = 0; l < 32; ++l) dst[s * 32 + l] = d1 * static_cast<float>(q[s * 32 + l]) - m1;
        }
    }
}

void dequantize_q6_k_ref(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const BlockQ6_K*>(src);
    int8_t q[kQKK];
    for (int64_t i = 0; i < n / kQKK; ++i, dst += kQKK) {
        const float d = halfToFloat(b[i].d);
        unpackQ6K(b[i], q);
        for (int e = 0; e < kQKK; ++e)
            dst[e] = d * static_cast<float>(b[i].scales[e / 16]) * static_cast<float>(q[e]);
    }
}

void dequantize_q8_k_ref(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const BlockQ8_K*>(src);
    for (int64_t i = 0; i < n / kQKK; ++i, dst += kQKK)
        for (int e = 0; e < kQKK; ++e) dst[e] = b[i].d * static_cast<float>(b[i].qs[e]);
}

// ---------------------------------------------------------------- Q8_K activations

void quantize_q8_k_ref(const float* x, void* dst, int64_t n) {
    auto* b = static_cast<BlockQ8_K*>(dst);
    for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
        float amax = 0.0f, max = 0.0f;  // max: the signed value of largest magnitude
        for (int e = 0; e < kQKK; ++e)
            if (std::fabs(x[e]) > amax) {
                amax = std::fabs(x[e]);
                max = x[e];
            }
        std::memset(b[i].bsums, 0, sizeof b[i].bsums);
        if (amax == 0.0f) {
            b[i].d = 0.0f;
            std::memset(b[i].qs, 0, sizeof b[i].qs);
            continue;
        }
        // negative scale: the extreme maps to -127, the other side may reach +128 -> 127
        const float iscale = -127.0f / max;
        for (int e = 0; e < kQKK; ++e) b[i].qs[e] = static_cast<int8_t>(std::min(127, nearestInt(iscale * x[e])));
        for (int e = 0; e < kQKK; ++e) b[i].bsums[e / 16] = static_cast<int16_t>(b[i].bsums[e / 16] + b[i].qs[e]);
        b[i].d = 1.0f / iscale;
    }
}

// ---------------------------------------------------------------- dot products

float dot_q2_k_q8_k_ref(int64_t n, const void* w, const void* a) {
    const auto* x = static_cast<const BlockQ2_K*>(w);
    const auto* y = static_cast<const BlockQ8_K*>(a);
    float sumf = 0.0f;
    for (int64_t i = 0; i < n / kQKK; ++i) {
        int summs = 0;  // mins: per 16-element group, bsums carry the activation sums
        for (int j = 0; j < 16; ++j) summs += y[i].bsums[j] * (x[i].scales[j] >> 4);
        int isum = 0;
        for (int g = 0; g < 16; ++g) {
            int s = 0;
            for (int e = g * 16; e < g * 16 + 16; ++e)
                s += y[i].qs[e] * ((x[i].qs[32 * (e / 128) + e % 32] >> (2 * ((e / 32) % 4))) & 3);
            isum += (x[i].scales[g] & 0x0f) * s;
        }
        const float dall = y[i].d * halfToFloat(x[i].d);
        const float dmin = y[i].d * halfToFloat(x[i].dmin);
        sumf += dall * static_cast<float>(isum) - dmin * static_cast<float>(summs);
    }
    return sumf;
}

float dot_q3_k_q8_k_ref(int64_t n, const void* w, const void* a) {
    const auto* x = static_cast<const BlockQ3_K*>(w);
    const auto* y = static_cast<const BlockQ8_K*>(a);
    Lanes lanes;
    int8_t q[kQKK];
    for (int64_t i = 0; i < n / kQKK; ++i) {
        unpackQ3K(x[i], q);
        const std::array<int, 16> sc = q3kScales(x[i].scales);
        lanes.add(q, y[i].qs, sc.data(), 16, halfToFloat(x[i].d) * y[i].d);
    }
    return lanes.total(0.0f);
}

float dot_q4_k_q8_k_ref(int64_t n, const void* w, const void* a) {
    const auto* x = static_cast<const BlockQ4_K*>(w);
    const auto* y = static_cast<const BlockQ8_K*>(a);
    Lanes lanes;
    float sumf = 0.0f;
    int8_t q[kQKK];
    for (int64_t i = 0; i < n / kQKK; ++i) {
        unpackQ4K(x[i].qs, nullptr, q);
        int sc[8];
        for (int s = 0; s < 8; ++s) sc[s] = q4kScaleMin(s, x[i].scales).scale;
        lanes.add(q, y[i].qs, sc, 32, halfToFloat(x[i].d) * y[i].d);
        sumf -= (halfToFloat(x[i].dmin) * y[i].d) * static_cast<float>(minsTerm(y[i], x[i].scales));
    }
    return lanes.total(sumf);
}

float dot_q5_k_q8_k_ref(int64_t n, const void* w, const void* a) {
    const auto* x = static_cast<const BlockQ5_K*>(w);
    const auto* y = static_cast<const BlockQ8_K*>(a);
    Lanes lanes;
    float sumf = 0.0f;
    int8_t q[kQKK];
    for (int64_t i = 0; i < n / kQKK; ++i) {
        unpackQ4K(x[i].qs, x[i].qh, q);
        int sc[8];
        for (int s = 0; s < 8; ++s) sc[s] = q4kScaleMin(s, x[i].scales).scale;
        lanes.add(q, y[i].qs, sc, 32, halfToFloat(x[i].d) * y[i].d);
        sumf -= (halfToFloat(x[i].dmin) * y[i].d) * static_cast<float>(minsTerm(y[i], x[i].scales));
    }
    return lanes.total(sumf);
}

float dot_q6_k_q8_k_ref(int64_t n, const void* w, const void* a) {
    const auto* x = static_cast<const BlockQ6_K*>(w);
    const auto* y = static_cast<const BlockQ8_K*>(a);
    Lanes lanes;
    int8_t q[kQKK];
    for (int64_t i = 0; i < n / kQKK; ++i) {
        unpackQ6K(x[i], q);
        int sc[16];
        for (int s = 0; s < 16; ++s) sc[s] = x[i].scales[s];
        lanes.add(q, y[i].qs, sc, 16, halfToFloat(x[i].d) * y[i].d);
    }
    return lanes.total(0.0f);
}

}  // namespace kernels::ref
