// BERT encoders: `bert` (absolute positions, GELU feed-forward) and `nomic-bert`
// (fused QKV, NeoX RoPE instead of position embeddings, SwiGLU feed-forward, no
// projection biases). Post-LN blocks, pooling as the GGUF declares. Several sequences
// are packed into one [tokens][E] batch so that every matmul sees all their tokens;
// attention stays inside each sequence.
//
//   x = LN(tok_embd[id] + token_types[0] + position_embd[pos])     (token_types optional)
// XLM-RoBERTa encoders (bge-m3, multilingual-e5) are `bert` files too: llama.cpp's
// converter drops RoBERTa's padding offset from position_embd (row 0 is the first
// token) and their vocabulary is tokenizer.ggml.model "t5" (<s> ... </s>).
//   for each layer:
//     x = LN(x + Wo · attention(Wq·x + bq, Wk·x + bk, Wv·x + bv) + bo)   (non-causal)
//     x = LN(x + Wdown · gelu(Wup·x + bup) + bdown)
//   pooled = mean | first (CLS) | last token of x      (bert.pooling_type 1 | 2 | 3)
// nomic-bert: q, k, v = rows of Wqkv·x, q and k rotated (NeoX pairs, position in the
// sequence); the FFN is Wdown · (silu(Wgate·x) * Wup·x); absent biases are skipped.
#include <algorithm>
#include <cmath>

#include "arch/arch.h"
#include "arch/placed_encoder.h"
#include "arch/weights.h"
#include "gguf/gguf_file.h"
#include "kernels/thread_pool.h"
#include "common/log.h"

namespace arch {
namespace {

using assistant::ErrorCode;
using assistant::detail::makeError;
using kernels::Matrix;

// E = nEmbd, F = nFf, V = nVocab, C = nCtxTrain
struct BertLayer {
    Matrix wq, wk, wv;                 // [E][E] (bert)
    std::vector<float> bq, bk, bv;     // [E]
    Matrix wQkv;                       // [3E][E] (nomic-bert), rows [q; k; v]
    std::vector<float> bQkv;           // [3E] or empty
    Matrix wo;                         // [E][E]
    std::vector<float> bo;             // [E] or empty (nomic-bert)
    std::vector<float> attnNormW, attnNormB;  // [E] attn_output_norm
    Matrix wUp;                        // [F][E]
    std::vector<float> bUp;            // [F] or empty
    Matrix wGate;                      // [F][E] (nomic-bert)
    Matrix wDown;                      // [E][F]
    std::vector<float> bDown;          // [E] or empty
    std::vector<float> outNormW, outNormB;    // [E] layer_output_norm
};

// A bert layer on its backend (placed_encoder.h): Q|K|V stacked, their biases together.
struct PlacedBertLayer {
    kernels::WeightPtr qkv, wo, up, down;
    kernels::BufferPtr bQkv, bo, attnNormW, attnNormB, bUp, bDown, outNormW, outNormB;
};

class Bert final : public Encoder {
public:
    Bert(Hparams h, bool nomic) : m_h(std::move(h)), m_nomic(nomic) {}

    assistant::Status bind(const gguf::File& f);
    const Hparams& hparams() const override { return m_h; }
    int64_t outputSize() const override { return m_h.nEmbd; }
    void encode(kernels::ThreadPool& pool, std::span<const std::vector<int32_t>> seqs, std::vector<float>& pooled,
                std::vector<float>* tokenStates) const override;
    bool placeOnDevice(std::shared_ptr<kernels::Backend> device, int64_t first, std::string& note) override;
    int64_t deviceLayers() const override { return m_place.device ? m_h.nLayer - m_place.first : 0; }

private:
    // x [n][E]: the embeddings' rows of every sequence, normalized.
    void embed(std::span<const std::vector<int32_t>> seqs, std::span<const int64_t> start, float* x) const;
    // encode() through the placed layers; false with `error` when the device failed.
    bool encodePlaced(kernels::ThreadPool& pool, std::span<const std::vector<int32_t>> seqs,
                      std::vector<float>& pooled, std::vector<float>* tokenStates, std::string& error) const;

    Hparams m_h;
    EncoderPlacement m_place;
    std::vector<PlacedBertLayer> m_placed;
    bool m_nomic = false;                  // nomic-bert: fused QKV, RoPE, SwiGLU
    float m_eps = 1e-12f;
    kernels::Pooling m_pooling = kernels::Pooling::Mean;
    Matrix m_tokenEmbd;                    // [V][E]
    std::vector<float> m_tokenType0;       // [E] row 0 of token_types (every token is type 0)
    Matrix m_posEmbd;                      // [C][E] (bert only)
    std::vector<float> m_embNormW, m_embNormB;  // [E]
    std::vector<BertLayer> m_layers;
};

// A bias that may be absent: empty when it is.
assistant::Result<std::vector<float>> optionalVector(const gguf::File& f, const std::string& name, int64_t n) {
    auto v = bindOptionalVector(f, name, n);
    if (!v) return std::unexpected(v.error());
    return v->value_or(std::vector<float>{});
}

void addBiasIfAny(float* x, const std::vector<float>& bias, int64_t rows) {
    if (!bias.empty()) kernels::addRowBias(x, bias.data(), rows, static_cast<int64_t>(bias.size()));
}

assistant::Status Bert::bind(const gguf::File& f) {
    const int64_t E = m_h.nEmbd;
    if (m_h.nHead * m_h.headDim != E)
        return std::unexpected(makeError(ErrorCode::InvalidFormat, "bert: ", m_h.nHead, " heads x ", m_h.headDim,
                                         " != embedding length ", E));
    if (m_h.nFf <= 0) {
        if (const gguf::TensorInfo* t = f.tensor("blk.0.ffn_up.weight"); t && t->shape.size() == 2)
            m_h.nFf = t->shape[1];
    }
    m_eps = static_cast<float>(f.getFloat(f.archKey("attention.layer_norm_epsilon")).value_or(1e-12));
    // llama.cpp's pooling types: 0 none, 1 mean, 2 cls, 3 last, 4 rank.
    const uint64_t pooling = f.getUInt(f.archKey("pooling_type")).value_or(0);
    if (pooling == 2) m_pooling = kernels::Pooling::Cls;
    else if (pooling == 3) m_pooling = kernels::Pooling::Last;
    else if (pooling == 0)
        assistant::detail::log(assistant::LogLevel::Warning, "bert: no pooling type in the file; using mean pooling");
    else if (pooling != 1)
        return std::unexpected(makeError(ErrorCode::NotImplemented, "bert: pooling type ", pooling,
                                         " (rank) is not supported; supported: mean, cls, last"));

    BIND(m_tokenEmbd, bindMatrix(f, "token_embd.weight", E, m_h.nVocab));
    // Every token is type 0. Converters may leave a one-type table out (llama.cpp
    // reads it as optional): then it adds nothing.
    m_tokenType0.assign(static_cast<size_t>(E), 0.0f);
    if (const gguf::TensorInfo* types = f.tensor("token_types.weight")) {
        const int64_t nTypes = types->shape.size() == 2 ? types->shape[1] : 0;
        Matrix tokenTypes;
        BIND(tokenTypes, bindMatrix(f, "token_types.weight", E, nTypes));
        kernels::getRow(tokenTypes, 0, m_tokenType0.data());
    }
    if (!m_nomic) {
        // The position table is the real limit. RoBERTa checkpoints count two padding
        // positions in max_position_embeddings that llama.cpp's converter cuts from the
        // table; a file whose context_length still counts them gets the table's size.
        const gguf::TensorInfo* pos = f.tensor("position_embd.weight");
        if (pos && pos->shape.size() == 2 && pos->shape[1] > 0 && pos->shape[1] != m_h.nCtxTrain) {
            assistant::detail::log(assistant::LogLevel::Warning, "bert: context length ", m_h.nCtxTrain,
                                   " but position_embd has ", pos->shape[1], " rows; using ", pos->shape[1]);
            m_h.nCtxTrain = pos->shape[1];
        }
        BIND(m_posEmbd, bindMatrix(f, "position_embd.weight", E, m_h.nCtxTrain));
    }
    BIND(m_embNormW, bindVector(f, "token_embd_norm.weight", E));
    BIND(m_embNormB, bindVector(f, "token_embd_norm.bias", E));

    m_layers.resize(static_cast<size_t>(m_h.nLayer));
    for (int64_t l = 0; l < m_h.nLayer; ++l) {
        BertLayer& L = m_layers[static_cast<size_t>(l)];
        if (m_nomic) {
            BIND(L.wQkv, bindMatrix(f, layerTensor(l, "attn_qkv.weight"), E, 3 * E));
            BIND(L.bQkv, optionalVector(f, layerTensor(l, "attn_qkv.bias"), 3 * E));
            BIND(L.bo, optionalVector(f, layerTensor(l, "attn_output.bias"), E));
            BIND(L.wGate, bindMatrix(f, layerTensor(l, "ffn_gate.weight"), E, m_h.nFf));
            BIND(L.bUp, optionalVector(f, layerTensor(l, "ffn_up.bias"), m_h.nFf));
            BIND(L.bDown, optionalVector(f, layerTensor(l, "ffn_down.bias"), E));
        } else {
            BIND(L.wq, bindMatrix(f, layerTensor(l, "attn_q.weight"), E, E));
            BIND(L.bq, bindVector(f, layerTensor(l, "attn_q.bias"), E));
            BIND(L.wk, bindMatrix(f, layerTensor(l, "attn_k.weight"), E, E));
            BIND(L.bk, bindVector(f, layerTensor(l, "attn_k.bias"), E));
            BIND(L.wv, bindMatrix(f, layerTensor(l, "attn_v.weight"), E, E));
            BIND(L.bv, bindVector(f, layerTensor(l, "attn_v.bias"), E));
            BIND(L.bo, bindVector(f, layerTensor(l, "attn_output.bias"), E));
            BIND(L.bUp, bindVector(f, layerTensor(l, "ffn_up.bias"), m_h.nFf));
            BIND(L.bDown, bindVector(f, layerTensor(l, "ffn_down.bias"), E));
        }
        BIND(L.wo, bindMatrix(f, layerTensor(l, "attn_output.weight"), E, E));
        BIND(L.attnNormW, bindVector(f, layerTensor(l, "attn_output_norm.weight"), E));
        BIND(L.attnNormB, bindVector(f, layerTensor(l, "attn_output_norm.bias"), E));
        BIND(L.wUp, bindMatrix(f, layerTensor(l, "ffn_up.weight"), E, m_h.nFf));
        BIND(L.wDown, bindMatrix(f, layerTensor(l, "ffn_down.weight"), m_h.nFf, E));
        BIND(L.outNormW, bindVector(f, layerTensor(l, "layer_output_norm.weight"), E));
        BIND(L.outNormB, bindVector(f, layerTensor(l, "layer_output_norm.bias"), E));
    }
    return {};
}

void Bert::embed(std::span<const std::vector<int32_t>> seqs, std::span<const int64_t> start, float* x) const {
    const int64_t E = m_h.nEmbd;
    std::vector<float> row(E);
    for (size_t s = 0; s < seqs.size(); ++s) {
        for (size_t p = 0; p < seqs[s].size(); ++p) {
            float* xt = &x[(start[s] + static_cast<int64_t>(p)) * E];
            kernels::getRow(m_tokenEmbd, seqs[s][p], xt);
            kernels::addInPlace(xt, m_tokenType0.data(), E);
            if (!m_nomic) {
                kernels::getRow(m_posEmbd, static_cast<int64_t>(p), row.data());
                kernels::addInPlace(xt, row.data(), E);
            }
            kernels::layerNorm(xt, m_embNormW.data(), m_embNormB.data(), E, m_eps, xt);
        }
    }
}

bool Bert::placeOnDevice(std::shared_ptr<kernels::Backend> device, int64_t first, std::string& note) {
    if (m_nomic) {
        note = "nomic-bert runs on the CPU (its rotary attention is not on the device yet)";
        return false;
    }
    const kernels::GgmlType types[] = {m_layers[0].wq.type, m_layers[0].wUp.type, m_layers[0].wDown.type};
    if (!m_place.begin(std::move(device), first, m_h.nLayer, types, "bert", note)) return false;
    m_placed.clear();
    for (int64_t l = 0; l < m_h.nLayer; ++l) {
        const BertLayer& L = m_layers[static_cast<size_t>(l)];
        kernels::Backend& be = m_place.uploader(l);
        PlacedBertLayer P;
        std::vector<float> bQkv = L.bq;
        bQkv.insert(bQkv.end(), L.bk.begin(), L.bk.end());
        bQkv.insert(bQkv.end(), L.bv.begin(), L.bv.end());
        P.qkv = m_place.mat(be, {&L.wq, &L.wk, &L.wv});
        P.wo = m_place.mat(be, {&L.wo});
        P.up = m_place.mat(be, {&L.wUp});
        P.down = m_place.mat(be, {&L.wDown});
        P.bQkv = m_place.vec(be, bQkv);
        P.bo = m_place.vec(be, L.bo);
        P.attnNormW = m_place.vec(be, L.attnNormW);
        P.attnNormB = m_place.vec(be, L.attnNormB);
        P.bUp = m_place.vec(be, L.bUp);
        P.bDown = m_place.vec(be, L.bDown);
        P.outNormW = m_place.vec(be, L.outNormW);
        P.outNormB = m_place.vec(be, L.outNormB);
        m_placed.push_back(std::move(P));
    }
    if (m_place.uploaded("bert", note)) return true;
    m_placed.clear();
    return false;
}

bool Bert::encodePlaced(kernels::ThreadPool& pool, std::span<const std::vector<int32_t>> seqs,
                        std::vector<float>& pooled, std::vector<float>* tokenStates, std::string& error) const {
    const int64_t E = m_h.nEmbd, F = m_h.nFf, D = m_h.headDim, L = m_h.nLayer;
    std::vector<int64_t> start{0};
    for (const std::vector<int32_t>& s : seqs) start.push_back(start.back() + static_cast<int64_t>(s.size()));
    const int64_t n = start.back(), nSeq = static_cast<int64_t>(seqs.size());
    std::vector<float> x(n * E);
    embed(seqs, start, x.data());
    enum { X, Cur, Qkv, Attn, Ffn, Pooled };
    const size_t sizes[] = {size_t(n * E), size_t(n * E), size_t(n * 3 * E), size_t(n * E), size_t(n * F),
                            size_t(nSeq * E)};
    EncoderPass pass(m_place, pool, sizes);
    if (!pass.ok()) {
        error = pass.error();
        return false;
    }
    bool dev = m_place.first == 0;
    pass.backend(dev).write(pass.buf(dev, X), 0, x.data(), x.size() * sizeof(float));
    const float scale = 1.0f / std::sqrt(static_cast<float>(D));
    for (int64_t l = 0; l < L; ++l) {
        if (m_place.onDevice(l) && !dev) {
            pass.toDevice(X, static_cast<size_t>(n * E));
            dev = true;
        }
        const PlacedBertLayer& P = m_placed[static_cast<size_t>(l)];
        kernels::Backend& be = pass.backend(dev);
        auto& bx = pass.buf(dev, X);
        auto& cur = pass.buf(dev, Cur);
        auto& qkv = pass.buf(dev, Qkv);
        auto& attn = pass.buf(dev, Attn);
        auto& ffn = pass.buf(dev, Ffn);
        be.matmul(*P.qkv, bx, E, n, qkv, 3 * E, 0, false);
        be.addBias(qkv, 3 * E, n, 3 * E, *P.bQkv);
        be.encoderAttention(qkv, 3 * E, E, 2 * E, start, m_h.nHead, D, scale, attn, E);
        be.matmul(*P.wo, attn, E, n, cur, E, 0, false);
        be.addBias(cur, E, n, E, *P.bo);
        be.add(bx, cur, n * E);
        be.layerNorm(bx, *P.attnNormW, *P.attnNormB, n, E, m_eps, bx);
        be.matmul(*P.up, bx, E, n, ffn, F, 0, false);
        be.addBias(ffn, F, n, F, *P.bUp);
        be.activate(kernels::Activation::Gelu, ffn, n * F);
        be.matmul(*P.down, ffn, F, n, cur, E, 0, false);
        be.addBias(cur, E, n, E, *P.bDown);
        be.add(bx, cur, n * E);
        be.layerNorm(bx, *P.outNormW, *P.outNormB, n, E, m_eps, bx);
    }
    kernels::Backend& be = pass.backend(dev);
    be.pool(pass.buf(dev, X), E, start, m_pooling, pass.buf(dev, Pooled));
    pooled.resize(static_cast<size_t>(nSeq * E));
    be.read(pass.buf(dev, Pooled), 0, pooled.data(), pooled.size() * sizeof(float));
    if (tokenStates) {
        tokenStates->resize(static_cast<size_t>(n * E));
        be.read(pass.buf(dev, X), 0, tokenStates->data(), tokenStates->size() * sizeof(float));
    }
    error = pass.finish();
    return error.empty();
}

void Bert::encode(kernels::ThreadPool& pool, std::span<const std::vector<int32_t>> seqs, std::vector<float>& pooled,
                  std::vector<float>* tokenStates) const {
    const int64_t E = m_h.nEmbd, F = m_h.nFf, D = m_h.headDim;
    std::vector<int64_t> start{0};
    for (const std::vector<int32_t>& s : seqs) start.push_back(start.back() + static_cast<int64_t>(s.size()));
    const int64_t n = start.back();  // tokens of the whole batch

    // bert: q, k, v separate [n][E]; nomic-bert: q holds the fused [n][3E] rows.
    std::vector<float> x(n * E), cur(n * E), q(n * (m_nomic ? 3 : 1) * E), k(m_nomic ? 0 : n * E),
        v(m_nomic ? 0 : n * E), attn(n * E), ffn(n * F), gate(m_nomic ? n * F : 0);
    if (m_place.device) {
        std::string error;
        if (encodePlaced(pool, seqs, pooled, tokenStates, error)) return;
        assistant::detail::log(assistant::LogLevel::Warning, "bert: ", error, "; this batch runs on the CPU");
    }
    embed(seqs, start, x.data());

    const float scale = 1.0f / std::sqrt(static_cast<float>(D));
    for (const BertLayer& L : m_layers) {
        // --- attention, then residual and LayerNorm
        if (m_nomic) {
            kernels::matmul(pool, L.wQkv, x.data(), n, q.data());
            addBiasIfAny(q.data(), L.bQkv, n);
            for (size_t s = 0; s < seqs.size(); ++s)
                for (int64_t t = start[s]; t < start[s + 1]; ++t) {
                    kernels::rope(&q[t * 3 * E], m_h.nHead, D, t - start[s], m_h.rope);
                    kernels::rope(&q[t * 3 * E + E], m_h.nHead, D, t - start[s], m_h.rope);
                }
            kernels::encoderAttention(pool, q.data(), q.data() + E, q.data() + 2 * E, 3 * E, start, m_h.nHead, D,
                                      scale, attn.data(), E);
        } else {
            kernels::matmul(pool, L.wq, x.data(), n, q.data());
            kernels::matmul(pool, L.wk, x.data(), n, k.data());
            kernels::matmul(pool, L.wv, x.data(), n, v.data());
            kernels::addRowBias(q.data(), L.bq.data(), n, E);
            kernels::addRowBias(k.data(), L.bk.data(), n, E);
            kernels::addRowBias(v.data(), L.bv.data(), n, E);
            kernels::encoderAttention(pool, q.data(), k.data(), v.data(), E, start, m_h.nHead, D, scale, attn.data(),
                                      E);
        }
        kernels::matmul(pool, L.wo, attn.data(), n, cur.data());
        addBiasIfAny(cur.data(), L.bo, n);
        kernels::addInPlace(x.data(), cur.data(), n * E);
        for (int64_t t = 0; t < n; ++t)
            kernels::layerNorm(&x[t * E], L.attnNormW.data(), L.attnNormB.data(), E, m_eps, &x[t * E]);

        // --- feed-forward, then residual and LayerNorm
        kernels::matmul(pool, L.wUp, x.data(), n, ffn.data());
        addBiasIfAny(ffn.data(), L.bUp, n);
        if (m_nomic) {
            kernels::matmul(pool, L.wGate, x.data(), n, gate.data());
            kernels::swiglu(gate.data(), ffn.data(), n * F, ffn.data());
        } else {
            kernels::geluTableInPlace(ffn.data(), n * F);
        }
        kernels::matmul(pool, L.wDown, ffn.data(), n, cur.data());
        addBiasIfAny(cur.data(), L.bDown, n);
        kernels::addInPlace(x.data(), cur.data(), n * E);
        for (int64_t t = 0; t < n; ++t)
            kernels::layerNorm(&x[t * E], L.outNormW.data(), L.outNormB.data(), E, m_eps, &x[t * E]);
    }

    pooled.resize(seqs.size() * static_cast<size_t>(E));
    kernels::poolSequences(x.data(), E, start, m_pooling, pooled.data());
    if (tokenStates) *tokenStates = std::move(x);
}

}  // namespace

assistant::Result<std::unique_ptr<Architecture>> makeBert(const gguf::File& f, Hparams h) {
    auto model = std::make_unique<Bert>(std::move(h), false);
    if (auto st = model->bind(f); !st) return std::unexpected(st.error());
    return std::unique_ptr<Architecture>(std::move(model));
}

assistant::Result<std::unique_ptr<Architecture>> makeNomicBert(const gguf::File& f, Hparams h) {
    auto model = std::make_unique<Bert>(std::move(h), true);
    if (auto st = model->bind(f); !st) return std::unexpected(st.error());
    return std::unique_ptr<Architecture>(std::move(model));
}

}  // namespace arch
