// Prefill of a device layer whose routed experts stay in host memory (hybrid placement,
// issue 14): for a batch of at least ModelPlacement::streamMinTokens tokens the layer's
// experts are copied to the device instead of computed by the CPU, through the device's
// stream of two slots (kernels/backend.h: ExpertStream). Layer l uses slot l % 2: while
// the device computes layer l, the host stages layer l + 1 into the other slot through the
// stream's small pinned chunk ring, each chunk's copy overlapping the host's next chunk
// and the device's ops (one layer staged ahead: the slot's last reader, layer l - 1's
// experts op, is done, so the host never waits for the device's ops; two ahead it would
// wait for layer l's op once the ring is full). Smaller batches (decode) keep the CPU
// experts and the hot-expert cache (hot_experts.h), whose counts see no streamed batch.
#pragma once

#include <cstdint>

#include "kernels/backend.h"

namespace arch {

struct Activations;
struct SessionPlacement;

// The experts of device layer l into a.ffn [n][E] on `be` from the layer's stream, when
// it has one and n is large enough (false: nothing done, the caller computes them as
// before). A device error (staging failed) lands in sp.error.
bool placedStreamedExperts(SessionPlacement& sp, int64_t l, int64_t n, kernels::Backend& be, Activations& a);

// The default of ModelPlacement::streamMinTokens: a prefill batch of 128 tokens or more
// streams. ASSISTANT_MOE_STREAM=0 turns streaming off, =N sets the batch size from which
// it streams. Why 128: a pass streams every layer's experts whatever the batch (Qwen3-30B-
// A3B Q4_0: 48 x 340 MB, 0.3 s at the H200's 55 GB/s from pinned memory, more where the
// host's staging is slower), while the CPU experts cost about 2.6 ms a token there (hybrid
// pp512 383 t/s): below ~120 tokens the CPU is faster. bench/gpu/run_device_moe_stream.sh
// sweeps pp64..512 both ways to set it from measurements.
constexpr int64_t kMoeStreamMinTokens = 128;
int64_t moeStreamMinTokens();

}  // namespace arch
