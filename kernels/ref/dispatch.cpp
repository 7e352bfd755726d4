// Type-indexed kernel tables behind the public entry points of kernels/ref.h.
// One lookup per row call; no switch in any hot loop.
#include <array>

#include "kernels/ref.h"
#include "ref_kernels.h"

namespace kernels::ref {
namespace {

using DequantizeFn = void (*)(const void* src, float* dst, int64_t n);
using QuantizeFn = void (*)(const float* src, void* dst, int64_t n);
using DotFn = float (*)(int64_t n, const void* w, const void* a);

struct Kernels {
    DequantizeFn dequantize = nullptr;
    QuantizeFn quantize = nullptr;  // nullptr: quantizeRow returns false
    DotFn dot = nullptr;            // weights . activations in vecDot
    GgmlType vecDot = GgmlType::F32;
};

constexpr size_t kTableSize = 40;  // type ids 0..39

constexpr std::array<Kernels, kTableSize> makeTable() {
    std::array<Kernels, kTableSize> t{};
    auto set = [&t](GgmlType type, Kernels k) { t[static_cast<size_t>(type)] = k; };
    using enum GgmlType;
    // plain float types
    set(F32, {dequantize_f32_ref, quantize_f32_ref, dot_f32_f32_ref, F32});
    set(F16, {dequantize_f16_ref, quantize_f16_ref, dot_f16_f16_ref, F16});
    set(BF16, {dequantize_bf16_ref, quantize_bf16_ref, dot_bf16_bf16_ref, BF16});
    // legacy 32-element blocks
    set(Q4_0, {dequantize_q4_0_ref, quantize_q4_0_ref, dot_q4_0_q8_0_ref, Q8_0});
    set(Q4_1, {dequantize_q4_1_ref, quantize_q4_1_ref, dot_q4_1_q8_1_ref, Q8_1});
    set(Q5_0, {dequantize_q5_0_ref, quantize_q5_0_ref, dot_q5_0_q8_0_ref, Q8_0});
    set(Q5_1, {dequantize_q5_1_ref, quantize_q5_1_ref, dot_q5_1_q8_1_ref, Q8_1});
    set(Q8_0, {dequantize_q8_0_ref, quantize_q8_0_ref, dot_q8_0_q8_0_ref, Q8_0});
    set(Q8_1, {dequantize_q8_1_ref, quantize_q8_1_ref, nullptr, Q8_1});  // activations only
    set(Q2_K, {dequantize_q2_k_ref, quantize_q2_k_ref, dot_q2_k_q8_k_ref, Q8_K});
    set(Q3_K, {dequantize_q3_k_ref, quantize_q3_k_ref, dot_q3_k_q8_k_ref, Q8_K});
    set(Q4_K, {dequantize_q4_k_ref, quantize_q4_k_ref, dot_q4_k_q8_k_ref, Q8_K});
    set(Q5_K, {dequantize_q5_k_ref, quantize_q5_k_ref, dot_q5_k_q8_k_ref, Q8_K});
    set(Q6_K, {dequantize_q6_k_ref, quantize_q6_k_ref, dot_q6_k_q8_k_ref, Q8_K});
    set(Q8_K, {dequantize_q8_k_ref, quantize_q8_k_ref, nullptr, Q8_K});  // activations only
    // non-linear 4-bit
    set(IQ4_NL, {dequantize_iq4_nl_ref, quantize_iq4_nl_ref, dot_iq4_nl_q8_0_ref, Q8_0});
    set(IQ4_XS, {dequantize_iq4_xs_ref, quantize_iq4_xs_ref, dot_iq4_xs_q8_k_ref, Q8_K});
    // ternary
    set(TQ1_0, {dequantize_tq1_0_ref, quantize_tq1_0_ref, dot_tq1_0_q8_k_ref, Q8_K});
    set(TQ2_0, {dequantize_tq2_0_ref, quantize_tq2_0_ref, dot_tq2_0_q8_k_ref, Q8_K});
    return t;
}

constexpr std::array<Kernels, kTableSize> kTable = makeTable();

const Kernels* lookup(GgmlType type) {
    const auto id = static_cast<size_t>(type);
    return id < kTableSize ? &kTable[id] : nullptr;
}

}  // namespace

GgmlType vecDotType(GgmlType weightType) {
    const Kernels* k = lookup(weightType);
    return k && k->dot ? k->vecDot : weightType;
}

void dequantizeRow(GgmlType type, const void* src, float* dst, int64_t n) {
    const Kernels* k = lookup(type);
    if (k && k->dequantize) k->dequantize(src, dst, n);
}

bool quantizeRow(GgmlType type, const float* src, void* dst, int64_t n) {
    const Kernels* k = lookup(type);
    if (!k || !k->quantize) return false;
    k->quantize(src, dst, n);
    return true;
}

float vecDot(GgmlType weightType, int64_t n, const void* weights, const void* activations) {
    const Kernels* k = lookup(weightType);
    return k && k->dot ? k->dot(n, weights, activations) : 0.0f;
}

}  // namespace kernels::ref
