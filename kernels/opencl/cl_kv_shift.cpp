// Backend::shiftKv (opencl_backend.h): the sinks policy's eviction on a device's cache.
#include "cl_runtime.h"
#include "kernels/opencl_backend.h"

namespace kernels::opencl {

void Backend::shiftKv(const Buffer& kCache, const Buffer& vCache, int64_t headsKv, int64_t D, const RopeParams& rope,
                      const Buffer& freq, GgmlType kvType, int64_t from, int64_t to, int64_t rows) {
    Impl& b = *m_impl;
    if (rows <= 0) return;
    const bool quantized = kvType == GgmlType::Q8_0 || kvType == GgmlType::Q4_0;
    if (kvType != GgmlType::F32 && kvType != GgmlType::F16 && !quantized) {
        b.fail("shiftKv: KV cache type must be F32, F16, Q8_0 or Q4_0", CL_INVALID_VALUE);
        return;
    }
    const int64_t rowW = headsKv * D;
    const int code = kvTypeCode(kvType);
    // the moved keys, rotated, as floats; every row is read before any is written
    auto keys = alloc(static_cast<size_t>(rows * rowW) * sizeof(float));
    if (!keys) {
        b.fail(("shiftKv: " + keys.error()).c_str(), CL_MEM_OBJECT_ALLOCATION_FAILURE);
        return;
    }
    cl_kernel k = b.kernel("kv_shift_keys");
    if (!k || !b.setArgs(k, kCache, code, static_cast<int>(D), static_cast<int>(headsKv), static_cast<int>(from),
                         static_cast<int>(to - from), rope.dims, rope.neox ? 1 : 0, rope.freqScale, freq, *keys))
        return;
    const size_t global[3] = {static_cast<size_t>(D / 2), static_cast<size_t>(headsKv), static_cast<size_t>(rows)};
    b.launch("kv_shift_keys", k, 3, global, nullptr, static_cast<double>(rows * rowW) * 12.0);
    if (quantized) {  // the same block quantizers as ropeStoreKv's (keys only: one item per block)
        const char* store = kvType == GgmlType::Q8_0 ? "kv_store_q8_0" : "kv_store_q4_0";
        cl_kernel q = b.kernel(store);
        if (!q || !b.setArgs(q, *keys, static_cast<int>(rowW), 0, static_cast<int>(rowW), static_cast<int>(to), kCache,
                             kCache))
            return;
        const size_t qglobal[3] = {static_cast<size_t>(rowW / 32), 1, static_cast<size_t>(rows)};
        b.launch(store, q, 3, qglobal, nullptr, static_cast<double>(rows * rowW) * 5.0);
    } else {
        cl_kernel s = b.kernel("kv_store_rows");
        if (!s || !b.setArgs(s, *keys, static_cast<int>(rowW), static_cast<int>(to), kCache, code)) return;
        const size_t sglobal[2] = {static_cast<size_t>(rowW), static_cast<size_t>(rows)};
        b.launch("kv_store_rows", s, 2, sglobal, nullptr, static_cast<double>(rows * rowW) * 4.0);
    }
    // values: through a scratch buffer (the ranges may overlap)
    const size_t bytes = rowBytes(kvType, rowW) * static_cast<size_t>(rows);
    auto values = alloc(bytes);
    if (!values) {
        b.fail(("shiftKv: " + values.error()).c_str(), CL_MEM_OBJECT_ALLOCATION_FAILURE);
        return;
    }
    copy(vCache, rowBytes(kvType, rowW) * static_cast<size_t>(from), *values, 0, bytes);
    copy(*values, 0, vCache, rowBytes(kvType, rowW) * static_cast<size_t>(to), bytes);
}

}  // namespace kernels::opencl
