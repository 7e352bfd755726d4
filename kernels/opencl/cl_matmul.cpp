// Weight products: matrix-vector (one token: decode) and tiled matrix-matrix
// (prefill), and the embedding lookup, for every device weight format.
#include <algorithm>
#include <iterator>

#include "cl_runtime.h"

namespace kernels::opencl {
namespace {

constexpr size_t kMvLanes = 32, kMvRows = 4;  // cl/matvec.cl
constexpr size_t kMmTm = 128, kMmTn = 64;     // cl/matmul.cl: 16*MM_I, 16*MM_J
constexpr size_t kMqTm = 128, kMqTn = 64;     // cl/matmul_mma.cl: TM (128 or 64), MQ_TN (128 items)
// Up to this many tokens (sequences decoding together, speculative drafts) the matvec
// runs once per token in one launch: the tiled product's 64-token tiles would be mostly
// empty, and the tokens' reads of a weight row meet in the device's cache.
constexpr int64_t kMatvecTokens = 16;

// Kernel names per format, in WeightFormat order (stable storage for profiling).
const char* const kMatvec[] = {"matvec_f32", "matvec_f16", "matvec_q4_0", "matvec_q4_1", "matvec_q4f", "matvec_q8_0",
                               "matvec_q8f", "matvec_bf16", "matvec_iq4f", "matvec_q5",   "matvec_q2",  "matvec_q3"};
const char* const kMatmul[] = {"matmul_f32", "matmul_f16", "matmul_q4_0", "matmul_q4_1", "matmul_q4f", "matmul_q8_0",
                               "matmul_q8f", "matmul_bf16", "matmul_iq4f", "matmul_q5",   "matmul_q2",  "matmul_q3"};
const char* const kGetRows[] = {"get_rows_f32",  "get_rows_f16",  "get_rows_q4_0", "get_rows_q4_1",
                                "get_rows_q4f",  "get_rows_q8_0", "get_rows_q8f",  "get_rows_bf16",
                                "get_rows_iq4f", "get_rows_q5",   "get_rows_q2",  "get_rows_q3"};
static_assert(std::size(kMatvec) == static_cast<size_t>(WeightFormat::Q3) + 1 &&
              std::size(kMatmul) == std::size(kMatvec) && std::size(kGetRows) == std::size(kMatvec));

}  // namespace

Act actOf(const Weight& w) {
    switch (w.format) {
    case WeightFormat::F32: return Act::F32;
    case WeightFormat::F16: return Act::F16;
    case WeightFormat::BF16: return Act::BF16;
    case WeightFormat::Q4_1: return Act::Q8_1;
    case WeightFormat::Q2:
    case WeightFormat::Q3:
    case WeightFormat::Q4F:
    case WeightFormat::Q8F: return Act::Q8_K;
    case WeightFormat::IQ4F: return w.sourceType == GgmlType::IQ4_XS ? Act::Q8_K : Act::Q8_0;
    case WeightFormat::Q5: return w.sourceType == GgmlType::Q5_1 ? Act::Q8_1 : Act::Q8_0;
    default: return Act::Q8_0;
    }
}

bool grow(Backend& be, Buffer& b, size_t bytes) {
    if (b.bytes() >= bytes) return true;
    auto r = be.alloc(bytes);
    if (!r) return false;
    b = std::move(*r);
    return true;
}


void Backend::matmul(const Weight& w, const Buffer& x, int64_t ldx, int64_t tokens, const Buffer& out, int64_t ldo,
                     int64_t ooff, bool accumulate, bool swigluInput) {
    Impl& b = *m_impl;
    const int fmt = static_cast<int>(w.format);
    const Act act = actOf(w);
    const size_t n = static_cast<size_t>(tokens), k = static_cast<size_t>(w.cols);
    if (k % (act == Act::Q8_K ? 256 : 32) != 0) {
        b.fail("matmul: K-quant rows must be a multiple of 256", CL_INVALID_VALUE);
        return;
    }
    // 1. activations into the weight's activation type (dense [tokens][cols])
    const Buffer* xq = &x;
    int xfmt = 0, xg = 32;
    const bool floats = act == Act::F32 || act == Act::BF16;  // float activations in xq
    const size_t aBytes = n * k * (floats ? 4 : act == Act::F16 ? 2 : 1);
    const size_t dBytes = act == Act::Q8_K ? n * (k / 256) * 4 : n * (k / 32) * 2;
    // A one-token row already quantized to Q8_0 (+ sums) by the kernel that wrote it.
    const bool q8 = act == Act::Q8_0 || act == Act::Q8_1;
    const bool reuse = tokens == 1 && q8 && !swigluInput && b.quantized.x == x.get() && x.get() &&
                       b.quantized.cols == w.cols && (act == Act::Q8_0 || b.quantized.sums);
    if (reuse) {
        xq = &b.actQ;
    } else if (act != Act::F32 || swigluInput || ldx != w.cols) {
        if (!grow(*this, b.actQ, aBytes) || !grow(*this, b.actD, dBytes) || !grow(*this, b.actS, n * (k / 32) * 2)) {
            b.fail("activation buffer allocation", CL_MEM_OBJECT_ALLOCATION_FAILURE);
            return;
        }
        const char* name = act == Act::F32 ? "activation_f32" : act == Act::BF16 ? "round_bf16"
                           : act == Act::F16 ? "quantize_f16" : act == Act::Q8_K ? "quantize_q8_k" : "quantize_q8_0_lanes";
        cl_kernel qk = b.kernel(name);
        const int a = swigluInput ? 1 : 0, ld = static_cast<int>(ldx), kk = static_cast<int>(k);
        bool ok = false;
        size_t global[2] = {k, n};
        if (floats || act == Act::F16) ok = qk && b.setArgs(qk, x, ld, kk, a, b.actQ);
        else if (act == Act::Q8_K) {
            ok = qk && b.setArgs(qk, x, ld, kk, a, b.actQ, b.actD);
            global[0] = k / 256;
        } else {
            static const Buffer kNone;
            ok = qk && b.setArgs(qk, x, ld, kk, a, b.actQ, b.actD, act == Act::Q8_1 ? b.actS : kNone);
        }
        if (!ok) return;
        // quantize_q8_0_lanes: one item per value in work-groups of 128
        const size_t local[2] = {q8 ? 128 : std::min<size_t>(64, global[0]), 1};
        b.launch(name, qk, 2, global, local, static_cast<double>(n * k * 4 * (swigluInput ? 2 : 1) + aBytes));
        xq = &b.actQ;
        if (tokens == 1 && q8 && !swigluInput) b.quantized = {x.get(), w.cols, act == Act::Q8_1};
    }
    xfmt = floats ? 0 : act == Act::F16 ? 1 : act == Act::Q8_K ? 3 : 2;
    xg = act == Act::Q8_K ? 256 : 32;

    // 2. the product
    const double bytes = static_cast<double>(w.bytes()) + static_cast<double>(aBytes) +
                         4.0 * static_cast<double>(tokens * w.rows);
    if (tokens <= kMatvecTokens) {
        cl_kernel kv = b.kernel(kMatvec[fmt]);
        const int xStride = static_cast<int>(aBytes / n), dStride = static_cast<int>(dBytes / n);
        const int sStride = static_cast<int>(k / 32 * 2);
        if (!kv || !b.setArgs(kv, w.a, w.s, w.m, w.group, *xq, b.actD, b.actS, xg, out, static_cast<int>(w.rows),
                              static_cast<int>(w.cols), accumulate ? 1 : 0, static_cast<int>(ooff), xStride, dStride,
                              sStride, static_cast<int>(ldo)))
            return;
        const size_t global[2] = {(static_cast<size_t>(w.rows) + kMvRows - 1) / kMvRows * kMvRows * kMvLanes, n};
        const size_t local[2] = {kMvRows * kMvLanes, 1};
        const Impl::Quantized kept = b.quantized;  // the matvec only reads the activations
        b.launch(kMatvec[fmt], kv, 2, global, local, bytes);
        if (out.get() != kept.x) b.quantized = kept;
        return;
    }
    // Q4_0 / Q8_0 weights on Intel's matrix engines: rows in dimension 0 (a work-group of 4
    // subgroups takes 8 * subgroup-size rows and 32 tokens).
    if (b.xmx && act == Act::Q8_0 && (w.format == WeightFormat::Q4_0 || w.format == WeightFormat::Q8_0)) {
        const char* name = w.format == WeightFormat::Q4_0 ? "matmul_q4_0_xmx" : "matmul_q8_0_xmx";
        cl_kernel kx = b.kernel(name);
        if (!kx || !b.setArgs(kx, w.a, w.s, w.m, w.group, *xq, b.actD, out, static_cast<int>(ldo),
                              static_cast<int>(ooff), static_cast<int>(w.rows), static_cast<int>(w.cols),
                              static_cast<int>(tokens), accumulate ? 1 : 0))
            return;
        const size_t items = 4 * b.xmxSubgroup, rowsPerGroup = 8 * b.xmxSubgroup;
        const size_t global[2] = {(static_cast<size_t>(w.rows) + rowsPerGroup - 1) / rowsPerGroup * items,
                                  (n + 31) / 32};
        const size_t local[2] = {items, 1};
        b.launch(name, kx, 2, global, local, bytes);
        return;
    }
    // Q4_0 / Q8_0 weights on the tensor cores: tokens in dimension 0, so that neighbouring
    // work-groups share a weight tile.
    if (b.mma && act == Act::Q8_0 && (w.format == WeightFormat::Q4_0 || w.format == WeightFormat::Q8_0)) {
        // 64-row tiles where 128-row ones would give fewer than 3 work-groups per compute unit
        const size_t tiles = (n + kMqTn - 1) / kMqTn * ((static_cast<size_t>(w.rows) + kMqTm - 1) / kMqTm);
        const size_t tm = b.mmaTileRows ? b.mmaTileRows : tiles < 3 * b.computeUnits ? 64 : 128;
        const bool q4 = w.format == WeightFormat::Q4_0;
        const char* name = tm == 64 ? (q4 ? "matmul_q4_0_mma64" : "matmul_q8_0_mma64")
                                    : (q4 ? "matmul_q4_0_mma" : "matmul_q8_0_mma");
        cl_kernel kq = b.kernel(name);
        if (!kq || !b.setArgs(kq, w.a, w.s, w.m, w.group, *xq, b.actD, out, static_cast<int>(ldo),
                              static_cast<int>(ooff), static_cast<int>(w.rows), static_cast<int>(w.cols),
                              static_cast<int>(tokens), accumulate ? 1 : 0))
            return;
        const size_t global[2] = {(n + kMqTn - 1) / kMqTn * 128, (static_cast<size_t>(w.rows) + tm - 1) / tm};
        const size_t local[2] = {128, 1};
        b.launch(name, kq, 2, global, local, bytes);
        return;
    }
    cl_kernel km = b.kernel(kMatmul[fmt]);
    if (!km || !b.setArgs(km, w.a, w.s, w.m, w.group, *xq, b.actD, xfmt, out, static_cast<int>(ldo),
                          static_cast<int>(ooff), static_cast<int>(w.rows), static_cast<int>(w.cols),
                          static_cast<int>(tokens), accumulate ? 1 : 0))
        return;
    const size_t global[2] = {(static_cast<size_t>(w.rows) + kMmTm - 1) / kMmTm * 16,
                              (static_cast<size_t>(tokens) + kMmTn - 1) / kMmTn * 16};
    const size_t local[2] = {16, 16};
    b.launch(kMatmul[fmt], km, 2, global, local, bytes);
}

void Backend::getRows(const Weight& w, const Buffer& ids, int64_t tokens, const Buffer& out) {
    Impl& b = *m_impl;
    const int fmt = static_cast<int>(w.format);
    cl_kernel k = b.kernel(kGetRows[fmt]);
    if (!k || !b.setArgs(k, w.a, w.s, w.m, w.group, ids, out, static_cast<int>(w.cols))) return;
    const size_t global[2] = {static_cast<size_t>(w.cols / 8), static_cast<size_t>(tokens)};
    const size_t local[2] = {std::min<size_t>(64, static_cast<size_t>(w.cols / 8)), 1};
    b.launch(kGetRows[fmt], k, 2, global, local, 8.0 * static_cast<double>(tokens * w.cols));
}

}  // namespace kernels::opencl
