// Scalar reference kernels (kernels/ref/): the fallback of every backend and the
// oracle of every optimized kernel. Block layouts are bit-compatible with GGUF.
//
// Numerics follow the reference engine: a weight type's dot product runs against
// activations quantized to its vecDotType (Q8_0 for Q4_0/Q5_0/Q8_0/IQ4_NL, Q8_1 for
// Q4_1/Q5_1, Q8_K for the K-quants, IQ4_XS and TQ1_0/TQ2_0, F16 for F16, BF16 for
// BF16, F32 for F32), so results match it to rounding.
#pragma once

#include <cstdint>

#include "kernels/ggml_type.h"

namespace kernels::ref {

// FP16 / BF16 scalar conversions (round to nearest even).
float fp16ToFp32(uint16_t h);
uint16_t fp32ToFp16(float f);
float bf16ToFp32(uint16_t h);
uint16_t fp32ToBf16(float f);

// The type activations are converted to before a dot product with `weightType`.
GgmlType vecDotType(GgmlType weightType);

// n elements of `type` -> float. n is a multiple of the block size.
void dequantizeRow(GgmlType type, const void* src, float* dst, int64_t n);

// float -> n elements of `type`, with the reference rounding. Supported for every
// vecDotType (F32, F16, BF16, Q8_0, Q8_1, Q8_K) and the weight types a quantizer
// writes: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K..Q6_K, IQ4_NL, IQ4_XS, TQ1_0, TQ2_0.
// Returns false for a type it cannot write.
bool quantizeRow(GgmlType type, const float* src, void* dst, int64_t n);

// Dot product of one weight row (weightType) with one activation row already in
// vecDotType(weightType); n elements.
float vecDot(GgmlType weightType, int64_t n, const void* weights, const void* activations);

// out[t][r] = dot(W row r, x[t]) for t < tokens, r < rows; W is rows x k in
// weightType (row stride rowBytes(weightType, k)), x is tokens x k floats, out is
// tokens x rows floats. Quantizes x once per call.
void matmul(GgmlType weightType, const void* weights, int64_t rows, int64_t k, const float* x,
            int64_t tokens, float* out);

}  // namespace kernels::ref
