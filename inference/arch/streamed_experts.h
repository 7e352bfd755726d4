// Prefill of a device layer whose routed experts stay in host memory (hybrid placement,
// issue 14): for a batch of at least ModelPlacement::streamMinTokens tokens the layer's
// experts are copied to the device instead of computed by the CPU, through the device's
// stream of two slots (kernels/backend.h: ExpertStream). Layer l uses slot l % 2: while
// the device computes layer l, the host stages layer l + 1 into the other slot through the
// stream's small pinned chunk ring, each chunk's copy overlapping the host's next chunk
// and the device's ops (one layer staged ahead: the slot's last reader, layer l - 1's
// experts op, is done, so the host never waits for the device's ops; two ahead it would
// wait for layer l's op once the ring is full). Smaller batches (decode) keep the CPU
// experts and the hot-expert cache (hot_experts.h). With a cache, a layer streams only
// when the picks it misses are as many as a cacheless batch of the threshold gives the CPU.
//
// A layer with a cache streams only what the cache lacks: the host routes the batch (its
// counts see the picks, as for the CPU path), the device computes the cached picks from
// the cache's slots, and the host stages into slot l % 2 only the uncached experts that the
// batch picks (their gate, up and down rows at their usual places: the slot is read by
// expert id with the host's ids and weights, no id map and no router), which the device
// then computes; both parts are summed. On the H200 with --gpu-mem 12G about 3/4 of a
// layer's experts are cached, so a layer copies at most a quarter of its bytes. The cost:
// such a layer cannot be staged one layer ahead, since which experts it needs is known only
// once layer l's input is routed, which needs layer l - 1's output on the host (a blocking
// read that also waits for layer l's attention). What overlaps: the staging of layer l's
// misses with the device's cached picks of layer l (enqueued first), and each chunk's copy
// with the host's next chunk. What no longer overlaps: the host's staging with layer l - 1's
// experts and layer l's attention. Staging fewer bytes outweighs that when the cache holds
// most experts; layers without a cache still stage one ahead.
#pragma once

#include <cstdint>
#include <mutex>

#include "kernels/backend.h"

namespace arch {

struct Activations;
struct SessionPlacement;

// The experts of device layer l into a.ffn [n][E] on `be` from the layer's stream, when
// it has one and n is large enough (false: nothing done, the caller computes them as
// before). A device error (staging failed) lands in sp.error.
bool placedStreamedExperts(SessionPlacement& sp, int64_t l, int64_t n, kernels::Backend& be, Activations& a);

// The default of ModelPlacement::streamMinTokens: a prefill batch of 192 tokens or more
// streams. ASSISTANT_MOE_STREAM=0 turns streaming off, =N sets the batch size from which
// it streams. A pass streams every layer's experts whatever the batch, so its time is
// about fixed, while the CPU's grows with the batch. Measured on the H200 host (16
// threads, Qwen3-30B-A3B Q4_0, bench/gpu/run_device_moe_stream.sh's sweep): a streamed
// pass took 0.45 s on one machine (36 GB/s) and 0.70 s on another (23 GB/s); the CPU
// experts took 0.40 s at 128 tokens and 0.71 s at 256 (about 85 ms + 2.4 ms a token).
// Streaming pays from ~150 tokens on the first and ~250 on the second: 192 loses at
// most ~25% on the slower link and gains ~18% on the faster one. Left to the default, the
// threshold then moves to what the passes measure (StreamCosts below). With a hot-expert
// cache the CPU's share is only the cache's misses (streams() in streamed_experts.cpp).
constexpr int64_t kMoeStreamMinTokens = 192;
int64_t moeStreamMinTokens();
// Whether ASSISTANT_MOE_STREAM leaves the threshold to the default (then StreamCosts move it).
bool moeStreamThresholdIsDefault();

// What a layer's experts cost both ways on this machine, measured as the passes run: the
// host's wall time to stage one layer (the ring holds the host to the copies' pace, so it
// is the stream's time a layer; a staging of part of the layer's experts counts per whole
// layer, its time divided by its share of the experts, so that the break-even compares a
// whole layer with the CPU's time a token as without a cache) and the CPU experts' wall time per token of picks (from
// batches of at least kMinCpuTokens: smaller ones are dominated by reading the experts).
// Once both are known, the default threshold becomes the batch whose CPU time equals a
// layer's stream (streamThreshold): a slow link (a PCIe x8 card) streams later, a fast one
// sooner. Thread-safe (sessions share a model).
class StreamCosts {
public:
    static constexpr int64_t kMinCpuTokens = 32;
    static constexpr int64_t kMinBreakEven = 16;  // never stream batches below this
    // Stagings of fewer experts are ignored: a few experts' time is mostly the staging's
    // fixed costs, which the division by the share would inflate.
    static constexpr double kMinShare = 1.0 / 16;
    // A staging of `share` (0 < share <= 1) of a layer's experts that took `seconds`.
    void addStream(double seconds, double share = 1.0);
    void addCpu(double seconds, double tokens);  // ignored below kMinCpuTokens tokens
    // The batch size (tokens whose picks the CPU would compute) from which a stream is
    // faster, at least kMinBreakEven; 0 while either side is unmeasured.
    int64_t breakEvenTokens() const;
    double streamSeconds() const;       // per layer, 0: unmeasured
    double cpuSecondsPerToken() const;  // per layer, 0: unmeasured

private:
    mutable std::mutex m_mutex;
    double m_stream = 0, m_cpuPerToken = 0;  // moving averages (the last samples weigh most)
};

struct ModelPlacement;
// The batch size a layer streams from: ModelPlacement::streamMinTokens, or with the
// default threshold and both costs measured, their break-even.
int64_t streamThreshold(const ModelPlacement& mp);

}  // namespace arch
