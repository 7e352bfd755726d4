// Attention over the device KV cache: attn_split (one work-group per key range, head
// and query) then attn_merge. The number of ranges is chosen so that a decode step
// (one query) still fills the device: heads x ranges work-groups. A decode step over one
// range (a short context, or a device with few compute units) is one launch: the split
// writes the row and its quantization itself.
#include <algorithm>

#include "cl_env.h"
#include "cl_runtime.h"

namespace kernels::opencl {
namespace {
constexpr size_t kAtWg = 64;     // cl/attention.cl AT_WG
constexpr int64_t kMaxD = 256;   // AT_MAXD
constexpr size_t kApBq = 32;     // cl/attention_prefill.cl AP_BQ (128 items)
constexpr int64_t kApMaxD = 128; // AP_MAXD

// ASSISTANT_ATTN_WHOLE=0 keeps the merge launch after a single-range split (for timing
// one against the other, and so that PoCL, whose few compute units take one range, still
// tests the merge).
bool wholeAllowed() {
    static const bool on = envSwitchOn("ASSISTANT_ATTN_WHOLE");
    return on;
}
}  // namespace

void Backend::attention(const Buffer& qkv, int64_t ldq, int64_t tokens, int64_t pos0, const Buffer& kCache,
                        const Buffer& vCache, GgmlType kvType, const AttentionShape& s, const Buffer& out) {
    Impl& b = *m_impl;
    if (s.headDim > kMaxD || s.headsKv <= 0 || s.heads % s.headsKv != 0) {
        b.fail("attention: head size above 256 or heads not a multiple of KV heads", CL_INVALID_VALUE);
        return;
    }
    const int64_t kvLen = pos0 + tokens;
    const bool floatCache = kvType == GgmlType::F32 || kvType == GgmlType::F16;
    if (tokens > 1 && floatCache && s.headDim <= kApMaxD && s.headDim % 4 == 0) {
        // A batch of queries: key tiles shared by AP_BQ tokens of a head, output normalized in place.
        cl_kernel k = b.kernel("attn_prefill");
        if (!k || !b.setArgs(k, qkv, static_cast<int>(ldq), kCache, vCache, kvType == GgmlType::F32 ? 0 : 1, out,
                             static_cast<int>(tokens), static_cast<int>(s.heads), static_cast<int>(s.headsKv),
                             static_cast<int>(s.headDim), static_cast<int>(pos0), s.scale, static_cast<int>(s.window),
                             s.softCap))
            return;
        const size_t global[2] = {(static_cast<size_t>(tokens) + kApBq - 1) / kApBq * 128, static_cast<size_t>(s.heads)};
        const size_t local[2] = {128, 1};
        const double elemBytes = kvType == GgmlType::F32 ? 4.0 : 2.0;
        const double kvBytes = 2.0 * elemBytes * static_cast<double>(kvLen * s.headsKv * s.headDim);
        b.launch("attn_prefill", k, 2, global, local, kvBytes + 8.0 * static_cast<double>(tokens * s.heads * s.headDim));
        return;
    }
    // Ranges of at least 64 keys; for one query enough ranges for ~2 work-groups per
    // compute unit, for a batch of queries one range (the batch is the parallelism).
    int64_t nSplit = 1;
    if (tokens == 1) {
        const int64_t want = std::max<int64_t>(1, 2 * static_cast<int64_t>(b.computeUnits) / s.heads);
        nSplit = std::clamp<int64_t>((kvLen + 63) / 64, 1, want);
    }
    const int64_t splitLen = (kvLen + nSplit - 1) / nSplit;
    const size_t slots = static_cast<size_t>(tokens * s.heads * nSplit);
    if (b.attnO.bytes() < slots * s.headDim * 4) {
        auto o = alloc(slots * s.headDim * 4);
        auto ms = alloc(slots * 2 * 4);
        if (!o || !ms) {
            b.fail("attention scratch allocation", CL_MEM_OBJECT_ALLOCATION_FAILURE);
            return;
        }
        b.attnO = std::move(*o);
        b.attnMs = std::move(*ms);
    }
    const char* name = kvType == GgmlType::Q8_0   ? "attn_split_q8_0"
                       : kvType == GgmlType::Q4_0 ? "attn_split_q4_0"
                                                  : "attn_split";
    cl_kernel k = b.kernel(name);
    if (!k) return;
    const int64_t width = s.heads * s.headDim;
    // decode: the row quantized for the output projection too (in the split when whole)
    const bool toQ8 = tokens == 1 && width % 32 == 0;
    const bool whole = toQ8 && nSplit == 1 && wholeAllowed() && s.headDim % 32 == 0;
    if (toQ8 && !b.growActivations(static_cast<size_t>(width), static_cast<size_t>(width / 32))) {
        b.fail("activation buffer allocation", CL_MEM_OBJECT_ALLOCATION_FAILURE);
        return;
    }
    static const Buffer kNone;
    const Buffer& wOut = whole ? out : kNone;
    const Buffer& wq = whole ? b.actQ : kNone;
    const Buffer& wd = whole ? b.actD : kNone;
    const Buffer& ws = whole ? b.actS : kNone;
    const bool quantized = kvType == GgmlType::Q8_0 || kvType == GgmlType::Q4_0;
    const bool set = quantized ? b.setArgs(k, qkv, static_cast<int>(ldq), kCache, vCache, b.attnO, b.attnMs,
                                    static_cast<int>(s.heads), static_cast<int>(s.headsKv), static_cast<int>(s.headDim),
                                    static_cast<int>(pos0), s.scale, static_cast<int>(s.window), s.softCap,
                                    static_cast<int>(nSplit), static_cast<int>(splitLen), whole ? 1 : 0, wOut, wq,
                                    wd, ws)
                        : b.setArgs(k, qkv, static_cast<int>(ldq), kCache, vCache, kvType == GgmlType::F32 ? 0 : 1,
                                    b.attnO, b.attnMs, static_cast<int>(s.heads), static_cast<int>(s.headsKv),
                                    static_cast<int>(s.headDim), static_cast<int>(pos0), s.scale,
                                    static_cast<int>(s.window), s.softCap, static_cast<int>(nSplit),
                                    static_cast<int>(splitLen), whole ? 1 : 0, wOut, wq, wd, ws);
    if (!set) return;
    const size_t global[3] = {static_cast<size_t>(nSplit) * kAtWg, static_cast<size_t>(s.heads),
                              static_cast<size_t>(tokens)};
    const size_t local[3] = {kAtWg, 1, 1};
    const double elemBytes = static_cast<double>(kernels::rowBytes(kvType, 32)) / 32.0;
    const double kvBytes = 2.0 * elemBytes * static_cast<double>(kvLen * s.headsKv * s.headDim);
    b.launch(name, k, 3, global, local, kvBytes + 8.0 * static_cast<double>(tokens * s.heads * s.headDim));
    if (whole) {
        b.quantized = {out.get(), width, true};
        return;
    }
    if (toQ8) {
        cl_kernel m = b.kernel("attn_merge_q8");
        if (!m || !b.setArgs(m, b.attnO, b.attnMs, out, static_cast<int>(s.heads), static_cast<int>(s.headDim),
                             static_cast<int>(nSplit), b.actQ, b.actD, b.actS))
            return;
        const size_t mglobal[1] = {static_cast<size_t>(width)};
        const size_t mlocal[1] = {32};
        b.launch("attn_merge_q8", m, 1, mglobal, mlocal, 4.0 * static_cast<double>(slots * (s.headDim + 2)));
        b.quantized = {out.get(), width, true};
        return;
    }
    cl_kernel m = b.kernel("attn_merge");
    if (!m || !b.setArgs(m, b.attnO, b.attnMs, out, static_cast<int>(s.heads), static_cast<int>(s.headDim),
                         static_cast<int>(nSplit)))
        return;
    const size_t mglobal[3] = {static_cast<size_t>(s.headDim), static_cast<size_t>(s.heads), static_cast<size_t>(tokens)};
    const size_t mlocal[3] = {static_cast<size_t>(std::min<int64_t>(s.headDim, 64)), 1, 1};
    b.launch("attn_merge", m, 3, mglobal, mlocal, 4.0 * static_cast<double>(slots * (s.headDim + 2)));
}

}  // namespace kernels::opencl
