// Sizes of a session's activations on each backend (placed_layers.h).
#include "arch/placed_layers.h"

#include <algorithm>

namespace arch {

int64_t ModelPlacement::deviceLayers() const {
    return std::count_if(layers.begin(), layers.end(), [](const PlacedLayer& L) { return L.onDevice; });
}

namespace {

bool grow(kernels::Backend& be, Activations& a, const Hparams& h, int64_t n, std::string& error) {
    if (n <= a.batch) return true;
    const int64_t E = h.nEmbd, qW = h.nHead * h.headDim, kvW = h.nHeadKv * h.headDim;
    const int64_t F = std::max(h.nFf, h.nFfExpert);
    auto get = [&](int64_t floats, kernels::BufferPtr& dst) {
        auto r = be.alloc(static_cast<size_t>(floats) * 4);
        if (!r) {
            if (error.empty()) error = be.name() + ": " + r.error();
            return false;
        }
        dst = std::move(*r);
        return true;
    };
    // logits: only a device needs them (the CPU writes into the session's own).
    const bool ok = get(n * E, a.x) && get(n * E, a.cur) && get(n * (qW + 2 * kvW), a.qkv) && get(n * qW, a.attn) &&
                    get(n * 2 * F, a.gu) && get(n * std::max(F, E), a.ffn) &&
                    (be.isHost() || get(n * h.nVocab, a.logits));
    if (ok) a.batch = n;
    return ok;
}

}  // namespace

bool SessionPlacement::reserve(const Hparams& h, int64_t n) {
    if (!grow(*cpu, onCpu, h, n, error)) return false;
    return !model->device || grow(*model->device, onDevice, h, n, error);
}

}  // namespace arch
