// What every architecture file provides: hyperparameters read from GGUF metadata,
// weights bound to the mapped tensors, and either a forward pass over a micro-batch
// (Decoder) or a pooled encoding of whole sequences (Encoder).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "assistant/engine.h"
#include "kernels/ops.h"
#include "kv_cache/kv_cache.h"

namespace gguf {
class File;
}
namespace kernels {
class ThreadPool;
}

namespace kernels {
class Backend;
}

namespace arch {

struct Hparams {
    std::string arch;        // general.architecture
    int64_t nVocab = 0;
    int64_t nCtxTrain = 0;
    int64_t nEmbd = 0;
    int64_t nLayer = 0;
    int64_t nHead = 0;
    int64_t nHeadKv = 0;
    int64_t headDim = 0;     // key/value length per head
    int64_t nFf = 0;
    float rmsEps = 1e-5f;
    kernels::RopeParams rope;  // dims, base, scale, neox (freqFactors bound by the arch)
    // Optional per-architecture keys (0 = absent).
    int64_t slidingWindow = 0;     // attention.sliding_window (tokens)
    float attnSoftCap = 0.0f;      // attn_logit_softcapping
    float finalSoftCap = 0.0f;     // final_logit_softcapping
    int64_t nExpert = 0;           // expert_count
    int64_t nExpertUsed = 0;       // expert_used_count
    int64_t nFfExpert = 0;         // expert_feed_forward_length
    int64_t ropeOrigCtx = 0;       // rope.scaling.original_context_length
    float ropeAttnFactor = 1.0f;   // rope.scaling.attn_factor (LongRoPE magnitude scale)
};

// Per-session host memory of a forward pass (grown on demand, reused): the embedded
// tokens and the logits; the layers' activations live on their backends.
struct Scratch {
    std::vector<float> x, logits;
};

struct DecoderDesc;       // arch/placed_layers.h
struct SessionPlacement;  // arch/placed_layers.h

struct ForwardContext {
    kernels::ThreadPool& pool;
    kv::Cache& kv;
    Scratch& scratch;
    // The layers on their backends and the activations of the pass (decoders that
    // describe themselves), else null.
    SessionPlacement* placement = nullptr;
};

// One sequence's part of a forward pass over several (continuous batching): its
// tokens are rows [row0, row0 + n) of the pass, at positions pos0, pos0+1, ...; their
// K/V go to its own cache (`cache`: the sequence's session, which holds its KV rows,
// attention settings and RoPE tables). Its logits rows: all n, the last, or none.
struct SeqSpan {
    enum class Logits { None, Last, All };
    SessionPlacement* cache = nullptr;
    int64_t row0 = 0, n = 0, pos0 = 0;
    Logits logits = Logits::Last;
    int64_t logitRows() const { return logits == Logits::All ? n : logits == Logits::Last ? 1 : 0; }
};

class Decoder;
class Encoder;

// What an architecture file makes from a GGUF: a Decoder (a language model: tokens in,
// next-token logits out) or an Encoder (an embedding model: sequences in, one vector
// each). Exactly one of decoder() and encoder() is non-null.
class Architecture {
public:
    virtual ~Architecture() = default;
    virtual const Hparams& hparams() const = 0;
    virtual const Decoder* decoder() const { return nullptr; }
    virtual const Encoder* encoder() const { return nullptr; }
};

// Causal decoders (llama, qwen2, qwen3, qwen3moe, phi3, gemma2, gemma3).
class Decoder : public Architecture {
public:
    const Decoder* decoder() const final { return this; }
    // Evaluates `tokens` at positions pos0, pos0+1, ... (their K/V are written to the
    // cache of ctx.placement) and fills ctx.scratch.logits with [tokens][nVocab] when
    // allLogits, else [1][nVocab] for the last token.
    void forward(ForwardContext& ctx, std::span<const int32_t> tokens, int64_t pos0, bool allLogits) const;
    // One pass over several sequences (`seqs` cover `tokens` in order, each with its
    // own cache): every matmul reads its weights once for all of them. Each token's
    // result is what a pass of its sequence alone gives. ctx.scratch.logits gets the
    // sequences' logits rows (SeqSpan::logitRows) one after another; ctx.placement
    // holds the pass's activations and CPU backend (its own cache is not used).
    virtual void forward(ForwardContext& ctx, std::span<const int32_t> tokens,
                         std::span<const SeqSpan> seqs) const = 0;
    // Decoders whose layers run through kernels/backend.h (and so may be placed on a
    // device) describe them here; forward() then needs ctx.placement.
    virtual bool describeDecoder(DecoderDesc&) const { return false; }
};

// Encoder-only models (bert, nomic-bert, use-lite): whole sequences in, one pooled
// vector each (Model::embed). They have no language-model head: Session refuses them.
class Encoder : public Architecture {
public:
    const Encoder* encoder() const final { return this; }
    // Length of the pooled vector (may differ from nEmbd, e.g. after a projection).
    virtual int64_t outputSize() const = 0;
    // Runs `seqs` (each 1 .. nCtxTrain valid ids) through the encoder as one batch:
    // their tokens go through every matmul together. pooled: [seqs][outputSize()],
    // not L2-normalized. tokenStates (optional): [sum of lengths][nEmbd], the final
    // hidden state of every token, sequences in order.
    virtual void encode(kernels::ThreadPool& pool, std::span<const std::vector<int32_t>> seqs,
                        std::vector<float>& pooled, std::vector<float>* tokenStates) const = 0;
    // Layers [first, nLayer) and what follows them (pooling, a projection) uploaded to
    // `device` (placed_encoder.h); encode() then runs them there and the earlier layers on
    // the CPU backend. false with `note` when the device cannot hold or compute them:
    // everything stays on the CPU.
    virtual bool placeOnDevice(std::shared_ptr<kernels::Backend> device, int64_t first, std::string& note) {
        (void)device, (void)first;
        note = hparams().arch + " runs on the CPU (its layers do not run through the backend interface yet)";
        return false;
    }
    virtual int64_t deviceLayers() const { return 0; }
};

// Reads the hyperparameters shared by the decoder architectures.
assistant::Result<Hparams> readHparams(const gguf::File& file);

// The architectures this build runs, for error messages ("llama, ...").
std::string supportedArchitectures();

// Binds the file's tensors to the architecture named by general.architecture: a
// Decoder or an Encoder.
assistant::Result<std::unique_ptr<Architecture>> makeArchitecture(const gguf::File& file);

}  // namespace arch
