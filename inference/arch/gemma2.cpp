// Gemma-2 decoder: scaled embeddings, a norm before AND after each block, a GELU-gated
// feed-forward, tanh soft-capping of attention scores and of the final logits, and
// sliding-window attention on every other layer. NeoX-ordered RoPE.
//
//   x = embed(tokens) * sqrt(E)                                  [n][E]
//   for each layer l:
//     a = Wo · attention(rope(Wq·norm(x)), rope(Wk·norm(x)), Wv·norm(x))
//           scores = cap_a · tanh(q·k / sqrt(D) / cap_a); layers with l % 2 == 0 only
//           see the last `sliding_window` positions, odd layers see all of them
//     x += postAttnNorm(a)
//     x += postFfwNorm(Wdown · (gelu(Wgate·norm(x)) * Wup·norm(x)))
//   logits = cap_f · tanh(Wout · norm(x) / cap_f)                 [n][V]
//
// The GGUF stores Gemma's norm weights with the +1 already added (plain RMSNorm here).
#include <cmath>

#include "arch/decoder_blocks.h"
#include "arch/weights.h"
#include "gguf/gguf_file.h"
#include "src/log.h"

namespace arch {
namespace {

struct Gemma2Layer {
    AttentionWeights attn;           // norm, Wq [H*D][E], Wk/Wv [Hkv*D][E], Wo [E][H*D]
    std::vector<float> postAttnNorm; // [E]
    FfnWeights ffn;                  // norm, gate/up [F][E], down [E][F]
    std::vector<float> postFfwNorm;  // [E]
};

class Gemma2 final : public Architecture {
public:
    explicit Gemma2(Hparams h) : m_h(std::move(h)) {}

    assistant::Status bind(const gguf::File& f) {
        BIND(m_embd, bindEmbeddings(f, m_h));
        m_layers.resize(static_cast<size_t>(m_h.nLayer));
        for (int64_t l = 0; l < m_h.nLayer; ++l) {
            Gemma2Layer& L = m_layers[l];
            BIND(L.attn, bindAttention(f, m_h, l, AttentionLayout{}));
            BIND(L.postAttnNorm, bindNorm(f, m_h, l, "post_attention_norm.weight"));
            BIND(L.ffn, bindFfn(f, m_h, l));
            BIND(L.postFfwNorm, bindNorm(f, m_h, l, "post_ffw_norm.weight"));
        }
        return {};
    }
    const Hparams& hparams() const override { return m_h; }

    void forward(ForwardContext& ctx, std::span<const int32_t> tokens, int64_t pos0, bool allLogits) const override {
        const int64_t n = static_cast<int64_t>(tokens.size());
        prepareScratch(ctx.scratch, m_h, n, m_h.nFf);
        AttentionParams ap;
        ap.rope = m_h.rope;
        // Query scale 1/sqrt(D); Gemma-2 27B (46 layers) uses 1/sqrt(E/H) instead
        // (its query_pre_attn_scalar), which the GGUF does not store.
        const float qDim = m_h.nLayer == 46 ? static_cast<float>(m_h.nEmbd / m_h.nHead)
                                            : static_cast<float>(m_h.headDim);
        ap.shape = {m_h.nHead, m_h.nHeadKv, m_h.headDim, 1.0f / std::sqrt(qDim)};
        ap.shape.softCap = m_h.attnSoftCap;

        embedTokens(m_embd.tokenEmbd, tokens, m_h.nEmbd, std::sqrt(static_cast<float>(m_h.nEmbd)),
                    ctx.scratch.x.data());
        for (int64_t l = 0; l < m_h.nLayer; ++l) {
            ap.shape.window = l % 2 == 0 ? m_h.slidingWindow : 0;
            runLayer(ctx, l, n, pos0, ap);
        }
        outputLogits(ctx, m_h, m_embd, n, allLogits, m_h.finalSoftCap);
    }

private:
    void runLayer(ForwardContext& ctx, int64_t l, int64_t n, int64_t pos0, const AttentionParams& ap) const {
        const Gemma2Layer& L = m_layers[l];
        Scratch& s = ctx.scratch;
        const int64_t E = m_h.nEmbd;
        const float eps = m_h.rmsEps;
        rmsNormRows(s.x.data(), L.attn.norm, n, E, eps, s.cur.data());
        attentionBlock(ctx, m_h, L.attn, ap, l, n, pos0, s.cur.data(), s.cur.data());
        rmsNormRows(s.cur.data(), L.postAttnNorm, n, E, eps, s.cur.data());
        kernels::addInPlace(s.x.data(), s.cur.data(), n * E);
        rmsNormRows(s.x.data(), L.ffn.norm, n, E, eps, s.cur.data());
        ffnBlock(ctx, L.ffn, FfnActivation::Gelu, n, s.cur.data(), s.cur.data());
        rmsNormRows(s.cur.data(), L.postFfwNorm, n, E, eps, s.cur.data());
        kernels::addInPlace(s.x.data(), s.cur.data(), n * E);
    }

    Hparams m_h;
    EmbeddingWeights m_embd;
    std::vector<Gemma2Layer> m_layers;
};

}  // namespace

assistant::Result<std::unique_ptr<Architecture>> makeGemma2(const gguf::File& f, Hparams h) {
    if (h.slidingWindow <= 0)
        return std::unexpected(assistant::detail::makeError(assistant::ErrorCode::InvalidFormat,
                                                            "gemma2 model without gemma2.attention.sliding_window"));
    auto model = std::make_unique<Gemma2>(std::move(h));
    if (auto st = model->bind(f); !st) return std::unexpected(st.error());
    return std::unique_ptr<Architecture>(std::move(model));
}

}  // namespace arch
