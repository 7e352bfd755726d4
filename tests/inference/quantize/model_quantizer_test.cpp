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

#include "assistant/engine.h"
#include "gguf/gguf_file.h"
#include "kernels/ref.h"
#include "quantize/model_quantizer.h"
#include "shared_data.h"

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

TEST(QuantizeModel, QuantizedModelsLoadAndGenerate) {
    REQUIRE_SHARED(conformanceModel("llama-a.gguf"));
    for (const char* type : {"Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q5_K_M", "Q6_K", "IQ4_NL", "TQ1_0", "TQ2_0"}) {
        const std::string out = tempPath(std::string(type) + ".gguf");
        auto stats = quantize::quantizeModel({conformanceModel("llama-a.gguf"), out, type, 2, {}});
        ASSERT_TRUE(stats) << type << ": " << stats.error().message;
        auto model = assistant::Model::load(out);
        ASSERT_TRUE(model) << type << ": " << model.error().message;
        auto session = assistant::Session::create(*model);
        ASSERT_TRUE(session);
        const int32_t prompt[] = {1, 100, 200, 300};
        auto logits = (*session)->evaluate(prompt, false);
        ASSERT_TRUE(logits) << type;
        for (float v : *logits) ASSERT_TRUE(std::isfinite(v)) << type;
        fs::remove(out);
    }
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
