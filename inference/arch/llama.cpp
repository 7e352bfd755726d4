// Llama-family decoder (Llama 1/2/3, Mistral, TinyLlama, SmolLM, ...): pre-norm
// blocks of grouped-query attention with RoPE (adjacent pairs) and a SwiGLU
// feed-forward.
//
//   x = embed(tokens)                                          [n][E]
//   for each layer:
//     x += Wo · attention(rope(Wq·norm(x)), rope(Wk·norm(x)), Wv·norm(x))
//     x += Wdown · (silu(Wgate·norm(x)) * Wup·norm(x))
//   logits = Wout · norm(x)                                    [n][V]
//
// Mistral GGUFs are `llama` files; when they carry llama.attention.sliding_window,
// every layer attends to that many most recent positions (Mistral 7B v0.1).
#include <cmath>

#include "arch/decoder_blocks.h"
#include "arch/weights.h"
#include "gguf/gguf_file.h"
#include "src/gpu_offload.h"

namespace arch {
namespace {

struct LlamaLayer {
    AttentionWeights attn;  // norm, Wq [H*D][E], Wk/Wv [Hkv*D][E], Wo [E][H*D]
    FfnWeights ffn;         // norm, gate/up [F][E], down [E][F]
};

class Llama final : public Architecture {
public:
    explicit Llama(Hparams h) : m_h(std::move(h)) {}

    assistant::Status bind(const gguf::File& f);
    const Hparams& hparams() const override { return m_h; }
    void forward(ForwardContext& ctx, std::span<const int32_t> tokens, int64_t pos0, bool allLogits) const override;
    bool describeDecoder(DecoderDesc& d) const override;

private:
    AttentionParams attentionParams() const;
    void runLayer(ForwardContext& ctx, int64_t l, int64_t n, int64_t pos0, const AttentionParams& ap) const;

    Hparams m_h;
    EmbeddingWeights m_embd;
    std::vector<LlamaLayer> m_layers;
    std::vector<float> m_ropeFreqs;  // [rope dims / 2] llama3-style divisors, or empty
};

assistant::Status Llama::bind(const gguf::File& f) {
    if (m_h.nFf <= 0) {
        if (const gguf::TensorInfo* t = f.tensor("blk.0.ffn_gate.weight"); t && t->shape.size() == 2)
            m_h.nFf = t->shape[1];
    }
    BIND(m_embd, bindEmbeddings(f, m_h));
    m_layers.resize(static_cast<size_t>(m_h.nLayer));
    for (int64_t l = 0; l < m_h.nLayer; ++l) {
        BIND(m_layers[l].attn, bindAttention(f, m_h, l, AttentionLayout{}));
        BIND(m_layers[l].ffn, bindFfn(f, m_h, l));
    }
    std::optional<std::vector<float>> freqs;
    BIND(freqs, bindOptionalVector(f, "rope_freqs.weight", m_h.rope.dims / 2));
    if (freqs) m_ropeFreqs = std::move(*freqs);
    return {};
}

void Llama::forward(ForwardContext& ctx, std::span<const int32_t> tokens, int64_t pos0, bool allLogits) const {
    const int64_t n = static_cast<int64_t>(tokens.size());
    prepareScratch(ctx.scratch, m_h, n, m_h.nFf);

    const AttentionParams ap = attentionParams();

    embedTokens(m_embd.tokenEmbd, tokens, m_h.nEmbd, 1.0f, ctx.scratch.x.data());
    for (int64_t l = 0; l < m_h.nLayer; ++l) {
        if (ctx.gpu && ctx.gpu->runsLayer(l)) l = ctx.gpu->runLayers(ctx, l, n, pos0) - 1;  // the offloaded tail
        else runLayer(ctx, l, n, pos0, ap);
    }
    if (!ctx.gpu || !ctx.gpu->outputLogits(ctx, n, allLogits)) outputLogits(ctx, m_h, m_embd, n, allLogits);
}

AttentionParams Llama::attentionParams() const {
    AttentionParams ap;
    ap.rope = m_h.rope;
    ap.rope.freqFactors = m_ropeFreqs.empty() ? nullptr : m_ropeFreqs.data();
    ap.shape = {m_h.nHead, m_h.nHeadKv, m_h.headDim, 1.0f / std::sqrt(static_cast<float>(m_h.headDim))};
    ap.shape.window = m_h.slidingWindow;  // Mistral; 0 = full causal attention
    return ap;
}

bool Llama::describeDecoder(DecoderDesc& d) const {
    d.h = &m_h;
    d.embd = &m_embd;
    for (const LlamaLayer& L : m_layers) {
        d.attn.push_back(&L.attn);
        d.ffn.push_back(&L.ffn);
    }
    d.params = attentionParams();
    return true;
}

void Llama::runLayer(ForwardContext& ctx, int64_t l, int64_t n, int64_t pos0, const AttentionParams& ap) const {
    const LlamaLayer& L = m_layers[l];
    Scratch& s = ctx.scratch;
    const int64_t E = m_h.nEmbd;
    // x += attention(norm(x))
    rmsNormRows(s.x.data(), L.attn.norm, n, E, m_h.rmsEps, s.cur.data());
    attentionBlock(ctx, m_h, L.attn, ap, l, n, pos0, s.cur.data(), s.cur.data());
    kernels::addInPlace(s.x.data(), s.cur.data(), n * E);
    // x += ffn(norm(x))
    rmsNormRows(s.x.data(), L.ffn.norm, n, E, m_h.rmsEps, s.cur.data());
    ffnBlock(ctx, L.ffn, FfnActivation::Silu, n, s.cur.data(), s.cur.data());
    kernels::addInPlace(s.x.data(), s.cur.data(), n * E);
}

}  // namespace

assistant::Result<std::unique_ptr<Architecture>> makeLlama(const gguf::File& f, Hparams h) {
    auto model = std::make_unique<Llama>(std::move(h));
    if (auto st = model->bind(f); !st) return std::unexpected(st.error());
    return std::unique_ptr<Architecture>(std::move(model));
}

}  // namespace arch
