// What the placement's weights cost in memory and in decode traffic: the CPU kernels'
// own copies (Placement::cpuCopyBytes) and the bytes one decoded token reads on each
// side (Placement::decodeTraffic, the input of assistant::estimateDecode).
#include <algorithm>

#include "arch/weights.h"
#include "engine/placement.h"

namespace arch {

using kernels::Matrix;

namespace {

// Launches per decoded token of one layer on a device (prenorm_decoder.cpp's runLayer
// through cl_device_backend.cpp): norm, Q|K|V, RoPE + store (Qwen3's head norms inside
// it), attention (its split and merge: one launch while the keys fit one split, two past
// the short context counted here), Wo, norm, gate|up, down; a MoE layer's experts (router,
// gate|up with the routing and the SwiGLU, the downs adding into the residual) in place
// of the last two; with the experts on the host, the device's half of a hot-expert cache
// (four) and an add. (OpenCL counts, gpu_decode_launches_test: 9 a layer at a short context.)
constexpr int64_t kDenseLayerOps = 9, kExpertOps = 3, kHotOps = 5;
// Ops per decoded token of one layer on the CPU, each paying MemoryBandwidth::cpuOpSeconds
// (the thread pool's dispatch and wait, the activation's quantization): norm, Q|K|V,
// RoPE + store, attention, Wo, norm, gate|up, down (the head norms add two, the Q|K|V
// biases one; Gemma's norms after the attention and the feed-forward and their adds,
// four); a MoE layer's experts (cpu_backend_experts.cpp: routing, gate|up, down and the
// weighted sum, the add) in place of the last two; a device layer's experts on the host
// (routing, the missed experts' gate|up and down). The head: norm, output matmul; and
// the embedding. A device layer's launches grow by the same extra ops.
constexpr int64_t kCpuDenseLayerOps = 8, kCpuHeadNormOps = 2, kCpuBiasOps = 1, kCpuPostNormOps = 4,
                  kCpuExpertOps = 4, kCpuHostExpertOps = 3, kCpuHeadOps = 3;
// The context the soft-capped attention scores are counted at (a query there scores
// that many keys per head, fewer in a sliding window): a short chat turn's, like
// assistant-bench's tg64 after a 16-token prompt (positions 16..80).
constexpr int64_t kDecodeContext = 64;

uint64_t bytesOf(const Matrix& m) { return kernels::rowBytes(m.type, m.cols) * static_cast<uint64_t>(m.rows); }

// Ops a layer runs beyond the common ones: Q|K|V biases, Gemma's norms after the blocks
// (with their adds), and the head norms where not counted already (headNorms).
int64_t extraLayerOps(const DecoderDesc& d, int64_t l, bool headNorms) {
    const AttentionWeights& a = *d.attn[l];
    return (headNorms && !a.qNorm.empty() ? kCpuHeadNormOps : 0) + (a.bq.empty() ? 0 : kCpuBiasOps) +
           (d.postAttnNorm.empty() ? 0 : kCpuPostNormOps);
}

// The attention scores layer l soft-caps for one token at kDecodeContext (0: no soft-cap).
int64_t softCappedScores(const DecoderDesc& d, int64_t l) {
    if (!d.attentionParams) return 0;
    const kernels::AttentionShape s = d.attentionParams(kDecodeContext, l).shape;
    if (s.softCap <= 0.0f) return 0;
    return s.heads * (s.window > 0 ? std::min(s.window, kDecodeContext) : kDecodeContext);
}

std::vector<const Matrix*> denseMatrices(const DecoderDesc& d, int64_t l) {
    const AttentionWeights& a = *d.attn[l];
    std::vector<const Matrix*> m = {&a.wq, &a.wk, &a.wv, &a.wo};
    if (const FfnWeights* f = d.ffn[l]) m.insert(m.end(), {&f->gate, &f->up, &f->down});
    return m;
}

}  // namespace

size_t Placement::cpuCopyBytes() const {
    const DecoderDesc& d = m_desc;
    std::vector<const Matrix*> all = {&d.embd->tokenEmbd};
    if (d.embd->output.data != d.embd->tokenEmbd.data) all.push_back(&d.embd->output);
    for (int64_t l = 0; l < d.h->nLayer; ++l) {
        const std::vector<const Matrix*> dense = denseMatrices(d, l);
        all.insert(all.end(), dense.begin(), dense.end());
        if (const MoeWeights* m = d.moe[l]) {
            all.push_back(&m->router);
            for (const auto* set : {&m->gate, &m->up, &m->down})
                for (const Matrix& e : *set) all.push_back(&e);
        }
    }
    return arch::cpuCopyBytes(all);
}

Placement::DecodeTraffic Placement::decodeTraffic() const {
    const DecoderDesc& d = m_desc;
    const Hparams& h = *d.h;
    DecodeTraffic t;
    const int64_t first = m_plan.count.empty() ? h.nLayer : m_plan.first;
    const int64_t hot = plannedHotExperts();
    t.hitRate = hot > 0 && h.nExpert > 0 ? static_cast<double>(hot) / static_cast<double>(h.nExpert) : 0.0;
    auto onCpu = [&t](kernels::GgmlType type, uint64_t bytes) {
        t.cpuBytes += bytes;
        t.cpuBytesByType[type] += bytes;
    };
    const uint64_t embedRow = bytesOf(d.embd->tokenEmbd) / static_cast<uint64_t>(std::max<int64_t>(h.nVocab, 1));
    onCpu(d.embd->tokenEmbd.type, embedRow);  // the token's embedding row, looked up on the host
    for (int64_t l = 0; l < h.nLayer; ++l) {
        const bool onDevice = l >= first;
        for (const Matrix* m : denseMatrices(d, l)) {
            if (onDevice) t.deviceBytes += bytesOf(*m);
            else onCpu(m->type, bytesOf(*m));
        }
        if (onDevice) {
            t.deviceOps += kDenseLayerOps + extraLayerOps(d, l, /*headNorms=*/false);  // inside RoPE
        } else {
            t.cpuOps += kCpuDenseLayerOps + extraLayerOps(d, l, /*headNorms=*/true);
            t.cpuSoftCaps += softCappedScores(d, l);
            if (d.glu == kernels::Glu::GeGlu && d.ffn[l]) t.cpuGelus += d.ffn[l]->down.cols;
        }
        if (const MoeWeights* m = d.moe[l]) {
            // The used experts' gate, up and down (expert 0's sizes: one tensor per
            // projection), each at its own type (a Q4_K_M file's downs are Q6_K).
            const uint64_t n = static_cast<uint64_t>(h.nExpertUsed);
            const std::pair<kernels::GgmlType, uint64_t> used[] = {{m->gate[0].type, n * bytesOf(m->gate[0])},
                                                                   {m->up[0].type, n * bytesOf(m->up[0])},
                                                                   {m->down[0].type, n * bytesOf(m->down[0])}};
            if (onDevice && m_plan.experts) {
                t.deviceBytes += bytesOf(m->router);
                for (const auto& [type, bytes] : used) t.deviceBytes += bytes;
                t.deviceOps += kExpertOps - 2;
            } else if (onDevice) {  // hybrid: the router and the missed experts on the host
                onCpu(m->router.type, bytesOf(m->router));
                for (const auto& [type, bytes] : used) {
                    const double b = static_cast<double>(bytes);
                    onCpu(type, static_cast<uint64_t>(b * (1.0 - t.hitRate)));
                    t.deviceBytes += static_cast<uint64_t>(b * t.hitRate);
                }
                t.crossings += 2;  // the normed hidden state to the host, its experts' sum back
                t.deviceOps += hot > 0 ? kHotOps - 2 : -2;
                t.cpuOps += kCpuHostExpertOps;
            } else {
                onCpu(m->router.type, bytesOf(m->router));
                for (const auto& [type, bytes] : used) onCpu(type, bytes);
                t.cpuOps += kCpuExpertOps - 2;  // in place of gate|up and down
            }
        }
    }
    if (first > 0 && first < h.nLayer) t.crossings += 1;  // the hidden state into the first device layer
    const bool headOnDevice = !m_plan.count.empty();
    if (headOnDevice) t.deviceBytes += bytesOf(d.embd->output);
    else onCpu(d.embd->output.type, bytesOf(d.embd->output));
    t.cpuOps += headOnDevice ? 1 : kCpuHeadOps;  // the embedding row (and the head on the CPU)
    if (h.finalSoftCap > 0.0f) t.cpuSoftCaps += h.nVocab;  // the logits, on the host wherever the head ran
    if (headOnDevice) {
        t.deviceOps += 2;   // final norm, output head
        t.crossings += 2;   // the embedding up, the logits back
    }
    return t;
}

}  // namespace arch
