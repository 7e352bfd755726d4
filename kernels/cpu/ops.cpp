// Elementwise and per-row ops of the CPU backend, with the reference engine's
// numerics (double accumulation for norms, float angles advanced by multiplication
// for RoPE).
#include <cmath>
#include <cstring>

#include "kernels/ops.h"
#include "kernels/ref.h"
#include "matmul_isa.h"

namespace kernels {

void getRow(const Matrix& w, int64_t row, float* out) {
    const auto* src = static_cast<const uint8_t*>(w.data) + static_cast<size_t>(row) * w.rowStride();
    ref::dequantizeRow(w.type, src, out, w.cols);
}

void rmsNorm(const float* x, const float* weight, int64_t n, float eps, float* out) {
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i] * x[i]);  // float product, double sum
    const float mean = static_cast<float>(sum / static_cast<double>(n));
    const float scale = 1.0f / std::sqrt(mean + eps);
    for (int64_t i = 0; i < n; ++i) out[i] = x[i] * scale;
    if (weight)
        for (int64_t i = 0; i < n; ++i) out[i] *= weight[i];
}

void swiglu(const float* gate, const float* up, int64_t n, float* out) {
    if (const cpu::IsaKernels* k = cpu::isaKernels(activeCpuIsa()); k && k->swiglu) return k->swiglu(gate, up, n, out);
    for (int64_t i = 0; i < n; ++i) {
        const float g = gate[i];
        out[i] = g / (1.0f + std::exp(-g)) * up[i];
    }
}

void addInPlace(float* y, const float* x, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}

void rope(float* x, int64_t heads, int64_t headDim, int64_t pos, const RopeParams& p) {
    // Angle of pair i: pos * freqScale * base^(-2i/dims) / freqFactors[i]; the power is
    // advanced by repeated multiplication in float, as the reference does.
    const float thetaScale = std::pow(p.freqBase, -2.0f / static_cast<float>(p.dims));
    const int64_t pairs = p.dims / 2;
    float cosv[512], sinv[512];
    float theta = static_cast<float>(pos);
    for (int64_t i = 0; i < pairs && i < 512; ++i) {
        const float ff = p.freqFactors ? p.freqFactors[i] : 1.0f;
        const float angle = p.freqScale * (theta / ff);
        cosv[i] = std::cos(angle);
        sinv[i] = std::sin(angle);
        theta *= thetaScale;
    }
    for (int64_t h = 0; h < heads; ++h) {
        float* v = x + h * headDim;
        for (int64_t i = 0; i < pairs; ++i) {
            const int64_t a = p.neox ? i : 2 * i;
            const int64_t b = p.neox ? i + pairs : 2 * i + 1;
            const float x0 = v[a], x1 = v[b];
            v[a] = x0 * cosv[i] - x1 * sinv[i];
            v[b] = x0 * sinv[i] + x1 * cosv[i];
        }
    }
}

void storeRow(GgmlType type, const float* src, int64_t n, void* dst) {
    if (type == GgmlType::F32) {
        std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
        return;
    }
    ref::quantizeRow(type, src, dst, n);
}

}  // namespace kernels
