// Universal Sentence Encoder Lite (use-lite): a 2-layer pre-LN transformer encoder
// with sinusoidal positions, mean pooling and a tanh projection, converted from its
// TF.js graph by tools/convert_use_lite.py (whose docstring maps every graph node).
//
//   x = s * E[id] + [sin(p * ts), cos(p * ts)]          s = token_embedding_scale (2)
//   for each layer (input width w: token_embedding_length for layer 0, else E):
//     a = Wo · MHA(Wqkv · LN(x) + bqkv) + bo             [w] -> [E], non-causal
//     x = (w != E ? Wres · x + bres : x) + a              layer 0 widens the residual
//     x = x + Wdown · relu(Wup · LN(x) + bup) + bdown
//   pooled = tanh(Wout · mean_t(x) + bout)               L2-normalized by Model::embed
#include <algorithm>
#include <cmath>
#include <optional>

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

// E = nEmbd (512), W = this layer's input width, F = nFf (1536), V = nVocab
struct UseLiteLayer {
    int64_t width = 0;                     // W
    int64_t headDim = 0;                   // W / nHead
    std::vector<float> attnNormW, attnNormB;  // [W]
    Matrix wQkv;                           // [3W][W], rows [q; k; v]
    std::vector<float> bQkv;               // [3W]
    Matrix wo;                             // [E][W]
    std::vector<float> bo;                 // [E]
    std::optional<Matrix> wRes;            // [E][W] when W != E
    std::vector<float> bRes;               // [E]
    std::vector<float> ffnNormW, ffnNormB; // [E]
    Matrix wUp;                            // [F][E]
    std::vector<float> bUp;                // [F]
    Matrix wDown;                          // [E][F]
    std::vector<float> bDown;              // [E]
};

// A use-lite layer on its backend (placed_encoder.h).
struct PlacedUseLiteLayer {
    kernels::WeightPtr qkv, wo, wRes, up, down;
    kernels::BufferPtr attnNormW, attnNormB, bQkv, bo, bRes, ffnNormW, ffnNormB, bUp, bDown;
};

class UseLite final : public Encoder {
public:
    explicit UseLite(Hparams h) : m_h(std::move(h)) {}

    assistant::Status bind(const gguf::File& f);
    const Hparams& hparams() const override { return m_h; }
    int64_t outputSize() const override { return m_h.nEmbd; }
    void encode(kernels::ThreadPool& pool, std::span<const std::vector<int32_t>> seqs, std::vector<float>& pooled,
                std::vector<float>* tokenStates) const override;
    bool placeOnDevice(std::shared_ptr<kernels::Backend> device, int64_t first, std::string& note) override;
    int64_t deviceLayers() const override { return m_place.device ? m_h.nLayer - m_place.first : 0; }

private:
    // x [n][dIn]: scaled token embeddings plus the sinusoidal positions.
    void embed(std::span<const std::vector<int32_t>> seqs, std::span<const int64_t> start, float* x) const;
    bool encodePlaced(kernels::ThreadPool& pool, std::span<const std::vector<int32_t>> seqs,
                      std::vector<float>& pooled, std::vector<float>* tokenStates, std::string& error) const;

    Hparams m_h;
    EncoderPlacement m_place;
    std::vector<PlacedUseLiteLayer> m_placed;
    kernels::WeightPtr m_outPlaced;    // the projection on the last layer's backend
    kernels::BufferPtr m_outBPlaced;
    int64_t m_dIn = 0;                 // token embedding width (256)
    float m_embScale = 1.0f;
    float m_eps = 1e-6f;
    Matrix m_tokenEmbd;                // [V][dIn]
    std::vector<float> m_timescales;   // [dIn / 2]
    std::vector<UseLiteLayer> m_layers;
    Matrix m_out;                      // [E][E]
    std::vector<float> m_outB;         // [E]
};

assistant::Status UseLite::bind(const gguf::File& f) {
    const int64_t E = m_h.nEmbd, F = m_h.nFf;
    m_dIn = static_cast<int64_t>(f.getUInt(f.archKey("token_embedding_length")).value_or(0));
    if (m_dIn <= 0 || m_dIn % 2 != 0 || F <= 0)
        return std::unexpected(makeError(ErrorCode::InvalidFormat, "use-lite: missing or odd token_embedding_length ",
                                         m_dIn, " or feed_forward_length ", F));
    m_embScale = static_cast<float>(f.getFloat(f.archKey("token_embedding_scale")).value_or(1.0));
    m_eps = static_cast<float>(f.getFloat(f.archKey("attention.layer_norm_epsilon")).value_or(1e-6));
    if (const uint64_t pooling = f.getUInt(f.archKey("pooling_type")).value_or(1); pooling != 1)
        return std::unexpected(makeError(ErrorCode::NotImplemented, "use-lite: pooling type ", pooling,
                                         " is not supported (mean only)"));
    BIND(m_tokenEmbd, bindMatrix(f, "token_embd.weight", m_dIn, m_h.nVocab));
    BIND(m_timescales, bindVector(f, "position_timescales", m_dIn / 2));
    m_layers.resize(static_cast<size_t>(m_h.nLayer));
    for (int64_t l = 0; l < m_h.nLayer; ++l) {
        UseLiteLayer& L = m_layers[static_cast<size_t>(l)];
        const int64_t W = l == 0 ? m_dIn : E;
        L.width = W;
        L.headDim = W / m_h.nHead;
        if (L.headDim * m_h.nHead != W)
            return std::unexpected(makeError(ErrorCode::InvalidFormat, "use-lite: layer ", l, " width ", W,
                                             " is not a multiple of ", m_h.nHead, " heads"));
        BIND(L.attnNormW, bindVector(f, layerTensor(l, "attn_norm.weight"), W));
        BIND(L.attnNormB, bindVector(f, layerTensor(l, "attn_norm.bias"), W));
        BIND(L.wQkv, bindMatrix(f, layerTensor(l, "attn_qkv.weight"), W, 3 * W));
        BIND(L.bQkv, bindVector(f, layerTensor(l, "attn_qkv.bias"), 3 * W));
        BIND(L.wo, bindMatrix(f, layerTensor(l, "attn_output.weight"), W, E));
        BIND(L.bo, bindVector(f, layerTensor(l, "attn_output.bias"), E));
        if (W != E) {
            BIND(L.wRes, bindMatrix(f, layerTensor(l, "residual_proj.weight"), W, E));
            BIND(L.bRes, bindVector(f, layerTensor(l, "residual_proj.bias"), E));
        }
        BIND(L.ffnNormW, bindVector(f, layerTensor(l, "ffn_norm.weight"), E));
        BIND(L.ffnNormB, bindVector(f, layerTensor(l, "ffn_norm.bias"), E));
        BIND(L.wUp, bindMatrix(f, layerTensor(l, "ffn_up.weight"), E, F));
        BIND(L.bUp, bindVector(f, layerTensor(l, "ffn_up.bias"), F));
        BIND(L.wDown, bindMatrix(f, layerTensor(l, "ffn_down.weight"), F, E));
        BIND(L.bDown, bindVector(f, layerTensor(l, "ffn_down.bias"), E));
    }
    BIND(m_out, bindMatrix(f, "output.weight", E, E));
    BIND(m_outB, bindVector(f, "output.bias", E));
    return {};
}

void UseLite::embed(std::span<const std::vector<int32_t>> seqs, std::span<const int64_t> start, float* x) const {
    const int64_t half = m_dIn / 2;
    for (size_t s = 0; s < seqs.size(); ++s) {
        for (size_t p = 0; p < seqs[s].size(); ++p) {
            float* xt = &x[(start[s] + static_cast<int64_t>(p)) * m_dIn];
            kernels::getRow(m_tokenEmbd, seqs[s][p], xt);
            const float pos = static_cast<float>(p);
            for (int64_t i = 0; i < half; ++i) {
                const float angle = pos * m_timescales[i];  // float32, as the graph computes it
                xt[i] = xt[i] * m_embScale + std::sin(angle);
                xt[half + i] = xt[half + i] * m_embScale + std::cos(angle);
            }
        }
    }
}

bool UseLite::placeOnDevice(std::shared_ptr<kernels::Backend> device, int64_t first, std::string& note) {
    std::vector<kernels::GgmlType> types{m_out.type};
    for (const UseLiteLayer& L : m_layers) types.insert(types.end(), {L.wQkv.type, L.wo.type, L.wUp.type, L.wDown.type});
    if (!m_place.begin(std::move(device), first, m_h.nLayer, types, "use-lite", note)) return false;
    m_placed.clear();
    for (int64_t l = 0; l < m_h.nLayer; ++l) {
        const UseLiteLayer& L = m_layers[static_cast<size_t>(l)];
        kernels::Backend& be = m_place.uploader(l);
        PlacedUseLiteLayer P;
        P.qkv = m_place.mat(be, {&L.wQkv});
        P.wo = m_place.mat(be, {&L.wo});
        if (L.wRes) P.wRes = m_place.mat(be, {&*L.wRes});
        P.up = m_place.mat(be, {&L.wUp});
        P.down = m_place.mat(be, {&L.wDown});
        P.attnNormW = m_place.vec(be, L.attnNormW);
        P.attnNormB = m_place.vec(be, L.attnNormB);
        P.bQkv = m_place.vec(be, L.bQkv);
        P.bo = m_place.vec(be, L.bo);
        if (L.wRes) P.bRes = m_place.vec(be, L.bRes);
        P.ffnNormW = m_place.vec(be, L.ffnNormW);
        P.ffnNormB = m_place.vec(be, L.ffnNormB);
        P.bUp = m_place.vec(be, L.bUp);
        P.bDown = m_place.vec(be, L.bDown);
        m_placed.push_back(std::move(P));
    }
    kernels::Backend& last = m_place.uploader(m_h.nLayer - 1);
    m_outPlaced = m_place.mat(last, {&m_out});
    m_outBPlaced = m_place.vec(last, m_outB);
    if (m_place.uploaded("use-lite", note)) return true;
    m_placed.clear();
    m_outPlaced.reset();
    m_outBPlaced.reset();
    return false;
}

bool UseLite::encodePlaced(kernels::ThreadPool& pool, std::span<const std::vector<int32_t>> seqs,
                           std::vector<float>& pooled, std::vector<float>* tokenStates, std::string& error) const {
    const int64_t E = m_h.nEmbd, F = m_h.nFf;
    std::vector<int64_t> start{0};
    for (const std::vector<int32_t>& s : seqs) start.push_back(start.back() + static_cast<int64_t>(s.size()));
    const int64_t n = start.back(), nSeq = static_cast<int64_t>(seqs.size());
    std::vector<float> x(n * m_dIn);
    embed(seqs, start, x.data());
    enum { X, Cur, Qkv, Attn, Res, Ffn, Mean, Out };
    const size_t sizes[] = {size_t(n * E), size_t(n * E), size_t(n * 3 * E), size_t(n * E), size_t(n * E),
                            size_t(n * F),  size_t(nSeq * E), size_t(nSeq * E)};
    EncoderPass pass(m_place, pool, sizes);
    if (!pass.ok()) {
        error = pass.error();
        return false;
    }
    bool dev = m_place.first == 0;
    pass.backend(dev).write(pass.buf(dev, X), 0, x.data(), x.size() * sizeof(float));
    int64_t width = m_dIn;  // of the residual stream in X
    for (int64_t l = 0; l < m_h.nLayer; ++l) {
        if (m_place.onDevice(l) && !dev) {
            pass.toDevice(X, static_cast<size_t>(n * width));
            dev = true;
        }
        const UseLiteLayer& L = m_layers[static_cast<size_t>(l)];
        const PlacedUseLiteLayer& P = m_placed[static_cast<size_t>(l)];
        const int64_t W = L.width;
        kernels::Backend& be = pass.backend(dev);
        auto& cur = pass.buf(dev, Cur);
        auto& qkv = pass.buf(dev, Qkv);
        auto& attn = pass.buf(dev, Attn);
        auto& ffn = pass.buf(dev, Ffn);
        be.layerNorm(pass.buf(dev, X), *P.attnNormW, *P.attnNormB, n, W, m_eps, cur);
        be.matmul(*P.qkv, cur, W, n, qkv, 3 * W, 0, false);
        be.addBias(qkv, 3 * W, n, 3 * W, *P.bQkv);
        be.encoderAttention(qkv, 3 * W, W, 2 * W, start, m_h.nHead, L.headDim,
                            1.0f / std::sqrt(static_cast<float>(L.headDim)), attn, W);
        be.matmul(*P.wo, attn, W, n, cur, E, 0, false);
        be.addBias(cur, E, n, E, *P.bo);
        if (P.wRes) {
            be.matmul(*P.wRes, pass.buf(dev, X), W, n, pass.buf(dev, Res), E, 0, false);
            be.addBias(pass.buf(dev, Res), E, n, E, *P.bRes);
            pass.swap(dev, X, Res);
        }
        width = E;
        auto& bx = pass.buf(dev, X);
        be.add(bx, cur, n * E);
        be.layerNorm(bx, *P.ffnNormW, *P.ffnNormB, n, E, m_eps, cur);
        be.matmul(*P.up, cur, E, n, ffn, F, 0, false);
        be.addBias(ffn, F, n, F, *P.bUp);
        be.activate(kernels::Activation::Relu, ffn, n * F);
        be.matmul(*P.down, ffn, F, n, cur, E, 0, false);
        be.addBias(cur, E, n, E, *P.bDown);
        be.add(bx, cur, n * E);
    }
    // mean over each sentence's tokens, then tanh(Wout · mean + bout) on the same backend
    kernels::Backend& be = pass.backend(dev);
    be.pool(pass.buf(dev, X), E, start, kernels::Pooling::Mean, pass.buf(dev, Mean));
    be.matmul(*m_outPlaced, pass.buf(dev, Mean), E, nSeq, pass.buf(dev, Out), E, 0, false);
    be.addBias(pass.buf(dev, Out), E, nSeq, E, *m_outBPlaced);
    be.activate(kernels::Activation::Tanh, pass.buf(dev, Out), nSeq * E);
    pooled.resize(static_cast<size_t>(nSeq * E));
    be.read(pass.buf(dev, Out), 0, pooled.data(), pooled.size() * sizeof(float));
    if (tokenStates) {
        tokenStates->resize(static_cast<size_t>(n * E));
        be.read(pass.buf(dev, X), 0, tokenStates->data(), tokenStates->size() * sizeof(float));
    }
    error = pass.finish();
    return error.empty();
}

void UseLite::encode(kernels::ThreadPool& pool, std::span<const std::vector<int32_t>> seqs, std::vector<float>& pooled,
                     std::vector<float>* tokenStates) const {
    const int64_t E = m_h.nEmbd, F = m_h.nFf;
    std::vector<int64_t> start{0};
    for (const std::vector<int32_t>& s : seqs) start.push_back(start.back() + static_cast<int64_t>(s.size()));
    const int64_t n = start.back();  // tokens of the whole batch

    // x holds [n][W] while W < E (before layer 0's residual projection), then [n][E].
    std::vector<float> x(n * E), cur(n * E), qkv(n * 3 * E), attn(n * E), res(n * E), ffn(n * F);
    if (m_place.device) {
        std::string error;
        if (encodePlaced(pool, seqs, pooled, tokenStates, error)) return;
        assistant::detail::log(assistant::LogLevel::Warning, "use-lite: ", error, "; this batch runs on the CPU");
    }
    embed(seqs, start, x.data());

    for (const UseLiteLayer& L : m_layers) {
        const int64_t W = L.width;
        // --- attention (pre-LN), fused QKV: row t = [q | k | v], each W wide
        for (int64_t t = 0; t < n; ++t)
            kernels::layerNorm(&x[t * W], L.attnNormW.data(), L.attnNormB.data(), W, m_eps, &cur[t * W]);
        kernels::matmul(pool, L.wQkv, cur.data(), n, qkv.data());
        kernels::addRowBias(qkv.data(), L.bQkv.data(), n, 3 * W);
        kernels::encoderAttention(pool, qkv.data(), qkv.data() + W, qkv.data() + 2 * W, 3 * W, start, m_h.nHead,
                                  L.headDim, 1.0f / std::sqrt(static_cast<float>(L.headDim)), attn.data(), W);
        kernels::matmul(pool, L.wo, attn.data(), n, cur.data());
        kernels::addRowBias(cur.data(), L.bo.data(), n, E);
        if (L.wRes) {
            kernels::matmul(pool, *L.wRes, x.data(), n, res.data());
            kernels::addRowBias(res.data(), L.bRes.data(), n, E);
            x.swap(res);
        }
        kernels::addInPlace(x.data(), cur.data(), n * E);

        // --- feed-forward (pre-LN), ReLU
        for (int64_t t = 0; t < n; ++t)
            kernels::layerNorm(&x[t * E], L.ffnNormW.data(), L.ffnNormB.data(), E, m_eps, &cur[t * E]);
        kernels::matmul(pool, L.wUp, cur.data(), n, ffn.data());
        kernels::addRowBias(ffn.data(), L.bUp.data(), n, F);
        kernels::reluInPlace(ffn.data(), n * F);
        kernels::matmul(pool, L.wDown, ffn.data(), n, cur.data());
        kernels::addRowBias(cur.data(), L.bDown.data(), n, E);
        kernels::addInPlace(x.data(), cur.data(), n * E);
    }

    // --- mean over each sentence's tokens, then tanh(Wout · mean + bout)
    std::vector<float> mean(seqs.size() * static_cast<size_t>(E));
    kernels::poolSequences(x.data(), E, start, kernels::Pooling::Mean, mean.data());
    pooled.resize(mean.size());
    kernels::matmul(pool, m_out, mean.data(), static_cast<int64_t>(seqs.size()), pooled.data());
    kernels::addRowBias(pooled.data(), m_outB.data(), static_cast<int64_t>(seqs.size()), E);
    for (float& v : pooled) v = std::tanh(v);
    if (tokenStates) *tokenStates = std::move(x);
}

}  // namespace

assistant::Result<std::unique_ptr<Architecture>> makeUseLite(const gguf::File& f, Hparams h) {
    auto model = std::make_unique<UseLite>(std::move(h));
    if (auto st = model->bind(f); !st) return std::unexpected(st.error());
    return std::unique_ptr<Architecture>(std::move(model));
}

}  // namespace arch
