// The pre-norm decoder that llama, qwen2 and qwen3 share:
//
//   x = embed(tokens)                                            [n][E]
//   for each layer:
//     x += Wo · attention(rope(q), rope(k), v)   q, k, v from norm(x) as the variant says
//     x += Wdown · (silu(Wgate·norm(x)) * Wup·norm(x))            F = nFf
//   logits = Wout · norm(x)                                      [n][V]
//
// Each architecture's file keeps the formula of its own layer and declares how it
// departs from this one in a DecoderVariant.
#pragma once

#include <memory>

#include "arch/arch.h"
#include "arch/decoder_blocks.h"

namespace arch {

// Where the RoPE angle divisors ([rope dims / 2]) come from.
enum class RopeFactors {
    None,    // plain RoPE (freq_base, linear scaling)
    Llama3,  // rope_freqs.weight when present (Llama 3.1+ frequency scaling)
};

struct DecoderVariant {
    AttentionLayout attention;             // fused QKV, Q/K/V biases, per-head Q/K norms
    RopeFactors ropeFactors = RopeFactors::None;
    bool slidingWindow = false;            // every layer sees only the last attention.sliding_window
                                           // positions (Mistral); else the key is ignored
    bool gpuOffload = false;               // describeDecoder for the OpenCL path (llama only)
};

assistant::Result<std::unique_ptr<Architecture>> makePreNormDecoder(const gguf::File& f, Hparams h,
                                                                   const DecoderVariant& variant);

}  // namespace arch
