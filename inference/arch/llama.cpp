// Llama-family decoder (Llama 1/2/3, Mistral, TinyLlama, SmolLM, ...): pre-norm
// blocks of grouped-query attention with RoPE (adjacent pairs) and a SwiGLU
// feed-forward.
//
//   x = embed(tokens)                                          [n][E]
//   for each layer:
//     x += Wo · attention(rope(Wq·norm(x)), rope(Wk·norm(x)), Wv·norm(x))
//     x += Wdown · (silu(Wgate·norm(x)) * Wup·norm(x))
//   logits = Wout · norm(x)                                    [n][V]
//
// Mistral GGUFs are `llama` files; when they carry llama.attention.sliding_window,
// every layer attends to that many most recent positions (Mistral 7B v0.1). Llama 3.1+
// files carry rope_freqs.weight, per-pair divisors of the RoPE angles.
#include "arch/prenorm_decoder.h"
#include "gguf/gguf_file.h"

namespace arch {

assistant::Result<std::unique_ptr<Architecture>> makeLlama(const gguf::File& f, Hparams h) {
    // Some llama files omit feed_forward_length: ffn_gate's rows give it.
    if (h.nFf <= 0) {
        if (const gguf::TensorInfo* t = f.tensor("blk.0.ffn_gate.weight"); t && t->shape.size() == 2)
            h.nFf = t->shape[1];
    }
    return makePreNormDecoder(f, std::move(h),
                              DecoderVariant{.attention = {},                      // separate Q, K, V; no biases
                                             .ropeFactors = RopeFactors::Llama3,  // rope_freqs.weight if any
                                             .slidingWindow = true});             // Mistral v0.1
}

}  // namespace arch
