// Per-row helpers of the decoder blocks: projection biases and grouped RMSNorm.
#include "kernels/ops.h"

namespace kernels {

void addBias(float* x, const float* bias, int64_t rows, int64_t n) {
    for (int64_t t = 0; t < rows; ++t) {
        float* row = x + t * n;
        for (int64_t i = 0; i < n; ++i) row[i] += bias[i];
    }
}

void rmsNormGroups(float* x, const float* weight, int64_t groups, int64_t width, float eps) {
    for (int64_t g = 0; g < groups; ++g) rmsNorm(x + g * width, weight, width, eps, x + g * width);
}

}  // namespace kernels
