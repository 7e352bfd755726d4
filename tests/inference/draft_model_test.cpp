// Speculative decoding with a draft model (SpeculativeParams::Draft::Model): the same
// tokens as plain decoding, greedy and seeded, with a draft file and with the model
// requantized at load (self-speculation), on the demo models and on a model of every
// decoder architecture in ../shared/conformance; a draft with another vocabulary is
// refused; the requantized weights are the reference quantizer's.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "assistant/engine.h"
#include "kernels/ref.h"
#include "engine/engine_access.h"

namespace {

namespace fs = std::filesystem;
using assistant::GenerateParams;
using assistant::GenerateResult;
using assistant::Model;
using ModelPtr = std::shared_ptr<const Model>;

fs::path sharedDir(const char* sub) {
    const char* dir = std::getenv("ASSISTANT_SHARED_DIR");
    return fs::path(dir ? dir : ASSISTANT_SHARED_DIR) / sub;
}

#define REQUIRE_DIR(path)                                                  \
    do {                                                                   \
        if (!fs::exists(path)) {                                           \
            if (std::getenv("CI")) FAIL() << (path) << " is missing";      \
            GTEST_SKIP() << (path) << " is missing";                       \
        }                                                                  \
    } while (0)

ModelPtr load(const fs::path& path, const std::string& requantize = {}) {
    assistant::ModelParams mp;
    mp.requantize = requantize;
    auto m = Model::load(path.string(), mp);
    EXPECT_TRUE(m) << path << ": " << m.error().message;
    return m ? *m : nullptr;
}

GenerateParams params(int maxTokens, float temperature, ModelPtr draft, float minProbability = 0.5f) {
    GenerateParams p;
    p.sampling.temperature = temperature;
    p.sampling.seed = 4321;
    p.maxTokens = maxTokens;
    if (draft) {
        p.speculative.draft = assistant::SpeculativeParams::Draft::Model;
        p.speculative.draftModel = std::move(draft);
        p.speculative.maxDraftTokens = 4;
        p.speculative.minDraftProbability = minProbability;
    }
    return p;
}

GenerateResult run(const ModelPtr& model, std::string_view prompt, const GenerateParams& p) {
    auto session = assistant::Session::create(model, {});
    EXPECT_TRUE(session) << session.error().message;
    if (!session) return {};
    auto r = (*session)->generate(prompt, p, {});
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : GenerateResult{};
}

constexpr std::string_view kStory =
    "Once upon a time, there was a little girl named Lily. She liked to play outside in the park with her";

}  // namespace

TEST(DraftModel, GreedyTextIsTheSameOnTheDemoModels) {
    const fs::path dir = sharedDir("models/llm");
    REQUIRE_DIR(dir);
    struct Case {
        const char* target;
        const char* draft;       // a file in dir, or "" for the target itself
        const char* requantize;  // applied to the draft
    };
    for (const Case& c : {Case{"stories260K.gguf", "", "Q4_0"}, Case{"stories260K.gguf", "stories260K.gguf", ""},
                          Case{"TinyStories-656K-Q8_0.gguf", "", "Q4_0"}, Case{"TinyStories-656K-Q8_0.gguf", "", "TQ2_0"}}) {
        const std::string what = std::string(c.target) + " <- " + (*c.draft ? c.draft : "self") + ":" + c.requantize;
        const ModelPtr target = load(dir / c.target);
        const ModelPtr draft = load(dir / (*c.draft ? c.draft : c.target), c.requantize);
        ASSERT_TRUE(target && draft) << what;
        const GenerateResult plain = run(target, kStory, params(120, 0, nullptr));
        const GenerateResult fast = run(target, kStory, params(120, 0, draft));
        EXPECT_EQ(fast.tokens, plain.tokens) << what;
        EXPECT_EQ(fast.text, plain.text) << what;
        EXPECT_GT(plain.tokens.size(), 40u) << what;
        EXPECT_EQ(fast.stopReason, plain.stopReason) << what;
        EXPECT_GT(fast.stats.draftedTokens, 0) << what;
        EXPECT_GT(fast.stats.acceptedDraftTokens, 0) << what;
        EXPECT_LE(fast.stats.acceptedDraftTokens, fast.stats.draftedTokens) << what;
        if (!*c.requantize) {  // the model as its own draft: its guesses are what it samples
            EXPECT_GE(fast.stats.acceptedDraftTokens, fast.stats.draftedTokens * 9 / 10) << what;
        }
    }
}

TEST(DraftModel, SeededSamplingIsTheSame) {
    const fs::path dir = sharedDir("models/llm");
    REQUIRE_DIR(dir);
    const ModelPtr target = load(dir / "TinyStories-656K-Q8_0.gguf");
    const ModelPtr draft = load(dir / "TinyStories-656K-Q8_0.gguf", "Q4_0");
    ASSERT_TRUE(target && draft);
    for (float temperature : {0.5f, 1.0f}) {
        const GenerateResult plain = run(target, kStory, params(100, temperature, nullptr));
        const GenerateResult fast = run(target, kStory, params(100, temperature, draft));
        EXPECT_EQ(fast.tokens, plain.tokens) << "temperature " << temperature;
        EXPECT_GT(fast.stats.draftedTokens, 0) << "temperature " << temperature;
    }
}

TEST(DraftModel, ASessionKeepsItsDraftInStepAcrossTurns) {
    const fs::path dir = sharedDir("models/llm");
    REQUIRE_DIR(dir);
    const ModelPtr target = load(dir / "stories260K.gguf");
    const ModelPtr draft = load(dir / "stories260K.gguf");  // the model itself: every guess right when in step
    ASSERT_TRUE(target && draft);
    // Each prompt shares a prefix with the cache and then differs: the draft's cache
    // must roll back to the target's history each time, or its guesses continue a text
    // the target no longer has (and about half are rejected).
    auto plain = assistant::Session::create(target, {});
    auto fast = assistant::Session::create(target, {});
    ASSERT_TRUE(plain && fast);
    int drafted = 0, accepted = 0;
    for (std::string_view prompt : {kStory, std::string_view("Once upon a time, there was a big red ball."),
                                    std::string_view("Once upon a time"), kStory}) {
        auto a = (*plain)->generate(prompt, params(60, 0, nullptr), {});
        auto b = (*fast)->generate(prompt, params(60, 0, draft, 0.0f), {});
        ASSERT_TRUE(a && b);
        EXPECT_EQ(b->tokens, a->tokens) << prompt;
        drafted += b->stats.draftedTokens;
        accepted += b->stats.acceptedDraftTokens;
    }
    EXPECT_GT(drafted, 100);
    EXPECT_GE(accepted, drafted * 95 / 100) << accepted << " of " << drafted;
}

TEST(DraftModel, ADraftWithAnotherVocabularyIsRefused) {
    const fs::path dir = sharedDir("models/llm");
    REQUIRE_DIR(dir);
    const ModelPtr target = load(dir / "TinyStories-656K-Q8_0.gguf");
    const ModelPtr other = load(dir / "stories260K.gguf");
    ASSERT_TRUE(target && other);
    auto check = assistant::checkDraftModel(*target, *other);
    ASSERT_FALSE(check);
    EXPECT_EQ(check.error().code, assistant::ErrorCode::InvalidArgument);
    EXPECT_NE(check.error().message.find("2048 tokens in the model, 512 in the draft"), std::string::npos)
        << check.error().message;
    EXPECT_TRUE(assistant::checkDraftModel(*other, *load(dir / "stories260K.gguf", "Q4_0")));
    auto session = assistant::Session::create(target, {});
    ASSERT_TRUE(session);
    auto r = (*session)->generate(kStory, params(10, 0, other), {});
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("does not share the vocabulary"), std::string::npos) << r.error().message;
    GenerateParams none = params(10, 0, nullptr);
    none.speculative.draft = assistant::SpeculativeParams::Draft::Model;  // and no draftModel
    EXPECT_FALSE((*session)->generate(kStory, none, {}));
    GenerateParams bad = params(10, 0, target, 1.5f);
    EXPECT_FALSE((*session)->generate(kStory, bad, {}));
}

TEST(DraftModel, RequantizedWeightsAreTheReferenceQuantizersOutput) {
    const fs::path path = sharedDir("models/llm") / "TinyStories-656K-Q8_0.gguf";
    REQUIRE_DIR(path);
    const ModelPtr source = load(path);
    const ModelPtr draft = load(path, "q4_0");
    ASSERT_TRUE(source && draft);
    EXPECT_EQ(draft->info().fileType, "Q4_0");
    EXPECT_FALSE(Model::load(path.string(), [] {
                     assistant::ModelParams mp;
                     mp.requantize = "Q9_9";
                     return mp;
                 }()));
    const gguf::File& in = *assistant::modelImpl(*source).file;
    const gguf::File& out = *assistant::modelImpl(*draft).file;
    int checked = 0;
    for (const gguf::TensorInfo& t : out.tensors()) {
        const gguf::TensorInfo* src = in.tensor(t.name);
        ASSERT_NE(src, nullptr) << t.name;
        if (t.type != kernels::GgmlType::Q4_0) continue;
        // (Bound tensors may have been released from the source mapping: compare the
        // first row, read through a fresh open of the file.)
        auto fresh = gguf::File::open(path.string());
        ASSERT_TRUE(fresh);
        const gguf::TensorInfo* f = (*fresh)->tensor(t.name);
        const int64_t k = t.shape[0];
        std::vector<float> row(static_cast<size_t>(k));
        kernels::ref::dequantizeRow(f->type, f->data, row.data(), k);
        std::vector<uint8_t> expected(kernels::rowBytes(kernels::GgmlType::Q4_0, k));
        kernels::ref::quantizeRow(kernels::GgmlType::Q4_0, row.data(), expected.data(), k);
        EXPECT_TRUE(std::equal(expected.begin(), expected.end(), t.data)) << t.name;
        ++checked;
    }
    EXPECT_GT(checked, 0);
}

TEST(DraftModel, EveryArchitectureGivesTheSameGreedyText) {
    const fs::path models = sharedDir("conformance/models");
    REQUIRE_DIR(models);
    struct Case {
        const char* target;
        const char* draft;  // a file, or "self:TYPE"
    };
    for (const Case& c : {Case{"llama-a.gguf", "llama-a.Q8_0.gguf"}, Case{"llama-a.Q4_K_M.gguf", "self:Q2_K"},
                          Case{"llama3rope-a.gguf", "self:Q4_0"}, Case{"qwen2-a.gguf", "qwen2-a.Q4_0.gguf"},
                          Case{"qwen3-a.gguf", "self:Q4_0"}, Case{"phi3-a.gguf", "phi3-a.Q6_K.gguf"},
                          Case{"gemma2-a.gguf", "self:TQ2_0"}, Case{"qwen3moe-a.gguf", "qwen3moe-a.Q8_0.gguf"}}) {
        const std::string what = std::string(c.target) + " <- " + c.draft;
        const std::string_view d = c.draft;
        const ModelPtr target = load(models / c.target);
        const ModelPtr draft = d.starts_with("self:") ? load(models / c.target, std::string(d.substr(5)))
                                                       : load(models / c.draft);
        ASSERT_TRUE(target && draft) << what;
        // Random weights: the draft is rarely sure, so it drafts whatever its doubts.
        const std::string prompt = "one two three four one two three four one two three";
        const GenerateResult plain = run(target, prompt, params(40, 0, nullptr));
        const GenerateResult fast = run(target, prompt, params(40, 0, draft, 0.0f));
        EXPECT_EQ(fast.tokens, plain.tokens) << what;
        EXPECT_GT(fast.stats.draftedTokens, 0) << what;
    }
}
