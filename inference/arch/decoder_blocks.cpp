#include "arch/decoder_blocks.h"

#include <algorithm>
#include <cmath>

#include "arch/weights.h"
#include "gguf/gguf_file.h"
#include "kernels/thread_pool.h"
#include "common/log.h"

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
        BIND(w.wq, bindMatrixRows(f, name, E, q + 2 * kv, 0, q, false));
        BIND(w.wk, bindMatrixRows(f, name, E, q + 2 * kv, q, kv, false));
        BIND(w.wv, bindMatrixRows(f, name, E, q + 2 * kv, q + kv, kv, false));
    } else {
        BIND(w.wq, bindMatrix(f, layerTensor(l, "attn_q.weight"), E, q, false));
        BIND(w.wk, bindMatrix(f, layerTensor(l, "attn_k.weight"), E, kv, false));
        BIND(w.wv, bindMatrix(f, layerTensor(l, "attn_v.weight"), E, kv, false));
    }
    BIND(w.wo, bindMatrix(f, layerTensor(l, "attn_output.weight"), q, E, false));
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
        BIND(w.gate, bindMatrixRows(f, name, E, 2 * F, 0, F, false));
        BIND(w.up, bindMatrixRows(f, name, E, 2 * F, F, F, false));
    } else {
        BIND(w.gate, bindMatrix(f, layerTensor(l, "ffn_gate.weight"), E, F, false));
        BIND(w.up, bindMatrix(f, layerTensor(l, "ffn_up.weight"), E, F, false));
    }
    BIND(w.down, bindMatrix(f, layerTensor(l, "ffn_down.weight"), F, E, false));
    return w;
}

assistant::Result<MoeWeights> bindMoe(const gguf::File& f, const Hparams& h, int64_t l) {
    const int64_t E = h.nEmbd, X = h.nExpert, Fe = h.nFfExpert;
    if (X <= 0 || h.nExpertUsed <= 0 || Fe <= 0)
        return std::unexpected(makeError(ErrorCode::InvalidFormat, "mixture-of-experts model without expert_count, ",
                                         "expert_used_count or expert_feed_forward_length"));
    MoeWeights w;
    BIND(w.norm, bindVector(f, layerTensor(l, "ffn_norm.weight"), E));
    BIND(w.router, bindMatrix(f, layerTensor(l, "ffn_gate_inp.weight"), E, X, false));
    BIND(w.gate, bindExperts(f, layerTensor(l, "ffn_gate_exps.weight"), E, Fe, X));
    BIND(w.up, bindExperts(f, layerTensor(l, "ffn_up_exps.weight"), E, Fe, X));
    BIND(w.down, bindExperts(f, layerTensor(l, "ffn_down_exps.weight"), Fe, E, X));
    return w;
}

assistant::Result<EmbeddingWeights> bindEmbeddings(const gguf::File& f, const Hparams& h) {
    EmbeddingWeights w;
    BIND(w.tokenEmbd, bindMatrix(f, "token_embd.weight", h.nEmbd, h.nVocab, false));
    BIND(w.outputNorm, bindVector(f, "output_norm.weight", h.nEmbd));
    std::optional<Matrix> output;
    BIND(output, bindOptionalMatrix(f, "output.weight", h.nEmbd, h.nVocab, false));
    w.output = output.value_or(w.tokenEmbd);  // tied embeddings
    return w;
}

assistant::Result<std::vector<float>> bindNorm(const gguf::File& f, const Hparams& h, int64_t l, const char* suffix) {
    return bindVector(f, layerTensor(l, suffix), h.nEmbd);
}

// ----------------------------------------------------------------------------
// Running
// ----------------------------------------------------------------------------
void embedTokens(const Matrix& tokenEmbd, std::span<const int32_t> tokens, int64_t E, float embedScale, float* x) {
    for (size_t t = 0; t < tokens.size(); ++t) {
        kernels::getRow(tokenEmbd, tokens[t], x + t * E);
        if (embedScale != 1.0f) kernels::scale(x + t * E, E, embedScale);
    }
}

}  // namespace arch
