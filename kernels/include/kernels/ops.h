// The ops a forward pass runs on the CPU backend. Architecture files call these and
// never loop over weights themselves. Shapes are row-major; "rows" of a weight
// matrix are output features, "cols" input features (GGUF ne[1] x ne[0]).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "kernels/ggml_type.h"

namespace kernels {

class ThreadPool;

// A weight matrix in any computable GGUF type: rows x cols, rows contiguous.
struct Matrix {
    GgmlType type = GgmlType::F32;
    const void* data = nullptr;
    int64_t rows = 0;
    int64_t cols = 0;
    // Set by repackForCpu: keeps the repacked copy that `data` points to alive
    // (shared by copies of the Matrix, e.g. tied embedding and output).
    std::shared_ptr<const void> owned = nullptr;
    // Set by repackForCpu when the active CPU kernels read `type` fastest with rows
    // interleaved in groups of 8 (kernels/cpu/matmul_x8.inc gives the layouts):
    // that copy, `interleavedGroupBytes` apart per group. `data` keeps the GGUF layout
    // for everything else (row lookup, GPU upload, ISA paths without such a kernel).
    const void* interleaved = nullptr;
    size_t interleavedGroupBytes = 0;
    std::shared_ptr<const void> interleavedOwned = nullptr;
    size_t rowStride() const { return rowBytes(type, cols); }
};

// Rows [first, first + count) of w as a matrix of their own (a slice of a fused
// tensor). An interleaved copy is kept when the slice is whole groups of 8 rows.
Matrix sliceRows(const Matrix& w, int64_t first, int64_t count);

// Load-time repacking into the layout the CPU kernels read fastest, done once per
// weight by the model loader. When the active ISA has kernels for it, Q4_0, Q8_0,
// Q4_K, Q6_K, TQ2_0 and TQ1_0 matrices with a row count divisible by 8 gain an
// interleaved copy (Matrix::interleaved; TQ1_0 in TQ2_0's layout) and keep `data`,
// which the CPU then no longer reads. Otherwise TQ1_0 (base-3, 1.69 bits) becomes
// the 2-bit layout of TQ2_0 (same values, codes expanded by a shift and an AND):
// `type` and `data` then name that copy. Returns true when the CPU kernels read only
// memory of w's own; the loader may then release the original (mapped) pages, which
// are read back from the file if another path needs them. False: w is unchanged.
bool repackForCpu(Matrix& w);
// The same for matrices of one type and shape (a tensor's experts): their interleaved
// copies share one allocation (one malloc'd block each would carry a page of slack).
// Others, or without memory for the block: one by one. True when every one is the CPU's
// own (already, or now).
bool repackForCpu(std::span<Matrix> ws);
// Rows [8 * group, 8 * group + 8) of w's interleaved copy back in the GGUF layout, at
// dst (8 rows of w.rowStride() bytes): for a reader that wants the file's bytes after
// their mapped pages were released (experts streamed to a device). Q4_0, Q8_0 and
// IQ4_NL (one layout) only; false (nothing written) for the others or without a copy.
bool deinterleaveGroup(const Matrix& w, int64_t group, uint8_t* dst);
// The same group of a Q4_0 or Q8_0 matrix with each block's quant bytes and its fp16
// scale apart: row i's quants at quants + i * quantStride (16 or 32 bytes a block, block
// after block), its scales at scales + i * scaleStride (2 bytes a block). False for the
// other types or without the copy.
bool deinterleaveGroupSplit(const Matrix& w, int64_t group, uint8_t* quants, size_t quantStride, uint8_t* scales,
                            size_t scaleStride);

// out[t][r] = sum_k W[r][k] * x[t][k] for t < tokens. x: [tokens][w.cols], out:
// [tokens][w.rows]. Activations are converted once to the type the weight's dot
// product needs, then rows are spread over the pool.
void matmul(ThreadPool& pool, const Matrix& w, const float* x, int64_t tokens, float* out);

// Several independent products in one parallel loop, each input quantized once
// (decode's MoE experts: 8 gate/up pairs, then 8 downs, instead of 24 small loops).
// An item with `rows` reads its tokens from x's rows rows[0..tokens) (prefill's MoE:
// each expert's tokens out of the layer's input): x is quantized once for all the
// items that share it and each item gathers its quantized rows. Results equal
// matmul()'s for each item (on the gathered rows as floats).
struct MatmulItem {
    const Matrix* w;
    const float* x;   // [tokens][w.cols], or with `rows` the rows it names
    int64_t tokens;
    float* out;       // [tokens][w.rows]
    const int32_t* rows = nullptr;  // [tokens] row numbers in x, or null
};
void matmulMany(ThreadPool& pool, std::span<const MatmulItem> items);

// out[0..cols) = row `row` of w as floats (embedding lookup).
void getRow(const Matrix& w, int64_t row, float* out);

// out = x / sqrt(mean(x^2) + eps) * weight (weight may be null). In place allowed.
void rmsNorm(const float* x, const float* weight, int64_t n, float eps, float* out);

// out = silu(gate) * up, elementwise (SwiGLU). In place allowed (out == gate).
void swiglu(const float* gate, const float* up, int64_t n, float* out);

// y += x
void addInPlace(float* y, const float* x, int64_t n);

// ---- Encoder-only models (encoder_ops.cpp: BERT, USE-Lite) ---------------------------

// out = (x - mean) / sqrt(var + eps) * weight + bias over n values (weight, bias may
// be null). Sums in double. In place allowed.
void layerNorm(const float* x, const float* weight, const float* bias, int64_t n, float eps, float* out);

// GELU (tanh form) the way the reference engine evaluates it for BERT: input rounded
// to fp16, value looked up in an fp16 table; x <= -10 -> 0, x >= 10 -> x.
void geluTableInPlace(float* x, int64_t n);

// x = max(x, 0)
void reluInPlace(float* x, int64_t n);

// x[r][i] += bias[i] for r < rows, i < n.
void addRowBias(float* x, const float* bias, int64_t rows, int64_t n);

// Bidirectional (non-causal) attention inside each sequence of a packed batch.
// Sequence s owns rows seqStart[s] .. seqStart[s+1]-1 (seqStart has nSeq+1 entries).
// q, k, v: rows of heads*headDim values at rowStride floats apart (they may be
// column slices of one fused QKV buffer); out: rows of heads*headDim at outStride.
// softmax(scale * q.k) over the keys of the query's own sequence; (sequence, head)
// pairs are spread over the pool.
void encoderAttention(ThreadPool& pool, const float* q, const float* k, const float* v, int64_t rowStride,
                      std::span<const int64_t> seqStart, int64_t heads, int64_t headDim, float scale, float* out,
                      int64_t outStride);

enum class Pooling { Mean, Cls, Last };

// One vector of n values per sequence of x ([rows][n], packed as in encoderAttention):
// mean of its rows, its first row (CLS) or its last row. out: [nSeq][n].
void poolSequences(const float* x, int64_t n, std::span<const int64_t> seqStart, Pooling pooling, float* out);

// x /= sqrt(max(sum x^2, minSumSquares)) (TF's l2_normalize; 0 stays 0).
void l2Normalize(float* x, int64_t n, float minSumSquares = 1e-12f);

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
