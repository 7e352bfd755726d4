// The pre-norm decoder with a SwiGLU feed-forward that Qwen2 and Qwen3 share; they
// differ only in the attention projections (AttentionLayout: Q/K/V biases for Qwen2,
// per-head Q/K RMSNorm for Qwen3). Each architecture's file documents its layer stack
// and calls makePreNormDecoder with its layout.
//
//   x = embed(tokens)                                            [n][E]
//   for each layer:
//     x += Wo · attention(rope(q), rope(k), v)   q, k, v from norm(x) as the layout says
//     x += Wdown · (silu(Wgate·norm(x)) * Wup·norm(x))            F = nFf
//   logits = Wout · norm(x)                                      [n][V]
#include <cmath>

#include "arch/prenorm_decoder.h"
#include "arch/weights.h"
#include "gguf/gguf_file.h"

namespace arch {
namespace {

struct Layer {
    AttentionWeights attn;  // norm, Wq/Wk/Wv (+ biases or q/k head norms), Wo
    FfnWeights ffn;         // norm, gate/up [F][E], down [E][F]
};

class PreNormDecoder final : public Architecture {
public:
    PreNormDecoder(Hparams h, AttentionLayout layout) : m_h(std::move(h)), m_layout(layout) {}

    assistant::Status bind(const gguf::File& f) {
        BIND(m_embd, bindEmbeddings(f, m_h));
        m_layers.resize(static_cast<size_t>(m_h.nLayer));
        for (int64_t l = 0; l < m_h.nLayer; ++l) {
            BIND(m_layers[l].attn, bindAttention(f, m_h, l, m_layout));
            BIND(m_layers[l].ffn, bindFfn(f, m_h, l));
        }
        return {};
    }
    const Hparams& hparams() const override { return m_h; }

    void forward(ForwardContext& ctx, std::span<const int32_t> tokens, int64_t pos0, bool allLogits) const override {
        const int64_t n = static_cast<int64_t>(tokens.size());
        prepareScratch(ctx.scratch, m_h, n, m_h.nFf);
        AttentionParams ap;
        ap.rope = m_h.rope;  // NeoX ordering (set by the registry)
        ap.shape = {m_h.nHead, m_h.nHeadKv, m_h.headDim, 1.0f / std::sqrt(static_cast<float>(m_h.headDim))};

        embedTokens(m_embd.tokenEmbd, tokens, m_h.nEmbd, 1.0f, ctx.scratch.x.data());
        for (int64_t l = 0; l < m_h.nLayer; ++l) runLayer(ctx, l, n, pos0, ap);
        outputLogits(ctx, m_h, m_embd, n, allLogits);
    }

private:
    void runLayer(ForwardContext& ctx, int64_t l, int64_t n, int64_t pos0, const AttentionParams& ap) const {
        const Layer& L = m_layers[l];
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
    AttentionLayout m_layout;
    EmbeddingWeights m_embd;
    std::vector<Layer> m_layers;
};

}  // namespace

assistant::Result<std::unique_ptr<Architecture>> makePreNormDecoder(const gguf::File& f, Hparams h,
                                                                   AttentionLayout layout) {
    auto model = std::make_unique<PreNormDecoder>(std::move(h), layout);
    if (auto st = model->bind(f); !st) return std::unexpected(st.error());
    return std::unique_ptr<Architecture>(std::move(model));
}

}  // namespace arch
