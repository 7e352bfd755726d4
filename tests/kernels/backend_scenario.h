// One decoder layer's worth of Backend ops (kernels/backend.h) on small shapes with
// stacked weights of mixed types, strided outputs, biases, head norms, RoPE with a
// q/k scale, cached history and accumulation: run on any backend, the outputs are
// compared with a plain-loop computation (CPU backend) or with the CPU backend (a device).
#pragma once

#include <vector>

#include "kernels/backend.h"
#include "random_weights.h"

namespace kernels_test {

struct Quantized {
    kernels::Matrix m;
    std::vector<uint8_t> bytes;
};

// values [rows][cols] quantized to `type` (the matrix points into `bytes`).
inline Quantized quantizedMatrix(kernels::GgmlType type, int64_t rows, int64_t cols, uint32_t seed) {
    Quantized q;
    const std::vector<float> v = randomVector(static_cast<size_t>(rows * cols), seed);
    const size_t rb = kernels::rowBytes(type, cols);
    q.bytes.resize(rb * static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r) kernels::ref::quantizeRow(type, v.data() + r * cols, q.bytes.data() + r * rb, cols);
    q.m = kernels::Matrix{type, q.bytes.data(), rows, cols};
    return q;
}

struct LayerScenario {
    static constexpr int64_t E = 64, H = 4, Hkv = 2, D = 16, F = 96, n = 3, pos0 = 2, capacity = 8;
    static constexpr int64_t qW = H * D, kvW = Hkv * D, ldq = qW + 2 * kvW;
    Quantized wq = quantizedMatrix(kernels::GgmlType::Q8_0, qW, E, 11);
    Quantized wk = quantizedMatrix(kernels::GgmlType::F32, kvW, E, 12);
    Quantized wv = quantizedMatrix(kernels::GgmlType::Q8_0, kvW, E, 13);
    Quantized wo = quantizedMatrix(kernels::GgmlType::F32, E, qW, 14);
    Quantized gate = quantizedMatrix(kernels::GgmlType::Q8_0, F, E, 15);
    Quantized up = quantizedMatrix(kernels::GgmlType::Q8_0, F, E, 16);
    Quantized down = quantizedMatrix(kernels::GgmlType::Q4_0, E, F, 17);
    std::vector<float> x = randomVector(n * E, 20), norm = randomVector(E, 21), bias = randomVector(ldq, 22);
    std::vector<float> qNorm = randomVector(D, 23), kNorm = randomVector(D, 24);
    std::vector<float> history = randomVector(capacity * kvW, 25);  // cache rows before pos0
    kernels::AttentionOp op() const {
        kernels::AttentionOp a;
        a.heads = H;
        a.headsKv = Hkv;
        a.headDim = D;
        a.rope.dims = D;
        a.rope.freqBase = 10000.0f;
        a.qkScale = 1.25f;
        a.shape = {H, Hkv, D, 0.25f};
        a.kvType = kernels::GgmlType::F32;
        return a;
    }
};

struct ScenarioOutputs {
    std::vector<float> x, qkv, kCache;
};

#define SCENARIO_TRY(v, expr)                                      \
    auto v##_ = (expr);                                            \
    if (!v##_) {                                                   \
        ADD_FAILURE() << #expr << ": " << v##_.error();            \
        return {};                                                 \
    }                                                              \
    auto v = std::move(*v##_)

// x += Wo·attention(...); x += down·swiglu(gate·norm(x), up·norm(x)) on `be`.
inline ScenarioOutputs runScenario(kernels::Backend& be, const LayerScenario& s) {
    using S = LayerScenario;
    const kernels::AttentionOp op = s.op();
    SCENARIO_TRY(x, be.upload(std::span<const float>(s.x)));
    SCENARIO_TRY(norm, be.upload(std::span<const float>(s.norm)));
    SCENARIO_TRY(bias, be.upload(std::span<const float>(s.bias)));
    SCENARIO_TRY(qNorm, be.upload(std::span<const float>(s.qNorm)));
    SCENARIO_TRY(kNorm, be.upload(std::span<const float>(s.kNorm)));
    SCENARIO_TRY(kCache, be.upload(std::span<const float>(s.history)));
    SCENARIO_TRY(vCache, be.upload(std::span<const float>(s.history)));
    SCENARIO_TRY(rope, be.ropeTable(op.rope));
    SCENARIO_TRY(cur, be.alloc(S::n * S::E * 4));
    SCENARIO_TRY(qkv, be.alloc(S::n * S::ldq * 4));
    SCENARIO_TRY(attn, be.alloc(S::n * S::qW * 4));
    SCENARIO_TRY(gu, be.alloc(S::n * 2 * S::F * 4));
    const kernels::Matrix* qkvParts[] = {&s.wq.m, &s.wk.m, &s.wv.m};
    const kernels::Matrix* guParts[] = {&s.gate.m, &s.up.m};
    const kernels::Matrix* woPart[] = {&s.wo.m};
    const kernels::Matrix* downPart[] = {&s.down.m};
    SCENARIO_TRY(wqkv, be.upload(std::span<const kernels::Matrix* const>(qkvParts)));
    SCENARIO_TRY(wgu, be.upload(std::span<const kernels::Matrix* const>(guParts)));
    SCENARIO_TRY(wo, be.upload(std::span<const kernels::Matrix* const>(woPart)));
    SCENARIO_TRY(down, be.upload(std::span<const kernels::Matrix* const>(downPart)));

    be.rmsNorm(*x, 0, *norm, S::n, S::E, 1e-5f, *cur);
    be.matmul(*wqkv, *cur, S::E, S::n, *qkv, S::ldq, 0, false);
    be.addBias(*qkv, S::ldq, S::n, S::ldq, *bias);
    be.rmsNormHeads(*qkv, S::ldq, 0, S::n, S::H, S::D, *qNorm, 1e-5f);
    be.rmsNormHeads(*qkv, S::ldq, S::qW, S::n, S::Hkv, S::D, *kNorm, 1e-5f);
    be.ropeStoreKv(*qkv, S::ldq, S::n, S::pos0, op, *rope, *kCache, *vCache);
    be.attention(*qkv, S::ldq, S::n, S::pos0, op, *kCache, *vCache, *attn);
    be.matmul(*wo, *attn, S::qW, S::n, *x, S::E, 0, true);
    be.rmsNorm(*x, 0, *norm, S::n, S::E, 1e-5f, *cur);
    be.matmul(*wgu, *cur, S::E, S::n, *gu, 2 * S::F, 0, false);
    be.matmul(*down, *gu, 2 * S::F, S::n, *x, S::E, 0, true, kernels::Glu::SwiGlu);

    ScenarioOutputs out;
    out.x.resize(S::n * S::E);
    out.qkv.resize(S::n * S::ldq);
    out.kCache.resize(S::capacity * S::kvW);
    be.read(*x, 0, out.x.data(), out.x.size() * 4);
    be.read(*qkv, 0, out.qkv.data(), out.qkv.size() * 4);
    be.read(*kCache, 0, out.kCache.data(), out.kCache.size() * 4);
    if (std::string e = be.takeError(); !e.empty()) ADD_FAILURE() << be.name() << ": " << e;
    return out;
}

inline float maxAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size()) return 1e30f;
    float d = 0;
    for (size_t i = 0; i < a.size(); ++i) d = std::max(d, std::fabs(a[i] - b[i]));
    return d;
}

}  // namespace kernels_test
