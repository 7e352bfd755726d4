// The encoders' ops on the device (cl/encoder.cl): LayerNorm with bias, activations in
// place, bidirectional attention inside each packed sequence, pooling.
#include "cl_runtime.h"

namespace kernels::opencl {
namespace {
constexpr size_t kLnWg = 256;        // cl/encoder.cl LN_WG
constexpr size_t kEncWg = 64;        // ENC_WG
constexpr int64_t kMaxKeys = 2048;   // ENC_MAX_KEYS
}  // namespace

void Backend::layerNorm(const Buffer& x, const Buffer& weight, const Buffer& bias, int64_t rows, int64_t cols,
                        float eps, const Buffer& out) {
    Impl& b = *m_impl;
    cl_kernel k = b.kernel("layer_norm");
    if (!k || !b.setArgs(k, x, weight, bias, out, static_cast<int>(cols), eps)) return;
    const size_t global[1] = {static_cast<size_t>(rows) * kLnWg};
    const size_t local[1] = {kLnWg};
    b.launch("layer_norm", k, 1, global, local, 8.0 * static_cast<double>(rows * cols));
}

void Backend::activate(int act, const Buffer& x, int64_t n) {
    Impl& b = *m_impl;
    cl_kernel k = b.kernel("activate_inplace");
    if (!k || !b.setArgs(k, x, static_cast<int>(n), act)) return;
    const size_t global[1] = {static_cast<size_t>(n)};
    const size_t local[1] = {64};
    b.launch("activate_inplace", k, 1, global, local, 8.0 * static_cast<double>(n));
}

void Backend::encoderAttention(const Buffer& qkv, int64_t ldq, int64_t kOff, int64_t vOff, const Buffer& seqStart,
                               int64_t nSeq, int64_t tokens, int64_t heads, int64_t headDim, float scale,
                               const Buffer& out, int64_t ldo) {
    Impl& b = *m_impl;
    if (tokens > kMaxKeys * nSeq && nSeq > 0) {  // cheap bound; the exact one is the caller's
        b.fail("encoderAttention: a sequence is longer than 2048 rows", CL_INVALID_VALUE);
        return;
    }
    cl_kernel k = b.kernel("encoder_attention");
    if (!k || !b.setArgs(k, qkv, static_cast<int>(ldq), static_cast<int>(kOff), static_cast<int>(vOff), seqStart,
                         static_cast<int>(nSeq), static_cast<int>(headDim), scale, out, static_cast<int>(ldo)))
        return;
    const size_t global[2] = {static_cast<size_t>(heads) * kEncWg, static_cast<size_t>(tokens)};
    const size_t local[2] = {kEncWg, 1};
    b.launch("encoder_attention", k, 2, global, local, 4.0 * static_cast<double>(tokens * 3 * heads * headDim));
}

void Backend::pool(const Buffer& x, int64_t n, const Buffer& seqStart, int64_t nSeq, int pooling, const Buffer& out) {
    Impl& b = *m_impl;
    cl_kernel k = b.kernel("pool_rows");
    if (!k || !b.setArgs(k, x, static_cast<int>(n), seqStart, pooling, out)) return;
    const size_t global[2] = {static_cast<size_t>(n), static_cast<size_t>(nSeq)};
    const size_t local[2] = {64, 1};
    b.launch("pool_rows", k, 2, global, local, 4.0 * static_cast<double>(n * nSeq));
}

}  // namespace kernels::opencl
