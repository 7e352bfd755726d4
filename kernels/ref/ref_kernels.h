// Per-type scalar kernels behind the dispatch table of dispatch.cpp (private to
// kernels/ref/). Names follow op_type_isa. n is the element count, a multiple of
// the type's block size. Dot kernels take the weight row first, the activation row
// (in the weight type's vecDotType) second.
#pragma once

#include <cstdint>

namespace kernels::ref {

// fp16.cpp
void dequantize_f32_ref(const void* src, float* dst, int64_t n);
void dequantize_f16_ref(const void* src, float* dst, int64_t n);
void dequantize_bf16_ref(const void* src, float* dst, int64_t n);
void quantize_f32_ref(const float* src, void* dst, int64_t n);
void quantize_f16_ref(const float* src, void* dst, int64_t n);
void quantize_bf16_ref(const float* src, void* dst, int64_t n);
float dot_f32_f32_ref(int64_t n, const void* w, const void* a);
float dot_f16_f16_ref(int64_t n, const void* w, const void* a);
float dot_bf16_bf16_ref(int64_t n, const void* w, const void* a);

// quants_legacy.cpp
void dequantize_q4_0_ref(const void* src, float* dst, int64_t n);
void dequantize_q4_1_ref(const void* src, float* dst, int64_t n);
void dequantize_q5_0_ref(const void* src, float* dst, int64_t n);
void dequantize_q5_1_ref(const void* src, float* dst, int64_t n);
void dequantize_q8_0_ref(const void* src, float* dst, int64_t n);
void dequantize_q8_1_ref(const void* src, float* dst, int64_t n);
void quantize_q4_0_ref(const float* src, void* dst, int64_t n);
void quantize_q4_1_ref(const float* src, void* dst, int64_t n);
void quantize_q5_0_ref(const float* src, void* dst, int64_t n);
void quantize_q5_1_ref(const float* src, void* dst, int64_t n);
void quantize_q8_0_ref(const float* src, void* dst, int64_t n);
void quantize_q8_1_ref(const float* src, void* dst, int64_t n);
float dot_q4_0_q8_0_ref(int64_t n, const void* w, const void* a);
float dot_q4_1_q8_1_ref(int64_t n, const void* w, const void* a);
float dot_q5_0_q8_0_ref(int64_t n, const void* w, const void* a);
float dot_q5_1_q8_1_ref(int64_t n, const void* w, const void* a);
float dot_q8_0_q8_0_ref(int64_t n, const void* w, const void* a);

// quants_k.cpp
void dequantize_q2_k_ref(const void* src, float* dst, int64_t n);
void dequantize_q3_k_ref(const void* src, float* dst, int64_t n);
void dequantize_q4_k_ref(const void* src, float* dst, int64_t n);
void dequantize_q5_k_ref(const void* src, float* dst, int64_t n);
void dequantize_q6_k_ref(const void* src, float* dst, int64_t n);
void dequantize_q8_k_ref(const void* src, float* dst, int64_t n);
void quantize_q8_k_ref(const float* src, void* dst, int64_t n);
// quantize_k.cpp (weight quantizers)
void quantize_q2_k_ref(const float* src, void* dst, int64_t n);
void quantize_q3_k_ref(const float* src, void* dst, int64_t n);
void quantize_q4_k_ref(const float* src, void* dst, int64_t n);
void quantize_q5_k_ref(const float* src, void* dst, int64_t n);
void quantize_q6_k_ref(const float* src, void* dst, int64_t n);
float dot_q2_k_q8_k_ref(int64_t n, const void* w, const void* a);
float dot_q3_k_q8_k_ref(int64_t n, const void* w, const void* a);
float dot_q4_k_q8_k_ref(int64_t n, const void* w, const void* a);
float dot_q5_k_q8_k_ref(int64_t n, const void* w, const void* a);
float dot_q6_k_q8_k_ref(int64_t n, const void* w, const void* a);

// quants_iq.cpp
void dequantize_iq4_nl_ref(const void* src, float* dst, int64_t n);
void dequantize_iq4_xs_ref(const void* src, float* dst, int64_t n);
void quantize_iq4_nl_ref(const float* src, void* dst, int64_t n);
void quantize_iq4_xs_ref(const float* src, void* dst, int64_t n);
float dot_iq4_nl_q8_0_ref(int64_t n, const void* w, const void* a);
float dot_iq4_xs_q8_k_ref(int64_t n, const void* w, const void* a);

// quants_ternary.cpp
void dequantize_tq1_0_ref(const void* src, float* dst, int64_t n);
void dequantize_tq2_0_ref(const void* src, float* dst, int64_t n);
void quantize_tq1_0_ref(const float* src, void* dst, int64_t n);
void quantize_tq2_0_ref(const float* src, void* dst, int64_t n);
float dot_tq1_0_q8_k_ref(int64_t n, const void* w, const void* a);
float dot_tq2_0_q8_k_ref(int64_t n, const void* w, const void* a);

}  // namespace kernels::ref
