// Random weights and activations for the CPU kernel tests: random quant bytes (every
// bit pattern, not only what a quantizer writes) with sane f16 scales.
#pragma once

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/ggml_type.h"
#include "kernels/ref.h"

namespace kernels_test {

inline std::vector<float> randomVector(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    std::vector<float> v(n);
    for (float& x : v) x = dist(rng);
    return v;
}

inline void putHalf(uint8_t* p, float v) {
    const uint16_t h = kernels::ref::fp32ToFp16(v);
    std::memcpy(p, &h, 2);
}

// Offsets of the f16 scale fields in one block of `type` (random bytes there could be inf/NaN).
inline std::vector<size_t> halfFields(kernels::GgmlType type) {
    using kernels::GgmlType;
    switch (type) {
        case GgmlType::Q4_0: case GgmlType::Q5_0: case GgmlType::Q8_0: case GgmlType::IQ4_NL: return {0};
        case GgmlType::IQ4_XS: return {0};
        case GgmlType::Q4_1: case GgmlType::Q5_1: return {0, 2};
        case GgmlType::Q2_K: return {80, 82};
        case GgmlType::Q3_K: return {108};
        case GgmlType::Q4_K: case GgmlType::Q5_K: return {0, 2};
        case GgmlType::Q6_K: return {208};
        case GgmlType::TQ1_0: return {52};
        case GgmlType::TQ2_0: return {64};
        default: return {};
    }
}

// rows x cols weights of `type`: random quant bytes with scales in [0.002, 0.02].
inline std::vector<uint8_t> randomWeights(kernels::GgmlType type, int64_t rows, int64_t cols, uint32_t seed) {
    using kernels::GgmlType;
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> scale(0.002f, 0.02f);
    const size_t bytes = kernels::rowBytes(type, cols) * static_cast<size_t>(rows);
    std::vector<uint8_t> w(bytes);
    if (type == GgmlType::F32 || type == GgmlType::F16 || type == GgmlType::BF16) {
        const auto f = randomVector(static_cast<size_t>(rows * cols), seed);
        for (int64_t r = 0; r < rows; ++r)
            kernels::ref::quantizeRow(type, &f[r * cols], &w[r * kernels::rowBytes(type, cols)], cols);
        return w;
    }
    for (uint8_t& b : w) b = static_cast<uint8_t>(rng());
    const auto& t = kernels::traits(type);
    for (size_t blk = 0; blk < bytes / t.blockBytes; ++blk)
        for (size_t off : halfFields(type)) putHalf(&w[blk * t.blockBytes + off], scale(rng));
    return w;
}

}  // namespace kernels_test
