// Phi-3 / Phi-3.5 / Phi-4-mini decoder: the Llama layer with fused projections and
// NeoX-ordered RoPE, optionally LongRoPE.
//
//   x = embed(tokens)                                            [n][E]
//   for each layer:
//     [q; k; v] = Wqkv·norm(x)       Wqkv: [(H + 2 Hkv)·D][E], bound as three row views
//     x += Wo · attention(rope(q), rope(k), v)
//     [g; u] = Wup·norm(x)           Wup: [2F][E], gate rows first, then up rows
//     x += Wdown · (silu(g) * u)
//   logits = Wout · norm(x)                                      [n][V]
//
// LongRoPE: rope_factors_long / rope_factors_short ([rope dims / 2] angle divisors)
// are chosen by the session's context length against rope.scaling.original_context_length
// (long above it), and the rotated q, k are scaled by rope.scaling.attn_factor.
// phi3.attention.sliding_window is ignored, as the reference engine does.
#include <cmath>

#include "arch/decoder_blocks.h"
#include "arch/weights.h"
#include "gguf/gguf_file.h"

namespace arch {
namespace {

struct Phi3Layer {
    AttentionWeights attn;  // norm, Wq/Wk/Wv (views of attn_qkv), Wo
    FfnWeights ffn;         // norm, gate/up (views of ffn_up), down [E][F]
};

class Phi3 final : public Architecture {
public:
    explicit Phi3(Hparams h) : m_h(std::move(h)) {}

    assistant::Status bind(const gguf::File& f) {
        BIND(m_embd, bindEmbeddings(f, m_h));
        m_layers.resize(static_cast<size_t>(m_h.nLayer));
        for (int64_t l = 0; l < m_h.nLayer; ++l) {
            BIND(m_layers[l].attn, bindAttention(f, m_h, l, AttentionLayout{.fusedQkv = true}));
            BIND(m_layers[l].ffn, bindFfn(f, m_h, l, /*fusedGateUp=*/true));
        }
        std::optional<std::vector<float>> longF, shortF;
        BIND(longF, bindOptionalVector(f, "rope_factors_long.weight", m_h.rope.dims / 2));
        BIND(shortF, bindOptionalVector(f, "rope_factors_short.weight", m_h.rope.dims / 2));
        if (longF) m_ropeLong = std::move(*longF);
        if (shortF) m_ropeShort = std::move(*shortF);
        return {};
    }
    const Hparams& hparams() const override { return m_h; }

    void forward(ForwardContext& ctx, std::span<const int32_t> tokens, int64_t pos0, bool allLogits) const override {
        const int64_t n = static_cast<int64_t>(tokens.size());
        prepareScratch(ctx.scratch, m_h, n, m_h.nFf);
        AttentionParams ap;
        ap.rope = m_h.rope;
        const bool longCtx = m_h.ropeOrigCtx > 0 && ctx.kv.capacity > m_h.ropeOrigCtx;
        const std::vector<float>& factors = longCtx && !m_ropeLong.empty() ? m_ropeLong : m_ropeShort;
        ap.rope.freqFactors = factors.empty() ? nullptr : factors.data();
        if (!m_ropeLong.empty() || !m_ropeShort.empty()) ap.qkScale = m_h.ropeAttnFactor;
        ap.shape = {m_h.nHead, m_h.nHeadKv, m_h.headDim, 1.0f / std::sqrt(static_cast<float>(m_h.headDim))};

        embedTokens(m_embd.tokenEmbd, tokens, m_h.nEmbd, 1.0f, ctx.scratch.x.data());
        for (int64_t l = 0; l < m_h.nLayer; ++l) runLayer(ctx, l, n, pos0, ap);
        outputLogits(ctx, m_h, m_embd, n, allLogits);
    }

private:
    void runLayer(ForwardContext& ctx, int64_t l, int64_t n, int64_t pos0, const AttentionParams& ap) const {
        const Phi3Layer& L = m_layers[l];
        Scratch& s = ctx.scratch;
        const int64_t E = m_h.nEmbd;
        rmsNormRows(s.x.data(), L.attn.norm, n, E, m_h.rmsEps, s.cur.data());
        attentionBlock(ctx, m_h, L.attn, ap, l, n, pos0, s.cur.data(), s.cur.data());
        kernels::addInPlace(s.x.data(), s.cur.data(), n * E);
        rmsNormRows(s.x.data(), L.ffn.norm, n, E, m_h.rmsEps, s.cur.data());
        ffnBlock(ctx, L.ffn, FfnActivation::Silu, n, s.cur.data(), s.cur.data());
        kernels::addInPlace(s.x.data(), s.cur.data(), n * E);
    }

    Hparams m_h;
    EmbeddingWeights m_embd;
    std::vector<Phi3Layer> m_layers;
    std::vector<float> m_ropeLong, m_ropeShort;  // [rope dims / 2] each, or empty
};

}  // namespace

assistant::Result<std::unique_ptr<Architecture>> makePhi3(const gguf::File& f, Hparams h) {
    auto model = std::make_unique<Phi3>(std::move(h));
    if (auto st = model->bind(f); !st) return std::unexpected(st.error());
    return std::unique_ptr<Architecture>(std::move(model));
}

}  // namespace arch
