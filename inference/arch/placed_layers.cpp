// A session's activations on each backend, and the forward-pass steps every placed
// decoder shares (placed_layers.h).
#include "arch/placed_layers.h"

#include <algorithm>
#include <mutex>

namespace arch {

int64_t ModelPlacement::deviceLayers() const {
    return std::count_if(layers.begin(), layers.end(), [](const PlacedLayer& L) { return L.device != kOnCpu; });
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
    onDevices.resize(model->devices.size());
    for (size_t d = 0; d < model->devices.size(); ++d)
        if (!grow(*model->devices[d], onDevices[d], h, n, error)) return false;
    return true;
}

}  // namespace arch

namespace arch {

void forwardPlaced(ForwardContext& ctx, const Hparams& h, const EmbeddingWeights& embd, std::span<const int32_t> tokens,
                   float embedScale, bool allLogits, float finalSoftCap, const PlacedLayerFn& layer) {
    SessionPlacement& sp = *ctx.placement;
    const int64_t n = static_cast<int64_t>(tokens.size()), E = h.nEmbd, V = h.nVocab;
    sp.error.clear();
    if (!sp.reserve(h, n)) return;
    ctx.scratch.x.resize(static_cast<size_t>(n * E));
    embedTokens(embd.tokenEmbd, tokens, E, embedScale, ctx.scratch.x.data());
    const size_t xBytes = static_cast<size_t>(n * E) * 4;
    sp.cpu->write(*sp.onCpu.x, 0, ctx.scratch.x.data(), xBytes);
    int at = kOnCpu;  // where x is
    std::unique_lock<std::mutex> deviceLock;
    auto moveX = [&](int to) {
        if (to == at) return;
        std::unique_lock<std::mutex> next;
        if (to != kOnCpu) next = std::unique_lock<std::mutex>(sp.model->devices[to]->lock());
        kernels::copyBetween(sp.backend(at), *sp.acts(at).x, sp.backend(to), *sp.acts(to).x, xBytes);
        if (at != kOnCpu)
            if (std::string e = sp.backend(at).takeError(); !e.empty() && sp.error.empty()) sp.error = e;
        deviceLock = std::move(next);
        at = to;
    };
    for (int64_t l = 0; l < h.nLayer; ++l) {
        const int dev = sp.model->layers[l].device;
        moveX(dev);
        layer(l, sp.backend(dev), sp.acts(dev));
    }
    // logits = Wout · norm(x) of the last token (or all)
    const PlacedOutput& out = sp.model->output;
    moveX(out.device);
    kernels::Backend& be = sp.backend(at);
    Activations& a = sp.acts(at);
    const int64_t first = allLogits ? 0 : n - 1;
    const int64_t rows = n - first;
    be.rmsNorm(*a.x, first * E, *out.norm, rows, E, h.rmsEps, *a.cur);
    ctx.scratch.logits.resize(static_cast<size_t>(rows * V));
    if (be.isHost()) {  // straight into the session's logits
        kernels::BufferPtr logits = kernels::wrapHostMemory(ctx.scratch.logits.data(), ctx.scratch.logits.size() * 4);
        be.matmul(*out.w, *a.cur, E, rows, *logits, V, 0, false);
    } else {
        be.matmul(*out.w, *a.cur, E, rows, *a.logits, V, 0, false);
        be.read(*a.logits, 0, ctx.scratch.logits.data(), static_cast<size_t>(rows * V) * 4);  // the token's one sync
        if (std::string e = be.takeError(); !e.empty() && sp.error.empty()) sp.error = e;
    }
    if (finalSoftCap > 0.0f) kernels::softCap(ctx.scratch.logits.data(), rows * V, finalSoftCap);
}

void placedAttention(SessionPlacement& sp, const Hparams& h, int64_t l, int64_t n, int64_t pos0, kernels::Backend& be,
                     Activations& a) {
    const PlacedLayer& L = sp.model->layers[l];
    const kernels::AttentionOp& op = sp.attention[l];
    const int64_t D = h.headDim, qW = h.nHead * D, kvW = h.nHeadKv * D, ldq = qW + 2 * kvW;
    be.matmul(*L.qkv, *a.cur, h.nEmbd, n, *a.qkv, ldq, 0, false);
    if (L.qkvBias) be.addBias(*a.qkv, ldq, n, ldq, *L.qkvBias);
    if (L.qNorm) {  // RMS over each head's D values, before RoPE
        be.rmsNormHeads(*a.qkv, ldq, 0, n, h.nHead, D, *L.qNorm, h.rmsEps);
        be.rmsNormHeads(*a.qkv, ldq, qW, n, h.nHeadKv, D, *L.kNorm, h.rmsEps);
    }
    be.ropeStoreKv(*a.qkv, ldq, n, pos0, op, *sp.rope[l], *sp.k[l], *sp.v[l]);
    be.attention(*a.qkv, ldq, n, pos0, op, *sp.k[l], *sp.v[l], *a.attn);
}

void placedFeedForward(const PlacedLayer& L, kernels::Glu act, int64_t n, int64_t E, kernels::Backend& be,
                       Activations& a, kernels::DeviceBuffer& out, bool accumulate) {
    const int64_t F = L.down->cols;
    be.matmul(*L.gateUp, *a.cur, E, n, *a.gu, 2 * F, 0, false);
    be.matmul(*L.down, *a.gu, 2 * F, n, out, E, 0, accumulate, act);
}

}  // namespace arch
