// The pre-norm decoder that llama, qwen2, qwen3, phi3 and qwen3moe share:
//
//   x = embed(tokens)                                            [n][E]
//   for each layer:
//     x += Wo · attention(rope(q), rope(k), v)   q, k, v from norm(x) as the variant says
//     x += Wdown · (silu(Wgate·norm(x)) * Wup·norm(x))            F = nFf
//          or the mixture of experts of decoder_blocks.h (moeBlock)
//   logits = Wout · norm(x)                                      [n][V]
//
// Each architecture's file keeps the formula of its own layer and declares how it
// departs from this one in a DecoderVariant.
#pragma once

#include <memory>

#include "arch/arch.h"
#include "arch/decoder_blocks.h"

namespace arch {

// The feed-forward block, always SwiGLU.
enum class FeedForward {
    Gated,        // ffn_gate, ffn_up [F][E]
    FusedGateUp,  // one ffn_up [2F][E]: gate rows, then up rows (phi3)
    Moe,          // router + nExpert gated experts [Fe][E], top nExpertUsed per token (qwen3moe)
};

// Where the RoPE angle divisors ([rope dims / 2]) come from.
enum class RopeFactors {
    None,    // plain RoPE (freq_base, linear scaling)
    Llama3,  // rope_freqs.weight when present (Llama 3.1+ frequency scaling)
    // rope_factors_long / rope_factors_short when present (LongRope, phi3): long when the
    // session's context exceeds rope.scaling.original_context_length, and the rotated
    // q, k scaled by rope.scaling.attn_factor.
    LongRope,
};

struct DecoderVariant {
    AttentionLayout attention;             // fused QKV, Q/K/V biases, per-head Q/K norms
    FeedForward feedForward = FeedForward::Gated;
    RopeFactors ropeFactors = RopeFactors::None;
    bool slidingWindow = false;            // every layer sees only the last attention.sliding_window
                                           // positions (Mistral); else the key is ignored
};

assistant::Result<std::unique_ptr<Architecture>> makePreNormDecoder(const gguf::File& f, Hparams h,
                                                                   const DecoderVariant& variant);

}  // namespace arch
