// PreNormDecoder: binds the layer stack of prenorm_decoder.h as a DecoderVariant
// describes it and runs each layer through kernels/backend.h on the backend the
// placement (src/placement.h) gave it: the CPU, or a device.
#include "arch/prenorm_decoder.h"

#include <algorithm>
#include <cmath>
#include <mutex>

#include "arch/placed_layers.h"
#include "arch/weights.h"
#include "gguf/gguf_file.h"

namespace arch {
namespace {

struct Layer {
    AttentionWeights attn;  // norm, Wq [H*D][E], Wk/Wv [Hkv*D][E] (+ biases or q/k head norms), Wo [E][H*D]
                            // (fused QKV: three row views of attn_qkv)
    FfnWeights ffn;         // norm, gate/up [F][E] (fused: two row views of ffn_up), down [E][F]
    MoeWeights moe;         // instead of ffn: norm, router [X][E], X experts gate/up [Fe][E], down [E][Fe]
};

class PreNormDecoder final : public Decoder {
public:
    PreNormDecoder(Hparams h, const DecoderVariant& v) : m_h(std::move(h)), m_variant(v) {}

    assistant::Status bind(const gguf::File& f);
    const Hparams& hparams() const override { return m_h; }
    void forward(ForwardContext& ctx, std::span<const int32_t> tokens, int64_t pos0, bool allLogits) const override;
    bool describeDecoder(DecoderDesc& d) const override;

private:
    AttentionParams attentionParams(int64_t contextLength) const;
    // x += attention(norm(x)); x += ffn(norm(x)) of layer l on its backend.
    void runLayer(SessionPlacement& sp, int64_t l, int64_t n, int64_t pos0) const;
    // The output head: logits of the last token (or all) into ctx.scratch.logits.
    void runOutput(ForwardContext& ctx, bool& xOnDevice, int64_t n, bool allLogits) const;
    bool isMoe() const { return m_variant.feedForward == FeedForward::Moe; }

    Hparams m_h;
    DecoderVariant m_variant;
    EmbeddingWeights m_embd;
    std::vector<Layer> m_layers;
    std::vector<float> m_ropeFactors;      // [rope dims / 2] angle divisors (LongRope: short), or empty
    std::vector<float> m_ropeFactorsLong;  // [rope dims / 2] LongRope's long factors, or empty
};

assistant::Status PreNormDecoder::bind(const gguf::File& f) {
    BIND(m_embd, bindEmbeddings(f, m_h));
    m_layers.resize(static_cast<size_t>(m_h.nLayer));
    for (int64_t l = 0; l < m_h.nLayer; ++l) {
        BIND(m_layers[l].attn, bindAttention(f, m_h, l, m_variant.attention));
        if (isMoe()) BIND(m_layers[l].moe, bindMoe(f, m_h, l));
        else BIND(m_layers[l].ffn, bindFfn(f, m_h, l, m_variant.feedForward == FeedForward::FusedGateUp));
    }
    const int64_t pairs = m_h.rope.dims / 2;
    std::optional<std::vector<float>> factors, longFactors;
    if (m_variant.ropeFactors == RopeFactors::Llama3) {
        BIND(factors, bindOptionalVector(f, "rope_freqs.weight", pairs));
    } else if (m_variant.ropeFactors == RopeFactors::LongRope) {
        BIND(longFactors, bindOptionalVector(f, "rope_factors_long.weight", pairs));
        BIND(factors, bindOptionalVector(f, "rope_factors_short.weight", pairs));
    }
    if (factors) m_ropeFactors = std::move(*factors);
    if (longFactors) m_ropeFactorsLong = std::move(*longFactors);
    return {};
}

void PreNormDecoder::forward(ForwardContext& ctx, std::span<const int32_t> tokens, int64_t pos0,
                             bool allLogits) const {
    SessionPlacement& sp = *ctx.placement;  // set by the session: describeDecoder succeeds
    const int64_t n = static_cast<int64_t>(tokens.size()), E = m_h.nEmbd;
    sp.error.clear();
    if (!sp.reserve(m_h, n)) return;
    ctx.scratch.x.resize(static_cast<size_t>(n * E));
    embedTokens(m_embd.tokenEmbd, tokens, E, 1.0f, ctx.scratch.x.data());
    sp.cpu->write(*sp.onCpu.x, 0, ctx.scratch.x.data(), static_cast<size_t>(n * E) * 4);
    // The residual stream crosses between the CPU and the device where consecutive
    // layers live apart; a device is held for the whole run of its layers.
    bool xOnDevice = false;
    std::unique_lock<std::mutex> deviceLock;
    const size_t xBytes = static_cast<size_t>(n * E) * 4;
    auto moveX = [&](bool toDevice) {
        if (toDevice == xOnDevice) return;
        if (toDevice) {
            deviceLock = std::unique_lock<std::mutex>(sp.model->device->lock());
            kernels::copyBetween(*sp.cpu, *sp.onCpu.x, *sp.model->device, *sp.onDevice.x, xBytes);
        } else {
            kernels::copyBetween(*sp.model->device, *sp.onDevice.x, *sp.cpu, *sp.onCpu.x, xBytes);
            deviceLock.unlock();
        }
        xOnDevice = toDevice;
    };
    for (int64_t l = 0; l < m_h.nLayer; ++l) {
        moveX(sp.model->layers[l].onDevice);
        runLayer(sp, l, n, pos0);
    }
    moveX(sp.model->output.onDevice);
    runOutput(ctx, xOnDevice, n, allLogits);
    if (xOnDevice)
        if (std::string e = sp.model->device->takeError(); !e.empty() && sp.error.empty()) sp.error = e;
}

void PreNormDecoder::runOutput(ForwardContext& ctx, bool& xOnDevice, int64_t n, bool allLogits) const {
    SessionPlacement& sp = *ctx.placement;
    const PlacedOutput& out = sp.model->output;
    kernels::Backend& be = sp.backend(xOnDevice);
    Activations& a = sp.acts(xOnDevice);
    const int64_t E = m_h.nEmbd, V = m_h.nVocab;
    const int64_t first = allLogits ? 0 : n - 1;
    const int64_t rows = n - first;
    be.rmsNorm(*a.x, first * E, *out.norm, rows, E, m_h.rmsEps, *a.cur);
    ctx.scratch.logits.resize(static_cast<size_t>(rows * V));
    if (be.isHost()) {  // straight into the session's logits
        kernels::BufferPtr logits = kernels::wrapHostMemory(ctx.scratch.logits.data(), ctx.scratch.logits.size() * 4);
        be.matmul(*out.w, *a.cur, E, rows, *logits, V, 0, false);
    } else {
        be.matmul(*out.w, *a.cur, E, rows, *a.logits, V, 0, false);
        be.read(*a.logits, 0, ctx.scratch.logits.data(), static_cast<size_t>(rows * V) * 4);  // the token's one sync
    }
}

AttentionParams PreNormDecoder::attentionParams(int64_t contextLength) const {
    AttentionParams ap;
    ap.rope = m_h.rope;  // NeoX or adjacent pairs: set by the registry
    const bool longCtx = m_h.ropeOrigCtx > 0 && contextLength > m_h.ropeOrigCtx;
    const std::vector<float>& factors = longCtx && !m_ropeFactorsLong.empty() ? m_ropeFactorsLong : m_ropeFactors;
    ap.rope.freqFactors = factors.empty() ? nullptr : factors.data();
    if (m_variant.ropeFactors == RopeFactors::LongRope && (!m_ropeFactors.empty() || !m_ropeFactorsLong.empty()))
        ap.qkScale = m_h.ropeAttnFactor;
    ap.shape = {m_h.nHead, m_h.nHeadKv, m_h.headDim, 1.0f / std::sqrt(static_cast<float>(m_h.headDim))};
    if (m_variant.slidingWindow) ap.shape.window = m_h.slidingWindow;  // 0 = full causal attention
    return ap;
}

bool PreNormDecoder::describeDecoder(DecoderDesc& d) const {
    d.h = &m_h;
    d.embd = &m_embd;
    for (const Layer& L : m_layers) {
        d.attn.push_back(&L.attn);
        d.ffn.push_back(isMoe() ? nullptr : &L.ffn);
        d.moe.push_back(isMoe() ? &L.moe : nullptr);
    }
    d.attentionParams = [this](int64_t contextLength) { return attentionParams(contextLength); };
    return true;
}

void PreNormDecoder::runLayer(SessionPlacement& sp, int64_t l, int64_t n, int64_t pos0) const {
    const PlacedLayer& L = sp.model->layers[l];
    kernels::Backend& be = sp.backend(L.onDevice);
    Activations& a = sp.acts(L.onDevice);
    const kernels::AttentionOp& op = L.onDevice ? sp.deviceAttention : sp.cpuAttention;
    const kernels::DeviceBuffer& ropeFreq = L.onDevice ? *sp.deviceRope : *sp.cpuRope;
    const int64_t E = m_h.nEmbd, D = m_h.headDim, qW = m_h.nHead * D, kvW = m_h.nHeadKv * D;
    const int64_t ldq = qW + 2 * kvW;
    const float eps = m_h.rmsEps;

    // x += Wo · attention(rope(q), rope(k), v), q|k|v = Wqkv · norm(x) (+ biases, head norms)
    be.rmsNorm(*a.x, 0, *L.attnNorm, n, E, eps, *a.cur);
    be.matmul(*L.qkv, *a.cur, E, n, *a.qkv, ldq, 0, false);
    if (L.qkvBias) be.addBias(*a.qkv, ldq, n, ldq, *L.qkvBias);
    if (L.qNorm) {  // RMS over each head's D values, before RoPE
        be.rmsNormHeads(*a.qkv, ldq, 0, n, m_h.nHead, D, *L.qNorm, eps);
        be.rmsNormHeads(*a.qkv, ldq, qW, n, m_h.nHeadKv, D, *L.kNorm, eps);
    }
    be.ropeStoreKv(*a.qkv, ldq, n, pos0, op, ropeFreq, *sp.k[l], *sp.v[l]);
    be.attention(*a.qkv, ldq, n, pos0, op, *sp.k[l], *sp.v[l], *a.attn);
    be.matmul(*L.wo, *a.attn, qW, n, *a.x, E, 0, /*accumulate=*/true);

    // x += ffn(norm(x)): Wdown · swiglu(Wgate · norm(x), Wup · norm(x)), or the experts
    be.rmsNorm(*a.x, 0, *L.ffnNorm, n, E, eps, *a.cur);
    if (L.experts && L.expertsOnHost && L.onDevice) {  // experts on the CPU, the rest here
        const size_t bytes = static_cast<size_t>(n * E) * 4;
        kernels::copyBetween(be, *a.cur, *sp.cpu, *sp.onCpu.cur, bytes);
        sp.cpu->experts(*L.experts, *sp.onCpu.cur, n, *sp.onCpu.ffn);
        kernels::copyBetween(*sp.cpu, *sp.onCpu.ffn, be, *a.ffn, bytes);
        be.add(*a.x, *a.ffn, n * E);
        return;
    }
    if (L.experts) {
        be.experts(*L.experts, *a.cur, n, *a.ffn);
        be.add(*a.x, *a.ffn, n * E);
        return;
    }
    const int64_t F = L.down->cols;
    be.matmul(*L.gateUp, *a.cur, E, n, *a.gu, 2 * F, 0, false);
    be.matmul(*L.down, *a.gu, 2 * F, n, *a.x, E, 0, /*accumulate=*/true, kernels::Glu::SwiGlu);
}

}  // namespace

assistant::Result<std::unique_ptr<Architecture>> makePreNormDecoder(const gguf::File& f, Hparams h,
                                                                   const DecoderVariant& variant) {
    auto model = std::make_unique<PreNormDecoder>(std::move(h), variant);
    if (auto st = model->bind(f); !st) return std::unexpected(st.error());
    return std::unique_ptr<Architecture>(std::move(model));
}

}  // namespace arch
