// Llama-family decoder (Llama 1/2/3, Mistral, TinyLlama, SmolLM, ...): pre-norm
// blocks of grouped-query attention with RoPE and a SwiGLU feed-forward.
//
//   x = embed(tokens)
//   for each layer:
//     x += Wo · attention(rope(Wq·norm(x)), rope(Wk·norm(x)), Wv·norm(x))
//     x += Wdown · (silu(Wgate·norm(x)) * Wup·norm(x))
//   logits = Wout · norm(x)
#include <cmath>

#include "arch/arch.h"
#include "arch/weights.h"
#include "gguf/gguf_file.h"
#include "kernels/thread_pool.h"

namespace arch {
namespace {

using kernels::Matrix;

// ----------------------------------------------------------------------------
// Weights (E = nEmbd, H = nHead, Hkv = nHeadKv, D = headDim, F = nFf, V = nVocab)
// ----------------------------------------------------------------------------
struct LlamaLayer {
    std::vector<float> attnNorm;  // [E]
    Matrix wq;                    // [H*D rows][E cols]
    Matrix wk;                    // [Hkv*D][E]
    Matrix wv;                    // [Hkv*D][E]
    Matrix wo;                    // [E][H*D]
    std::vector<float> ffnNorm;   // [E]
    Matrix wGate;                 // [F][E]
    Matrix wUp;                   // [F][E]
    Matrix wDown;                 // [E][F]
};

class Llama final : public Architecture {
public:
    explicit Llama(Hparams h) : m_h(std::move(h)) {}

    assistant::Status bind(const gguf::File& f);
    const Hparams& hparams() const override { return m_h; }
    void forward(ForwardContext& ctx, std::span<const int32_t> tokens, int64_t pos0, bool allLogits) const override;

private:
    Hparams m_h;
    Matrix m_tokenEmbd;               // [V][E]
    std::vector<LlamaLayer> m_layers;
    std::vector<float> m_outputNorm;  // [E]
    Matrix m_output;                  // [V][E] (the embedding when tied)
    std::vector<float> m_ropeFreqs;   // [rope dims / 2] llama3-style divisors, or empty
};

#define BIND(dst, expr)                                  \
    do {                                                 \
        auto r_ = (expr);                                \
        if (!r_) return std::unexpected(r_.error());     \
        dst = std::move(*r_);                            \
    } while (0)

assistant::Status Llama::bind(const gguf::File& f) {
    const int64_t E = m_h.nEmbd, q = m_h.nHead * m_h.headDim, kv = m_h.nHeadKv * m_h.headDim;
    if (m_h.nFf <= 0) {
        if (const gguf::TensorInfo* t = f.tensor("blk.0.ffn_gate.weight"); t && t->shape.size() == 2)
            m_h.nFf = t->shape[1];
    }
    BIND(m_tokenEmbd, bindMatrix(f, "token_embd.weight", E, m_h.nVocab));
    m_layers.resize(static_cast<size_t>(m_h.nLayer));
    for (int64_t l = 0; l < m_h.nLayer; ++l) {
        LlamaLayer& L = m_layers[l];
        BIND(L.attnNorm, bindVector(f, layerTensor(l, "attn_norm.weight"), E));
        BIND(L.wq, bindMatrix(f, layerTensor(l, "attn_q.weight"), E, q));
        BIND(L.wk, bindMatrix(f, layerTensor(l, "attn_k.weight"), E, kv));
        BIND(L.wv, bindMatrix(f, layerTensor(l, "attn_v.weight"), E, kv));
        BIND(L.wo, bindMatrix(f, layerTensor(l, "attn_output.weight"), q, E));
        BIND(L.ffnNorm, bindVector(f, layerTensor(l, "ffn_norm.weight"), E));
        BIND(L.wGate, bindMatrix(f, layerTensor(l, "ffn_gate.weight"), E, m_h.nFf));
        BIND(L.wUp, bindMatrix(f, layerTensor(l, "ffn_up.weight"), E, m_h.nFf));
        BIND(L.wDown, bindMatrix(f, layerTensor(l, "ffn_down.weight"), m_h.nFf, E));
    }
    BIND(m_outputNorm, bindVector(f, "output_norm.weight", E));
    std::optional<Matrix> output;
    BIND(output, bindOptionalMatrix(f, "output.weight", E, m_h.nVocab));
    m_output = output.value_or(m_tokenEmbd);  // tied embeddings
    std::optional<std::vector<float>> freqs;
    BIND(freqs, bindOptionalVector(f, "rope_freqs.weight", m_h.rope.dims / 2));
    if (freqs) m_ropeFreqs = std::move(*freqs);
    return {};
}

// ----------------------------------------------------------------------------
// Forward pass over n tokens at positions pos0 .. pos0+n-1
// ----------------------------------------------------------------------------
void Llama::forward(ForwardContext& ctx, std::span<const int32_t> tokens, int64_t pos0, bool allLogits) const {
    const int64_t n = static_cast<int64_t>(tokens.size());
    const int64_t E = m_h.nEmbd, D = m_h.headDim, F = m_h.nFf, V = m_h.nVocab;
    const int64_t qW = m_h.nHead * D, kvW = m_h.nHeadKv * D;
    Scratch& s = ctx.scratch;
    s.x.resize(n * E);       // residual stream      [n][E]
    s.cur.resize(n * E);     // normed input         [n][E]
    s.q.resize(n * qW);      // queries              [n][H*D]
    s.k.resize(n * kvW);     // keys of this batch   [n][Hkv*D]
    s.v.resize(n * kvW);     // values of this batch [n][Hkv*D]
    s.attn.resize(n * qW);   // attention output     [n][H*D]
    s.ffnA.resize(n * F);    // gate, then SwiGLU    [n][F]
    s.ffnB.resize(n * F);    // up                   [n][F]

    kernels::RopeParams rope = m_h.rope;
    rope.freqFactors = m_ropeFreqs.empty() ? nullptr : m_ropeFreqs.data();
    kernels::AttentionShape shape{m_h.nHead, m_h.nHeadKv, D, 1.0f / std::sqrt(static_cast<float>(D))};

    for (int64_t t = 0; t < n; ++t) kernels::getRow(m_tokenEmbd, tokens[t], &s.x[t * E]);

    for (int64_t l = 0; l < m_h.nLayer; ++l) {
        const LlamaLayer& L = m_layers[l];
        // --- attention block
        for (int64_t t = 0; t < n; ++t) kernels::rmsNorm(&s.x[t * E], L.attnNorm.data(), E, m_h.rmsEps, &s.cur[t * E]);
        kernels::matmul(ctx.pool, L.wq, s.cur.data(), n, s.q.data());
        kernels::matmul(ctx.pool, L.wk, s.cur.data(), n, s.k.data());
        kernels::matmul(ctx.pool, L.wv, s.cur.data(), n, s.v.data());
        for (int64_t t = 0; t < n; ++t) {
            kernels::rope(&s.q[t * qW], m_h.nHead, D, pos0 + t, rope);
            kernels::rope(&s.k[t * kvW], m_h.nHeadKv, D, pos0 + t, rope);
            kernels::storeRow(ctx.kv.type, &s.k[t * kvW], kvW, ctx.kv.kRow(l, pos0 + t));
            kernels::storeRow(ctx.kv.type, &s.v[t * kvW], kvW, ctx.kv.vRow(l, pos0 + t));
        }
        kernels::attention(ctx.pool, s.q.data(), n, pos0, ctx.kv.k[l].data(), ctx.kv.v[l].data(), ctx.kv.type,
                           shape, s.attn.data());
        kernels::matmul(ctx.pool, L.wo, s.attn.data(), n, s.cur.data());
        kernels::addInPlace(s.x.data(), s.cur.data(), n * E);

        // --- feed-forward block
        for (int64_t t = 0; t < n; ++t) kernels::rmsNorm(&s.x[t * E], L.ffnNorm.data(), E, m_h.rmsEps, &s.cur[t * E]);
        kernels::matmul(ctx.pool, L.wGate, s.cur.data(), n, s.ffnA.data());
        kernels::matmul(ctx.pool, L.wUp, s.cur.data(), n, s.ffnB.data());
        kernels::swiglu(s.ffnA.data(), s.ffnB.data(), n * F, s.ffnA.data());
        kernels::matmul(ctx.pool, L.wDown, s.ffnA.data(), n, s.cur.data());
        kernels::addInPlace(s.x.data(), s.cur.data(), n * E);
    }

    // --- output: logits of every token, or of the last one only
    const int64_t first = allLogits ? 0 : n - 1;
    const int64_t outRows = n - first;
    for (int64_t t = first; t < n; ++t)
        kernels::rmsNorm(&s.x[t * E], m_outputNorm.data(), E, m_h.rmsEps, &s.cur[(t - first) * E]);
    s.logits.resize(outRows * V);
    kernels::matmul(ctx.pool, m_output, s.cur.data(), outRows, s.logits.data());
}

}  // namespace

assistant::Result<std::unique_ptr<Architecture>> makeLlama(const gguf::File& f, Hparams h) {
    auto model = std::make_unique<Llama>(std::move(h));
    if (auto st = model->bind(f); !st) return std::unexpected(st.error());
    return std::unique_ptr<Architecture>(std::move(model));
}

}  // namespace arch
