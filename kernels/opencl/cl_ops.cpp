// Row-wise and element-wise ops: RMSNorm (rows, heads), bias, SwiGLU, add, RoPE +
// KV-cache store.
#include "cl_runtime.h"

namespace kernels::opencl {
namespace {
constexpr size_t kNormWg = 256;  // cl/ops.cl NORM_WG
constexpr size_t kHeadWg = 64;   // cl/ops.cl HEAD_WG

}  // namespace

void Backend::rmsNorm(const Buffer& x, int64_t xoff, const Buffer& weight, int64_t rows, int64_t cols, float eps,
                      const Buffer& out) {
    Impl& b = *m_impl;
    // Decode: the normalized row quantized for the next product in the same launch.
    if (rows == 1 && cols % 32 == 0 && x.get() != out.get()) {
        cl_kernel k = b.kernel("rms_norm_q8");
        const size_t groups = static_cast<size_t>(cols / 32);
        if (!b.growActivations(static_cast<size_t>(cols), groups)) {
            b.fail("activation buffer allocation", CL_MEM_OBJECT_ALLOCATION_FAILURE);
            return;
        }
        if (!k || !b.setArgs(k, x, static_cast<int>(xoff), weight, out, static_cast<int>(cols), eps, b.actQ, b.actD,
                             b.actS))
            return;
        const size_t global[1] = {(static_cast<size_t>(cols) + kNormWg - 1) / kNormWg * kNormWg};
        const size_t local[1] = {kNormWg};
        b.launch("rms_norm_q8", k, 1, global, local, 9.0 * static_cast<double>(cols));
        b.quantized = {out.get(), cols, true};
        return;
    }
    cl_kernel k = b.kernel("rms_norm");
    if (!k || !b.setArgs(k, x, static_cast<int>(xoff), weight, out, static_cast<int>(cols), eps)) return;
    const size_t global[1] = {static_cast<size_t>(rows) * kNormWg};
    const size_t local[1] = {kNormWg};
    b.launch("rms_norm", k, 1, global, local, 8.0 * static_cast<double>(rows * cols));
}

void Backend::swiglu(const Buffer& gu, int64_t ld, int64_t tokens, int64_t f, const Buffer& out) {
    Impl& b = *m_impl;
    cl_kernel k = b.kernel("swiglu");
    if (!k || !b.setArgs(k, gu, out, static_cast<int>(ld), static_cast<int>(f))) return;
    const size_t global[2] = {static_cast<size_t>(f), static_cast<size_t>(tokens)};
    const size_t local[2] = {64, 1};
    b.launch("swiglu", k, 2, global, local, 12.0 * static_cast<double>(tokens * f));
}

void Backend::geglu(const Buffer& gu, int64_t ld, int64_t tokens, int64_t f, const Buffer& out) {
    Impl& b = *m_impl;
    cl_kernel k = b.kernel("geglu");
    if (!k || !b.setArgs(k, gu, out, static_cast<int>(ld), static_cast<int>(f))) return;
    const size_t global[2] = {static_cast<size_t>(f), static_cast<size_t>(tokens)};
    const size_t local[2] = {64, 1};
    b.launch("geglu", k, 2, global, local, 12.0 * static_cast<double>(tokens * f));
}

void Backend::rmsNormHeads(const Buffer& x, int64_t ld, int64_t off, int64_t tokens, int64_t heads, int64_t width,
                           const Buffer& weight, float eps) {
    Impl& b = *m_impl;
    cl_kernel k = b.kernel("head_rms_norm");
    if (!k || !b.setArgs(k, x, static_cast<int>(ld), static_cast<int>(off), static_cast<int>(width), weight, eps))
        return;
    const size_t global[2] = {static_cast<size_t>(heads) * kHeadWg, static_cast<size_t>(tokens)};
    const size_t local[2] = {kHeadWg, 1};
    b.launch("head_rms_norm", k, 2, global, local, 8.0 * static_cast<double>(tokens * heads * width));
}

void Backend::rmsNormQkHeads(const Buffer& x, int64_t ld, int64_t tokens, int64_t qHeads, int64_t kHeads,
                             int64_t width, const Buffer& qWeight, const Buffer& kWeight, float eps) {
    Impl& b = *m_impl;
    cl_kernel k = b.kernel("head_rms_norm_qk");
    if (!k || !b.setArgs(k, x, static_cast<int>(ld), static_cast<int>(width), qWeight, kWeight,
                         static_cast<int>(qHeads), eps))
        return;
    const size_t global[2] = {static_cast<size_t>(qHeads + kHeads) * kHeadWg, static_cast<size_t>(tokens)};
    const size_t local[2] = {kHeadWg, 1};
    b.launch("head_rms_norm_qk", k, 2, global, local, 8.0 * static_cast<double>(tokens * (qHeads + kHeads) * width));
}

void Backend::addBias(const Buffer& x, int64_t ld, int64_t tokens, int64_t width, const Buffer& bias) {
    Impl& b = *m_impl;
    cl_kernel k = b.kernel("add_bias");
    if (!k || !b.setArgs(k, x, static_cast<int>(ld), static_cast<int>(width), bias)) return;
    const size_t global[2] = {static_cast<size_t>(width), static_cast<size_t>(tokens)};
    const size_t local[2] = {64, 1};
    b.launch("add_bias", k, 2, global, local, 12.0 * static_cast<double>(tokens * width));
}

void Backend::add(const Buffer& y, const Buffer& x, int64_t n) {
    Impl& b = *m_impl;
    cl_kernel k = b.kernel("add_inplace");
    if (!k || !b.setArgs(k, y, x, static_cast<int>(n))) return;
    const size_t global[1] = {static_cast<size_t>(n)};
    const size_t local[1] = {64};
    b.launch("add_inplace", k, 1, global, local, 12.0 * static_cast<double>(n));
}

void Backend::ropeStoreKv(const Buffer& qkv, int64_t ldq, int64_t tokens, int64_t heads, int64_t headsKv, int64_t D,
                          int64_t pos0, const RopeParams& rope, const Buffer& freq, const Buffer& kCache,
                          const Buffer& vCache, GgmlType kvType, float qkScale, const Buffer* qNorm,
                          const Buffer* kNorm, float eps) {
    Impl& b = *m_impl;
    const bool quantized = kvType == GgmlType::Q8_0 || kvType == GgmlType::Q4_0;
    if (kvType != GgmlType::F32 && kvType != GgmlType::F16 && !quantized) {
        b.fail("ropeStoreKv: KV cache type must be F32, F16, Q8_0 or Q4_0", CL_INVALID_VALUE);
        return;
    }
    if (quantized && (headsKv * D) % 32 != 0) {
        b.fail("ropeStoreKv: quantized cache rows must be a multiple of 32 values", CL_INVALID_VALUE);
        return;
    }
    const double elems = static_cast<double>(tokens * (heads + 2 * headsKv) * D);
    if (qNorm && kNorm) {  // the head norms first, in the same launch (rope_kv_norm)
        cl_kernel k = b.kernel("rope_kv_norm");
        if (!k || !b.setArgs(k, qkv, static_cast<int>(ldq), static_cast<int>(heads), static_cast<int>(headsKv),
                             static_cast<int>(D), static_cast<int>(pos0), rope.dims, rope.neox ? 1 : 0,
                             rope.freqScale, freq, kCache, vCache, kvTypeCode(kvType), qkScale, *qNorm, *kNorm, eps))
            return;
        const size_t global[2] = {static_cast<size_t>(heads + 2 * headsKv) * kHeadWg, static_cast<size_t>(tokens)};
        const size_t local[2] = {kHeadWg, 1};
        b.launch("rope_kv_norm", k, 2, global, local, elems * 14.0);
    } else {
        cl_kernel k = b.kernel("rope_kv");
        if (!k || !b.setArgs(k, qkv, static_cast<int>(ldq), static_cast<int>(heads), static_cast<int>(headsKv),
                             static_cast<int>(D), static_cast<int>(pos0), rope.dims, rope.neox ? 1 : 0,
                             rope.freqScale, freq, kCache, vCache, kvTypeCode(kvType), qkScale))
            return;
        const size_t global[3] = {static_cast<size_t>(D / 2), static_cast<size_t>(heads + 2 * headsKv),
                                  static_cast<size_t>(tokens)};
        b.launch("rope_kv", k, 3, global, nullptr, elems * 10.0);
    }
    if (!quantized) return;
    const char* store = kvType == GgmlType::Q8_0 ? "kv_store_q8_0" : "kv_store_q4_0";
    cl_kernel q = b.kernel(store);
    const int rowW = static_cast<int>(headsKv * D);
    if (!q || !b.setArgs(q, qkv, static_cast<int>(ldq), static_cast<int>(heads * D), rowW, static_cast<int>(pos0),
                         kCache, vCache))
        return;
    const size_t qglobal[3] = {static_cast<size_t>(rowW / 32), 2, static_cast<size_t>(tokens)};
    b.launch(store, q, 3, qglobal, nullptr, static_cast<double>(tokens * 2 * rowW) * 5.0);
}

}  // namespace kernels::opencl
