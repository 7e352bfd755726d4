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
// turn the shared layer into Gemma's. Its layers run through the same backend steps
// (placed_layers.h), so they are placed on the CPU or a device like the others.
#include <cmath>

#include "arch/decoder_blocks.h"
#include "arch/placed_layers.h"
#include "arch/weights.h"
#include "gguf/gguf_file.h"
#include "common/log.h"

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
        m_file = &f;
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

    void forward(ForwardContext& ctx, std::span<const int32_t> tokens, std::span<const SeqSpan> seqs) const override {
        const int64_t n = static_cast<int64_t>(tokens.size());
        forwardPlaced(ctx, m_h, m_embd, tokens, seqs, std::sqrt(static_cast<float>(m_h.nEmbd)), m_h.finalSoftCap,
                      [&](int64_t l, kernels::Backend& be, Activations& a) { runLayer(*ctx.placement, seqs, l, n, be, a); });
    }

    bool describeDecoder(DecoderDesc& d) const override {
        d.h = &m_h;
        d.embd = &m_embd;
        for (const GemmaLayer& L : m_layers) {
            d.attn.push_back(&L.attn);
            d.ffn.push_back(&L.ffn);
            d.moe.push_back(nullptr);
            d.postAttnNorm.push_back(&L.postAttnNorm);
            d.postFfwNorm.push_back(&L.postFfwNorm);
        }
        d.glu = kernels::Glu::GeGlu;
        d.attentionParams = [this](int64_t, int64_t l) { return attentionParams(l); };
        d.file = m_file;
        return true;
    }

private:
    // Layer l's attention: windowed or global (Gemma-3's windowed layers rotate with
    // their own RoPE base).
    AttentionParams attentionParams(int64_t l) const {
        // Query scale 1/sqrt(D); the 27B models (Gemma-2: 46 layers, Gemma-3: 62) use
        // 1/sqrt(E/H) instead (their query_pre_attn_scalar), which the GGUF does not store.
        const bool is27b = m_h.nLayer == (m_variant.qkNorm ? 62 : 46);
        const float qDim = is27b ? static_cast<float>(m_h.nEmbd / m_h.nHead) : static_cast<float>(m_h.headDim);
        AttentionParams ap;
        ap.rope = m_h.rope;
        ap.shape = {m_h.nHead, m_h.nHeadKv, m_h.headDim, 1.0f / std::sqrt(qDim)};
        if (m_variant.attnSoftCap) ap.shape.softCap = m_h.attnSoftCap;
        // Without a window key (Gemma-3 only) every layer is global.
        const int64_t pattern = m_variant.windowPattern;
        if (m_h.slidingWindow > 0 && l % pattern < pattern - 1) {
            ap.shape.window = m_h.slidingWindow;
            if (m_variant.windowRopeBase > 0.0f) {
                ap.rope.freqBase = m_variant.windowRopeBase;
                ap.rope.freqScale = 1.0f;
            }
        }
        return ap;
    }

    void runLayer(SessionPlacement& sp, std::span<const SeqSpan> seqs, int64_t l, int64_t n, kernels::Backend& be,
                  Activations& a) const {
        const PlacedLayer& L = sp.model->layers[l];
        const int64_t E = m_h.nEmbd;
        const float eps = m_h.rmsEps;
        // x += postAttnNorm(Wo · attention(norm(x)))
        be.rmsNorm(*a.x, 0, *L.attnNorm, n, E, eps, *a.cur);
        placedAttention(sp, seqs, m_h, l, n, be, a);
        be.matmul(*L.wo, *a.attn, m_h.nHead * m_h.headDim, n, *a.cur, E, 0, false);
        be.rmsNorm(*a.cur, 0, *L.postAttnNorm, n, E, eps, *a.cur);
        be.add(*a.x, *a.cur, n * E);
        // x += postFfwNorm(Wdown · (gelu(Wgate · norm(x)) * Wup · norm(x)))
        be.rmsNorm(*a.x, 0, *L.ffnNorm, n, E, eps, *a.cur);
        placedFeedForward(L, kernels::Glu::GeGlu, n, E, be, a, *a.ffn, /*accumulate=*/false);
        be.rmsNorm(*a.ffn, 0, *L.postFfwNorm, n, E, eps, *a.ffn);
        be.add(*a.x, *a.ffn, n * E);
    }

    Hparams m_h;
    GemmaVariant m_variant;
    EmbeddingWeights m_embd;
    std::vector<GemmaLayer> m_layers;
    const gguf::File* m_file = nullptr;  // bound from (outlives the architecture)
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
