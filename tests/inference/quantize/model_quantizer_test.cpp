// Whole-model quantization of the F32 conformance models, checked against the files
// llama-quantize wrote from the same sources: the same type for every tensor, the
// legacy types byte for byte, K-quants close to the source, metadata copied, and the
// result loadable and runnable by the engine. Failures leave no output file.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>

#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>
#include <span>

#include "arch/arch.h"
#include "assistant/engine.h"
#include "../gguf/gguf_writer.h"
#include "json/json.h"
#include "kernels/thread_pool.h"
#include "gguf/gguf_file.h"
#include "kernels/ref.h"
#include "quantize/model_quantizer.h"
#include "shared_data.h"
#include "engine/placement.h"

namespace fs = std::filesystem;
using kernels::GgmlType;

namespace {

std::string conformanceModel(const char* name) { return testdata::sharedPath("conformance/models/") + name; }

std::string tempPath(const std::string& name) {
    return (fs::temp_directory_path() / ("assistant_quantize_" + std::to_string(::getpid()) + "_" + name)).string();
}

std::unique_ptr<gguf::File> open(const std::string& path) {
    auto f = gguf::File::open(path);
    EXPECT_TRUE(f) << path << ": " << (f ? "" : f.error().message);
    return f ? std::move(*f) : nullptr;
}

struct Converted {
    std::unique_ptr<gguf::File> ours, theirs;
};

Converted convert(const char* source, const char* type, const char* reference) {
    const std::string out = tempPath(std::string(type) + ".gguf");
    auto stats = quantize::quantizeModel({conformanceModel(source), out, type, 2, {}});
    EXPECT_TRUE(stats) << (stats ? "" : stats.error().message);
    Converted c{open(out), open(conformanceModel(reference))};
    fs::remove(out);  // the mapping stays valid after unlink
    return c;
}

void expectSameTypes(const gguf::File& ours, const gguf::File& theirs) {
    ASSERT_EQ(ours.tensors().size(), theirs.tensors().size());
    for (const gguf::TensorInfo& t : theirs.tensors()) {
        const gguf::TensorInfo* o = ours.tensor(t.name);
        ASSERT_NE(o, nullptr) << t.name;
        EXPECT_EQ(kernels::typeName(o->type), kernels::typeName(t.type)) << t.name;
        EXPECT_EQ(o->shape, t.shape) << t.name;
    }
}

double relativeError(const gguf::TensorInfo& q, const gguf::TensorInfo& f32) {
    const int64_t n = q.elements();
    std::vector<float> deq(static_cast<size_t>(n));
    kernels::ref::dequantizeRow(q.type, q.data, deq.data(), n);
    const auto* x = reinterpret_cast<const float*>(f32.data);
    double err = 0, ref = 0;
    for (int64_t i = 0; i < n; ++i) {
        err += (deq[i] - x[i]) * static_cast<double>(deq[i] - x[i]);
        ref += x[i] * static_cast<double>(x[i]);
    }
    return std::sqrt(err / ref);
}

}  // namespace

TEST(QuantizeModel, Q8_0IsByteIdenticalToLlamaQuantize) {
    REQUIRE_SHARED(conformanceModel("llama-a.gguf"));
    Converted c = convert("llama-a.gguf", "Q8_0", "llama-a.Q8_0.gguf");
    ASSERT_TRUE(c.ours && c.theirs);
    expectSameTypes(*c.ours, *c.theirs);
    for (const gguf::TensorInfo& t : c.theirs->tensors()) {
        const gguf::TensorInfo* o = c.ours->tensor(t.name);
        ASSERT_EQ(o->bytes, t.bytes) << t.name;
        EXPECT_EQ(std::memcmp(o->data, t.data, t.bytes), 0) << t.name;
    }
    EXPECT_EQ(c.ours->getUInt("general.file_type"), 7u);
    // every source key is carried over
    auto source = open(conformanceModel("llama-a.gguf"));
    for (const auto& [key, value] : source->metadata()) EXPECT_NE(c.ours->find(key), nullptr) << key;
}

TEST(QuantizeModel, Q4_0WithTiedEmbeddingMatchesLlamaQuantize) {
    REQUIRE_SHARED(conformanceModel("qwen2-a.gguf"));
    Converted c = convert("qwen2-a.gguf", "Q4_0", "qwen2-a.Q4_0.gguf");
    ASSERT_TRUE(c.ours && c.theirs);
    expectSameTypes(*c.ours, *c.theirs);  // includes token_embd -> Q6_K (tied output)
    int compared = 0;
    for (const gguf::TensorInfo& t : c.theirs->tensors()) {
        if (t.type != GgmlType::Q4_0 && t.type != GgmlType::F32) continue;
        const gguf::TensorInfo* o = c.ours->tensor(t.name);
        EXPECT_EQ(std::memcmp(o->data, t.data, t.bytes), 0) << t.name;
        ++compared;
    }
    EXPECT_GT(compared, 20);
}

TEST(QuantizeModel, Q4_K_MChoosesLlamaQuantizesTypesAndStaysClose) {
    REQUIRE_SHARED(conformanceModel("llama-a.gguf"));
    Converted c = convert("llama-a.gguf", "Q4_K_M", "llama-a.Q4_K_M.gguf");
    ASSERT_TRUE(c.ours && c.theirs);
    expectSameTypes(*c.ours, *c.theirs);
    auto source = open(conformanceModel("llama-a.gguf"));
    for (const gguf::TensorInfo& t : c.ours->tensors()) {
        if (t.type == GgmlType::F32) continue;
        const double ours = relativeError(t, *source->tensor(t.name));
        const double theirs = relativeError(*c.theirs->tensor(t.name), *source->tensor(t.name));
        // within 10% of llama-quantize's error on the same tensor (no importance matrix on either side)
        EXPECT_LT(ours, theirs * 1.10 + 1e-6) << t.name << " " << kernels::typeName(t.type);
    }
}

namespace {

// ---- Logits of quantized models: against the F32 model, and decode against prefill.
//
// Drift from the F32 model, held to a bound derived from llama.cpp's own files: the
// relative RMS logit drift of a quantized model (rms(q - f32) / rms(f32) over the
// same prefill) divided by the relative RMS error of its weights is the model's
// "gain". It is measured from the references for every quantized model in
// ../shared/conformance (llama.cpp logits vs llama.cpp logits, llama-quantize weights
// vs F32 weights); our quantized llama-a, in every type, may not exceed the largest
// such gain by more than 10%. The gain falls as weight error grows (logits saturate),
// so the bound measured on 4..8-bit files is conservative for lower bits, not loose:
// a kernel that mis-decodes one sub-block scale or a nibble half moves the gain by
// far more than 10% (checked by hand: Q5_K's ref dot reading sub-block 7 with
// sub-block 6's scale raises its gain from 10.6 to 27.9, bound 17.1).
//
// Decode against prefill: a prompt evaluated at once, and the same tokens with the
// last ones evaluated one at a time on the KV cache, must give the same logits to
// 1e-3 of the largest |logit|. The single-token path uses other tiles (and for some
// types other kernels) than the batched one; a difference in their summation order
// flips int8 activation codes and moves logits by ~0.05, so this catches it.

struct Logits {
    std::vector<float> v;  // [tokens][vocab]
};

// Logits of every position of `ids`: one forward pass when decodeFrom == 0, else
// ids[0, decodeFrom) in one pass and the rest one token at a time.
Logits forwardLogits(const std::string& path, std::span<const int32_t> ids, size_t decodeFrom = 0) {
    auto file = gguf::File::open(path);
    EXPECT_TRUE(file) << path;
    if (!file) return {};
    auto a = arch::makeArchitecture(**file);
    EXPECT_TRUE(a) << (a ? "" : a.error().message);
    if (!a) return {};
    const arch::Decoder* decoder = (*a)->decoder();
    EXPECT_TRUE(decoder) << path;
    if (!decoder) return {};
    const arch::Hparams& h = decoder->hparams();
    kernels::ThreadPool pool(2);
    kv::Cache kv;
    kv.allocate(h.nLayer, static_cast<int64_t>(ids.size()), h.nHeadKv * h.headDim, GgmlType::F32);
    arch::Scratch scratch;
    const arch::CpuPlacement cpu = arch::placeOnCpu(**a, pool, kv);
    arch::ForwardContext ctx{pool, kv, scratch, cpu.session.get()};
    const size_t first = decodeFrom ? decodeFrom : ids.size();
    decoder->forward(ctx, ids.subspan(0, first), 0, true);
    Logits out{scratch.logits};
    for (size_t j = first; j < ids.size(); ++j) {
        decoder->forward(ctx, ids.subspan(j, 1), static_cast<int64_t>(j), false);
        out.v.insert(out.v.end(), scratch.logits.end() - h.nVocab, scratch.logits.end());
    }
    return out;
}

double rmsRelative(const std::vector<float>& a, const std::vector<float>& b) {
    double err = 0, ref = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        err += (a[i] - b[i]) * static_cast<double>(a[i] - b[i]);
        ref += b[i] * static_cast<double>(b[i]);
    }
    return std::sqrt(err / ref);
}

// Relative RMS error of all quantized tensors of `q` against the same tensors of `f32`.
double weightError(const gguf::File& q, const gguf::File& f32) {
    double err = 0, ref = 0;
    for (const gguf::TensorInfo& t : q.tensors()) {
        if (t.type == GgmlType::F32) continue;
        const gguf::TensorInfo* src = f32.tensor(t.name);
        EXPECT_NE(src, nullptr) << t.name;
        if (!src) continue;
        const int64_t n = t.elements();
        std::vector<float> deq(static_cast<size_t>(n)), x(static_cast<size_t>(n));
        kernels::ref::dequantizeRow(t.type, t.data, deq.data(), n);
        kernels::ref::dequantizeRow(src->type, src->data, x.data(), n);
        for (int64_t i = 0; i < n; ++i) {
            err += (deq[i] - x[i]) * static_cast<double>(deq[i] - x[i]);
            ref += x[i] * static_cast<double>(x[i]);
        }
    }
    return std::sqrt(err / ref);
}

std::vector<float> readFloats(const std::string& path, size_t offsetBytes, size_t count) {
    std::ifstream in(path, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(offsetBytes));
    std::vector<float> out(count);
    in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(count * sizeof(float)));
    EXPECT_TRUE(in) << path;
    return out;
}

// All prefill blocks of a reference, concatenated.
std::vector<float> referencePrefill(const json::Value& meta) {
    std::vector<float> out;
    const std::string bin = testdata::sharedPath("conformance/" + meta["bin_file"].asString());
    for (const json::Value& b : meta["bin_blocks"].asArray()) {
        if (b["what"].asString() != "prefill") continue;
        const auto rows = b["shape"][0].asInt(), cols = b["shape"][1].asInt();
        const auto block = readFloats(bin, static_cast<size_t>(b["offset_bytes"].asInt()), static_cast<size_t>(rows * cols));
        out.insert(out.end(), block.begin(), block.end());
    }
    return out;
}

json::Value referenceMeta(const std::string& name) {
    std::ifstream in(testdata::sharedPath("conformance/refs/" + name + ".json"));
    std::ostringstream text;
    text << in.rdbuf();
    auto meta = json::Value::parse(text.str());
    EXPECT_TRUE(meta) << name;
    return meta ? *meta : json::Value();
}

// The largest gain (logit drift / weight error) of llama.cpp's quantized references.
double referenceGain() {
    double worst = 0;
    for (const char* name : {"llama-a.Q8_0", "llama-a.Q4_K_M", "qwen2-a.Q4_0", "phi3-a.Q6_K", "qwen3moe-a.Q8_0"}) {
        const json::Value q = referenceMeta(name);
        const std::string f32Name = q["source_f32_model"].asString();
        const json::Value f = referenceMeta(f32Name.substr(7, f32Name.size() - 7 - 5));  // models/X.gguf
        auto qFile = open(testdata::sharedPath("conformance/" + q["model_file"].asString()));
        auto fFile = open(testdata::sharedPath("conformance/" + f32Name));
        if (!qFile || !fFile) return 0;
        const double gain = rmsRelative(referencePrefill(q), referencePrefill(f)) / weightError(*qFile, *fFile);
        std::printf("[ info ] llama.cpp %-16s gain %.3f\n", name, gain);
        worst = std::max(worst, gain);
    }
    return worst;
}

std::vector<int32_t> referenceIds(const char* name, size_t seq) {
    const json::Value meta = referenceMeta(name);  // kept alive: the loop reads into it
    std::vector<int32_t> ids;
    for (const json::Value& v : meta["sequences"][seq]["ids"].asArray())
        ids.push_back(static_cast<int32_t>(v.asInt()));
    return ids;
}

// Decode rows [decodeFrom, n) of `path` against its one-pass rows.
void expectDecodeMatchesPrefill(const std::string& path, std::span<const int32_t> ids, size_t decodeFrom,
                                const std::string& what, const std::vector<float>* onePass = nullptr) {
    const Logits whole = onePass ? Logits{*onePass} : forwardLogits(path, ids);
    const Logits stepped = forwardLogits(path, ids, decodeFrom);
    ASSERT_EQ(whole.v.size(), stepped.v.size()) << what;
    float diff = 0, scale = 0;
    for (size_t i = 0; i < whole.v.size(); ++i) {
        diff = std::max(diff, std::fabs(whole.v[i] - stepped.v[i]));
        scale = std::max(scale, std::fabs(whole.v[i]));
    }
    EXPECT_LE(diff, 1e-3f * scale) << what << ": decode-step logits differ from the one-pass prefill";
    std::printf("[ info ] %-28s decode vs one-pass max |diff| %.2e (bound %.2e)\n", what.c_str(), diff, 1e-3f * scale);
}

}  // namespace

TEST(QuantizeModel, QuantizedLogitsTrackTheF32ModelAndDecodeAsTheyPrefill) {
    REQUIRE_SHARED(conformanceModel("llama-a.gguf"));
    REQUIRE_SHARED(testdata::sharedPath("conformance/refs/llama-a.Q8_0.json"));
    const double bound = 1.10 * referenceGain();
    ASSERT_GT(bound, 0.0);
    // the 64 random tokens of the references' second sequence; the last 16 decoded one by one
    const std::vector<int32_t> ids = referenceIds("llama-a", 1);
    ASSERT_EQ(ids.size(), 64u);
    const Logits f32 = forwardLogits(conformanceModel("llama-a.gguf"), ids);
    auto source = open(conformanceModel("llama-a.gguf"));
    ASSERT_TRUE(source);
    for (const char* type :
         {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K_M", "Q5_K_M", "Q6_K", "IQ4_NL", "TQ1_0", "TQ2_0"}) {
        const std::string out = tempPath(std::string(type) + ".gguf");
        auto stats = quantize::quantizeModel({conformanceModel("llama-a.gguf"), out, type, 2, {}});
        ASSERT_TRUE(stats) << type << ": " << stats.error().message;
        const Logits q = forwardLogits(out, ids);
        ASSERT_EQ(q.v.size(), f32.v.size()) << type;
        for (float v : q.v) ASSERT_TRUE(std::isfinite(v)) << type;
        auto file = open(out);
        ASSERT_TRUE(file);
        const double gain = rmsRelative(q.v, f32.v) / weightError(*file, *source);
        EXPECT_LE(gain, bound) << type << ": logits drift from the F32 model's more than the weights explain";
        std::printf("[ info ] llama-a %-7s gain %.3f (bound %.3f)\n", type, gain, bound);
        expectDecodeMatchesPrefill(out, ids, 48, std::string("llama-a ") + type, &q.v);
        fs::remove(out);
    }
}

namespace {

// A shape the conformance set lacks: rows of 384 (K-quants fall back to legacy types
// on those tensors, not on ffn_down's 1024), head_dim 64, a sliding window, and
// decode steps beyond the window, through Q5_K_M and IQ4_NL.
std::string writeOddShapeModel() {
    const uint64_t E = 384, H = 6, KV = 2, D = 64, F = 1024, V = 512;
    testgguf::Writer w;
    w.kv("general.architecture", testgguf::str("llama"));
    w.kv("llama.context_length", testgguf::u32(256));
    w.kv("llama.embedding_length", testgguf::u32(E));
    w.kv("llama.block_count", testgguf::u32(2));
    w.kv("llama.feed_forward_length", testgguf::u32(F));
    w.kv("llama.attention.head_count", testgguf::u32(H));
    w.kv("llama.attention.head_count_kv", testgguf::u32(KV));
    w.kv("llama.attention.sliding_window", testgguf::u32(40));
    w.kv("llama.rope.freq_base", testgguf::f32(10000.0f));
    w.kv("llama.attention.layer_norm_rms_epsilon", testgguf::f32(1e-5f));
    w.kv("llama.vocab_size", testgguf::u32(V));
    std::mt19937 rng(17);
    auto normal = [&rng](uint64_t n, float mean, float sd) {
        std::normal_distribution<float> dist(mean, sd);
        testgguf::Bytes out(n * sizeof(float));
        for (uint64_t i = 0; i < n; ++i) {
            const float v = dist(rng);
            std::memcpy(out.data() + i * sizeof(float), &v, sizeof(float));
        }
        return out;
    };
    const float s = 1.0f / std::sqrt(static_cast<float>(E));
    w.tensor("token_embd.weight", {E, V}, GgmlType::F32, normal(E * V, 0, 1));
    for (int l = 0; l < 2; ++l) {
        const std::string b = "blk." + std::to_string(l) + ".";
        w.tensor(b + "attn_norm.weight", {E}, GgmlType::F32, normal(E, 1, 0.1f));
        w.tensor(b + "attn_q.weight", {E, E}, GgmlType::F32, normal(E * E, 0, 2 * s));
        w.tensor(b + "attn_k.weight", {E, KV * D}, GgmlType::F32, normal(E * KV * D, 0, 2 * s));
        w.tensor(b + "attn_v.weight", {E, KV * D}, GgmlType::F32, normal(E * KV * D, 0, s));
        w.tensor(b + "attn_output.weight", {E, E}, GgmlType::F32, normal(E * E, 0, s));
        w.tensor(b + "ffn_norm.weight", {E}, GgmlType::F32, normal(E, 1, 0.1f));
        w.tensor(b + "ffn_gate.weight", {E, F}, GgmlType::F32, normal(E * F, 0, s));
        w.tensor(b + "ffn_up.weight", {E, F}, GgmlType::F32, normal(E * F, 0, s));
        w.tensor(b + "ffn_down.weight", {F, E}, GgmlType::F32, normal(F * E, 0, 1.0f / 32));
    }
    w.tensor("output_norm.weight", {E}, GgmlType::F32, normal(E, 1, 0.1f));
    w.tensor("output.weight", {E, V}, GgmlType::F32, normal(E * V, 0, 3 * s));
    const testgguf::Bytes bytes = w.build();
    const std::string path = tempPath("odd_shape.gguf");
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                static_cast<std::streamsize>(bytes.size()));
    return path;
}

}  // namespace

TEST(QuantizeModel, OddShapeDecodeStepsMatchThePrefill) {
    const std::string source = writeOddShapeModel();
    std::vector<int32_t> ids;
    for (int i = 0; i < 96; ++i) ids.push_back(i == 0 ? 1 : (37 * i + 11) % 509 + 3);
    for (const char* type : {"Q5_K_M", "IQ4_NL", "Q8_0", "Q4_0", "Q4_K_M"}) {
        const std::string out = tempPath(std::string("odd_") + type + ".gguf");
        auto stats = quantize::quantizeModel({source, out, type, 2, {}});
        ASSERT_TRUE(stats) << type << ": " << stats.error().message;
        expectDecodeMatchesPrefill(out, ids, 64, std::string("384-wide ") + type);
        fs::remove(out);
    }
    fs::remove(source);
}

TEST(QuantizeModel, BadRequestsFailCleanlyWithoutOutput) {
    REQUIRE_SHARED(conformanceModel("llama-a.gguf"));
    const std::string out = tempPath("bad.gguf");
    auto unknown = quantize::quantizeModel({conformanceModel("llama-a.gguf"), out, "Q7_0", 1, {}});
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().code, assistant::ErrorCode::InvalidArgument);
    EXPECT_NE(unknown.error().message.find("Q4_K_M"), std::string::npos);  // lists the supported ones

    auto fromQuantized = quantize::quantizeModel({conformanceModel("llama-a.Q8_0.gguf"), out, "Q4_0", 1, {}});
    ASSERT_FALSE(fromQuantized);
    EXPECT_EQ(fromQuantized.error().code, assistant::ErrorCode::UnsupportedTensorType);

    auto missing = quantize::quantizeModel({"/nonexistent/model.gguf", out, "Q4_0", 1, {}});
    ASSERT_FALSE(missing);

    auto cancelled = quantize::quantizeModel(
        {conformanceModel("llama-a.gguf"), out, "Q4_0", 1, [](size_t done, size_t) { return done < 3; }});
    ASSERT_FALSE(cancelled);
    EXPECT_EQ(cancelled.error().code, assistant::ErrorCode::Cancelled);
    EXPECT_FALSE(fs::exists(out));
    EXPECT_FALSE(fs::exists(out + ".part"));
}

// The in-memory image (ModelParams::requantize, self-speculation) is the file that
// quantizeModel writes, byte for byte, and so llama-quantize's tensors for Q8_0.
TEST(QuantizeModel, InMemoryImageIsTheWrittenFile) {
    REQUIRE_SHARED(conformanceModel("llama-a.gguf"));
    auto source = open(conformanceModel("llama-a.gguf"));
    ASSERT_TRUE(source);
    for (const char* type : {"Q8_0", "Q4_0"}) {
        auto image = quantize::quantizeImage(*source, type, 2);
        ASSERT_TRUE(image) << image.error().message;
        const std::string out = tempPath(std::string("image_") + type + ".gguf");
        ASSERT_TRUE(quantize::quantizeModel({conformanceModel("llama-a.gguf"), out, type, 2, {}}));
        std::ifstream in(out, std::ios::binary);
        const std::vector<uint8_t> written((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        fs::remove(out);
        EXPECT_TRUE(written == *image) << type << ": " << written.size() << " vs " << image->size() << " bytes";
    }
    EXPECT_FALSE(quantize::quantizeImage(*source, "Q9_9", 2));
}
