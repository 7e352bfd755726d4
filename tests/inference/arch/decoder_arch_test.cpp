// Architecture selection and metadata handling on tiny GGUFs built in memory:
// the unsupported-architecture error, Mistral-style llama metadata (sliding window),
// fused/3-D tensor binding, which decoders the GPU path takes, and hparams validation.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "arch/arch.h"
#include "arch/weights.h"
#include "gguf/gguf_file.h"
#include "gguf_writer.h"
#include "kernels/thread_pool.h"
#include "engine/placement.h"

namespace {

using kernels::GgmlType;
using testgguf::Bytes;

Bytes randomF32(uint64_t n, uint32_t seed, float mean = 0.0f, float sd = 0.2f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(mean, sd);
    Bytes out(n * sizeof(float));
    for (uint64_t i = 0; i < n; ++i) {
        const float v = dist(rng);
        std::memcpy(out.data() + i * sizeof(float), &v, sizeof(float));
    }
    return out;
}

// A llama-shaped model: E=32, 4 heads of 8, 2 KV heads, F=64, V=16, `layers` layers.
// slidingWindow > 0 adds Mistral's (or Gemma's) key; gemma3Tensors adds the
// post-attention/post-ffw norms and per-head Q/K norms of Gemma-3.
Bytes tinyLlama(const std::string& arch, int64_t slidingWindow, bool gemma3Tensors = false, int layers = 2,
                float ropeBase = 1000000.0f) {
    const uint64_t E = 32, kv = 16, F = 64, V = 16;
    testgguf::Writer w;
    w.kv("general.architecture", testgguf::str(arch));
    const auto key = [&](const char* k) { return arch + "." + k; };
    w.kv(key("context_length"), testgguf::u32(64));
    w.kv(key("embedding_length"), testgguf::u32(E));
    w.kv(key("block_count"), testgguf::u32(static_cast<uint32_t>(layers)));
    w.kv(key("feed_forward_length"), testgguf::u32(F));
    w.kv(key("attention.head_count"), testgguf::u32(4));
    w.kv(key("attention.head_count_kv"), testgguf::u32(2));
    w.kv(key("rope.freq_base"), testgguf::f32(ropeBase));
    w.kv(key("attention.layer_norm_rms_epsilon"), testgguf::f32(1e-5f));
    w.kv(key("vocab_size"), testgguf::u32(V));
    if (slidingWindow > 0) w.kv(key("attention.sliding_window"), testgguf::u32(static_cast<uint32_t>(slidingWindow)));
    uint32_t seed = 10;
    w.tensor("token_embd.weight", {E, V}, GgmlType::F32, randomF32(E * V, seed++, 0.0f, 1.0f));
    for (int l = 0; l < layers; ++l) {
        const std::string b = "blk." + std::to_string(l) + ".";
        w.tensor(b + "attn_norm.weight", {E}, GgmlType::F32, randomF32(E, seed++, 1.0f, 0.1f));
        w.tensor(b + "attn_q.weight", {E, E}, GgmlType::F32, randomF32(E * E, seed++, 0.0f, 0.5f));
        w.tensor(b + "attn_k.weight", {E, kv}, GgmlType::F32, randomF32(E * kv, seed++, 0.0f, 0.5f));
        w.tensor(b + "attn_v.weight", {E, kv}, GgmlType::F32, randomF32(E * kv, seed++));
        w.tensor(b + "attn_output.weight", {E, E}, GgmlType::F32, randomF32(E * E, seed++));
        w.tensor(b + "ffn_norm.weight", {E}, GgmlType::F32, randomF32(E, seed++, 1.0f, 0.1f));
        w.tensor(b + "ffn_gate.weight", {E, F}, GgmlType::F32, randomF32(E * F, seed++));
        w.tensor(b + "ffn_up.weight", {E, F}, GgmlType::F32, randomF32(E * F, seed++));
        w.tensor(b + "ffn_down.weight", {F, E}, GgmlType::F32, randomF32(F * E, seed++));
        if (gemma3Tensors) {
            w.tensor(b + "attn_q_norm.weight", {8}, GgmlType::F32, randomF32(8, seed++, 1.0f, 0.1f));
            w.tensor(b + "attn_k_norm.weight", {8}, GgmlType::F32, randomF32(8, seed++, 1.0f, 0.1f));
            w.tensor(b + "post_attention_norm.weight", {E}, GgmlType::F32, randomF32(E, seed++, 1.0f, 0.1f));
            w.tensor(b + "post_ffw_norm.weight", {E}, GgmlType::F32, randomF32(E, seed++, 1.0f, 0.1f));
        }
    }
    w.tensor("output_norm.weight", {E}, GgmlType::F32, randomF32(E, seed++, 1.0f, 0.1f));
    w.tensor("output.weight", {E, V}, GgmlType::F32, randomF32(E * V, seed++));
    return w.build();
}

std::unique_ptr<gguf::File> openGguf(const Bytes& bytes) {
    auto f = gguf::File::fromMemory(bytes);
    EXPECT_TRUE(f.has_value()) << (f ? "" : f.error().message);
    return f ? std::move(*f) : nullptr;
}

// All-position logits [n][V] of one forward pass over `tokens` from position 0.
std::vector<float> runForward(const arch::Architecture& a, const std::vector<int32_t>& tokens,
                              int64_t contextLength = 64) {
    const arch::Hparams& h = a.hparams();
    kernels::ThreadPool pool(1);
    kv::Cache kv;
    kv.allocate(h.nLayer, contextLength, h.nHeadKv * h.headDim, GgmlType::F32);
    arch::Scratch scratch;
    const arch::CpuPlacement cpu = arch::placeOnCpu(a, pool, kv);
    arch::ForwardContext ctx{pool, kv, scratch, cpu.session.get()};
    EXPECT_NE(a.decoder(), nullptr);
    if (a.decoder()) a.decoder()->forward(ctx, tokens, 0, true);
    return scratch.logits;
}

TEST(DecoderArch, UnsupportedArchitectureNamesItAndTheSupportedList) {
    const Bytes bytes = tinyLlama("mamba", 0);
    auto f = openGguf(bytes);
    ASSERT_TRUE(f);
    auto a = arch::makeArchitecture(*f);
    ASSERT_FALSE(a.has_value());
    EXPECT_EQ(a.error().code, assistant::ErrorCode::UnsupportedArchitecture);
    const std::string& msg = a.error().message;
    EXPECT_NE(msg.find("'mamba'"), std::string::npos) << msg;
    EXPECT_NE(msg.find(arch::supportedArchitectures()), std::string::npos) << msg;
    for (const char* name : {"llama", "qwen2", "qwen3", "qwen3moe", "phi3", "gemma2", "gemma3"})
        EXPECT_NE(arch::supportedArchitectures().find(name), std::string::npos) << name;
}

TEST(DecoderArch, MistralStyleLlamaLoadsAndHonoursItsSlidingWindow) {
    const Bytes mistral = tinyLlama("llama", 4);
    const Bytes plain = tinyLlama("llama", 0);
    auto fm = openGguf(mistral), fp = openGguf(plain);
    ASSERT_TRUE(fm && fp);
    auto am = arch::makeArchitecture(*fm);
    auto ap = arch::makeArchitecture(*fp);
    ASSERT_TRUE(am.has_value()) << am.error().message;
    ASSERT_TRUE(ap.has_value()) << ap.error().message;
    EXPECT_EQ((*am)->hparams().slidingWindow, 4);
    EXPECT_EQ((*am)->hparams().nHeadKv, 2);
    EXPECT_FLOAT_EQ((*am)->hparams().rope.freqBase, 1000000.0f);
    EXPECT_FALSE((*am)->hparams().rope.neox);

    const std::vector<int32_t> tokens = {1, 5, 9, 3, 7, 2, 11, 4, 6, 15};
    const std::vector<float> lm = runForward(**am, tokens);
    const std::vector<float> lp = runForward(**ap, tokens);
    ASSERT_EQ(lm.size(), tokens.size() * 16);
    ASSERT_EQ(lm.size(), lp.size());
    // Positions 0..3 see at most 4 keys: the window changes nothing there; later
    // positions drop their oldest keys and their logits move.
    for (size_t i = 0; i < 4 * 16; ++i) ASSERT_EQ(lm[i], lp[i]) << i;
    float laterDiff = 0.0f;
    for (size_t i = 4 * 16; i < lm.size(); ++i) laterDiff = std::max(laterDiff, std::fabs(lm[i] - lp[i]));
    EXPECT_GT(laterDiff, 1e-4f);
}

// Gemma-3 (no conformance reference): windowed layers (l % 6 < 5) use RoPE base 10000,
// so with rope.freq_base 10000 a file with the window key differs from one without it
// only through the window: identical logits while positions fit in it, different after.
TEST(DecoderArch, Gemma3LoadsAndWindowsItsLocalLayers) {
    const Bytes windowed = tinyLlama("gemma3", 4, true, 6, 10000.0f);
    const Bytes global = tinyLlama("gemma3", 0, true, 6, 10000.0f);
    auto fw = openGguf(windowed), fg = openGguf(global);
    ASSERT_TRUE(fw && fg);
    auto aw = arch::makeArchitecture(*fw);
    auto ag = arch::makeArchitecture(*fg);
    ASSERT_TRUE(aw.has_value()) << aw.error().message;
    ASSERT_TRUE(ag.has_value()) << ag.error().message;
    EXPECT_TRUE((*aw)->hparams().rope.neox);
    const std::vector<int32_t> tokens = {2, 5, 9, 3, 7, 1, 11, 4};
    const std::vector<float> lw = runForward(**aw, tokens);
    const std::vector<float> lg = runForward(**ag, tokens);
    ASSERT_EQ(lw.size(), lg.size());
    for (size_t i = 0; i < 4 * 16; ++i) ASSERT_EQ(lw[i], lg[i]) << i;
    float laterDiff = 0.0f;
    for (size_t i = 4 * 16; i < lw.size(); ++i) {
        ASSERT_TRUE(std::isfinite(lw[i]));
        laterDiff = std::max(laterDiff, std::fabs(lw[i] - lg[i]));
    }
    EXPECT_GT(laterDiff, 1e-4f);
    // The Q/K norms are required.
    const Bytes plain = tinyLlama("gemma3", 4, false, 6, 10000.0f);
    auto fp = openGguf(plain);
    ASSERT_TRUE(fp);
    auto ap = arch::makeArchitecture(*fp);
    ASSERT_FALSE(ap.has_value());
    EXPECT_NE(ap.error().message.find("attn_q_norm"), std::string::npos) << ap.error().message;
}

// A 1-layer phi3 (fused attn_qkv and ffn_up), E=32, 4 heads of 8, 2 KV heads, F=64.
// longFactor > 0 adds LongRoPE tensors (short factors 1, long factors longFactor) with
// original context 32; linearFactor > 0 adds linear RoPE scaling instead.
Bytes tinyPhi3(float longFactor, float linearFactor) {
    const uint64_t E = 32, kv = 16, F = 64, V = 16;
    testgguf::Writer w;
    w.kv("general.architecture", testgguf::str("phi3"));
    w.kv("phi3.context_length", testgguf::u32(64));
    w.kv("phi3.embedding_length", testgguf::u32(E));
    w.kv("phi3.block_count", testgguf::u32(1));
    w.kv("phi3.feed_forward_length", testgguf::u32(F));
    w.kv("phi3.attention.head_count", testgguf::u32(4));
    w.kv("phi3.attention.head_count_kv", testgguf::u32(2));
    w.kv("phi3.attention.layer_norm_rms_epsilon", testgguf::f32(1e-5f));
    w.kv("phi3.vocab_size", testgguf::u32(V));
    if (longFactor > 0) w.kv("phi3.rope.scaling.original_context_length", testgguf::u32(32));
    if (linearFactor > 0) {
        w.kv("phi3.rope.scaling.type", testgguf::str("linear"));
        w.kv("phi3.rope.scaling.factor", testgguf::f32(linearFactor));
    }
    uint32_t seed = 50;
    w.tensor("token_embd.weight", {E, V}, GgmlType::F32, randomF32(E * V, seed++, 0.0f, 1.0f));
    w.tensor("blk.0.attn_norm.weight", {E}, GgmlType::F32, randomF32(E, seed++, 1.0f, 0.1f));
    w.tensor("blk.0.attn_qkv.weight", {E, E + 2 * kv}, GgmlType::F32, randomF32(E * (E + 2 * kv), seed++, 0.0f, 0.5f));
    w.tensor("blk.0.attn_output.weight", {E, E}, GgmlType::F32, randomF32(E * E, seed++));
    w.tensor("blk.0.ffn_norm.weight", {E}, GgmlType::F32, randomF32(E, seed++, 1.0f, 0.1f));
    w.tensor("blk.0.ffn_up.weight", {E, 2 * F}, GgmlType::F32, randomF32(E * 2 * F, seed++));
    w.tensor("blk.0.ffn_down.weight", {F, E}, GgmlType::F32, randomF32(F * E, seed++));
    w.tensor("output_norm.weight", {E}, GgmlType::F32, randomF32(E, seed++, 1.0f, 0.1f));
    if (longFactor > 0) {
        Bytes shortF(4 * sizeof(float)), longF(4 * sizeof(float));
        for (int i = 0; i < 4; ++i) {
            const float one = 1.0f;
            std::memcpy(shortF.data() + i * sizeof(float), &one, sizeof(float));
            std::memcpy(longF.data() + i * sizeof(float), &longFactor, sizeof(float));
        }
        w.tensor("rope_factors_short.weight", {4}, GgmlType::F32, shortF);
        w.tensor("rope_factors_long.weight", {4}, GgmlType::F32, longF);
    }
    return w.build();
}

// LongRoPE: a session context up to original_context_length rotates with the short
// factors (here 1: same as no factors), a longer one with the long factors (here 4:
// the same angles as linear scaling by 4). Same weights, so logits are bit-identical.
TEST(DecoderArch, Phi3ChoosesLongRopeFactorsByContextLength) {
    const Bytes longRope = tinyPhi3(4.0f, 0.0f), plain = tinyPhi3(0.0f, 0.0f), linear = tinyPhi3(0.0f, 4.0f);
    auto fl = openGguf(longRope), fp = openGguf(plain), fs = openGguf(linear);
    ASSERT_TRUE(fl && fp && fs);
    auto al = arch::makeArchitecture(*fl), ap = arch::makeArchitecture(*fp), as = arch::makeArchitecture(*fs);
    ASSERT_TRUE(al.has_value()) << al.error().message;
    ASSERT_TRUE(ap.has_value() && as.has_value());
    const std::vector<int32_t> tokens = {1, 7, 3, 12, 5, 9};
    const std::vector<float> shortCtx = runForward(**al, tokens, 32);
    const std::vector<float> longCtx = runForward(**al, tokens, 64);
    EXPECT_EQ(shortCtx, runForward(**ap, tokens, 32));
    EXPECT_EQ(longCtx, runForward(**as, tokens, 64));
    EXPECT_NE(shortCtx, longCtx);
}

// Every decoder is an arch::Decoder and no Encoder, and describes its layers to the
// placement (so it may run on a device): Gemma with its post-norms and per-layer windows.
TEST(DecoderArch, DecodersDescribeThemselvesToThePlacement) {
    const Bytes llama = tinyLlama("llama", 4), qwen3 = tinyLlama("qwen3", 0, true),
                gemma3 = tinyLlama("gemma3", 4, true, 6), phi3 = tinyPhi3(4.0f, 0.0f);
    for (const Bytes* bytes : {&llama, &qwen3, &gemma3, &phi3}) {
        auto f = openGguf(*bytes);
        ASSERT_TRUE(f);
        auto a = arch::makeArchitecture(*f);
        ASSERT_TRUE(a.has_value()) << a.error().message;
        const arch::Decoder* decoder = (*a)->decoder();
        ASSERT_NE(decoder, nullptr) << (*a)->hparams().arch;
        EXPECT_EQ((*a)->encoder(), nullptr);
        arch::DecoderDesc d;
        const bool described = decoder->describeDecoder(d);
        ASSERT_TRUE(described) << (*a)->hparams().arch;
        EXPECT_EQ(d.h, &decoder->hparams());
        const size_t layers = static_cast<size_t>(d.h->nLayer);
        EXPECT_EQ(d.attn.size(), layers);
        EXPECT_EQ(d.ffn.size(), layers);
        EXPECT_EQ(d.moe.size(), layers);
        if (bytes == &llama) EXPECT_EQ(d.attentionParams(64, 0).shape.window, 4);  // Mistral's window
        if (bytes == &qwen3) EXPECT_FALSE(d.attn[0]->qNorm.empty());
        if (bytes == &gemma3) {  // window on 5 of 6 layers: layer 0 windowed with base 10000
            EXPECT_EQ(d.postAttnNorm.size(), layers);
            EXPECT_EQ(d.attentionParams(64, 0).shape.window, 4);
            EXPECT_EQ(d.attentionParams(64, 0).rope.freqBase, 10000.0f);
        }
    }
}

TEST(DecoderArch, Gemma2WithoutSlidingWindowIsRejected) {
    // A llama-shaped file labelled gemma2 misses gemma2's window key (and post-norms).
    const Bytes bytes = tinyLlama("gemma2", 0);
    auto f = openGguf(bytes);
    ASSERT_TRUE(f);
    auto a = arch::makeArchitecture(*f);
    ASSERT_FALSE(a.has_value());
    EXPECT_NE(a.error().message.find("sliding_window"), std::string::npos) << a.error().message;
}

TEST(DecoderArch, QwenFilesWithoutTheirExtraTensorsAreRejectedByName) {
    for (const auto& [arch, tensor] : {std::pair<std::string, std::string>{"qwen2", "attn_q.bias"},
                                       {"qwen3", "attn_q_norm.weight"},
                                       {"phi3", "attn_qkv.weight"},
                                       {"qwen3moe", "attn_q_norm.weight"}}) {
        const Bytes bytes = tinyLlama(arch, 0);
        auto f = openGguf(bytes);
        ASSERT_TRUE(f);
        auto a = arch::makeArchitecture(*f);
        ASSERT_FALSE(a.has_value()) << arch;
        EXPECT_NE(a.error().message.find(tensor), std::string::npos) << arch << ": " << a.error().message;
    }
}

TEST(DecoderArch, ExpertsAndFusedRowsAreViewsIntoTheMapping) {
    testgguf::Writer w;
    w.kv("general.architecture", testgguf::str("x"));
    w.tensor("exps", {32, 8, 4}, GgmlType::Q8_0);  // 4 experts of [8 rows][32 cols]
    w.tensor("fused", {32, 12}, GgmlType::F32);
    const Bytes bytes = w.build();
    auto f = openGguf(bytes);
    ASSERT_TRUE(f);
    auto experts = arch::bindExperts(*f, "exps", 32, 8, 4);
    ASSERT_TRUE(experts.has_value()) << experts.error().message;
    ASSERT_EQ(experts->size(), 4u);
    const gguf::TensorInfo* t = f->tensor("exps");
    const size_t expertBytes = kernels::rowBytes(GgmlType::Q8_0, 32) * 8;
    for (size_t e = 0; e < 4; ++e) {
        EXPECT_EQ((*experts)[e].data, t->data + e * expertBytes);
        EXPECT_EQ((*experts)[e].rows, 8);
        EXPECT_EQ((*experts)[e].cols, 32);
    }
    EXPECT_FALSE(arch::bindExperts(*f, "exps", 32, 8, 5).has_value());
    EXPECT_FALSE(arch::bindExperts(*f, "fused", 32, 12, 1).has_value());

    auto rows = arch::bindMatrixRows(*f, "fused", 32, 12, 8, 4);
    ASSERT_TRUE(rows.has_value()) << rows.error().message;
    EXPECT_EQ(rows->data, f->tensor("fused")->data + 8 * 32 * sizeof(float));
    EXPECT_EQ(rows->rows, 4);
    EXPECT_FALSE(arch::bindMatrixRows(*f, "fused", 32, 12, 10, 4).has_value());
}

TEST(DecoderArch, InvalidExpertCountsAreRejected) {
    testgguf::Writer w;
    w.kv("general.architecture", testgguf::str("qwen3moe"));
    w.kv("qwen3moe.embedding_length", testgguf::u32(32));
    w.kv("qwen3moe.block_count", testgguf::u32(1));
    w.kv("qwen3moe.attention.head_count", testgguf::u32(4));
    w.kv("qwen3moe.expert_count", testgguf::u32(4));
    w.kv("qwen3moe.expert_used_count", testgguf::u32(8));
    const Bytes bytes = w.build();
    auto f = openGguf(bytes);
    ASSERT_TRUE(f);
    auto h = arch::readHparams(*f);
    ASSERT_FALSE(h.has_value());
    EXPECT_NE(h.error().message.find("expert"), std::string::npos) << h.error().message;
}

}  // namespace

// A decode step gives the bits of the same tokens evaluated in one batch, past the first
// 64-key tile of the attention and with the default F16 cache: speculative decoding and
// seeded sampling depend on it. (A sanitizer build once fused the softmax sum's
// multiply-add in one attention kernel and not the other: 3e-6 apart from position 65.)
TEST(DecoderArch, DecodeStepsGiveTheBatchBitsPastTheFirstKeyTile) {
    auto f = gguf::File::open(std::string(ASSISTANT_SOURCE_DIR) + "/resources/models/stories260K.gguf");
    ASSERT_TRUE(f) << f.error().message;
    auto a = arch::makeArchitecture(**f);
    ASSERT_TRUE(a.has_value()) << a.error().message;
    const arch::Hparams& h = (*a)->hparams();
    std::vector<int32_t> toks;
    for (int i = 0; i < 150; ++i) toks.push_back(1 + (i * 37) % 500);
    for (int threads : {1, 2}) {
        // logits of positions 30.. evaluated `step` tokens at a time after a 30-token prompt
        auto logitsBy = [&](int step) {
            kernels::ThreadPool pool(threads);
            kv::Cache kv;
            kv.allocate(h.nLayer, 256, h.nHeadKv * h.headDim, GgmlType::F16);
            arch::Scratch scratch;
            const arch::CpuPlacement cpu = arch::placeOnCpu(**a, pool, kv);
            arch::ForwardContext ctx{pool, kv, scratch, cpu.session.get()};
            std::vector<float> out;
            (*a)->decoder()->forward(ctx, std::span(toks).first(30), 0, true);
            for (int p = 30; p < 150; p += step) {
                (*a)->decoder()->forward(ctx, std::span(toks).subspan(p, step), p, true);
                out.insert(out.end(), scratch.logits.begin(), scratch.logits.end());
            }
            return out;
        };
        const auto steps = logitsBy(1);
        for (int step : {5, 8}) {
            const auto batches = logitsBy(step);
            ASSERT_EQ(batches.size(), steps.size());
            const size_t V = steps.size() / 120;
            for (size_t i = 0; i < steps.size(); ++i)
                ASSERT_EQ(steps[i], batches[i]) << threads << " threads, batches of " << step << ": position "
                                                << 30 + i / V << " logit " << i % V;
        }
    }
}
