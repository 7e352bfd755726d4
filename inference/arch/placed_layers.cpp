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

// F: the widest dense feed-forward's (0 when every layer's is a mixture of experts: their
// scratch is the backend's own, and gu is not needed).
bool grow(kernels::Backend& be, Activations& a, const Hparams& h, int64_t n, int64_t F, std::string& error) {
    if (n <= a.batch) return true;
    const int64_t E = h.nEmbd, qW = h.nHead * h.headDim, kvW = h.nHeadKv * h.headDim;
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
    // ffn: [n][E] (a layer's experts' sum, gemma2's feed-forward before its norm, the head's rows).
    const bool ok = get(n * E, a.x) && get(n * E, a.cur) && get(n * (qW + 2 * kvW), a.qkv) && get(n * qW, a.attn) &&
                    (F == 0 || get(n * 2 * F, a.gu)) && get(n * E, a.ffn) &&
                    (be.isHost() || (get(n * h.nVocab, a.logits) && get(n * E, a.hostShare)));
    if (ok) a.batch = n;
    return ok;
}

}  // namespace

bool SessionPlacement::reserve(const Hparams& h, int64_t n) {
    int64_t F = 0;  // gate|up stacks 2F rows
    for (const PlacedLayer& L : model->layers)
        if (L.gateUp) F = std::max(F, L.gateUp->rows / 2);
    if (!grow(*cpu, onCpu, h, n, F, error)) return false;
    onDevices.resize(model->devices.size());
    for (size_t d = 0; d < model->devices.size(); ++d)
        if (!grow(*model->devices[d], onDevices[d], h, n, F, error)) return false;
    return true;
}

}  // namespace arch

namespace arch {

void Decoder::forward(ForwardContext& ctx, std::span<const int32_t> tokens, int64_t pos0, bool allLogits) const {
    const SeqSpan seq{ctx.placement, 0, static_cast<int64_t>(tokens.size()), pos0,
                      allLogits ? SeqSpan::Logits::All : SeqSpan::Logits::Last};
    forward(ctx, tokens, std::span<const SeqSpan>(&seq, 1));
}

void forwardPlaced(ForwardContext& ctx, const Hparams& h, const EmbeddingWeights& embd, std::span<const int32_t> tokens,
                   std::span<const SeqSpan> seqs, float embedScale, float finalSoftCap, const PlacedLayerFn& layer) {
    SessionPlacement& sp = *ctx.placement;
    const int64_t n = static_cast<int64_t>(tokens.size()), E = h.nEmbd, V = h.nVocab;
    sp.error.clear();
    sp.stagedThrough = -1;
    sp.streamThreshold = streamThreshold(*sp.model);  // one threshold a pass: no layer flips mid-way
    if (!sp.reserve(h, n)) return;
    ctx.scratch.x.resize(static_cast<size_t>(n * E));
    embedTokens(embd.tokenEmbd, tokens, E, embedScale, ctx.scratch.x.data());
    const size_t xBytes = static_cast<size_t>(n * E) * 4;
    sp.cpu->write(*sp.onCpu.x, 0, ctx.scratch.x.data(), xBytes);
    int at = kOnCpu;  // where x is
    std::unique_lock<std::mutex> deviceLock;
    auto noteError = [&](int dev) {
        if (dev != kOnCpu)
            if (std::string e = sp.backend(dev).takeError(); !e.empty() && sp.error.empty()) sp.error = e;
    };
    auto moveX = [&](int to) {
        if (to == at) return;
        std::unique_lock<std::mutex> next;
        if (to != kOnCpu) next = std::unique_lock<std::mutex>(sp.model->devices[to]->lock());
        kernels::copyBetween(sp.backend(at), *sp.acts(at).x, sp.backend(to), *sp.acts(to).x, xBytes);
        noteError(at);
        deviceLock = std::move(next);
        at = to;
    };
    for (int64_t l = 0; l < h.nLayer; ++l) {
        const int dev = sp.model->layers[l].device;
        moveX(dev);
        layer(l, sp.backend(dev), sp.acts(dev));
    }
    int64_t rows = 0;
    for (const SeqSpan& s : seqs) rows += s.logitRows();
    ctx.scratch.logits.resize(static_cast<size_t>(rows * V));
    if (rows == 0) return noteError(at);  // prompt chunks whose logits nobody reads
    // logits = Wout · norm(x) of the wanted rows, gathered into a.cur in order
    const PlacedOutput& out = sp.model->output;
    moveX(out.device);
    kernels::Backend& be = sp.backend(at);
    Activations& a = sp.acts(at);
    int64_t gathered = 0;
    for (const SeqSpan& s : seqs) {
        const int64_t r = s.logitRows();
        if (r == 0) continue;
        const int64_t first = s.row0 + s.n - r;
        if (gathered == 0) {
            be.rmsNorm(*a.x, first * E, *out.norm, r, E, h.rmsEps, *a.cur);
        } else {
            be.rmsNorm(*a.x, first * E, *out.norm, r, E, h.rmsEps, *a.ffn);
            be.copy(*a.ffn, 0, *a.cur, static_cast<size_t>(gathered * E) * 4, static_cast<size_t>(r * E) * 4);
        }
        gathered += r;
    }
    if (be.isHost()) {  // straight into the session's logits
        kernels::BufferPtr logits = kernels::wrapHostMemory(ctx.scratch.logits.data(), ctx.scratch.logits.size() * 4);
        be.matmul(*out.w, *a.cur, E, rows, *logits, V, 0, false);
    } else {
        be.matmul(*out.w, *a.cur, E, rows, *a.logits, V, 0, false);
        be.read(*a.logits, 0, ctx.scratch.logits.data(), static_cast<size_t>(rows * V) * 4);  // the pass's one sync
        noteError(at);
    }
    if (finalSoftCap > 0.0f) kernels::softCap(ctx.scratch.logits.data(), rows * V, finalSoftCap);
}

namespace {

// Room for one sequence's rows of a pass over several (allocated on first use).
bool reserveSeqRows(SessionPlacement& sp, const Hparams& h, kernels::Backend& be, Activations& a) {
    if (a.seqBatch >= a.batch) return true;
    const int64_t qW = h.nHead * h.headDim, ldq = qW + 2 * h.nHeadKv * h.headDim;
    auto q = be.alloc(static_cast<size_t>(a.batch * ldq) * 4);
    auto o = be.alloc(static_cast<size_t>(a.batch * qW) * 4);
    if (!q || !o) {
        if (sp.error.empty()) sp.error = be.name() + ": " + (!q ? q.error() : o.error());
        return false;
    }
    a.seqQkv = std::move(*q);
    a.seqAttn = std::move(*o);
    a.seqBatch = a.batch;
    return true;
}

}  // namespace

void placedAttention(SessionPlacement& sp, std::span<const SeqSpan> seqs, const Hparams& h, int64_t l, int64_t n,
                     kernels::Backend& be, Activations& a) {
    const PlacedLayer& L = sp.model->layers[l];
    const int64_t D = h.headDim, qW = h.nHead * D, kvW = h.nHeadKv * D, ldq = qW + 2 * kvW;
    be.matmul(*L.qkv, *a.cur, h.nEmbd, n, *a.qkv, ldq, 0, false);
    if (L.qkvBias) be.addBias(*a.qkv, ldq, n, ldq, *L.qkvBias);
    for (const SeqSpan& s : seqs) {
        SessionPlacement& c = *s.cache;
        const kernels::AttentionOp& op = c.attention[l];
        // RoPE and the cache store of the span's rows in qkv, after the RMS norm over each
        // q and k head's D values where the layer has them (one op: one launch on a device)
        const auto ropeStore = [&](kernels::DeviceBuffer& qkv) {
            if (L.qNorm)
                be.normRopeStoreKv(qkv, ldq, s.n, s.pos0, op, *c.rope[l], *c.k[l], *c.v[l], *L.qNorm, *L.kNorm,
                                   h.rmsEps);
            else
                be.ropeStoreKv(qkv, ldq, s.n, s.pos0, op, *c.rope[l], *c.k[l], *c.v[l]);
        };
        if (s.row0 == 0) {  // the pass's first rows: in place
            ropeStore(*a.qkv);
            be.attention(*a.qkv, ldq, s.n, s.pos0, op, *c.k[l], *c.v[l], *a.attn);
            continue;
        }
        if (!reserveSeqRows(sp, h, be, a)) return;
        be.copy(*a.qkv, static_cast<size_t>(s.row0 * ldq) * 4, *a.seqQkv, 0, static_cast<size_t>(s.n * ldq) * 4);
        ropeStore(*a.seqQkv);
        be.attention(*a.seqQkv, ldq, s.n, s.pos0, op, *c.k[l], *c.v[l], *a.seqAttn);
        be.copy(*a.seqAttn, 0, *a.attn, static_cast<size_t>(s.row0 * qW) * 4, static_cast<size_t>(s.n * qW) * 4);
    }
}

void placedFeedForward(const PlacedLayer& L, kernels::Glu act, int64_t n, int64_t E, kernels::Backend& be,
                       Activations& a, kernels::DeviceBuffer& out, bool accumulate) {
    const int64_t F = L.down->cols;
    be.matmul(*L.gateUp, *a.cur, E, n, *a.gu, 2 * F, 0, false);
    be.matmul(*L.down, *a.gu, 2 * F, n, out, E, 0, accumulate, act);
}

}  // namespace arch
