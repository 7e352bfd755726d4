// PreNormDecoder: binds and runs the layer stack of prenorm_decoder.h as a
// DecoderVariant describes it. The GPU path (src/gpu_offload.h) runs the last layers
// and the output head of variants that allow it.
#include "arch/prenorm_decoder.h"

#include <algorithm>
#include <cmath>

#include "arch/weights.h"
#include "gguf/gguf_file.h"
#include "src/gpu_offload.h"

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
    void runLayer(ForwardContext& ctx, int64_t l, int64_t n, int64_t pos0, const AttentionParams& ap) const;
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
    const int64_t n = static_cast<int64_t>(tokens.size());
    prepareScratch(ctx.scratch, m_h, n, isMoe() ? m_h.nFfExpert : m_h.nFf);
    const AttentionParams ap = attentionParams(ctx.kv.capacity);

    embedTokens(m_embd.tokenEmbd, tokens, m_h.nEmbd, 1.0f, ctx.scratch.x.data());
    for (int64_t l = 0; l < m_h.nLayer; ++l) {
        // ctx.gpu is only set for variants whose describeDecoder succeeded.
        if (ctx.gpu && ctx.gpu->runsLayer(l)) l = ctx.gpu->runLayers(ctx, l, n, pos0) - 1;  // the offloaded tail
        else runLayer(ctx, l, n, pos0, ap);
    }
    if (!ctx.gpu || !ctx.gpu->outputLogits(ctx, n, allLogits)) outputLogits(ctx, m_h, m_embd, n, allLogits);
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
    if (!m_variant.gpuOffload || isMoe() || m_variant.ropeFactors == RopeFactors::LongRope) return false;
    d.h = &m_h;
    d.embd = &m_embd;
    for (const Layer& L : m_layers) {
        d.attn.push_back(&L.attn);
        d.ffn.push_back(&L.ffn);
    }
    d.params = attentionParams(0);  // without LongRope the context length does not matter
    return true;
}

void PreNormDecoder::runLayer(ForwardContext& ctx, int64_t l, int64_t n, int64_t pos0,
                              const AttentionParams& ap) const {
    const Layer& L = m_layers[l];
    Scratch& s = ctx.scratch;
    const int64_t E = m_h.nEmbd;
    // x += attention(norm(x))
    rmsNormRows(s.x.data(), L.attn.norm, n, E, m_h.rmsEps, s.cur.data());
    attentionBlock(ctx, m_h, L.attn, ap, l, n, pos0, s.cur.data(), s.cur.data());
    kernels::addInPlace(s.x.data(), s.cur.data(), n * E);
    // x += ffn(norm(x)). The MoE block cannot write over its input: its output goes to
    // s.attn ([n][H*D] is not always >= E, so it is sized here).
    float* out = s.cur.data();
    if (isMoe()) {
        rmsNormRows(s.x.data(), L.moe.norm, n, E, m_h.rmsEps, s.cur.data());
        s.attn.resize(std::max<size_t>(s.attn.size(), static_cast<size_t>(n * E)));
        out = s.attn.data();
        moeBlock(ctx, m_h, L.moe, n, s.cur.data(), out);
    } else {
        rmsNormRows(s.x.data(), L.ffn.norm, n, E, m_h.rmsEps, s.cur.data());
        ffnBlock(ctx, L.ffn, FfnActivation::Silu, n, s.cur.data(), out);
    }
    kernels::addInPlace(s.x.data(), out, n * E);
}

}  // namespace

assistant::Result<std::unique_ptr<Architecture>> makePreNormDecoder(const gguf::File& f, Hparams h,
                                                                   const DecoderVariant& variant) {
    auto model = std::make_unique<PreNormDecoder>(std::move(h), variant);
    if (auto st = model->bind(f); !st) return std::unexpected(st.error());
    return std::unique_ptr<Architecture>(std::move(model));
}

}  // namespace arch
