// A pre-norm decoder's layers placed on backends (kernels/backend.h), and a session's
// state on them. The placement plan (engine/placement.h) decides where each layer and the
// output head live and uploads them; the decoder (prenorm_decoder.cpp) runs each layer
// on its backend through the one op interface.
//
//   DecoderDesc       what a decoder's layers are made of (pointers into the arch)
//   PlacedLayer       one layer's tensors on its backend
//   ModelPlacement    per Model, immutable after load: every layer and the output head
//   SessionPlacement  per Session: the CPU backend on the session's threads, the
//                     activations on each backend, each layer's KV cache rows
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "arch/arch.h"
#include "arch/decoder_blocks.h"
#include "arch/hot_experts.h"
#include "arch/streamed_experts.h"
#include "kernels/backend.h"

namespace gguf {
class File;
}

namespace arch {

// What the placement needs of a decoder (pointers into the architecture).
struct DecoderDesc {
    const Hparams* h = nullptr;
    const EmbeddingWeights* embd = nullptr;
    std::vector<const AttentionWeights*> attn;  // [nLayer]
    std::vector<const FfnWeights*> ffn;         // [nLayer]; null where the layer has experts
    std::vector<const MoeWeights*> moe;         // [nLayer]; null where the layer is dense
    // Norms after the attention and feed-forward blocks (Gemma): [nLayer] or empty.
    std::vector<const std::vector<float>*> postAttnNorm, postFfwNorm;
    kernels::Glu glu = kernels::Glu::SwiGlu;  // the dense feed-forward's gate (Gemma: GeGlu)
    // Layer l's RoPE and attention settings for a session of that context length.
    std::function<AttentionParams(int64_t contextLength, int64_t layer)> attentionParams;
    // The file the matrices were bound from (views into its mapping, no CPU layout yet:
    // the placement makes it for what the CPU computes and releases the pages a device
    // copied), or null (then the matrices are used as they are).
    const gguf::File* file = nullptr;
};

// Where a layer or the output head lives: an index into ModelPlacement::devices, or
// the session's CPU backend.
constexpr int kOnCpu = -1;

// One layer's tensors on one backend.
struct PlacedLayer {
    int device = kOnCpu;
    kernels::BufferPtr attnNorm, ffnNorm;
    kernels::BufferPtr postAttnNorm, postFfwNorm;  // after the blocks (Gemma), or null
    kernels::BufferPtr qkvBias;        // [q | k | v] biases, or null
    kernels::BufferPtr qNorm, kNorm;   // per-head norms [D], or null
    kernels::WeightPtr qkv;            // Q|K|V stacked
    kernels::WeightPtr wo;
    kernels::WeightPtr gateUp;         // gate|up stacked
    kernels::WeightPtr down;
    kernels::WeightPtr experts;        // instead of gate/up/down (mixture of experts)
    bool expertsOnHost = false;        // a device layer whose experts stay in host memory and
                                       // run on the session's CPU backend (router included)
    kernels::ExpertSet hostSet;        // those experts (views of the host matrices): what a
                                       // prefill batch streams to the device
};

struct PlacedOutput {
    int device = kOnCpu;
    kernels::BufferPtr norm;
    kernels::WeightPtr w;
};

struct ModelPlacement {
    // The accelerators, in the order their layers come (none: CPU only). With several,
    // each holds a contiguous run of layers; the output head is on the last one.
    std::vector<std::shared_ptr<kernels::Backend>> devices;
    std::vector<PlacedLayer> layers;            // [nLayer]
    PlacedOutput output;
    // [nLayer] or empty: each device layer's hot-expert cache (experts in host memory and a
    // --gpu-mem budget), null where none. Its state changes under the device's lock.
    std::vector<std::unique_ptr<HotExperts>> hotExperts;
    HotExperts* hot(int64_t l) const { return hotExperts.empty() ? nullptr : hotExperts[l].get(); }
    // [devices] or empty: each device's two slots for the routed experts of its layers whose
    // experts stay in host memory, streamed in for a batch of at least streamMinTokens
    // tokens (streamed_experts.h), null where none. Used under the device's lock.
    std::vector<kernels::StreamPtr> streams;
    int64_t streamMinTokens = 0;
    bool streamAdaptive = false;      // the default threshold: measured costs move it (StreamCosts)
    mutable StreamCosts streamCosts;  // both ways' costs a layer, measured as passes run
    mutable std::atomic<uint64_t> streamedLayers{0};  // layers' experts streamed so far (all passes)
    // Experts and bytes the streams staged so far (a whole layer counts all its experts; one
    // with a cache only the uncached experts its batch picked).
    mutable std::atomic<uint64_t> stagedExperts{0}, stagedBytes{0};
    kernels::ExpertStream* stream(int device) const {
        return device >= 0 && static_cast<size_t>(device) < streams.size() ? streams[device].get() : nullptr;
    }
    int64_t deviceLayers() const;
};

// A forward pass's activations on one backend, sized for `batch` tokens; seqQkv and
// seqAttn (allocated on first use) hold one sequence's rows of a pass over several.
struct Activations {
    int64_t batch = 0;
    kernels::BufferPtr x, cur, qkv, attn, gu, ffn, logits;
    kernels::BufferPtr hostShare;  // a device's: the CPU's share of a layer's experts (hot-expert cache)
    int64_t seqBatch = 0;
    kernels::BufferPtr seqQkv, seqAttn;
};

struct SessionPlacement {
    const ModelPlacement* model = nullptr;
    std::unique_ptr<kernels::Backend> cpu;    // ops on the session's thread pool
    Activations onCpu;
    std::vector<Activations> onDevices;       // [devices]
    std::vector<kernels::BufferPtr> k, v;     // [nLayer] cache rows on the layer's backend
    std::vector<kernels::AttentionOp> attention;       // [nLayer] (a device keeps F16/F32 caches)
    std::vector<const kernels::DeviceBuffer*> rope;    // [nLayer] RoPE angles on the layer's backend
    std::vector<kernels::BufferPtr> ropeTables;        // the distinct tables `rope` points to
    std::string error;                        // the first device error of the current forward
    kernels::ThreadPool* pool = nullptr;      // cpu's threads (they stage streamed experts)
    int64_t stagedThrough = -1;               // the current forward's last layer staged in a stream
    int64_t streamThreshold = 0;              // the current forward's (streamThreshold() at its start)

    kernels::Backend& backend(int device) { return device == kOnCpu ? *cpu : *model->devices[device]; }
    Activations& acts(int device) { return device == kOnCpu ? onCpu : onDevices[device]; }
    // Grows the activations of both backends for n tokens; false (with error) when
    // the device is out of memory.
    bool reserve(const Hparams& h, int64_t n);
};

// ---- The steps every placed decoder shares --------------------------------------

// One forward pass over `seqs` (Decoder::forward): tokens embedded on the host (times
// embedScale), each layer run by `layer` on its backend with the residual stream in
// acts(onDevice).x (it crosses between the CPU and the device where consecutive layers
// live apart; a device is held for the whole run of its layers; between two devices it
// goes through the host), then the output head on the rows whose logits are wanted;
// ctx.scratch.logits gets them, soft-capped when finalSoftCap > 0. Device errors land
// in ctx.placement->error.
using PlacedLayerFn = std::function<void(int64_t layer, kernels::Backend& be, Activations& a)>;
void forwardPlaced(ForwardContext& ctx, const Hparams& h, const EmbeddingWeights& embd, std::span<const int32_t> tokens,
                   std::span<const SeqSpan> seqs, float embedScale, float finalSoftCap, const PlacedLayerFn& layer);

// a.attn = attention(rope(q), rope(k), v) with q|k|v = Wqkv · a.cur (+ biases, per-head
// norms) over all rows; each sequence's K/V go to its cache's layer-l rows pos0..,
// and its queries attend to its own cache.
void placedAttention(SessionPlacement& sp, std::span<const SeqSpan> seqs, const Hparams& h, int64_t l, int64_t n,
                     kernels::Backend& be, Activations& a);

// out (+)= Wdown · act(Wgate · a.cur) * (Wup · a.cur), out [n][E] on the layer's backend.
void placedFeedForward(const PlacedLayer& L, kernels::Glu act, int64_t n, int64_t E, kernels::Backend& be,
                       Activations& a, kernels::DeviceBuffer& out, bool accumulate);

}  // namespace arch
