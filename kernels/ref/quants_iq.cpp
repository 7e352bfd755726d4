// Non-linear 4-bit types: IQ4_NL (32-element blocks, Q8_0 activations) and IQ4_XS
// (256-element super-blocks with 6-bit sub-block scales, Q8_K activations). Both
// index the same 16-entry signed codebook.
//
// The quantizer follows the reference without an importance matrix (weights x^2):
// per 32-element block, an initial scale from the extreme value, then a search over
// 15 candidate scales keeping the weighted least-squares best; IQ4_XS then quantizes
// the block scales to 6 bits against one fp16 super-block scale.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "blocks.h"
#include "ref_kernels.h"

namespace kernels::ref {
namespace {

constexpr int8_t kIQ4NLValues[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                     1,    13,   25,  38,  53,  69,  89,  113};
constexpr float kGroupMaxEps = 1e-15f;
constexpr int kScaleTries = 7;  // candidate scales: (values[0] + t) / max for t in [-7, 7]

// Index of the codebook entry nearest to x (ties go to the lower entry).
int nearestCodebookIndex(float x) {
    if (x <= kIQ4NLValues[0]) return 0;
    if (x >= kIQ4NLValues[15]) return 15;
    int lo = 0, hi = 15;
    while (hi - lo > 1) {
        const int mid = (lo + hi) / 2;
        if (x < kIQ4NLValues[mid]) hi = mid; else lo = mid;
    }
    return x - kIQ4NLValues[hi - 1] < kIQ4NLValues[hi] - x ? hi - 1 : hi;
}

// Weighted least-squares sums for the codes nearest to x at inverse scale id.
struct Fit {
    float sumqx = 0.0f, sumq2 = 0.0f;
};
Fit fitAt(const float* x, const float* w, float id) {
    Fit f;
    for (int j = 0; j < kQK; ++j) {
        const int l = nearestCodebookIndex(id * x[j]);
        const float q = kIQ4NLValues[l];
        f.sumqx += w[j] * q * x[j];
        f.sumq2 += w[j] * q * q;
    }
    return f;
}

// Best scale of one 32-element block (0 for an all-zero block).
float bestBlockScale(const float* x) {
    float weight[kQK];
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < kQK; ++j) {
        weight[j] = x[j] * x[j];
        if (std::fabs(x[j]) > amax) {
            amax = std::fabs(x[j]);
            max = x[j];
        }
    }
    if (amax < kGroupMaxEps) return 0.0f;
    // first guess maps the extreme to +127 (then the search tries the -127 side)
    const float d0 = -max / kIQ4NLValues[0];
    const Fit first = fitAt(x, weight, 1.0f / d0);
    float d = first.sumqx / first.sumq2;
    float best = d * first.sumqx;
    for (int t = -kScaleTries; t <= kScaleTries; ++t) {
        const Fit f = fitAt(x, weight, (static_cast<float>(t) + kIQ4NLValues[0]) / max);
        if (f.sumq2 > 0 && f.sumqx * f.sumqx > best * f.sumq2) {
            d = f.sumqx / f.sumq2;
            best = d * f.sumqx;
        }
    }
    return d;
}

// Codes for 32 elements at scale d, packed two per byte (element j low, j+16 high).
void packCodes(const float* x, float d, uint8_t qs[kQK / 2]) {
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    uint8_t l[kQK];
    for (int j = 0; j < kQK; ++j) l[j] = static_cast<uint8_t>(nearestCodebookIndex(id * x[j]));
    for (int j = 0; j < kQK / 2; ++j) qs[j] = static_cast<uint8_t>(l[j] | (l[j + 16] << 4));
}

int iq4xsScale(const BlockIQ4XS& b, int s) {
    const int low = (b.scalesL[s / 2] >> (4 * (s % 2))) & 0x0f;
    const int high = (b.scalesH >> (2 * s)) & 3;
    return (low | (high << 4)) - 32;
}

}  // namespace

void dequantize_iq4_nl_ref(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const BlockIQ4NL*>(src);
    for (int64_t i = 0; i < n / kQK; ++i, dst += kQK) {
        const float d = halfToFloat(b[i].d);
        for (int j = 0; j < kQK / 2; ++j) {
            dst[j] = d * static_cast<float>(kIQ4NLValues[b[i].qs[j] & 0x0f]);
            dst[j + 16] = d * static_cast<float>(kIQ4NLValues[b[i].qs[j] >> 4]);
        }
    }
}

void dequantize_iq4_xs_ref(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const BlockIQ4XS*>(src);
    for (int64_t i = 0; i < n / kQKK; ++i) {
        const float d = halfToFloat(b[i].d);
        for (int s = 0; s < 8; ++s, dst += kQK) {
            const float dl = d * static_cast<float>(iq4xsScale(b[i], s));
            const uint8_t* qs = b[i].qs + 16 * s;
            for (int j = 0; j < 16; ++j) {
                dst[j] = dl * static_cast<float>(kIQ4NLValues[qs[j] & 0x0f]);
                dst[j + 16] = dl * static_cast<float>(kIQ4NLValues[qs[j] >> 4]);
            }
        }
    }
}

void quantize_iq4_nl_ref(const float* x, void* dst, int64_t n) {
    auto* b = static_cast<BlockIQ4NL*>(dst);
    for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
        const float d = bestBlockScale(x);
        b[i].d = floatToHalf(d);
        // codes re-chosen at the final (unrounded) scale; a zero block gets code 8 (+1)
        packCodes(x, d, b[i].qs);
    }
}

void quantize_iq4_xs_ref(const float* x, void* dst, int64_t n) {
    auto* b = static_cast<BlockIQ4XS*>(dst);
    for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
        float scales[8];
        float amaxScale = 0.0f, maxScale = 0.0f;
        for (int s = 0; s < 8; ++s) {
            scales[s] = bestBlockScale(x + s * kQK);
            if (std::fabs(scales[s]) > amaxScale) {
                amaxScale = std::fabs(scales[s]);
                maxScale = scales[s];
            }
        }
        const float d = -maxScale / 32.0f;  // the largest block scale maps to level -32
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d = floatToHalf(d);
        b[i].scalesH = 0;
        std::memset(b[i].scalesL, 0, sizeof b[i].scalesL);
        for (int s = 0; s < 8; ++s) {
            const int l = std::clamp(nearestInt(id * scales[s]), -32, 31);
            packCodes(x + s * kQK, d * static_cast<float>(l), b[i].qs + 16 * s);
            const int biased = l + 32;
            b[i].scalesL[s / 2] = static_cast<uint8_t>(b[i].scalesL[s / 2] | ((biased & 0x0f) << (4 * (s % 2))));
            b[i].scalesH = static_cast<uint16_t>(b[i].scalesH | ((biased >> 4) << (2 * s)));
        }
    }
}

float dot_iq4_nl_q8_0_ref(int64_t n, const void* w, const void* a) {
    const auto* x = static_cast<const BlockIQ4NL*>(w);
    const auto* y = static_cast<const BlockQ8_0*>(a);
    float sumf = 0.0f;
    for (int64_t i = 0; i < n / kQK; ++i) {
        int sumi = 0;
        for (int j = 0; j < kQK / 2; ++j) {
            sumi += y[i].qs[j] * kIQ4NLValues[x[i].qs[j] & 0x0f];
            sumi += y[i].qs[j + 16] * kIQ4NLValues[x[i].qs[j] >> 4];
        }
        sumf += (halfToFloat(y[i].d) * halfToFloat(x[i].d)) * static_cast<float>(sumi);
    }
    return sumf;
}

float dot_iq4_xs_q8_k_ref(int64_t n, const void* w, const void* a) {
    const auto* x = static_cast<const BlockIQ4XS*>(w);
    const auto* y = static_cast<const BlockQ8_K*>(a);
    float sumf = 0.0f;
    for (int64_t i = 0; i < n / kQKK; ++i) {
        const float d4d8 = halfToFloat(x[i].d) * y[i].d;
        for (int s = 0; s < 8; ++s) {  // float accumulation per 32-element sub-block
            const uint8_t* qs = x[i].qs + 16 * s;
            const int8_t* q8 = y[i].qs + 32 * s;
            int sumi = 0;
            for (int j = 0; j < 16; ++j)
                sumi += q8[j] * kIQ4NLValues[qs[j] & 0x0f] + q8[j + 16] * kIQ4NLValues[qs[j] >> 4];
            sumf += (d4d8 * static_cast<float>(iq4xsScale(x[i], s))) * static_cast<float>(sumi);
        }
    }
    return sumf;
}

}  // namespace kernels::ref
