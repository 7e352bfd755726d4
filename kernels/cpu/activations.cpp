// Activations beyond SwiGLU: GELU (tanh form) and GEGLU, tanh soft-capping, scaling.
#include <array>
#include <cmath>

#include "kernels/ops.h"
#include "kernels/ref.h"

namespace kernels {
namespace {

constexpr float kSqrt2OverPi = 0.79788456080286535588f;
constexpr float kGeluCoef = 0.044715f;

}  // namespace

float gelu(float x) {
    return 0.5f * x * (1.0f + std::tanh(kSqrt2OverPi * x * (1.0f + kGeluCoef * x * x)));
}

namespace {

// GELU of every fp16 value, itself rounded to fp16 (65536 x 2 bytes, built once).
// This is how the reference engine evaluates GELU on the CPU; rounding the input
// and output to fp16 moves Gemma-2's logits by ~1e-3, which is its whole tolerance.
const std::array<uint16_t, 65536>& geluFp16Table() {
    static const std::array<uint16_t, 65536> table = [] {
        std::array<uint16_t, 65536> t{};
        for (uint32_t i = 0; i < 65536; ++i)
            t[i] = ref::fp32ToFp16(gelu(ref::fp16ToFp32(static_cast<uint16_t>(i))));
        return t;
    }();
    return table;
}

// GELU through the fp16 table; saturated outside (-10, 10) like the reference.
float geluFp16(float x) {
    if (x <= -10.0f) return 0.0f;
    if (x >= 10.0f) return x;
    return ref::fp16ToFp32(geluFp16Table()[ref::fp32ToFp16(x)]);
}

}  // namespace

void geglu(const float* gate, const float* up, int64_t n, float* out) {
    for (int64_t i = 0; i < n; ++i) out[i] = geluFp16(gate[i]) * up[i];
}

void geluTableInPlace(float* x, int64_t n) {
    for (int64_t i = 0; i < n; ++i) x[i] = geluFp16(x[i]);
}

void softCap(float* x, int64_t n, float cap) {
    // Same three steps as the reference graph (scale, tanh, scale), so the rounding matches.
    const float inv = 1.0f / cap;
    for (int64_t i = 0; i < n; ++i) x[i] = std::tanh(x[i] * inv) * cap;
}

void scale(float* x, int64_t n, float s) {
    for (int64_t i = 0; i < n; ++i) x[i] *= s;
}

}  // namespace kernels
