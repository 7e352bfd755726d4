// Helpers shared by the kernels/ref tests: the table of computable types, random
// rows that are valid blocks, float references.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/ggml_type.h"
#include "kernels/ref.h"

namespace reftest {

using kernels::GgmlType;

struct TypeCase {
    GgmlType type;
    std::vector<size_t> halfScaleOffsets;  // byte offsets of fp16 scale fields in a block
    bool hasQuantizer;                     // quantizeRow must succeed
};

// The 17 weight types with dequantize + vecDot kernels.
inline const std::vector<TypeCase>& weightTypes() {
    using enum GgmlType;
    static const std::vector<TypeCase> cases = {
        {F32, {}, true},        {F16, {}, true},         {BF16, {}, true},
        {Q4_0, {0}, true},      {Q4_1, {0, 2}, true},    {Q5_0, {0}, true},
        {Q5_1, {0, 2}, true},   {Q8_0, {0}, true},       {Q2_K, {80, 82}, false},
        {Q3_K, {108}, false},   {Q4_K, {0, 2}, false},   {Q5_K, {0, 2}, false},
        {Q6_K, {208}, false},   {IQ4_NL, {0}, true},     {IQ4_XS, {0}, true},
        {TQ1_0, {52}, true},    {TQ2_0, {64}, true},
    };
    return cases;
}

inline std::vector<float> randomFloats(std::mt19937& rng, int64_t n, float scale = 1.0f) {
    std::normal_distribution<float> dist(0.0f, scale);
    std::vector<float> v(static_cast<size_t>(n));
    for (float& f : v) f = dist(rng);
    return v;
}

// Random bytes are valid blocks once the fp16 scale fields hold sane finite values.
// Plain types get random finite values instead.
inline std::vector<uint8_t> randomRow(std::mt19937& rng, const TypeCase& c, int64_t n) {
    const auto& tr = kernels::traits(c.type);
    std::vector<uint8_t> row(kernels::rowBytes(c.type, n));
    if (tr.blockSize == 1) {
        const std::vector<float> f = randomFloats(rng, n);
        kernels::ref::quantizeRow(c.type, f.data(), row.data(), n);
        return row;
    }
    std::uniform_int_distribution<int> byte(0, 255);
    for (uint8_t& b : row) b = static_cast<uint8_t>(byte(rng));
    std::uniform_real_distribution<float> scale(0.001f, 0.05f);
    for (size_t blk = 0; blk < row.size() / tr.blockBytes; ++blk)
        for (size_t off : c.halfScaleOffsets) {
            const uint16_t h = kernels::ref::fp32ToFp16(scale(rng));
            std::memcpy(row.data() + blk * tr.blockBytes + off, &h, 2);
        }
    return row;
}

inline std::vector<float> dequantize(GgmlType type, const void* data, int64_t n) {
    std::vector<float> out(static_cast<size_t>(n));
    kernels::ref::dequantizeRow(type, data, out.data(), n);
    return out;
}

inline double floatDot(const std::vector<float>& a, const std::vector<float>& b) {
    double s = 0.0;
    for (size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
    return s;
}

inline double sumAbsProducts(const std::vector<float>& a, const std::vector<float>& b) {
    double s = 0.0;
    for (size_t i = 0; i < a.size(); ++i) s += std::fabs(static_cast<double>(a[i]) * b[i]);
    return s;
}

}  // namespace reftest
