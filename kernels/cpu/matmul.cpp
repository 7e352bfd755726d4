// Matrix multiplication on the CPU backend: activations are converted once to the
// weight type's dot-product type, then row blocks are spread over the pool.
#include <algorithm>
#include <vector>

#include "kernels/cpu_ops_internal.h"
#include "kernels/ops.h"
#include "kernels/ref.h"
#include "kernels/thread_pool.h"

namespace kernels {

void matmul(ThreadPool& pool, const Matrix& w, const float* x, int64_t tokens, float* out) {
    const GgmlType actType = ref::vecDotType(w.type);
    const size_t actStride = rowBytes(actType, w.cols);
    // Converted activations: [tokens][actStride] bytes, shared by all threads.
    thread_local std::vector<uint8_t> act;
    if (actType != GgmlType::F32) {
        act.resize(actStride * static_cast<size_t>(tokens));
        for (int64_t t = 0; t < tokens; ++t)
            quantizeActivations(actType, x + t * w.cols, act.data() + t * actStride, w.cols);
    }
    const uint8_t* actBase = actType == GgmlType::F32 ? reinterpret_cast<const uint8_t*>(x) : act.data();

    const int64_t rowsPerTask = std::max<int64_t>(1, std::min<int64_t>(64, w.rows / (4 * pool.size())));
    const int64_t tasks = (w.rows + rowsPerTask - 1) / rowsPerTask;
    const auto* wBase = static_cast<const uint8_t*>(w.data);
    const size_t wStride = w.rowStride();
    pool.parallelFor(tasks, [&](int64_t task, int) {
        const int64_t r0 = task * rowsPerTask;
        const int64_t r1 = std::min(w.rows, r0 + rowsPerTask);
        for (int64_t t = 0; t < tokens; ++t) {
            const uint8_t* a = actBase + t * actStride;
            float* o = out + t * w.rows;
            for (int64_t r = r0; r < r1; ++r) o[r] = ref::vecDot(w.type, w.cols, wBase + r * wStride, a);
        }
    });
}

}  // namespace kernels
