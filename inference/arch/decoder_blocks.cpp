#include "arch/decoder_blocks.h"

#include <algorithm>
#include <cmath>

#include "arch/weights.h"
#include "gguf/gguf_file.h"
#include "kernels/thread_pool.h"
#include "src/log.h"

namespace arch {

using assistant::ErrorCode;
using assistant::detail::makeError;
using kernels::Matrix;

// ----------------------------------------------------------------------------
// Binding
// ----------------------------------------------------------------------------
assistant::Result<AttentionWeights> bindAttention(const gguf::File& f, const Hparams& h, int64_t l,
                                                  AttentionLayout layout) {
    const int64_t E = h.nEmbd, D = h.headDim, q = h.nHead * D, kv = h.nHeadKv * D;
    AttentionWeights w;
    BIND(w.norm, bindVector(f, layerTensor(l, "attn_norm.weight"), E));
    if (layout.fusedQkv) {
        // [q; k; v] rows of one tensor: three views, no copy.
        const std::string name = layerTensor(l, "attn_qkv.weight");
        BIND(w.wq, bindMatrixRows(f, name, E, q + 2 * kv, 0, q));
        BIND(w.wk, bindMatrixRows(f, name, E, q + 2 * kv, q, kv));
        BIND(w.wv, bindMatrixRows(f, name, E, q + 2 * kv, q + kv, kv));
    } else {
        BIND(w.wq, bindMatrix(f, layerTensor(l, "attn_q.weight"), E, q));
        BIND(w.wk, bindMatrix(f, layerTensor(l, "attn_k.weight"), E, kv));
        BIND(w.wv, bindMatrix(f, layerTensor(l, "attn_v.weight"), E, kv));
    }
    BIND(w.wo, bindMatrix(f, layerTensor(l, "attn_output.weight"), q, E));
    if (layout.biases) {
        BIND(w.bq, bindVector(f, layerTensor(l, "attn_q.bias"), q));
        BIND(w.bk, bindVector(f, layerTensor(l, "attn_k.bias"), kv));
        BIND(w.bv, bindVector(f, layerTensor(l, "attn_v.bias"), kv));
    }
    if (layout.qkNorm) {
        BIND(w.qNorm, bindVector(f, layerTensor(l, "attn_q_norm.weight"), D));
        BIND(w.kNorm, bindVector(f, layerTensor(l, "attn_k_norm.weight"), D));
    }
    return w;
}

assistant::Result<FfnWeights> bindFfn(const gguf::File& f, const Hparams& h, int64_t l, bool fusedGateUp) {
    const int64_t E = h.nEmbd, F = h.nFf;
    if (F <= 0) return std::unexpected(makeError(ErrorCode::InvalidFormat, "missing feed_forward_length"));
    FfnWeights w;
    BIND(w.norm, bindVector(f, layerTensor(l, "ffn_norm.weight"), E));
    if (fusedGateUp) {
        const std::string name = layerTensor(l, "ffn_up.weight");
        BIND(w.gate, bindMatrixRows(f, name, E, 2 * F, 0, F));
        BIND(w.up, bindMatrixRows(f, name, E, 2 * F, F, F));
    } else {
        BIND(w.gate, bindMatrix(f, layerTensor(l, "ffn_gate.weight"), E, F));
        BIND(w.up, bindMatrix(f, layerTensor(l, "ffn_up.weight"), E, F));
    }
    BIND(w.down, bindMatrix(f, layerTensor(l, "ffn_down.weight"), F, E));
    return w;
}

assistant::Result<MoeWeights> bindMoe(const gguf::File& f, const Hparams& h, int64_t l) {
    const int64_t E = h.nEmbd, X = h.nExpert, Fe = h.nFfExpert;
    if (X <= 0 || h.nExpertUsed <= 0 || Fe <= 0)
        return std::unexpected(makeError(ErrorCode::InvalidFormat, "mixture-of-experts model without expert_count, ",
                                         "expert_used_count or expert_feed_forward_length"));
    MoeWeights w;
    BIND(w.norm, bindVector(f, layerTensor(l, "ffn_norm.weight"), E));
    BIND(w.router, bindMatrix(f, layerTensor(l, "ffn_gate_inp.weight"), E, X));
    BIND(w.gate, bindExperts(f, layerTensor(l, "ffn_gate_exps.weight"), E, Fe, X));
    BIND(w.up, bindExperts(f, layerTensor(l, "ffn_up_exps.weight"), E, Fe, X));
    BIND(w.down, bindExperts(f, layerTensor(l, "ffn_down_exps.weight"), Fe, E, X));
    return w;
}

assistant::Result<EmbeddingWeights> bindEmbeddings(const gguf::File& f, const Hparams& h) {
    EmbeddingWeights w;
    BIND(w.tokenEmbd, bindMatrix(f, "token_embd.weight", h.nEmbd, h.nVocab));
    BIND(w.outputNorm, bindVector(f, "output_norm.weight", h.nEmbd));
    std::optional<Matrix> output;
    BIND(output, bindOptionalMatrix(f, "output.weight", h.nEmbd, h.nVocab));
    w.output = output.value_or(w.tokenEmbd);  // tied embeddings
    return w;
}

assistant::Result<std::vector<float>> bindNorm(const gguf::File& f, const Hparams& h, int64_t l, const char* suffix) {
    return bindVector(f, layerTensor(l, suffix), h.nEmbd);
}

// ----------------------------------------------------------------------------
// Running
// ----------------------------------------------------------------------------
void prepareScratch(Scratch& s, const Hparams& h, int64_t n, int64_t ffWidth) {
    const int64_t E = h.nEmbd, qW = h.nHead * h.headDim, kvW = h.nHeadKv * h.headDim;
    s.x.resize(n * E);         // residual stream      [n][E]
    s.cur.resize(n * E);       // block input/output   [n][E]
    s.q.resize(n * qW);        // queries              [n][H*D]
    s.k.resize(n * kvW);       // keys of this batch   [n][Hkv*D]
    s.v.resize(n * kvW);       // values of this batch [n][Hkv*D]
    s.attn.resize(n * qW);     // attention output     [n][H*D]
    s.ffnA.resize(n * ffWidth);  // gate, then act(gate)*up [n][F]
    s.ffnB.resize(n * ffWidth);  // up                       [n][F]
}

void embedTokens(const Matrix& tokenEmbd, std::span<const int32_t> tokens, int64_t E, float embedScale, float* x) {
    for (size_t t = 0; t < tokens.size(); ++t) {
        kernels::getRow(tokenEmbd, tokens[t], x + t * E);
        if (embedScale != 1.0f) kernels::scale(x + t * E, E, embedScale);
    }
}

void rmsNormRows(const float* in, const std::vector<float>& weight, int64_t n, int64_t E, float eps, float* out) {
    for (int64_t t = 0; t < n; ++t) kernels::rmsNorm(in + t * E, weight.data(), E, eps, out + t * E);
}

void attentionBlock(ForwardContext& ctx, const Hparams& h, const AttentionWeights& w, const AttentionParams& p,
                    int64_t l, int64_t n, int64_t pos0, const float* in, float* out) {
    Scratch& s = ctx.scratch;
    const int64_t D = h.headDim, qW = h.nHead * D, kvW = h.nHeadKv * D;
    // q: [n][H*D], k, v: [n][Hkv*D]
    kernels::matmul(ctx.pool, w.wq, in, n, s.q.data());
    kernels::matmul(ctx.pool, w.wk, in, n, s.k.data());
    kernels::matmul(ctx.pool, w.wv, in, n, s.v.data());
    if (!w.bq.empty()) {
        kernels::addBias(s.q.data(), w.bq.data(), n, qW);
        kernels::addBias(s.k.data(), w.bk.data(), n, kvW);
        kernels::addBias(s.v.data(), w.bv.data(), n, kvW);
    }
    if (!w.qNorm.empty()) {  // RMS over each head's D values, before RoPE
        kernels::rmsNormGroups(s.q.data(), w.qNorm.data(), n * h.nHead, D, h.rmsEps);
        kernels::rmsNormGroups(s.k.data(), w.kNorm.data(), n * h.nHeadKv, D, h.rmsEps);
    }
    for (int64_t t = 0; t < n; ++t) {
        kernels::rope(&s.q[t * qW], h.nHead, D, pos0 + t, p.rope);
        kernels::rope(&s.k[t * kvW], h.nHeadKv, D, pos0 + t, p.rope);
        if (p.qkScale != 1.0f) {
            kernels::scale(&s.q[t * qW], qW, p.qkScale);
            kernels::scale(&s.k[t * kvW], kvW, p.qkScale);
        }
        kernels::storeRow(ctx.kv.type, &s.k[t * kvW], kvW, ctx.kv.kRow(l, pos0 + t));
        kernels::storeRow(ctx.kv.type, &s.v[t * kvW], kvW, ctx.kv.vRow(l, pos0 + t));
    }
    kernels::attention(ctx.pool, s.q.data(), n, pos0, ctx.kv.k[l].data(), ctx.kv.v[l].data(), ctx.kv.type, p.shape,
                       s.attn.data());
    kernels::matmul(ctx.pool, w.wo, s.attn.data(), n, out);
}

void ffnBlock(ForwardContext& ctx, const FfnWeights& w, FfnActivation act, int64_t n, const float* in, float* out) {
    Scratch& s = ctx.scratch;
    const int64_t F = w.gate.rows;
    kernels::matmul(ctx.pool, w.gate, in, n, s.ffnA.data());  // [n][F]
    kernels::matmul(ctx.pool, w.up, in, n, s.ffnB.data());    // [n][F]
    if (act == FfnActivation::Silu)
        kernels::swiglu(s.ffnA.data(), s.ffnB.data(), n * F, s.ffnA.data());
    else
        kernels::geglu(s.ffnA.data(), s.ffnB.data(), n * F, s.ffnA.data());
    kernels::matmul(ctx.pool, w.down, s.ffnA.data(), n, out);  // [n][E]
}

void outputLogits(ForwardContext& ctx, const Hparams& h, const EmbeddingWeights& w, int64_t n, bool allLogits,
                  float finalSoftCap) {
    Scratch& s = ctx.scratch;
    const int64_t E = h.nEmbd, V = h.nVocab;
    const int64_t first = allLogits ? 0 : n - 1;
    const int64_t outRows = n - first;
    rmsNormRows(&s.x[first * E], w.outputNorm, outRows, E, h.rmsEps, s.cur.data());
    s.logits.resize(outRows * V);
    kernels::matmul(ctx.pool, w.output, s.cur.data(), outRows, s.logits.data());
    if (finalSoftCap > 0.0f) kernels::softCap(s.logits.data(), outRows * V, finalSoftCap);
}

}  // namespace arch
