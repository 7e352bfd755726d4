// Streamed experts of a prefill batch (streamed_experts.h).
#include "arch/streamed_experts.h"

#include <cstdlib>
#include <string>

#include "arch/hot_experts.h"
#include "arch/placed_layers.h"

namespace arch {

int64_t moeStreamMinTokens() {
    const char* e = std::getenv("ASSISTANT_MOE_STREAM");
    if (!e || !*e) return kMoeStreamMinTokens;
    char* end = nullptr;
    const long long v = std::strtoll(e, &end, 10);
    if (end == e || *end != '\0' || v < 0) return kMoeStreamMinTokens;
    return static_cast<int64_t>(v);  // 0: off
}

namespace {

// Whether layer l streams its experts for a batch of n tokens on device `dev` (its
// experts in host memory). With a hot-expert cache the CPU computes only the picks the
// cache misses: the layer streams when those are as many as a batch of streamMinTokens
// tokens gives the CPU without a cache (a cache that takes 99% of the picks computes a
// 512-token prefill faster than a stream of every expert: H200, 12G budget).
bool streams(const ModelPlacement& mp, int64_t l, int dev, int64_t n) {
    if (l < 0 || static_cast<size_t>(l) >= mp.layers.size()) return false;
    const PlacedLayer& L = mp.layers[l];
    if (L.device != dev || !L.expertsOnHost || !L.hostSet.router || !mp.stream(dev)) return false;
    const HotExperts* hot = mp.hot(l);
    return !hot || static_cast<double>(n) * hot->missRate() >= static_cast<double>(mp.streamMinTokens);
}

bool stage(SessionPlacement& sp, int64_t l, kernels::Backend& be) {
    const PlacedLayer& L = sp.model->layers[l];
    auto ok = be.stageExperts(*sp.model->stream(L.device), static_cast<int>(l % 2), l, L.hostSet, sp.pool);
    if (!ok && sp.error.empty()) sp.error = be.name() + ": layer " + std::to_string(l) + ": " + ok.error();
    sp.stagedThrough = l;
    return ok.has_value();
}

}  // namespace

bool placedStreamedExperts(SessionPlacement& sp, int64_t l, int64_t n, kernels::Backend& be, Activations& a) {
    const ModelPlacement& mp = *sp.model;
    const int dev = mp.layers[l].device;
    if (mp.streamMinTokens <= 0 || n < mp.streamMinTokens || !streams(mp, l, dev, n)) return false;
    // The pass's first streamed layer on this device: nothing was staged ahead of it (its
    // attention, enqueued before, runs meanwhile).
    if (sp.stagedThrough < l && !stage(sp, l, be)) return true;
    be.streamedExperts(*mp.stream(dev), static_cast<int>(l % 2), *a.cur, n, *a.ffn);
    ++mp.streamedLayers;
    // One layer ahead: l + 1 into the other slot, whose last reader (layer l - 1's experts
    // op) is done or nearly so, while the device computes layer l: the staging ring
    // (kernels/backend.h) lets the host run only its few chunks ahead of a slot's reader,
    // so staging l + 2 into this slot now would hold the host until this op is done.
    for (int64_t k = sp.stagedThrough + 1; k <= l + 1; ++k)
        if (!streams(mp, k, dev, n) || !stage(sp, k, be)) break;
    return true;
}

}  // namespace arch
