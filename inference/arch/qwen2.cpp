// Qwen2 / Qwen2.5 decoder: the Llama layer with biases on the Q/K/V projections and
// NeoX-ordered RoPE (rotating the two halves of each head).
//
//   x = embed(tokens)                                            [n][E]
//   for each layer:
//     q = Wq·norm(x) + bq   [n][H*D]     k = Wk·norm(x) + bk   [n][Hkv*D]
//     v = Wv·norm(x) + bv   [n][Hkv*D]
//     x += Wo · attention(rope(q), rope(k), v)
//     x += Wdown · (silu(Wgate·norm(x)) * Wup·norm(x))            F = nFf
//   logits = Wout · norm(x)                                      [n][V]
#include "arch/prenorm_decoder.h"

namespace arch {

assistant::Result<std::unique_ptr<Architecture>> makeQwen2(const gguf::File& f, Hparams h) {
    return makePreNormDecoder(f, std::move(h), DecoderVariant{.attention = {.biases = true}});
}

}  // namespace arch
