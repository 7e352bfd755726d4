// Legacy 32-element block types: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1.
// Rounding and float accumulation order follow ggml's *_ref quantizers and its
// generic (scalar) dot products, so results agree with the reference engine.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

#include "blocks.h"
#include "ref_kernels.h"

namespace kernels::ref {
namespace {

// 5th bit of element j (0..31) of a Q5 block, as 0 or 16.
inline int q5HighBit(uint32_t qh, int j) { return static_cast<int>((qh >> j) & 1u) << 4; }

inline uint32_t loadQh(const uint8_t qh[4]) {
    uint32_t v;
    std::memcpy(&v, qh, 4);
    return v;
}

struct MinMax {
    float min = FLT_MAX, max = -FLT_MAX;
};

MinMax minMax(const float* x) {
    MinMax r;
    for (int j = 0; j < kQK; ++j) {
        r.min = std::min(r.min, x[j]);
        r.max = std::max(r.max, x[j]);
    }
    return r;
}

// The signed value of largest magnitude (first one wins ties).
float signedAbsMax(const float* x) {
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < kQK; ++j)
        if (amax < std::fabs(x[j])) {
            amax = std::fabs(x[j]);
            max = x[j];
        }
    return max;
}

float absMax(const float* x) {
    float amax = 0.0f;
    for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(x[j]));
    return amax;
}

}  // namespace

// ---------------------------------------------------------------- dequantize

void dequantize_q4_0_ref(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const BlockQ4_0*>(src);
    for (int64_t i = 0; i < n / kQK; ++i, dst += kQK) {
        const float d = halfToFloat(b[i].d);
        for (int j = 0; j < kQK / 2; ++j) {
            dst[j] = static_cast<float>((b[i].qs[j] & 0x0f) - 8) * d;
            dst[j + kQK / 2] = static_cast<float>((b[i].qs[j] >> 4) - 8) * d;
        }
    }
}

void dequantize_q4_1_ref(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const BlockQ4_1*>(src);
    for (int64_t i = 0; i < n / kQK; ++i, dst += kQK) {
        const float d = halfToFloat(b[i].d), m = halfToFloat(b[i].m);
        for (int j = 0; j < kQK / 2; ++j) {
            dst[j] = static_cast<float>(b[i].qs[j] & 0x0f) * d + m;
            dst[j + kQK / 2] = static_cast<float>(b[i].qs[j] >> 4) * d + m;
        }
    }
}

void dequantize_q5_0_ref(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const BlockQ5_0*>(src);
    for (int64_t i = 0; i < n / kQK; ++i, dst += kQK) {
        const float d = halfToFloat(b[i].d);
        const uint32_t qh = loadQh(b[i].qh);
        for (int j = 0; j < kQK / 2; ++j) {
            const int x0 = ((b[i].qs[j] & 0x0f) | q5HighBit(qh, j)) - 16;
            const int x1 = ((b[i].qs[j] >> 4) | q5HighBit(qh, j + 16)) - 16;
            dst[j] = static_cast<float>(x0) * d;
            dst[j + kQK / 2] = static_cast<float>(x1) * d;
        }
    }
}

void dequantize_q5_1_ref(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const BlockQ5_1*>(src);
    for (int64_t i = 0; i < n / kQK; ++i, dst += kQK) {
        const float d = halfToFloat(b[i].d), m = halfToFloat(b[i].m);
        const uint32_t qh = loadQh(b[i].qh);
        for (int j = 0; j < kQK / 2; ++j) {
            const int x0 = (b[i].qs[j] & 0x0f) | q5HighBit(qh, j);
            const int x1 = (b[i].qs[j] >> 4) | q5HighBit(qh, j + 16);
            dst[j] = static_cast<float>(x0) * d + m;
            dst[j + kQK / 2] = static_cast<float>(x1) * d + m;
        }
    }
}

void dequantize_q8_0_ref(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const BlockQ8_0*>(src);
    for (int64_t i = 0; i < n / kQK; ++i, dst += kQK) {
        const float d = halfToFloat(b[i].d);
        for (int j = 0; j < kQK; ++j) dst[j] = static_cast<float>(b[i].qs[j]) * d;
    }
}

void dequantize_q8_1_ref(const void* src, float* dst, int64_t n) {
    const auto* b = static_cast<const BlockQ8_1*>(src);
    for (int64_t i = 0; i < n / kQK; ++i, dst += kQK) {
        const float d = halfToFloat(b[i].d);
        for (int j = 0; j < kQK; ++j) dst[j] = static_cast<float>(b[i].qs[j]) * d;
    }
}

// ---------------------------------------------------------------- quantize

void quantize_q4_0_ref(const float* x, void* dst, int64_t n) {
    auto* b = static_cast<BlockQ4_0*>(dst);
    for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
        const float d = signedAbsMax(x) / -8.0f;  // the extreme maps to q = 0 exactly
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d = floatToHalf(d);
        for (int j = 0; j < kQK / 2; ++j) {
            // truncation of (x*id + 8.5) is round-half-up on the shifted value
            const int q0 = std::min(15, static_cast<int>(static_cast<int8_t>(x[j] * id + 8.5f)));
            const int q1 = std::min(15, static_cast<int>(static_cast<int8_t>(x[j + 16] * id + 8.5f)));
            b[i].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
        }
    }
}

void quantize_q4_1_ref(const float* x, void* dst, int64_t n) {
    auto* b = static_cast<BlockQ4_1*>(dst);
    for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
        const MinMax mm = minMax(x);
        const float d = (mm.max - mm.min) / 15.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d = floatToHalf(d);
        b[i].m = floatToHalf(mm.min);
        for (int j = 0; j < kQK / 2; ++j) {
            const int q0 = std::min(15, static_cast<int>(static_cast<int8_t>((x[j] - mm.min) * id + 0.5f)));
            const int q1 =
                std::min(15, static_cast<int>(static_cast<int8_t>((x[j + 16] - mm.min) * id + 0.5f)));
            b[i].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
        }
    }
}

void quantize_q5_0_ref(const float* x, void* dst, int64_t n) {
    auto* b = static_cast<BlockQ5_0*>(dst);
    for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
        const float d = signedAbsMax(x) / -16.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d = floatToHalf(d);
        uint32_t qh = 0;
        for (int j = 0; j < kQK / 2; ++j) {
            const int q0 = std::min(31, static_cast<int>(static_cast<int8_t>(x[j] * id + 16.5f)));
            const int q1 = std::min(31, static_cast<int>(static_cast<int8_t>(x[j + 16] * id + 16.5f)));
            b[i].qs[j] = static_cast<uint8_t>((q0 & 0x0f) | ((q1 & 0x0f) << 4));
            qh |= static_cast<uint32_t>((q0 & 0x10) >> 4) << j;
            qh |= static_cast<uint32_t>((q1 & 0x10) >> 4) << (j + 16);
        }
        std::memcpy(b[i].qh, &qh, 4);
    }
}

void quantize_q5_1_ref(const float* x, void* dst, int64_t n) {
    auto* b = static_cast<BlockQ5_1*>(dst);
    for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
        const MinMax mm = minMax(x);
        const float d = (mm.max - mm.min) / 31.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d = floatToHalf(d);
        b[i].m = floatToHalf(mm.min);
        uint32_t qh = 0;
        for (int j = 0; j < kQK / 2; ++j) {
            // no clamp in the reference: (max-min)*id + 0.5 stays below 32
            const int q0 = static_cast<uint8_t>((x[j] - mm.min) * id + 0.5f);
            const int q1 = static_cast<uint8_t>((x[j + 16] - mm.min) * id + 0.5f);
            b[i].qs[j] = static_cast<uint8_t>((q0 & 0x0f) | ((q1 & 0x0f) << 4));
            qh |= static_cast<uint32_t>((q0 & 0x10) >> 4) << j;
            qh |= static_cast<uint32_t>((q1 & 0x10) >> 4) << (j + 16);
        }
        std::memcpy(b[i].qh, &qh, 4);
    }
}

void quantize_q8_0_ref(const float* x, void* dst, int64_t n) {
    auto* b = static_cast<BlockQ8_0*>(dst);
    for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
        const float d = absMax(x) / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d = floatToHalf(d);
        for (int j = 0; j < kQK; ++j) b[i].qs[j] = static_cast<int8_t>(std::round(x[j] * id));
    }
}

void quantize_q8_1_ref(const float* x, void* dst, int64_t n) {
    auto* b = static_cast<BlockQ8_1*>(dst);
    for (int64_t i = 0; i < n / kQK; ++i, x += kQK) {
        const float d = absMax(x) / 127.0f;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d = floatToHalf(d);
        int sum = 0;
        for (int j = 0; j < kQK; ++j) {
            b[i].qs[j] = static_cast<int8_t>(std::round(x[j] * id));
            sum += b[i].qs[j];
        }
        b[i].s = floatToHalf(static_cast<float>(sum) * d);  // d before fp16 rounding
    }
}

// ---------------------------------------------------------------- dot products

float dot_q4_0_q8_0_ref(int64_t n, const void* w, const void* a) {
    const auto* x = static_cast<const BlockQ4_0*>(w);
    const auto* y = static_cast<const BlockQ8_0*>(a);
    float sumf = 0.0f;
    for (int64_t i = 0; i < n / kQK; ++i) {
        int sumi = 0;
        for (int j = 0; j < kQK / 2; ++j) {
            sumi += ((x[i].qs[j] & 0x0f) - 8) * y[i].qs[j];
            sumi += ((x[i].qs[j] >> 4) - 8) * y[i].qs[j + 16];
        }
        // reference order: (sumi * d_w) * d_a
        sumf += static_cast<float>(sumi) * halfToFloat(x[i].d) * halfToFloat(y[i].d);
    }
    return sumf;
}

float dot_q4_1_q8_1_ref(int64_t n, const void* w, const void* a) {
    const auto* x = static_cast<const BlockQ4_1*>(w);
    const auto* y = static_cast<const BlockQ8_1*>(a);
    float sumf = 0.0f;
    for (int64_t i = 0; i < n / kQK; ++i) {
        int sumi = 0;
        for (int j = 0; j < kQK / 2; ++j) {
            sumi += (x[i].qs[j] & 0x0f) * y[i].qs[j];
            sumi += (x[i].qs[j] >> 4) * y[i].qs[j + 16];
        }
        // the min term uses the activation block sum s = d_a * sum(q_a)
        sumf += (halfToFloat(x[i].d) * halfToFloat(y[i].d)) * static_cast<float>(sumi) +
                halfToFloat(x[i].m) * halfToFloat(y[i].s);
    }
    return sumf;
}

float dot_q5_0_q8_0_ref(int64_t n, const void* w, const void* a) {
    const auto* x = static_cast<const BlockQ5_0*>(w);
    const auto* y = static_cast<const BlockQ8_0*>(a);
    float sumf = 0.0f;
    for (int64_t i = 0; i < n / kQK; ++i) {
        const uint32_t qh = loadQh(x[i].qh);
        int sumi = 0;
        for (int j = 0; j < kQK / 2; ++j) {
            sumi += (((x[i].qs[j] & 0x0f) | q5HighBit(qh, j)) - 16) * y[i].qs[j];
            sumi += (((x[i].qs[j] >> 4) | q5HighBit(qh, j + 16)) - 16) * y[i].qs[j + 16];
        }
        sumf += (halfToFloat(x[i].d) * halfToFloat(y[i].d)) * static_cast<float>(sumi);
    }
    return sumf;
}

float dot_q5_1_q8_1_ref(int64_t n, const void* w, const void* a) {
    const auto* x = static_cast<const BlockQ5_1*>(w);
    const auto* y = static_cast<const BlockQ8_1*>(a);
    float sumf = 0.0f;
    for (int64_t i = 0; i < n / kQK; ++i) {
        const uint32_t qh = loadQh(x[i].qh);
        int sumi = 0;
        for (int j = 0; j < kQK / 2; ++j) {
            sumi += ((x[i].qs[j] & 0x0f) | q5HighBit(qh, j)) * y[i].qs[j];
            sumi += ((x[i].qs[j] >> 4) | q5HighBit(qh, j + 16)) * y[i].qs[j + 16];
        }
        sumf += (halfToFloat(x[i].d) * halfToFloat(y[i].d)) * static_cast<float>(sumi) +
                halfToFloat(x[i].m) * halfToFloat(y[i].s);
    }
    return sumf;
}

float dot_q8_0_q8_0_ref(int64_t n, const void* w, const void* a) {
    const auto* x = static_cast<const BlockQ8_0*>(w);
    const auto* y = static_cast<const BlockQ8_0*>(a);
    float sumf = 0.0f;
    for (int64_t i = 0; i < n / kQK; ++i) {
        int sumi = 0;
        for (int j = 0; j < kQK; ++j) sumi += x[i].qs[j] * y[i].qs[j];
        // reference order: sumi * (d_w * d_a), the product of two halves is exact
        sumf += static_cast<float>(sumi) * (halfToFloat(x[i].d) * halfToFloat(y[i].d));
    }
    return sumf;
}

}  // namespace kernels::ref
