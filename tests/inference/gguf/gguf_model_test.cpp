// GGUF reader on the real files in ../shared: every model and vocabulary parses,
// and stories260K / TinyStories-656K hold the values models/README.md describes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>

#include "gguf/gguf_file.h"
#include "shared_data.h"

namespace {

using kernels::GgmlType;

std::vector<std::string> ggufFilesIn(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& entry : std::filesystem::directory_iterator(dir))
        if (entry.path().extension() == ".gguf") out.push_back(entry.path().string());
    std::sort(out.begin(), out.end());
    return out;
}

void expectConsistent(const gguf::File& f) {
    EXPECT_TRUE(f.version() == 2 || f.version() == 3);
    EXPECT_EQ(f.dataOffset() % f.alignment(), 0u);
    for (const gguf::TensorInfo& t : f.tensors()) {
        ASSERT_NE(t.data, nullptr) << t.name;
        EXPECT_GE(t.shape.size(), 1u);
        EXPECT_EQ(t.bytes, kernels::rowBytes(t.type, t.shape[0]) * static_cast<uint64_t>(t.rows())) << t.name;
        EXPECT_LE(f.dataOffset() + t.offset + t.bytes, f.fileSize()) << t.name;
        EXPECT_EQ(f.tensor(t.name), &t);
    }
    for (const auto& [key, value] : f.metadata()) EXPECT_EQ(f.find(key), &value);
}

void parseAllIn(const std::string& relativeDir, bool expectTensors) {
    const std::string dir = testdata::sharedPath(relativeDir);
    REQUIRE_SHARED(dir);
    const std::vector<std::string> files = ggufFilesIn(dir);
    ASSERT_FALSE(files.empty()) << dir;
    for (const std::string& path : files) {
        SCOPED_TRACE(path);
        auto file = gguf::File::open(path);
        ASSERT_TRUE(file) << file.error().message;
        expectConsistent(**file);
        EXPECT_EQ(!(*file)->tensors().empty(), expectTensors);
        EXPECT_TRUE((*file)->getString("general.architecture") || !expectTensors);
    }
}

TEST(GgufModels, EveryLlmParses) { parseAllIn("models/llm", true); }
TEST(GgufModels, EveryConformanceModelParses) { parseAllIn("conformance/models", true); }
TEST(GgufModels, EveryVocabParsesWithoutTensors) { parseAllIn("models/vocab", false); }

TEST(GgufModels, AquilaVocabIsVersion2) {
    const std::string path = testdata::sharedPath("models/vocab/ggml-vocab-aquila.gguf");
    REQUIRE_SHARED(path);
    auto file = gguf::File::open(path);
    ASSERT_TRUE(file) << file.error().message;
    EXPECT_EQ((*file)->version(), 2u);
    EXPECT_EQ((*file)->getString("tokenizer.ggml.model"), "gpt2");
    ASSERT_NE((*file)->getArray("tokenizer.ggml.tokens"), nullptr);
    EXPECT_EQ((*file)->getArray("tokenizer.ggml.tokens")->items.size(), 100008u);
}

TEST(GgufModels, Stories260KMetadata) {
    const std::string path = testdata::sharedPath("models/llm/stories260K.gguf");
    REQUIRE_SHARED(path);
    auto file = gguf::File::open(path);
    ASSERT_TRUE(file) << file.error().message;
    const gguf::File& f = **file;
    EXPECT_EQ(f.version(), 3u);
    EXPECT_EQ(f.fileSize(), 1185376u);
    EXPECT_EQ(f.getString("general.architecture"), "llama");
    EXPECT_EQ(f.getUInt(f.archKey("embedding_length")), 64u);
    EXPECT_EQ(f.getUInt(f.archKey("feed_forward_length")), 172u);
    EXPECT_EQ(f.getUInt(f.archKey("block_count")), 5u);
    EXPECT_EQ(f.getUInt(f.archKey("attention.head_count")), 8u);
    EXPECT_EQ(f.getUInt(f.archKey("attention.head_count_kv")), 4u);
    EXPECT_EQ(f.getUInt(f.archKey("rope.dimension_count")), 8u);
    EXPECT_EQ(f.getUInt(f.archKey("context_length")), 2048u);
    EXPECT_NEAR(f.getFloat(f.archKey("attention.layer_norm_rms_epsilon")).value_or(0), 1e-5, 1e-9);
    EXPECT_EQ(f.getString("tokenizer.ggml.model"), "llama");
    EXPECT_EQ(f.find("tokenizer.ggml.pre"), nullptr);
    EXPECT_EQ(f.getUInt("tokenizer.ggml.bos_token_id"), 1u);
    EXPECT_EQ(f.getUInt("tokenizer.ggml.eos_token_id"), 2u);
    EXPECT_EQ(f.getUInt("tokenizer.ggml.unknown_token_id"), 0u);

    const gguf::Array* tokens = f.getArray("tokenizer.ggml.tokens");
    ASSERT_NE(tokens, nullptr);
    EXPECT_EQ(tokens->elementType, gguf::ValueType::String);
    ASSERT_EQ(tokens->items.size(), 512u);
    EXPECT_EQ(tokens->items[1].asString(), "<s>");
    EXPECT_EQ(tokens->items[2].asString(), "</s>");
    const gguf::Array* scores = f.getArray("tokenizer.ggml.scores");
    ASSERT_NE(scores, nullptr);
    EXPECT_EQ(scores->elementType, gguf::ValueType::F32);
    EXPECT_EQ(scores->items.size(), 512u);
    const gguf::Array* types = f.getArray("tokenizer.ggml.token_type");
    ASSERT_NE(types, nullptr);
    EXPECT_EQ(types->items.size(), 512u);

    ASSERT_EQ(f.tensors().size(), 48u);
    int64_t parameters = 0;
    for (const gguf::TensorInfo& t : f.tensors()) {
        EXPECT_EQ(t.type, GgmlType::F32) << t.name;
        parameters += t.elements();
    }
    EXPECT_GT(parameters, 250000);
    EXPECT_LT(parameters, 300000);
    const gguf::TensorInfo* embd = f.tensor("token_embd.weight");
    ASSERT_NE(embd, nullptr);
    EXPECT_EQ(embd->shape, (std::vector<int64_t>{64, 512}));
    EXPECT_NE(f.tensor("output.weight"), nullptr);
    const gguf::TensorInfo* wq = f.tensor("blk.4.attn_q.weight");
    ASSERT_NE(wq, nullptr);
    EXPECT_EQ(wq->shape, (std::vector<int64_t>{64, 64}));
    const gguf::TensorInfo* wk = f.tensor("blk.4.attn_k.weight");
    ASSERT_NE(wk, nullptr);
    EXPECT_EQ(wk->shape, (std::vector<int64_t>{64, 32}));  // 4 KV heads x 8
}

TEST(GgufModels, MmapAndReadGiveTheSameBytes) {
    const std::string path = testdata::sharedPath("models/llm/stories260K.gguf");
    REQUIRE_SHARED(path);
    auto mapped = gguf::File::open(path, true);
    auto read = gguf::File::open(path, false);
    ASSERT_TRUE(mapped && read);
    ASSERT_EQ((*mapped)->tensors().size(), (*read)->tensors().size());
    for (size_t i = 0; i < (*mapped)->tensors().size(); ++i) {
        const gguf::TensorInfo& a = (*mapped)->tensors()[i];
        const gguf::TensorInfo& b = (*read)->tensors()[i];
        ASSERT_EQ(a.bytes, b.bytes);
        EXPECT_EQ(std::memcmp(a.data, b.data, a.bytes), 0) << a.name;
        (*mapped)->release(a);
        EXPECT_EQ(std::memcmp(a.data, b.data, a.bytes), 0) << a.name << " after release";
    }
}

TEST(GgufModels, TinyStoriesQ8_0) {
    const std::string path = testdata::sharedPath("models/llm/TinyStories-656K-Q8_0.gguf");
    REQUIRE_SHARED(path);
    auto file = gguf::File::open(path);
    ASSERT_TRUE(file) << file.error().message;
    const gguf::File& f = **file;
    ASSERT_EQ(f.tensors().size(), 20u);
    std::map<GgmlType, int> counts;
    for (const gguf::TensorInfo& t : f.tensors()) ++counts[t.type];
    EXPECT_EQ(counts[GgmlType::Q8_0], 15);
    EXPECT_EQ(counts[GgmlType::F32], 5);
    EXPECT_EQ(f.tensor("output.weight"), nullptr);  // tied embeddings
    EXPECT_EQ(f.getString("tokenizer.ggml.pre"), "default");
    EXPECT_EQ(f.getUInt(f.archKey("embedding_length")), 128u);
    EXPECT_EQ(f.getUInt(f.archKey("context_length")), 512u);
    EXPECT_EQ(f.getArray("tokenizer.ggml.tokens")->items.size(), 2048u);
    EXPECT_EQ(f.getBool("tokenizer.ggml.add_bos_token"), true);
}

}  // namespace
