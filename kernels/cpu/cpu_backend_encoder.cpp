// The CPU backend's encoder ops (bert, use-lite): the host kernels of ops.h on the
// session's pool, so that a CPU layer of a placed encoder computes what the host path does.
#include <cmath>

#include "cpu_backend.h"

namespace kernels::cpu {

void CpuBackend::layerNorm(const DeviceBuffer& x, const DeviceBuffer& weight, const DeviceBuffer& bias, int64_t rows,
                           int64_t cols, float eps, DeviceBuffer& out) {
    const float* in = floats(x);
    float* o = floats(out);
    forEach(*m_pool, rows, cols, [&](int64_t r) {
        kernels::layerNorm(in + r * cols, floats(weight), floats(bias), cols, eps, o + r * cols);
    });
}

void CpuBackend::activate(Activation act, DeviceBuffer& xb, int64_t n) {
    float* x = floats(xb);
    forPieces(*m_pool, 1, n, [&](int64_t, int64_t begin, int64_t end) {
        if (act == Activation::Gelu) geluTableInPlace(x + begin, end - begin);
        else if (act == Activation::Relu) reluInPlace(x + begin, end - begin);
        else
            for (int64_t i = begin; i < end; ++i) x[i] = std::tanh(x[i]);
    });
}

void CpuBackend::encoderAttention(const DeviceBuffer& qkv, int64_t ldq, int64_t kOff, int64_t vOff,
                                  std::span<const int64_t> seqStart, int64_t heads, int64_t headDim, float scale,
                                  DeviceBuffer& out, int64_t ldo) {
    const float* q = floats(qkv);
    kernels::encoderAttention(*m_pool, q, q + kOff, q + vOff, ldq, seqStart, heads, headDim, scale, floats(out), ldo);
}

void CpuBackend::pool(const DeviceBuffer& x, int64_t n, std::span<const int64_t> seqStart, Pooling pooling,
                      DeviceBuffer& out) {
    poolSequences(floats(x), n, seqStart, pooling, floats(out));
}

}  // namespace kernels::cpu
