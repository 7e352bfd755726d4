// The placement plan of a decoder's layers: which layers and tensors live on the CPU
// and which on a device (kernels/backend.h), within the device's memory. Every layer
// of a decoder that describes itself (Decoder::describeDecoder) is placed, on the CPU
// when nothing else is asked for; the decoder runs each layer on its backend.
//
//   Placement (per Model): chooses the device and the number of device layers
//   (ModelParams::device / gpuLayers: the last layers and the output head go to the
//   device), uploads them, and keeps views of the host weights for the rest.
//   Placement::createSession: a Session's CPU backend, activations and KV cache rows.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "arch/placed_layers.h"
#include "assistant/engine.h"
#include "assistant/model_tools.h"

namespace kernels {
class ThreadPool;
namespace opencl {
class Backend;
struct KernelStat;
}
}  // namespace kernels

namespace arch {

class Placement {
public:
    // Null for architectures that do not run through the backend interface (the
    // encoders); `note` then says so when a device was asked for. Otherwise every layer
    // is placed: params.device is "cpu", "auto" or one or several OpenCL ids
    // ("opencl:0.0,opencl:0.1"); the last gpuLayers layers (-1: what fits) go to the
    // devices, split in proportion to gpuSplit (empty: equal shares), earlier layers on
    // earlier devices, the output head on the last; a MoE layer's routed experts go
    // along as moeExperts says. `note` says why the devices hold fewer layers than asked
    // (or none). An error only where moeExperts Gpu cannot be met. upload false: the
    // plan only (parts()), every layer still on the CPU.
    static assistant::Result<std::unique_ptr<Placement>> create(const Architecture& arch,
                                                                const assistant::ModelParams& params,
                                                                std::string& note, bool upload = true);
    ~Placement();

    std::string deviceId() const;  // "cpu" without a device; the ids joined by ',' with several
    int64_t deviceLayers() const { return m_placement.deviceLayers(); }
    const ModelPlacement& placed() const { return m_placement; }  // its tests read the caches
    // The plan (also without uploading): layers for the devices, whether a MoE model's
    // routed experts go with them.
    int64_t plannedDeviceLayers() const;
    bool hasExperts() const;
    bool expertsOnDevice() const { return m_plan.experts && !m_plan.count.empty(); }
    // Experts per layer the plan's hot-expert caches hold (the fewest over the devices;
    // 0: none), and the uploaded caches' totals (placement_hot.cpp).
    int64_t plannedHotExperts() const;
    int64_t expertCount() const { return m_desc.h->nExpert; }
    // Prefill's expert streams (placement_stream.cpp, arch/streamed_experts.h): the device
    // bytes the plan gives them (all devices; 0: none), the host memory they pin, from what batch size on they
    // stream, and why they do not where a device has none.
    size_t plannedStreamBytes() const;
    size_t plannedStreamHostBytes() const;  // their pinned host staging (all devices)
    int64_t streamMinTokens() const { return m_streamMinTokens; }
    const std::string& streamNote() const { return m_plan.streamNote; }
    assistant::Model::HotExpertStats hotExpertStats() const;
    // Swaps each cache's least-picked experts for the most-picked ones outside it (the
    // new experts converted without the device's lock, each copy made holding it: never
    // inside a token), and waits for the copies: its wall time and bytes are counted
    // (hotExpertStats) and the next token does not pay for them. Returns the experts swapped.
    uint64_t refreshHotExperts() const;
    // Bytes of the CPU kernels' own copies of the model's weights (interleaved rows; the
    // rest are views of the file's mapping): none for what a device computes.
    size_t cpuCopyBytes() const;
    // What one decoded token reads from memory on each side under the plan, at the
    // start of a context (placement_estimate.cpp): every weight of the dense part, the
    // used experts of each MoE layer (a hot-expert cache assumed to hit in proportion to
    // the share of the experts it holds), and the host<->device crossings and device ops.
    struct DecodeTraffic {
        uint64_t cpuBytes = 0, deviceBytes = 0;
        int64_t crossings = 0;  // copies of the hidden state between host and device
        int64_t deviceOps = 0;  // kernel launches on the devices
        int64_t cpuOps = 0;     // ops the CPU runs (each with a fixed cost: MemoryBandwidth::cpuOpSeconds)
        // Values the CPU soft-caps (the CPU layers' attention scores at kDecodeContext
        // positions, the logits) and GELU-gates (the CPU layers' GeGLU), per token.
        int64_t cpuSoftCaps = 0, cpuGelus = 0;
        double hitRate = 0;     // the hot-expert cache's assumed share of the picks
        std::map<kernels::GgmlType, uint64_t> cpuBytesByType;  // cpuBytes by weight type
    };
    DecodeTraffic decodeTraffic() const;
    // The plan's parts per backend with their bytes there (assistant-cli info).
    std::vector<assistant::PlacementPart> parts() const;
    // Per layer: whether its KV cache lives in host memory (the layer runs on the CPU).
    std::vector<bool> hostLayers() const;
    // A session's state: the CPU backend on `pool`, KV cache rows (the CPU layers' are
    // views of `kv`; a device's are allocated there, F16 where it cannot hold kv's type).
    assistant::Result<std::unique_ptr<SessionPlacement>> createSession(kernels::ThreadPool& pool, kv::Cache& kv) const;
    // The activations and CPU backend (on `pool`) of passes over several sessions'
    // sequences (a Batcher's): no KV cache of its own.
    std::unique_ptr<SessionPlacement> createWorkspace(kernels::ThreadPool& pool) const;
    // Per-kernel device time since the last call (profiling: ASSISTANT_OPENCL_PROFILE=1).
    std::vector<kernels::opencl::KernelStat> takeStats() const;

private:
    Placement() = default;
    assistant::Result<bool> planDevices(const std::vector<std::string>& ids, const assistant::ModelParams& params,
                                        std::string& note);
    bool uploadPlan(const std::vector<std::string>& ids, std::string& note);
    void backToCpu();
    void placeRestOnCpu();
    int64_t layersThatFit(const kernels::Backend& device, std::string& note, bool experts) const;
    size_t deviceNeed(const kernels::Backend& device, int64_t first, int64_t count, bool experts) const;
    assistant::Status checkDenseFits(const std::vector<int64_t>& want, int64_t first) const;
    void planHotExperts();
    void planStreams();
    void uploadStreams();
    double denseRoom(size_t device) const;  // the budget left after the dense part
    bool uploadHotExperts(size_t device, int64_t layer, std::string& note);

    // Which layers the devices hold: `count` per device from layer `first` on, with
    // their routed experts or not (empty count: none).
    struct Plan {
        std::vector<int64_t> count;
        int64_t first = 0;
        bool experts = false;
        std::vector<int64_t> hotSlots;  // per device: experts per layer in its hot-expert cache
        std::vector<size_t> streamBytes;  // per device: its expert stream's bytes (0: none)
        std::vector<size_t> streamHostBytes;  // per device: its stream's pinned host staging
        std::string streamNote;           // why a device streams no experts
    };
    DecoderDesc m_desc;
    Plan m_plan;
    uint64_t m_gpuMemory = 0;  // ModelParams::gpuMemory
    int64_t m_streamMinTokens = 0;  // arch::moeStreamMinTokens() when the plan streams
    bool m_upload = true;      // false: a plan only (no CPU layout made, nothing uploaded)
    ModelPlacement m_placement;
    std::unique_ptr<kernels::Backend> m_cpu;  // uploads the CPU layers' views
    std::vector<std::shared_ptr<kernels::opencl::Backend>> m_opencl;  // the devices' own interface (profiling)
    mutable std::mutex m_refresh;  // one refreshHotExperts at a time
    mutable std::atomic<uint64_t> m_refreshes{0};
    mutable std::atomic<uint64_t> m_refreshNanos{0}, m_refreshBytes{0};  // hotExpertStats' refreshSeconds, refreshBytes
};

// Every layer on the CPU, for code that runs an architecture without a Model and
// Session (tests, tools): ctx.placement = session.get() (null when the decoder does
// not run through the backend interface).
struct CpuPlacement {
    std::unique_ptr<Placement> placement;
    std::unique_ptr<SessionPlacement> session;
};
CpuPlacement placeOnCpu(const Architecture& arch, kernels::ThreadPool& pool, kv::Cache& kv);

// Uploads layer l of `d` to `be` (views of the host weights on the CPU); a MoE layer's
// experts stay on the host unless expertsHere (and `be` computes them).
assistant::Result<PlacedLayer> placeLayer(kernels::Backend& be, const DecoderDesc& d, int64_t l, int device,
                                         bool expertsHere = true);
assistant::Result<PlacedOutput> placeOutput(kernels::Backend& be, const DecoderDesc& d, int device);
// n layers shared by `devices` in proportion to `shares` (empty: equally), in order.
std::vector<int64_t> splitLayers(int64_t n, size_t devices, const std::vector<float>& shares);

// The OpenCL device `id` ("opencl:P.D") as a backend, with its own interface for
// profiling; null with `note` when it cannot be opened or the build has no OpenCL
// (device_opencl.cpp / device_none.cpp).
std::shared_ptr<kernels::Backend> openDevice(const std::string& id, std::shared_ptr<kernels::opencl::Backend>& opencl,
                                             std::string& note);
// "opencl:P.D" of the device "auto" means, "" (with `note`) when there is none.
std::string autoDevice(std::string& note);
// An encoder's last gpuLayers layers (-1: all) on params.device (its first id; "auto"),
// the rest on the CPU (placed_encoder.h). Returns the device layers (0 with `note` when none).
int64_t placeEncoder(Encoder& encoder, const assistant::ModelParams& params, std::string& note);
// Per-kernel device time since the last call (profiling), none without a device.
std::vector<kernels::opencl::KernelStat> deviceStats(kernels::opencl::Backend* opencl);

}  // namespace arch
