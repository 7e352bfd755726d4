// GPU offload of decoder layers (OpenCL backend). A model offloads its last n layers
// and the output head; the first nLayer - n layers run on the CPU in the same forward
// pass. Per token: one upload of the residual stream where the GPU range starts, the
// layers' ops on one in-order queue, one blocking read of the logits.
//
//   GpuModel   (per Model, immutable after load): device, converted weights.
//   GpuLayers  (per Session): KV cache of the offloaded layers and activations.
//
// Decoders opt in with Decoder::describeDecoder (llama-family only so far:
// no biases, no per-head norms, SwiGLU feed-forward, no MoE).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "arch/arch.h"
#include "arch/decoder_blocks.h"

namespace kernels::opencl {
class Backend;
struct KernelStat;
}

namespace arch {

// What the GPU path needs of a llama-family decoder (pointers into the architecture).
struct DecoderDesc {
    const Hparams* h = nullptr;
    const EmbeddingWeights* embd = nullptr;
    std::vector<const AttentionWeights*> attn;  // [nLayer]
    std::vector<const FfnWeights*> ffn;         // [nLayer]
    AttentionParams params;                     // rope (freqFactors bound), shape
};

class GpuLayers;

class GpuModel {
public:
    // Chooses the device and the number of layers (ModelParams semantics) and uploads
    // them. Null when the model runs on the CPU alone; `note` then says why (empty when
    // the CPU was asked for).
    static std::unique_ptr<GpuModel> create(const Architecture& arch, const std::string& device, int gpuLayers,
                                            std::string& note);
    ~GpuModel();

    const std::string& deviceId() const;
    int64_t firstLayer() const { return m_first; }
    int64_t layerCount() const { return m_desc.h->nLayer - m_first; }
    // A session's device state: KV cache rows [capacity] of the offloaded layers.
    // Null with `error` when device memory runs out.
    std::unique_ptr<GpuLayers> createSession(int64_t capacity, kernels::GgmlType kvType, std::string& error) const;
    // Per-kernel device time since the last call (profiling: ASSISTANT_OPENCL_PROFILE=1).
    std::vector<kernels::opencl::KernelStat> takeStats() const;

    struct LayerWeights;

private:
    friend class GpuLayers;
    GpuModel();
    // create()'s steps: the OpenCL device to use (empty, with `note`, when none), whether
    // every layer can run there, how many of the last layers fit, and their upload.
    static std::string chooseDevice(const std::string& device, std::string& note);
    static bool runsOnGpu(const DecoderDesc& d, std::string& note);
    int64_t layersThatFit(int gpuLayers, std::string& note) const;
    bool uploadWeights(std::string& note);

    DecoderDesc m_desc;
    int64_t m_first = 0;
    std::shared_ptr<kernels::opencl::Backend> m_backend;  // shared_ptr: no ~Backend needed without OpenCL
    std::vector<std::unique_ptr<LayerWeights>> m_layers;  // [nLayer - first]
    struct Output;
    std::unique_ptr<Output> m_output;
};

class GpuLayers {
public:
    ~GpuLayers();
    bool runsLayer(int64_t layer) const { return layer >= m_model.m_first; }
    // Runs the GPU layers from `layer` on (they are the last ones) on ctx.scratch.x
    // ([n][E]); returns the layer after them. x stays on the device for outputLogits.
    int64_t runLayers(ForwardContext& ctx, int64_t layer, int64_t n, int64_t pos0);
    // ctx.scratch.logits = output · rmsNorm(x) of the last token (or all); true when done here.
    bool outputLogits(ForwardContext& ctx, int64_t n, bool allLogits);
    // The first device error since the last call, "" if none.
    std::string takeError();

private:
    friend class GpuModel;
    explicit GpuLayers(const GpuModel& model);
    bool ensureBatch(int64_t n);

    const GpuModel& m_model;
    struct State;
    std::unique_ptr<State> m_state;
    std::string m_error;
};

}  // namespace arch
