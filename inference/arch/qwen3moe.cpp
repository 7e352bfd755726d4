// Qwen3-MoE decoder: the Qwen3 attention layer (per-head Q/K RMSNorm, NeoX RoPE) with
// a mixture-of-experts feed-forward in place of the dense one.
//
//   x = embed(tokens)                                            [n][E]
//   for each layer:
//     x += Wo · attention(rope(headNorm(Wq·norm(x))), rope(headNorm(Wk·norm(x))), Wv·norm(x))
//     p = softmax(Wrouter · norm(x))                              [n][X] over all X experts
//     x += sum over the top-k experts e of  p_e / sum(p_top-k) ·
//            Wdown_e · (silu(Wgate_e·norm(x)) * Wup_e·norm(x))     Fe = expert_feed_forward_length
//   logits = Wout · norm(x)                                      [n][V]
//
// The expert tensors [E, Fe, X] / [Fe, E, X] are views into the memory-mapped file:
// only the experts a batch routes to are touched, so a model larger than RAM pages.
#include <algorithm>
#include <cmath>

#include "arch/decoder_blocks.h"
#include "arch/weights.h"
#include "gguf/gguf_file.h"

namespace arch {
namespace {

struct Qwen3MoeLayer {
    AttentionWeights attn;  // norm, Wq/Wk/Wv, q_norm/k_norm [D], Wo
    MoeWeights moe;         // norm, router [X][E], X experts gate/up [Fe][E], down [E][Fe]
};

class Qwen3Moe final : public Architecture {
public:
    explicit Qwen3Moe(Hparams h) : m_h(std::move(h)) {}

    assistant::Status bind(const gguf::File& f) {
        BIND(m_embd, bindEmbeddings(f, m_h));
        m_layers.resize(static_cast<size_t>(m_h.nLayer));
        for (int64_t l = 0; l < m_h.nLayer; ++l) {
            BIND(m_layers[l].attn, bindAttention(f, m_h, l, AttentionLayout{.qkNorm = true}));
            BIND(m_layers[l].moe, bindMoe(f, m_h, l));
        }
        return {};
    }
    const Hparams& hparams() const override { return m_h; }

    void forward(ForwardContext& ctx, std::span<const int32_t> tokens, int64_t pos0, bool allLogits) const override {
        const int64_t n = static_cast<int64_t>(tokens.size());
        prepareScratch(ctx.scratch, m_h, n, m_h.nFfExpert);
        AttentionParams ap;
        ap.rope = m_h.rope;
        ap.shape = {m_h.nHead, m_h.nHeadKv, m_h.headDim, 1.0f / std::sqrt(static_cast<float>(m_h.headDim))};

        embedTokens(m_embd.tokenEmbd, tokens, m_h.nEmbd, 1.0f, ctx.scratch.x.data());
        for (int64_t l = 0; l < m_h.nLayer; ++l) runLayer(ctx, l, n, pos0, ap);
        outputLogits(ctx, m_h, m_embd, n, allLogits);
    }

private:
    void runLayer(ForwardContext& ctx, int64_t l, int64_t n, int64_t pos0, const AttentionParams& ap) const {
        const Qwen3MoeLayer& L = m_layers[l];
        Scratch& s = ctx.scratch;
        const int64_t E = m_h.nEmbd;
        rmsNormRows(s.x.data(), L.attn.norm, n, E, m_h.rmsEps, s.cur.data());
        attentionBlock(ctx, m_h, L.attn, ap, l, n, pos0, s.cur.data(), s.cur.data());
        kernels::addInPlace(s.x.data(), s.cur.data(), n * E);
        // The MoE block cannot write over its input: its output goes to s.attn ([n][H*D]
        // is not always >= E, so it is sized here).
        rmsNormRows(s.x.data(), L.moe.norm, n, E, m_h.rmsEps, s.cur.data());
        s.attn.resize(std::max<size_t>(s.attn.size(), static_cast<size_t>(n * E)));
        moeBlock(ctx, m_h, L.moe, n, s.cur.data(), s.attn.data());
        kernels::addInPlace(s.x.data(), s.attn.data(), n * E);
    }

    Hparams m_h;
    EmbeddingWeights m_embd;
    std::vector<Qwen3MoeLayer> m_layers;
};

}  // namespace

assistant::Result<std::unique_ptr<Architecture>> makeQwen3Moe(const gguf::File& f, Hparams h) {
    auto model = std::make_unique<Qwen3Moe>(std::move(h));
    if (auto st = model->bind(f); !st) return std::unexpected(st.error());
    return std::unique_ptr<Architecture>(std::move(model));
}

}  // namespace arch
