// PreNormDecoder: binds the layer stack of prenorm_decoder.h as a DecoderVariant
// describes it and runs each layer through kernels/backend.h on the backend the
// placement (engine/placement.h) gave it: the CPU, or a device.
#include "arch/prenorm_decoder.h"

#include <algorithm>
#include <cmath>

#include "arch/placed_layers.h"
#include "arch/streamed_experts.h"
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
    void forward(ForwardContext& ctx, std::span<const int32_t> tokens, std::span<const SeqSpan> seqs) const override;
    bool describeDecoder(DecoderDesc& d) const override;

private:
    AttentionParams attentionParams(int64_t contextLength) const;
    // x += attention(norm(x)); x += ffn(norm(x)) of layer l on its backend.
    void runLayer(SessionPlacement& sp, std::span<const SeqSpan> seqs, int64_t l, int64_t n, kernels::Backend& be,
                  Activations& a) const;
    bool isMoe() const { return m_variant.feedForward == FeedForward::Moe; }

    Hparams m_h;
    DecoderVariant m_variant;
    EmbeddingWeights m_embd;
    std::vector<Layer> m_layers;
    std::vector<float> m_ropeFactors;      // [rope dims / 2] angle divisors (LongRope: short), or empty
    std::vector<float> m_ropeFactorsLong;  // [rope dims / 2] LongRope's long factors, or empty
    const gguf::File* m_file = nullptr;    // bound from (outlives the architecture)
};

assistant::Status PreNormDecoder::bind(const gguf::File& f) {
    m_file = &f;
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

void PreNormDecoder::forward(ForwardContext& ctx, std::span<const int32_t> tokens,
                             std::span<const SeqSpan> seqs) const {
    const int64_t n = static_cast<int64_t>(tokens.size());
    forwardPlaced(ctx, m_h, m_embd, tokens, seqs, 1.0f, 0.0f,
                  [&](int64_t l, kernels::Backend& be, Activations& a) { runLayer(*ctx.placement, seqs, l, n, be, a); });
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
    d.attentionParams = [this](int64_t contextLength, int64_t) { return attentionParams(contextLength); };
    d.file = m_file;
    return true;
}

void PreNormDecoder::runLayer(SessionPlacement& sp, std::span<const SeqSpan> seqs, int64_t l, int64_t n,
                              kernels::Backend& be, Activations& a) const {
    const PlacedLayer& L = sp.model->layers[l];
    const int64_t E = m_h.nEmbd;
    // x += Wo · attention(rope(q), rope(k), v), q|k|v = Wqkv · norm(x) (+ biases, head norms)
    be.rmsNorm(*a.x, 0, *L.attnNorm, n, E, m_h.rmsEps, *a.cur);
    placedAttention(sp, seqs, m_h, l, n, be, a);
    be.matmul(*L.wo, *a.attn, m_h.nHead * m_h.headDim, n, *a.x, E, 0, /*accumulate=*/true);
    // x += Wdown · swiglu(Wgate · norm(x), Wup · norm(x)), or the experts
    be.rmsNorm(*a.x, 0, *L.ffnNorm, n, E, m_h.rmsEps, *a.cur);
    if (!L.experts) return placedFeedForward(L, kernels::Glu::SwiGlu, n, E, be, a, *a.x, /*accumulate=*/true);
    if (!L.expertsOnHost) return be.experts(*L.experts, *a.cur, n, *a.x, /*accumulate=*/true);
    // A device layer whose experts are streamed in (prefill) or on the CPU (hot ones here).
    if (!placedStreamedExperts(sp, l, n, be, a))
        placedHostExperts(sp, L, sp.model->hot(l), n, E, m_h.nExpertUsed, be, a);
    be.add(*a.x, *a.ffn, n * E);
}

}  // namespace

assistant::Result<std::unique_ptr<Architecture>> makePreNormDecoder(const gguf::File& f, Hparams h,
                                                                   const DecoderVariant& variant) {
    auto model = std::make_unique<PreNormDecoder>(std::move(h), variant);
    if (auto st = model->bind(f); !st) return std::unexpected(st.error());
    return std::unique_ptr<Architecture>(std::move(model));
}

}  // namespace arch
