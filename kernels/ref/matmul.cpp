// Reference matrix multiplication: quantize each token once, then one vecDot per
// (token, row). Single-threaded; the oracle for the threaded CPU kernels.
#include <vector>

#include "kernels/ref.h"

namespace kernels::ref {

void matmul(GgmlType weightType, const void* weights, int64_t rows, int64_t k, const float* x,
            int64_t tokens, float* out) {
    const GgmlType actType = vecDotType(weightType);
    const size_t wRow = rowBytes(weightType, k);
    const size_t aRow = rowBytes(actType, k);
    std::vector<unsigned char> act(aRow * static_cast<size_t>(tokens));
    for (int64_t t = 0; t < tokens; ++t) quantizeRow(actType, x + t * k, act.data() + t * aRow, k);

    const auto* w = static_cast<const unsigned char*>(weights);
    for (int64_t t = 0; t < tokens; ++t)
        for (int64_t r = 0; r < rows; ++r)
            out[t * rows + r] = vecDot(weightType, k, w + r * wRow, act.data() + t * aRow);
}

}  // namespace kernels::ref
