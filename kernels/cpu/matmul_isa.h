// Interface between the matmul driver (matmul.cpp) and the per-ISA kernel files
// (matmul_<isa>.cpp, each compiled with its own -m flags). Private to kernels/cpu/.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/cpu_features.h"
#include "kernels/ggml_type.h"

namespace kernels::cpu {

// Activations of one matmul, converted once (by the driver) and shared by all rows.
//   Q8_0 weights family (Q4_0, Q5_0, Q8_0, IQ4_NL): `data` holds [tokens][K/32] Q8_0
//     blocks (34 bytes: f16 d, int8 qs[32]); `d` their scales as float and `sums` the
//     sum of each block's qs, both [tokens][K/32].
//   Q8_K family (K-quants, ternary): `data` holds [tokens][K/256] Q8_K blocks (292
//     bytes: float d, int8 qs[256], int16 bsums[16]).
//   Q8_1 family (Q4_1, Q5_1): `data` holds [tokens][K/32] Q8_1 blocks (36 bytes: f16
//     d, f16 s = d * sum(qs), int8 qs[32]); `d` and `sums` are not filled.
//   F32 / F16 / BF16 weights: `data` holds [tokens][K] floats (rounded to f16 for F16,
//     to bf16 for BF16).
struct Activations {
    const uint8_t* data = nullptr;
    size_t stride = 0;  // bytes per token in `data`
    const float* d = nullptr;
    const int32_t* sums = nullptr;
    int64_t blocksPerToken = 0;  // K/32 for the Q8_0 family
    // Q4_0 / Q8_0 weights with a table that asks for pairs (IsaKernels::pairedQ8):
    // blocks 2p, 2p+1 of each token as one 64-byte vector of qs, their scales as 16
    // floats (8 + 8) and the offset term as 16 int32 (lanes 0 and 8, the rest 0), so
    // the 512-bit kernels read the token side with plain loads. [tokens][K/64][...].
    const int8_t* pairQs = nullptr;
    const float* pairD = nullptr;
    const int32_t* pairInit = nullptr;
    int64_t pairsPerToken = 0;
};

// One matmul: out[t * ldo + r] = dot(weight row r, activation t).
struct MatmulJob {
    const uint8_t* w = nullptr;  // row r at w + r * wStride (GGUF layout, or a repacked type's)
    size_t wStride = 0;
    int64_t k = 0;               // elements per row
    Activations act;
    float* out = nullptr;
    int64_t ldo = 0;
};

// Computes rows [r0, r1) x tokens [t0, t1) of a job, register-blocked.
using TileFn = void (*)(const MatmulJob& job, int64_t r0, int64_t r1, int64_t t0, int64_t t1);

// Causal attention (ops.h: attention) over a cache of F32, F16, Q8_0 or Q4_0 rows.
// A query row's keys are summed in chunks of kAttentionChunkKeys positions (an online
// softmax from scratch in each, the chunks folded in key order), so one token's chunks
// can run on several threads (flash decoding) and still give the prefill's bits.
inline constexpr int64_t kAttentionChunkKeys = 512;

// Floats per (chunk, KV head) of AttentionJob::partials: 8 rows of headDim
// unnormalized outputs, then 8 running maxima and 8 sums.
inline constexpr int64_t attentionPartialFloats(int64_t headDim) { return 8 * headDim + 16; }

struct AttentionJob {
    const float* q = nullptr;  // [tokens][heads * headDim]
    int64_t pos0 = 0;
    const uint8_t* k = nullptr;
    const uint8_t* v = nullptr;
    GgmlType cacheType = GgmlType::F32;
    size_t rowStride = 0;      // bytes per cache row (headsKv * headDim elements)
    int64_t heads = 0, headsKv = 0, headDim = 0;
    float scale = 1.0f;
    int64_t window = 0;
    float softCap = 0.0f;
    float* out = nullptr;      // [tokens][heads * headDim]
    // One token split over its key chunks (set by attention()): chunk >= 0 computes
    // that chunk (counted from the first visible key's) of kvHead into partials
    // ([chunk][kvHead]); chunk < 0 folds a KV head's chunks, in order, into out.
    float* partials = nullptr;
    int64_t chunk = -1;
};

// Query tokens [t0, t1) of the heads that share KV head `kvHead`.
using AttentionFn = void (*)(const AttentionJob& job, int64_t kvHead, int64_t t0, int64_t t1);

inline constexpr size_t kTypeSlots = 40;  // GGUF type ids 0..39

struct IsaKernels {
    TileFn tile[kTypeSlots] = {};  // by weight type id; null: the scalar reference
    // Kernels on Matrix::interleaved (groups of 8 rows, matmul_x8.inc); r0, r1 are
    // multiples of 8 and job.wStride is the group stride. Null: no such layout.
    TileFn tileX8[kTypeSlots] = {};
    AttentionFn attention = nullptr;
    bool pairedQ8 = false;  // Q4_0 / Q8_0 kernels read Activations::pair*
    // Kernels on Matrix::interleaved for products of at least prefillMinTokens tokens
    // (AMX tiles, matmul_amx.inc); r0 is a multiple of 16 and r1 - r0 too, except at
    // the matrix's end. Null: the tileX8 kernel serves every token count.
    TileFn prefillX8[kTypeSlots] = {};
    int64_t prefillMinTokens = 0;
    // n floats (n % 32 == 0) -> Q8_0 blocks bit-identical to quantizeActivations(Q8_0),
    // plus each block's scale as float and the sum of its qs. Null: the scalar one.
    void (*quantizeQ8_0)(const float* x, int64_t n, uint8_t* blocks, float* d, int32_t* sums) = nullptr;
    // n floats (n % 256 == 0) -> Q8_K blocks bit-identical to the reference's.
    void (*quantizeQ8_K)(const float* x, int64_t n, uint8_t* blocks) = nullptr;
    // ops.h swiglu, out[i] = g / (1 + e^-g) * up[i] (g = gate[i]; out may be gate), with
    // a vector e^x (relative error ~2e-7, not libm's): an element's result does not
    // depend on its position (a tail goes through the same vector code), so a decode
    // step's pieces give the prefill's bits. Null: the scalar std::exp loop.
    void (*swiglu)(const float* gate, const float* up, int64_t n, float* out) = nullptr;
};

// One table per ISA translation unit; defined only where the compiler builds it.
const IsaKernels& kernelsAvx2();
const IsaKernels& kernelsAvxVnni();
const IsaKernels& kernelsAvx512();
const IsaKernels& kernelsAvx512Vnni();
const IsaKernels& kernelsAmx();

// The table of an ISA family, or null for Scalar.
const IsaKernels* isaKernels(CpuIsa isa);

}  // namespace kernels::cpu
