// Building blocks shared by the decoder architectures (llama, qwen2, qwen3, phi3,
// gemma2, qwen3moe): the weights of an attention block, of a gated feed-forward and
// of a mixture-of-experts feed-forward, how to bind them from GGUF tensor names, the
// per-layer attention settings and the embedding lookup. The decoders run their
// layers through kernels/backend.h (placed_layers.h).
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
// Running (the layers themselves run through placed_layers.h)
// ----------------------------------------------------------------------------

// Per-forward settings of the attention block of one layer.
struct AttentionParams {
    kernels::RopeParams rope;        // with freqFactors bound
    kernels::AttentionShape shape;   // scale, window, soft-cap
    float qkScale = 1.0f;            // q and k multiplied by this after RoPE (LongRoPE attn_factor)
};

// x[t] = row tokens[t] of the embedding (times embedScale when != 1, Gemma).
void embedTokens(const kernels::Matrix& tokenEmbd, std::span<const int32_t> tokens, int64_t E, float embedScale,
                 float* x);

}  // namespace arch
