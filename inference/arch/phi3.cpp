// Phi-3 / Phi-3.5 / Phi-4-mini decoder: the Llama layer with fused projections and
// NeoX-ordered RoPE, optionally LongRoPE.
//
//   x = embed(tokens)                                            [n][E]
//   for each layer:
//     [q; k; v] = Wqkv·norm(x)       Wqkv: [(H + 2 Hkv)·D][E], bound as three row views
//     x += Wo · attention(rope(q), rope(k), v)
//     [g; u] = Wup·norm(x)           Wup: [2F][E], gate rows first, then up rows
//     x += Wdown · (silu(g) * u)
//   logits = Wout · norm(x)                                      [n][V]
//
// LongRoPE: rope_factors_long / rope_factors_short ([rope dims / 2] angle divisors)
// are chosen by the session's context length against rope.scaling.original_context_length
// (long above it), and the rotated q, k are scaled by rope.scaling.attn_factor.
// phi3.attention.sliding_window is ignored, as the reference engine does.
#include "arch/prenorm_decoder.h"

namespace arch {

assistant::Result<std::unique_ptr<Architecture>> makePhi3(const gguf::File& f, Hparams h) {
    return makePreNormDecoder(f, std::move(h),
                              DecoderVariant{.attention = {.fusedQkv = true},
                                             .feedForward = FeedForward::FusedGateUp,
                                             .ropeFactors = RopeFactors::LongRope,
                                             .slidingWindow = false});  // ignored, as the reference does
}

}  // namespace arch
