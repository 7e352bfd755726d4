// Helpers shared by the CPU backend's op files (not for use outside kernels/).
#pragma once

#include <cstdint>

#include "kernels/ggml_type.h"

namespace kernels {

// Converts n floats to `type` (a vecDotType) the way the reference engine converts
// activations on x86: Q8_0/Q8_1 with the SIMD path's rounding, others as kernels/ref.
void quantizeActivations(GgmlType type, const float* x, void* dst, int64_t n);

}  // namespace kernels
