// Weight quantizers of the K-quants (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K).
//
// Each super-block of 256 values is split into sub-blocks (16 or 32 values). Every
// sub-block gets its own float scale (and min, for the affine types) from a weighted
// least-squares search over candidate grids; the sub-block scales are then quantized
// against one fp16 super-block scale, and the values are re-quantized with the
// scales as they will be decoded, so rounding of the scales is not paid twice.
// Weights favour large magnitudes (w = rms + |x|): they matter most in a dot product.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "blocks.h"
#include "ref_kernels.h"

namespace kernels::ref {
namespace {

float rms(const float* x, int n) {
    double s = 0.0;
    for (int i = 0; i < n; ++i) s += static_cast<double>(x[i]) * x[i];
    return static_cast<float>(std::sqrt(s / n));
}

void magnitudeWeights(const float* x, int n, float* w) {
    const float r = rms(x, n);
    for (int i = 0; i < n; ++i) w[i] = r + std::fabs(x[i]);
}

// x ~= scale * q with q in [-nmax, nmax-1]. The value of largest magnitude maps to
// -nmax (the side with one more level); 19 nearby grids are tried and the one with
// the smallest weighted error (largest (sum w x q)^2 / sum w q^2) wins. Returns the
// least-squares scale of the winning grid (may be negative).
float fitSymmetric(const float* x, const float* w, int n, int nmax) {
    float amax = 0.0f, max = 0.0f;
    for (int i = 0; i < n; ++i)
        if (std::fabs(x[i]) > amax) {
            amax = std::fabs(x[i]);
            max = x[i];
        }
    if (amax < 1e-30f) return 0.0f;
    float bestScore = -1.0f, bestScale = 0.0f;
    for (int step = -9; step <= 9; ++step) {
        const float iscale = -(static_cast<float>(nmax) + 0.1f * static_cast<float>(step)) / max;
        double sumlx = 0.0, suml2 = 0.0;
        for (int i = 0; i < n; ++i) {
            const int l = std::clamp(nearestInt(iscale * x[i]), -nmax, nmax - 1);
            sumlx += static_cast<double>(w[i]) * x[i] * l;
            suml2 += static_cast<double>(w[i]) * l * l;
        }
        if (suml2 <= 0.0) continue;
        const double score = sumlx * sumlx / suml2;
        if (score > bestScore) {
            bestScore = static_cast<float>(score);
            bestScale = static_cast<float>(sumlx / suml2);
        }
    }
    return bestScale;
}

// x ~= scale * q - min with q in [0, nmax], scale >= 0, min >= 0 (the formats store
// a non-negative min that is subtracted). Tries 21 grids around (max - min) / nmax
// and solves the weighted 2x2 least-squares problem for (scale, min) on each.
struct Affine {
    float scale = 0.0f, min = 0.0f;
};
Affine fitAffine(const float* x, const float* w, int n, int nmax) {
    float lo = x[0], hi = x[0];
    for (int i = 1; i < n; ++i) {
        lo = std::min(lo, x[i]);
        hi = std::max(hi, x[i]);
    }
    lo = std::min(lo, 0.0f);
    if (hi <= lo) return {0.0f, -lo};
    Affine best{(hi - lo) / static_cast<float>(nmax), -lo};
    double bestErr = 0.0;
    for (int i = 0; i < n; ++i) {
        const int l = std::clamp(nearestInt((x[i] - lo) / best.scale), 0, nmax);
        const double e = best.scale * l - best.min - x[i];
        bestErr += w[i] * e * e;
    }
    double sxx = 0;
    for (int i = 0; i < n; ++i) sxx += static_cast<double>(w[i]) * x[i] * x[i];
    for (int step = 0; step <= 20; ++step) {
        const float iscale = (static_cast<float>(nmax) - 1.0f + 0.1f * static_cast<float>(step)) / (hi - lo);
        double sw = 0, sl = 0, sll = 0, sx = 0, slx = 0;
        for (int i = 0; i < n; ++i) {
            const int l = std::clamp(nearestInt(iscale * (x[i] - lo)), 0, nmax);
            sw += w[i];
            sl += w[i] * l;
            sll += w[i] * l * l;
            sx += w[i] * x[i];
            slx += w[i] * l * x[i];
        }
        const double det = sw * sll - sl * sl;
        if (det <= 0.0) continue;
        double scale = (sw * slx - sx * sl) / det;
        double offset = (sll * sx - sl * slx) / det;  // x ~= scale*q + offset
        if (offset > 0.0) {                           // the formats cannot add: offset 0
            offset = 0.0;
            scale = sll > 0.0 ? slx / sll : 0.0;
        }
        if (scale <= 0.0) continue;
        // weighted squared error of x ~= scale*l + offset, expanded over the sums above
        const double err = sxx + scale * scale * sll + offset * offset * sw - 2 * scale * slx - 2 * offset * sx +
                           2 * scale * offset * sl;
        if (err < bestErr) {
            bestErr = err;
            best = {static_cast<float>(scale), static_cast<float>(-offset)};
        }
    }
    return best;
}

// Quantizes non-negative sub-block values v[0..count) to integers in [0, qmax]
// against one fp16 super scale; returns the stored fp16 and fills q.
uint16_t quantizeUnsignedScales(const float* v, int count, int qmax, int* q) {
    const float vmax = *std::max_element(v, v + count);
    const uint16_t dh = floatToHalf(vmax / static_cast<float>(qmax));
    const float d = halfToFloat(dh);
    for (int j = 0; j < count; ++j) q[j] = d > 0.0f ? std::clamp(nearestInt(v[j] / d), 0, qmax) : 0;
    return dh;
}

// Signed sub-block scales to integers in [-half, half-1] (the largest magnitude maps
// to -half); returns the float super scale (the caller stores it in fp16).
float quantizeSignedScales(const float* s, int count, int half, int* q) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < count; ++j)
        if (std::fabs(s[j]) > amax) {
            amax = std::fabs(s[j]);
            max = s[j];
        }
    if (amax < 1e-30f) {
        std::fill(q, q + count, 0);
        return 0.0f;
    }
    const float iscale = -static_cast<float>(half) / max;
    for (int j = 0; j < count; ++j) q[j] = std::clamp(nearestInt(iscale * s[j]), -half, half - 1);
    return 1.0f / iscale;
}

// Affine super-block (Q2_K, Q4_K, Q5_K): per-sub-block fits, 4- or 6-bit scales and
// mins, then the values re-quantized with the decoded scales. Fills L[256] in [0, nmax]
// and the integer scales/mins; returns the fp16 d and dmin.
struct AffineBlock {
    uint16_t d = 0, dmin = 0;
    int scales[16] = {}, mins[16] = {};
    uint8_t L[kQKK] = {};
};
AffineBlock quantizeAffineBlock(const float* x, int subBlock, int nmax, int scaleMax) {
    AffineBlock out;
    const int subs = kQKK / subBlock;
    float w[kQKK], scales[16], mins[16];
    magnitudeWeights(x, kQKK, w);
    for (int j = 0; j < subs; ++j) {
        const Affine a = fitAffine(x + j * subBlock, w + j * subBlock, subBlock, nmax);
        scales[j] = a.scale;
        mins[j] = a.min;
    }
    out.d = quantizeUnsignedScales(scales, subs, scaleMax, out.scales);
    out.dmin = quantizeUnsignedScales(mins, subs, scaleMax, out.mins);
    const float d = halfToFloat(out.d), dmin = halfToFloat(out.dmin);
    for (int j = 0; j < subs; ++j) {
        const float ds = d * static_cast<float>(out.scales[j]);
        const float dm = dmin * static_cast<float>(out.mins[j]);
        for (int i = j * subBlock; i < (j + 1) * subBlock; ++i)
            out.L[i] = static_cast<uint8_t>(ds > 0.0f ? std::clamp(nearestInt((x[i] + dm) / ds), 0, nmax) : 0);
    }
    return out;
}

// Symmetric super-block (Q3_K, Q6_K): 16 sub-blocks of 16, signed integer scales in
// [-scaleHalf, scaleHalf-1], values in [-nmax, nmax-1]. Returns the float super scale.
float quantizeSymmetricBlock(const float* x, int nmax, int scaleHalf, int scales[16], int8_t L[kQKK]) {
    float w[kQKK], s[16];
    magnitudeWeights(x, kQKK, w);
    for (int j = 0; j < 16; ++j) s[j] = fitSymmetric(x + 16 * j, w + 16 * j, 16, nmax);
    const float d = halfToFloat(floatToHalf(quantizeSignedScales(s, 16, scaleHalf, scales)));
    for (int j = 0; j < 16; ++j) {
        const float ds = d * static_cast<float>(scales[j]);
        for (int i = 16 * j; i < 16 * j + 16; ++i)
            L[i] = static_cast<int8_t>(ds != 0.0f ? std::clamp(nearestInt(x[i] / ds), -nmax, nmax - 1) : 0);
    }
    return d;
}

// Q4_K / Q5_K scale bytes: inverse of the 12-byte 6-bit packing the decoder reads.
void packScaleMin6(const int* sc, const int* mn, uint8_t s[12]) {
    std::memset(s, 0, 12);
    for (int j = 0; j < 4; ++j) {
        s[j] = static_cast<uint8_t>(sc[j]);
        s[j + 4] = static_cast<uint8_t>(mn[j]);
    }
    for (int j = 4; j < 8; ++j) {
        s[j + 4] = static_cast<uint8_t>((sc[j] & 0x0f) | ((mn[j] & 0x0f) << 4));
        s[j - 4] |= static_cast<uint8_t>((sc[j] >> 4) << 6);
        s[j] |= static_cast<uint8_t>((mn[j] >> 4) << 6);
    }
}

}  // namespace

void quantize_q2_k_ref(const float* x, void* dst, int64_t n) {
    auto* b = static_cast<BlockQ2_K*>(dst);
    for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
        const AffineBlock a = quantizeAffineBlock(x, 16, 3, 15);
        std::memset(&b[i], 0, sizeof b[i]);
        b[i].d = a.d;
        b[i].dmin = a.dmin;
        for (int j = 0; j < 16; ++j) b[i].scales[j] = static_cast<uint8_t>(a.scales[j] | (a.mins[j] << 4));
        for (int e = 0; e < kQKK; ++e)
            b[i].qs[32 * (e / 128) + e % 32] |= static_cast<uint8_t>(a.L[e] << (2 * ((e / 32) % 4)));
    }
}

void quantize_q3_k_ref(const float* x, void* dst, int64_t n) {
    auto* b = static_cast<BlockQ3_K*>(dst);
    int scales[16];
    int8_t L[kQKK];
    for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
        const float d = quantizeSymmetricBlock(x, 4, 32, scales, L);
        std::memset(&b[i], 0, sizeof b[i]);
        b[i].d = floatToHalf(d);
        for (int j = 0; j < 16; ++j) {  // stored as scale + 32: 4 low bits, then 2 high bits
            const int u = scales[j] + 32;
            if (j < 8) b[i].scales[j] |= static_cast<uint8_t>(u & 0x0f);
            else b[i].scales[j - 8] |= static_cast<uint8_t>((u & 0x0f) << 4);
            b[i].scales[8 + j % 4] |= static_cast<uint8_t>((u >> 4) << (2 * (j / 4)));
        }
        for (int e = 0; e < kQKK; ++e) {  // value + 4 in [0, 7]: 2 bits in qs, the 3rd in hmask
            const int v = L[e] + 4, half = e / 128, shift = (e % 128) / 32, l = e % 32;
            b[i].qs[half * 32 + l] |= static_cast<uint8_t>((v & 3) << (2 * shift));
            if (v >> 2) b[i].hmask[l] |= static_cast<uint8_t>(1u << (half * 4 + shift));
        }
    }
}

void quantize_q4_k_ref(const float* x, void* dst, int64_t n) {
    auto* b = static_cast<BlockQ4_K*>(dst);
    for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
        const AffineBlock a = quantizeAffineBlock(x, 32, 15, 63);
        b[i].d = a.d;
        b[i].dmin = a.dmin;
        packScaleMin6(a.scales, a.mins, b[i].scales);
        for (int c = 0; c < 4; ++c)  // 64 values per 32 bytes: low nibbles, then high
            for (int l = 0; l < 32; ++l)
                b[i].qs[c * 32 + l] = static_cast<uint8_t>(a.L[c * 64 + l] | (a.L[c * 64 + 32 + l] << 4));
    }
}

void quantize_q5_k_ref(const float* x, void* dst, int64_t n) {
    auto* b = static_cast<BlockQ5_K*>(dst);
    for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
        const AffineBlock a = quantizeAffineBlock(x, 32, 31, 63);
        b[i].d = a.d;
        b[i].dmin = a.dmin;
        packScaleMin6(a.scales, a.mins, b[i].scales);
        std::memset(b[i].qh, 0, sizeof b[i].qh);
        for (int c = 0; c < 4; ++c)
            for (int l = 0; l < 32; ++l) {
                const int lo = a.L[c * 64 + l], hi = a.L[c * 64 + 32 + l];
                b[i].qs[c * 32 + l] = static_cast<uint8_t>((lo & 0x0f) | ((hi & 0x0f) << 4));
                b[i].qh[l] |= static_cast<uint8_t>(((lo >> 4) << (2 * c)) | ((hi >> 4) << (2 * c + 1)));
            }
    }
}

void quantize_q6_k_ref(const float* x, void* dst, int64_t n) {
    auto* b = static_cast<BlockQ6_K*>(dst);
    int scales[16];
    int8_t L[kQKK];
    for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
        const float d = quantizeSymmetricBlock(x, 32, 128, scales, L);
        b[i].d = floatToHalf(d);
        for (int j = 0; j < 16; ++j) b[i].scales[j] = static_cast<int8_t>(scales[j]);
        for (int half = 0; half < 2; ++half) {  // value + 32 in [0, 63]: 4 bits in ql, 2 in qh
            uint8_t* ql = b[i].ql + half * 64;
            uint8_t* qh = b[i].qh + half * 32;
            const int8_t* v = L + half * 128;
            for (int l = 0; l < 32; ++l) {
                const int a0 = v[l] + 32, a1 = v[l + 32] + 32, a2 = v[l + 64] + 32, a3 = v[l + 96] + 32;
                ql[l] = static_cast<uint8_t>((a0 & 0x0f) | ((a2 & 0x0f) << 4));
                ql[l + 32] = static_cast<uint8_t>((a1 & 0x0f) | ((a3 & 0x0f) << 4));
                qh[l] = static_cast<uint8_t>((a0 >> 4) | ((a1 >> 4) << 2) | ((a2 >> 4) << 4) | ((a3 >> 4) << 6));
            }
        }
    }
}

}  // namespace kernels::ref
