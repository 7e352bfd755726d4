// Qwen3 dense decoder: the Llama layer with a per-head RMSNorm on queries and keys
// (over each head's D values, before RoPE) and NeoX-ordered RoPE. No biases.
//
//   x = embed(tokens)                                            [n][E]
//   for each layer:
//     q = headNorm(Wq·norm(x))  [n][H][D]   k = headNorm(Wk·norm(x))  [n][Hkv][D]
//     v = Wv·norm(x)            [n][Hkv*D]
//     x += Wo · attention(rope(q), rope(k), v)
//     x += Wdown · (silu(Wgate·norm(x)) * Wup·norm(x))            F = nFf
//   logits = Wout · norm(x)                                      [n][V]
#include "arch/prenorm_decoder.h"

namespace arch {

assistant::Result<std::unique_ptr<Architecture>> makeQwen3(const gguf::File& f, Hparams h) {
    return makePreNormDecoder(f, std::move(h), DecoderVariant{.attention = {.qkNorm = true}});
}

}  // namespace arch
