// Gemma-2 and Gemma-3 decoders: scaled embeddings, a norm before AND after each block,
// a GELU-gated feed-forward, sliding-window attention on some layers, NeoX RoPE.
// Gemma-2 soft-caps attention scores and final logits and alternates windowed and
// global layers; Gemma-3 drops the soft-caps, adds per-head Q/K RMSNorm, uses the
// window on 5 of every 6 layers, and rotates windowed layers with base 10000 and no
// scaling (rope.freq_base and rope.scaling apply to its global layers only).
//
// Gemma-2:
//   x = embed(tokens) * sqrt(E)                                  [n][E]
//   for each layer l:
//     a = Wo · attention(rope(Wq·norm(x)), rope(Wk·norm(x)), Wv·norm(x))
//           scores = cap_a · tanh(q·k / sqrt(D) / cap_a); layers with l % 2 == 0 only
//           see the last `sliding_window` positions, odd layers see all of them
//     x += postAttnNorm(a)
//     x += postFfwNorm(Wdown · (gelu(Wgate·norm(x)) * Wup·norm(x)))
//   logits = cap_f · tanh(Wout · norm(x) / cap_f)                 [n][V]
// Gemma-3: q, k = headNorm(...) before RoPE; no cap_a; window on layers l % 6 < 5;
// cap_f only when final_logit_softcapping is present. It has no conformance
// reference in ../shared (gemma2 has one).
//
// The GGUF stores Gemma's norm weights with the +1 already added (plain RMSNorm here).
//
// Not a PreNormDecoder variant: the norms after each block, scaled embeddings, GELU,
// attention parameters that change from layer to layer (window, RoPE base), soft-caps
// and the 27B query scale are six departures only Gemma has; as variant flags they would
// turn the shared layer into Gemma's.
#include <cmath>

#include "arch/decoder_blocks.h"
#include "arch/weights.h"
#include "gguf/gguf_file.h"
#include "src/log.h"

namespace arch {
namespace {

struct GemmaVariant {
    bool qkNorm = false;         // per-head Q/K RMSNorm (Gemma-3)
    bool attnSoftCap = false;    // attn_logit_softcapping applies (Gemma-2)
    int64_t windowPattern = 2;   // layer l is windowed when l % pattern < pattern - 1
    float windowRopeBase = 0.0f; // > 0: windowed layers use this base and scale 1 (Gemma-3)
};

struct GemmaLayer {
    AttentionWeights attn;           // norm, Wq [H*D][E], Wk/Wv [Hkv*D][E], Wo [E][H*D]
    std::vector<float> postAttnNorm; // [E]
    FfnWeights ffn;                  // norm, gate/up [F][E], down [E][F]
    std::vector<float> postFfwNorm;  // [E]
};

class Gemma final : public Decoder {
public:
    Gemma(Hparams h, GemmaVariant v) : m_h(std::move(h)), m_variant(v) {}

    assistant::Status bind(const gguf::File& f) {
        BIND(m_embd, bindEmbeddings(f, m_h));
        m_layers.resize(static_cast<size_t>(m_h.nLayer));
        for (int64_t l = 0; l < m_h.nLayer; ++l) {
            GemmaLayer& L = m_layers[l];
            BIND(L.attn, bindAttention(f, m_h, l, AttentionLayout{.qkNorm = m_variant.qkNorm}));
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
        // Query scale 1/sqrt(D); the 27B models (Gemma-2: 46 layers, Gemma-3: 62) use
        // 1/sqrt(E/H) instead (their query_pre_attn_scalar), which the GGUF does not store.
        const bool is27b = m_h.nLayer == (m_variant.qkNorm ? 62 : 46);
        const float qDim = is27b ? static_cast<float>(m_h.nEmbd / m_h.nHead) : static_cast<float>(m_h.headDim);
        AttentionParams global;
        global.rope = m_h.rope;
        global.shape = {m_h.nHead, m_h.nHeadKv, m_h.headDim, 1.0f / std::sqrt(qDim)};
        if (m_variant.attnSoftCap) global.shape.softCap = m_h.attnSoftCap;
        AttentionParams windowed = global;
        windowed.shape.window = m_h.slidingWindow;
        if (m_variant.windowRopeBase > 0.0f) {
            windowed.rope.freqBase = m_variant.windowRopeBase;
            windowed.rope.freqScale = 1.0f;
        }
        const int64_t pattern = m_variant.windowPattern;

        embedTokens(m_embd.tokenEmbd, tokens, m_h.nEmbd, std::sqrt(static_cast<float>(m_h.nEmbd)),
                    ctx.scratch.x.data());
        // Without a window key (Gemma-3 only) every layer is global.
        for (int64_t l = 0; l < m_h.nLayer; ++l)
            runLayer(ctx, l, n, pos0, m_h.slidingWindow > 0 && l % pattern < pattern - 1 ? windowed : global);
        outputLogits(ctx, m_h, m_embd, n, allLogits, m_h.finalSoftCap);
    }

private:
    void runLayer(ForwardContext& ctx, int64_t l, int64_t n, int64_t pos0, const AttentionParams& ap) const {
        const GemmaLayer& L = m_layers[l];
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
    GemmaVariant m_variant;
    EmbeddingWeights m_embd;
    std::vector<GemmaLayer> m_layers;
};

assistant::Result<std::unique_ptr<Architecture>> makeGemma(const gguf::File& f, Hparams h, GemmaVariant v) {
    auto model = std::make_unique<Gemma>(std::move(h), v);
    if (auto st = model->bind(f); !st) return std::unexpected(st.error());
    return std::unique_ptr<Architecture>(std::move(model));
}

}  // namespace

assistant::Result<std::unique_ptr<Architecture>> makeGemma2(const gguf::File& f, Hparams h) {
    if (h.slidingWindow <= 0)
        return std::unexpected(assistant::detail::makeError(assistant::ErrorCode::InvalidFormat,
                                                            "gemma2 model without gemma2.attention.sliding_window"));
    return makeGemma(f, std::move(h), GemmaVariant{.qkNorm = false, .attnSoftCap = true, .windowPattern = 2});
}

assistant::Result<std::unique_ptr<Architecture>> makeGemma3(const gguf::File& f, Hparams h) {
    return makeGemma(f, std::move(h),
                     GemmaVariant{.qkNorm = true, .attnSoftCap = false, .windowPattern = 6, .windowRopeBase = 10000.0f});
}

}  // namespace arch
