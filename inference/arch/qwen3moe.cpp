// Qwen3-MoE decoder: the Qwen3 attention layer (per-head Q/K RMSNorm, NeoX RoPE) with
// a mixture-of-experts feed-forward in place of the dense one.
//
//   x = embed(tokens)                                            [n][E]
//   for each layer:
//     x += Wo · attention(rope(headNorm(Wq·norm(x))), rope(headNorm(Wk·norm(x))), Wv·norm(x))
//     p = softmax(Wrouter · norm(x))                              [n][X] over all X experts
//     x += sum over the top-k experts e of  p_e / sum(p_top-k) ·
//            Wdown_e · (silu(Wgate_e·norm(x)) * Wup_e·norm(x))     Fe = expert_feed_forward_length
//   logits = Wout · norm(x)                                      [n][V]
//
// The expert tensors [E, Fe, X] / [Fe, E, X] are views into the memory-mapped file:
// only the experts a batch routes to are touched, so a model larger than RAM pages.
#include "arch/prenorm_decoder.h"

namespace arch {

assistant::Result<std::unique_ptr<Architecture>> makeQwen3Moe(const gguf::File& f, Hparams h) {
    return makePreNormDecoder(f, std::move(h),
                              DecoderVariant{.attention = {.qkNorm = true}, .feedForward = FeedForward::Moe});
}

}  // namespace arch
