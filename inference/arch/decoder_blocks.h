// Building blocks shared by the decoder architectures (llama, qwen2, qwen3, phi3,
// gemma2, qwen3moe): the weights of an attention block, of a gated feed-forward and
// of a mixture-of-experts feed-forward and how to bind them from GGUF tensor names;
// the host-only blocks gemma2.cpp composes into its layers, and the embedding lookup
// and output head. PreNormDecoder (prenorm_decoder.h) runs its layers through
// kernels/backend.h instead.
//
// Shapes: n = tokens in the batch, E = nEmbd, H = nHead, Hkv = nHeadKv, D = headDim,
// F = feed-forward width, V = nVocab. Activations are row-major [n][width].
#pragma once

#include <span>
#include <vector>

#include "arch/arch.h"

namespace arch {

// ----------------------------------------------------------------------------
// Weights
// ----------------------------------------------------------------------------
struct AttentionWeights {
    std::vector<float> norm;          // [E] RMSNorm before attention
    kernels::Matrix wq;               // [H*D][E]
    kernels::Matrix wk;               // [Hkv*D][E]
    kernels::Matrix wv;               // [Hkv*D][E]
    kernels::Matrix wo;               // [E][H*D]
    std::vector<float> bq, bk, bv;    // biases [H*D], [Hkv*D], [Hkv*D] (qwen2), else empty
    std::vector<float> qNorm, kNorm;  // per-head RMSNorm weights [D] (qwen3), else empty
};

struct AttentionLayout {
    bool fusedQkv = false;  // one attn_qkv tensor with rows [q; k; v] (phi3)
    bool biases = false;    // attn_{q,k,v}.bias are required
    bool qkNorm = false;    // attn_{q,k}_norm.weight are required
};

// Gated feed-forward: down · (act(gate · x) * (up · x)).
struct FfnWeights {
    std::vector<float> norm;  // [E] RMSNorm before the feed-forward
    kernels::Matrix gate;     // [F][E]
    kernels::Matrix up;       // [F][E]
    kernels::Matrix down;     // [E][F]
};

enum class FfnActivation { Silu, Gelu };

// Mixture of experts: a router picks k of nExpert gated FFNs (SiLU) per token.
struct MoeWeights {
    std::vector<float> norm;                   // [E]
    kernels::Matrix router;                    // [nExpert][E] (ffn_gate_inp)
    std::vector<kernels::Matrix> gate, up;     // nExpert x [Fe][E], views into the mapping
    std::vector<kernels::Matrix> down;         // nExpert x [E][Fe]
};

// The weights every decoder has outside its layers.
struct EmbeddingWeights {
    kernels::Matrix tokenEmbd;       // [V][E]
    std::vector<float> outputNorm;   // [E]
    kernels::Matrix output;          // [V][E] (the embedding when tied)
};

// ----------------------------------------------------------------------------
// Binding ("blk.<l>.<name>" tensors, shapes checked against the hparams)
// ----------------------------------------------------------------------------
assistant::Result<AttentionWeights> bindAttention(const gguf::File& f, const Hparams& h, int64_t layer,
                                                  AttentionLayout layout);
// fusedGateUp: ffn_up holds [gate rows; up rows] (phi3) and there is no ffn_gate.
assistant::Result<FfnWeights> bindFfn(const gguf::File& f, const Hparams& h, int64_t layer, bool fusedGateUp = false);
assistant::Result<MoeWeights> bindMoe(const gguf::File& f, const Hparams& h, int64_t layer);
assistant::Result<EmbeddingWeights> bindEmbeddings(const gguf::File& f, const Hparams& h);
// Optional per-layer norm (gemma2's post-attention / post-ffw norms): empty if absent
// when !required.
assistant::Result<std::vector<float>> bindNorm(const gguf::File& f, const Hparams& h, int64_t layer,
                                               const char* suffix);

// ----------------------------------------------------------------------------
// Running (all work in ctx.scratch; `in` and `out` are [n][E] and may alias)
// ----------------------------------------------------------------------------

// Per-forward settings of the attention block of one layer.
struct AttentionParams {
    kernels::RopeParams rope;        // with freqFactors bound
    kernels::AttentionShape shape;   // scale, window, soft-cap
    float qkScale = 1.0f;            // q and k multiplied by this after RoPE (LongRoPE attn_factor)
};

// Sizes the scratch buffers for n tokens with feed-forward width ffWidth.
void prepareScratch(Scratch& s, const Hparams& h, int64_t n, int64_t ffWidth);

// x[t] = row tokens[t] of the embedding (times embedScale when != 1, Gemma).
void embedTokens(const kernels::Matrix& tokenEmbd, std::span<const int32_t> tokens, int64_t E, float embedScale,
                 float* x);

// out[t] = rmsNorm(in[t]) * weight for t < n.
void rmsNormRows(const float* in, const std::vector<float>& weight, int64_t n, int64_t E, float eps, float* out);

// out = Wo · attention(rope(q), rope(k), v) with q,k,v = W{q,k,v} · in (+ biases,
// per-head norms); this batch's K/V are written to the cache of `layer` at pos0...
// Uses s.q, s.k, s.v, s.attn.
void attentionBlock(ForwardContext& ctx, const Hparams& h, const AttentionWeights& w, const AttentionParams& p,
                    int64_t layer, int64_t n, int64_t pos0, const float* in, float* out);

// out = down · (act(gate · in) * (up · in)). Uses s.ffnA, s.ffnB.
void ffnBlock(ForwardContext& ctx, const FfnWeights& w, FfnActivation act, int64_t n, const float* in, float* out);

// s.logits = output · rmsNorm(x) of every token (allLogits) or the last one;
// finalSoftCap > 0 caps them (Gemma-2).
void outputLogits(ForwardContext& ctx, const Hparams& h, const EmbeddingWeights& w, int64_t n, bool allLogits,
                  float finalSoftCap = 0.0f);

}  // namespace arch
