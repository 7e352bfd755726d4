// The ops a forward pass runs on the CPU backend. Architecture files call these and
// never loop over weights themselves. Shapes are row-major; "rows" of a weight
// matrix are output features, "cols" input features (GGUF ne[1] x ne[0]).
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/ggml_type.h"

namespace kernels {

class ThreadPool;

// A weight matrix in any computable GGUF type: rows x cols, rows contiguous.
struct Matrix {
    GgmlType type = GgmlType::F32;
    const void* data = nullptr;
    int64_t rows = 0;
    int64_t cols = 0;
    size_t rowStride() const { return rowBytes(type, cols); }
};

// out[t][r] = sum_k W[r][k] * x[t][k] for t < tokens. x: [tokens][w.cols], out:
// [tokens][w.rows]. Activations are converted once to the type the weight's dot
// product needs, then rows are spread over the pool.
void matmul(ThreadPool& pool, const Matrix& w, const float* x, int64_t tokens, float* out);

// out[0..cols) = row `row` of w as floats (embedding lookup).
void getRow(const Matrix& w, int64_t row, float* out);

// out = x / sqrt(mean(x^2) + eps) * weight (weight may be null). In place allowed.
void rmsNorm(const float* x, const float* weight, int64_t n, float eps, float* out);

// out = silu(gate) * up, elementwise (SwiGLU). In place allowed (out == gate).
void swiglu(const float* gate, const float* up, int64_t n, float* out);

// y += x
void addInPlace(float* y, const float* x, int64_t n);

struct RopeParams {
    int dims = 0;                         // rotated dimensions per head (<= headDim)
    float freqBase = 10000.0f;
    float freqScale = 1.0f;               // linear scaling: 1 / factor
    bool neox = false;                    // false: adjacent pairs (x0,x1); true: halves (x_i, x_{i+d/2})
    const float* freqFactors = nullptr;   // per pair divisor of the angle (llama3 rope_freqs), or null
};

// Rotates heads x headDim values of one token at position pos, in place.
void rope(float* x, int64_t heads, int64_t headDim, int64_t pos, const RopeParams& params);

struct AttentionShape {
    int64_t heads = 0;      // query heads
    int64_t headsKv = 0;    // key/value heads (grouped-query attention: heads % headsKv == 0)
    int64_t headDim = 0;
    float scale = 1.0f;     // applied to q.k before the softmax
    int64_t window = 0;     // > 0: a query at p sees keys q with p - q < window (sliding window)
    float softCap = 0.0f;   // > 0: scores = softCap * tanh(scores / softCap)
};

// Causal attention for `tokens` queries at positions pos0 .. pos0+tokens-1 over the
// cache rows 0 .. pos0+tokens-1. q: [tokens][heads*headDim]; k, v: cache rows of
// headsKv*headDim elements in cacheType (F32, F16 or Q8_0), row stride
// rowBytes(cacheType, headsKv*headDim); out: [tokens][heads*headDim].
void attention(ThreadPool& pool, const float* q, int64_t tokens, int64_t pos0, const void* k,
               const void* v, GgmlType cacheType, const AttentionShape& shape, float* out);

// Writes one row of n floats into a cache row of type F32, F16 or Q8_0.
void storeRow(GgmlType type, const float* src, int64_t n, void* dst);

// ---- Activations (activations.cpp) -------------------------------------------------

// GELU, tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
float gelu(float x);

// out = gelu(gate) * up (GEGLU, Gemma's feed-forward). The reference engine evaluates
// GELU through an fp16 lookup table: the input is rounded to fp16 and the GELU value
// stored as fp16; we do the same so that logits agree to its tolerance. |gate| >= 10
// skips the table (0, or gate itself). In place allowed (out == gate).
void geglu(const float* gate, const float* up, int64_t n, float* out);

// x = cap * tanh(x / cap), in place (Gemma-2 final logit soft-capping). cap > 0.
void softCap(float* x, int64_t n, float cap);

// x *= s, in place.
void scale(float* x, int64_t n, float s);

// ---- Per-row helpers (row_ops.cpp) ---------------------------------------------------

// x[t][i] += bias[i] for t < rows, i < n (projection biases, e.g. Qwen2's Q/K/V).
void addBias(float* x, const float* bias, int64_t rows, int64_t n);

// RMSNorm of each of `groups` consecutive slices of `width` values, in place, each
// slice multiplied by the same weight[width] (per-head Q/K norm: groups = tokens*heads,
// width = headDim).
void rmsNormGroups(float* x, const float* weight, int64_t groups, int64_t width, float eps);

// ---- Mixture-of-experts routing (moe.cpp) --------------------------------------------

struct ExpertChoice {
    int32_t expert = 0;
    float weight = 0.0f;
};

// Softmax over all nExpert router logits, then the k most probable experts in
// descending order (ties: lower id first). normalize: their weights are divided by
// their sum (Qwen3-MoE, Mixtral); otherwise the softmax probabilities are kept.
// out: [k]. Requires 0 < k <= nExpert.
void routeTopK(const float* logits, int64_t nExpert, int64_t k, bool normalize, ExpertChoice* out);

}  // namespace kernels
