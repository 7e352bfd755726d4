// Hyperparameters from GGUF metadata ("<arch>.<key>"), with the defaults the
// format's producers assume when a key is absent.
#include <cmath>

#include "arch/arch.h"
#include "gguf/gguf_file.h"
#include "common/log.h"

namespace arch {

using assistant::ErrorCode;
using assistant::detail::makeError;

namespace {

assistant::Result<int64_t> required(const gguf::File& f, const std::string& key) {
    const auto v = f.getUInt(key);
    if (!v || *v == 0 || *v > (1ull << 31))
        return std::unexpected(makeError(ErrorCode::InvalidFormat, "missing or invalid metadata key ", key));
    return static_cast<int64_t>(*v);
}

}  // namespace

assistant::Result<Hparams> readHparams(const gguf::File& f) {
    Hparams h;
    const auto archName = f.getString("general.architecture");
    if (!archName) return std::unexpected(makeError(ErrorCode::InvalidFormat, "missing general.architecture"));
    h.arch = std::string(*archName);

    auto embd = required(f, f.archKey("embedding_length"));
    auto layers = required(f, f.archKey("block_count"));
    auto heads = required(f, f.archKey("attention.head_count"));
    if (!embd) return std::unexpected(embd.error());
    if (!layers) return std::unexpected(layers.error());
    if (!heads) return std::unexpected(heads.error());
    h.nEmbd = *embd;
    h.nLayer = *layers;
    h.nHead = *heads;
    h.nHeadKv = static_cast<int64_t>(f.getUInt(f.archKey("attention.head_count_kv")).value_or(h.nHead));
    h.nFf = static_cast<int64_t>(f.getUInt(f.archKey("feed_forward_length")).value_or(0));
    h.nCtxTrain = static_cast<int64_t>(f.getUInt(f.archKey("context_length")).value_or(2048));
    h.headDim = static_cast<int64_t>(f.getUInt(f.archKey("attention.key_length")).value_or(h.nEmbd / h.nHead));
    if (h.nHeadKv == 0 || h.nHead % h.nHeadKv != 0 || h.headDim == 0 || h.headDim > 1024)
        return std::unexpected(makeError(ErrorCode::InvalidFormat, "inconsistent attention shape: ", h.nHead,
                                         " heads, ", h.nHeadKv, " kv heads, head dim ", h.headDim));
    h.rmsEps = static_cast<float>(f.getFloat(f.archKey("attention.layer_norm_rms_epsilon")).value_or(1e-5));

    if (const gguf::Array* tokens = f.getArray("tokenizer.ggml.tokens")) h.nVocab = static_cast<int64_t>(tokens->items.size());
    h.nVocab = static_cast<int64_t>(f.getUInt(f.archKey("vocab_size")).value_or(h.nVocab));

    h.rope.dims = static_cast<int>(f.getUInt(f.archKey("rope.dimension_count")).value_or(h.headDim));
    if (h.rope.dims <= 0 || h.rope.dims > h.headDim || h.rope.dims % 2 != 0)
        return std::unexpected(makeError(ErrorCode::InvalidFormat, "invalid rope.dimension_count ", h.rope.dims));
    h.rope.freqBase = static_cast<float>(f.getFloat(f.archKey("rope.freq_base")).value_or(10000.0));
    const std::string scaling(f.getString(f.archKey("rope.scaling.type")).value_or("linear"));
    double factor = f.getFloat(f.archKey("rope.scale_linear")).value_or(0.0);
    if (factor == 0.0) factor = f.getFloat(f.archKey("rope.scaling.factor")).value_or(0.0);
    if (scaling != "none" && factor > 0.0 && std::isfinite(factor)) h.rope.freqScale = static_cast<float>(1.0 / factor);
    h.ropeOrigCtx = static_cast<int64_t>(f.getUInt(f.archKey("rope.scaling.original_context_length")).value_or(0));
    const double attnFactor = f.getFloat(f.archKey("rope.scaling.attn_factor")).value_or(1.0);
    if (attnFactor > 0.0 && std::isfinite(attnFactor)) h.ropeAttnFactor = static_cast<float>(attnFactor);

    // Sliding window, soft-capping (Gemma-2, Mistral) and experts (MoE); validated by
    // the architectures that use them.
    h.slidingWindow = static_cast<int64_t>(f.getUInt(f.archKey("attention.sliding_window")).value_or(0));
    if (h.slidingWindow < 0 || h.slidingWindow > (int64_t{1} << 31)) h.slidingWindow = 0;
    const double attnCap = f.getFloat(f.archKey("attn_logit_softcapping")).value_or(0.0);
    const double finalCap = f.getFloat(f.archKey("final_logit_softcapping")).value_or(0.0);
    if (!(attnCap >= 0.0 && std::isfinite(attnCap)) || !(finalCap >= 0.0 && std::isfinite(finalCap)))
        return std::unexpected(makeError(ErrorCode::InvalidFormat, "invalid logit soft-capping ", attnCap, " / ",
                                         finalCap));
    h.attnSoftCap = static_cast<float>(attnCap);
    h.finalSoftCap = static_cast<float>(finalCap);
    h.nExpert = static_cast<int64_t>(f.getUInt(f.archKey("expert_count")).value_or(0));
    h.nExpertUsed = static_cast<int64_t>(f.getUInt(f.archKey("expert_used_count")).value_or(0));
    h.nFfExpert = static_cast<int64_t>(f.getUInt(f.archKey("expert_feed_forward_length")).value_or(0));
    if (h.nExpert > 4096 || h.nExpertUsed > h.nExpert || h.nFfExpert > (int64_t{1} << 24))
        return std::unexpected(makeError(ErrorCode::InvalidFormat, "invalid expert counts: ", h.nExpertUsed, " of ",
                                         h.nExpert, ", expert ffn ", h.nFfExpert));
    return h;
}

}  // namespace arch
