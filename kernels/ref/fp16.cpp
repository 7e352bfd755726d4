// Plain float types: F32, F16, BF16 conversions, rows and dot products.
#include <cstring>

#include "blocks.h"
#include "kernels/ref.h"
#include "ref_kernels.h"

namespace kernels::ref {

float fp16ToFp32(uint16_t h) { return halfToFloat(h); }
uint16_t fp32ToFp16(float f) { return floatToHalf(f); }
float bf16ToFp32(uint16_t h) { return bf16ToFloat(h); }
uint16_t fp32ToBf16(float f) { return floatToBf16(f); }

void dequantize_f32_ref(const void* src, float* dst, int64_t n) {
    std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}

void dequantize_f16_ref(const void* src, float* dst, int64_t n) {
    const auto* h = static_cast<const uint16_t*>(src);
    for (int64_t i = 0; i < n; ++i) dst[i] = halfToFloat(h[i]);
}

void dequantize_bf16_ref(const void* src, float* dst, int64_t n) {
    const auto* h = static_cast<const uint16_t*>(src);
    for (int64_t i = 0; i < n; ++i) dst[i] = bf16ToFloat(h[i]);
}

void quantize_f32_ref(const float* src, void* dst, int64_t n) {
    std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}

void quantize_f16_ref(const float* src, void* dst, int64_t n) {
    auto* h = static_cast<uint16_t*>(dst);
    for (int64_t i = 0; i < n; ++i) h[i] = floatToHalf(src[i]);
}

void quantize_bf16_ref(const float* src, void* dst, int64_t n) {
    auto* h = static_cast<uint16_t*>(dst);
    for (int64_t i = 0; i < n; ++i) h[i] = floatToBf16(src[i]);
}

// The reference multiplies in float and accumulates in double (ggml_float).

float dot_f32_f32_ref(int64_t n, const void* w, const void* a) {
    const auto* x = static_cast<const float*>(w);
    const auto* y = static_cast<const float*>(a);
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i] * y[i]);
    return static_cast<float>(sum);
}

float dot_f16_f16_ref(int64_t n, const void* w, const void* a) {
    const auto* x = static_cast<const uint16_t*>(w);
    const auto* y = static_cast<const uint16_t*>(a);
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(halfToFloat(x[i]) * halfToFloat(y[i]));
    return static_cast<float>(sum);
}

float dot_bf16_bf16_ref(int64_t n, const void* w, const void* a) {
    const auto* x = static_cast<const uint16_t*>(w);
    const auto* y = static_cast<const uint16_t*>(a);
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(bf16ToFloat(x[i]) * bf16ToFloat(y[i]));
    return static_cast<float>(sum);
}

}  // namespace kernels::ref
