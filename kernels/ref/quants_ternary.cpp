// Ternary types (values -d, 0, +d): TQ1_0 packs 5 trits per byte as a base-3
// fixed-point fraction (1.6 bits per element), TQ2_0 stores 2 bits per element.
// Both dot against Q8_K activations.
//
// TQ1_0 layout of 256 elements: qs[0..31] hold elements 0..159 (trit n of byte m is
// element 32n + m), qs[32..47] hold 160..239 (trit n of byte m is 160 + 16n + m),
// qh[0..3] hold 240..255 (trit n of byte j is 240 + 4n + j). A byte b holds the
// trits of ceil(v * 256 / 243) where v = sum t_n 3^(4-n); trit n is recovered as
// ((uint8)(b * 3^n) * 3) >> 8.
#include <cmath>

#include "blocks.h"
#include "ref_kernels.h"

namespace kernels::ref {
namespace {

constexpr uint8_t kPow3[6] = {1, 3, 9, 27, 81, 243};

// Trit n (0, 1, 2 for -1, 0, +1) of a TQ1_0 byte.
inline int trit(uint8_t b, int n) {
    const uint8_t shifted = static_cast<uint8_t>(b * kPow3[n]);  // keeps the fraction mod 1
    return (static_cast<uint16_t>(shifted) * 3) >> 8;
}

// Element index of trit n in byte `byteIndex` of the 52 packed bytes (qs then qh).
inline int tq1Element(int byteIndex, int n) {
    if (byteIndex < 32) return 32 * n + byteIndex;
    if (byteIndex < 48) return 160 + 16 * n + (byteIndex - 32);
    return 240 + 4 * n + (byteIndex - 48);
}

// Calls f(element, trit) for every element of a TQ1_0 block.
template <typename F>
void forEachTrit(const BlockTQ1_0& b, F&& f) {
    for (int byte = 0; byte < 48; ++byte)
        for (int n = 0; n < 5; ++n) f(tq1Element(byte, n), trit(b.qs[byte], n));
    for (int j = 0; j < 4; ++j)
        for (int n = 0; n < 4; ++n) f(tq1Element(48 + j, n), trit(b.qh[j], n));
}

// Byte of trits t[0..count-1] (0..2 each), most significant first, padded to 5.
uint8_t packTrits(const int* t, int count) {
    int v = 0;
    for (int n = 0; n < count; ++n) v = v * 3 + t[n];
    for (int n = count; n < 5; ++n) v *= 3;
    return static_cast<uint8_t>((v * 256 + 242) / 243);  // ceiling division
}

float absMax(const float* x, int n) {
    float amax = 0.0f;
    for (int j = 0; j < n; ++j) amax = std::fmax(amax, std::fabs(x[j]));
    return amax;
}

// -1, 0, 1 -> 0, 1, 2 (round half away from zero, as lroundf)
inline int ternaryCode(float v) { return static_cast<int>(std::lround(v)) + 1; }

}  // namespace

void dequantize_tq1_0_ref(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const BlockTQ1_0*>(src);
    for (int64_t i = 0; i < n / kQKK; ++i, dst += kQKK) {
        const float d = halfToFloat(b[i].d);
        forEachTrit(b[i], [&](int e, int t) { dst[e] = static_cast<float>(t - 1) * d; });
    }
}

void dequantize_tq2_0_ref(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const BlockTQ2_0*>(src);
    for (int64_t i = 0; i < n / kQKK; ++i, dst += kQKK) {
        const float d = halfToFloat(b[i].d);
        // element 128h + 32l + m: bits 2l of qs[32h + m]
        for (int e = 0; e < kQKK; ++e) {
            const int q = (b[i].qs[32 * (e / 128) + e % 32] >> (2 * ((e / 32) % 4))) & 3;
            dst[e] = static_cast<float>(q - 1) * d;
        }
    }
}

void quantize_tq1_0_ref(const float* x, void* dst, int64_t n) {
    auto* b = static_cast<BlockTQ1_0*>(dst);
    for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
        const float d = absMax(x, kQKK);
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d = floatToHalf(d);
        int t[5];
        for (int byte = 0; byte < 52; ++byte) {
            const int count = byte < 48 ? 5 : 4;
            for (int k = 0; k < count; ++k) t[k] = ternaryCode(x[tq1Element(byte, k)] * id);
            const uint8_t packed = packTrits(t, count);
            if (byte < 48) b[i].qs[byte] = packed; else b[i].qh[byte - 48] = packed;
        }
    }
}

void quantize_tq2_0_ref(const float* x, void* dst, int64_t n) {
    auto* b = static_cast<BlockTQ2_0*>(dst);
    for (int64_t i = 0; i < n / kQKK; ++i, x += kQKK) {
        const float d = absMax(x, kQKK);
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d = floatToHalf(d);
        for (int byte = 0; byte < 64; ++byte) {
            int v = 0;
            for (int l = 0; l < 4; ++l) {
                const int e = 128 * (byte / 32) + 32 * l + byte % 32;
                v |= (ternaryCode(x[e] * id) & 3) << (2 * l);
            }
            b[i].qs[byte] = static_cast<uint8_t>(v);
        }
    }
}

float dot_tq1_0_q8_k_ref(int64_t n, const void* w, const void* a) {
    const auto* x = static_cast<const BlockTQ1_0*>(w);
    const auto* y = static_cast<const BlockQ8_K*>(a);
    float sumf = 0.0f;
    for (int64_t i = 0; i < n / kQKK; ++i) {
        int sumi = 0;
        forEachTrit(x[i], [&](int e, int t) { sumi += (t - 1) * y[i].qs[e]; });
        sumf += static_cast<float>(sumi) * (y[i].d * halfToFloat(x[i].d));
    }
    return sumf;
}

float dot_tq2_0_q8_k_ref(int64_t n, const void* w, const void* a) {
    const auto* x = static_cast<const BlockTQ2_0*>(w);
    const auto* y = static_cast<const BlockQ8_K*>(a);
    float sumf = 0.0f;
    for (int64_t i = 0; i < n / kQKK; ++i) {
        int sumi = 0;
        for (int e = 0; e < kQKK; ++e) {
            const int q = (x[i].qs[32 * (e / 128) + e % 32] >> (2 * ((e / 32) % 4))) & 3;
            sumi += (q - 1) * y[i].qs[e];
        }
        sumf += static_cast<float>(sumi) * (y[i].d * halfToFloat(x[i].d));
    }
    return sumf;
}

}  // namespace kernels::ref
