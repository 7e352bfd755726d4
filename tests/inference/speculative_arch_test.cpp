// Speculative decoding on a model of every decoder architecture in ../shared/conformance:
// the batched verification pass gives the logits the one-token pass gives, so the
// greedy text is the same with and without prompt-lookup drafts.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "assistant/engine.h"

namespace {

assistant::GenerateResult greedy(const std::shared_ptr<const assistant::Model>& model, const std::string& prompt,
                                 bool speculative) {
    assistant::GenerateParams p;
    p.sampling.temperature = 0;
    p.maxTokens = 48;
    if (speculative) p.speculative.draft = assistant::SpeculativeParams::Draft::PromptLookup;
    p.speculative.ngramMin = 1;  // random-weight models rarely repeat a pair: guess from single tokens too
    auto session = assistant::Session::create(model, {});
    EXPECT_TRUE(session) << session.error().message;
    auto r = (*session)->generate(prompt, p, {});
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : assistant::GenerateResult{};
}

}  // namespace

TEST(Speculative, EveryArchitectureGivesTheSameGreedyText) {
    const char* dir = std::getenv("ASSISTANT_SHARED_DIR");
    const std::filesystem::path models = std::filesystem::path(dir ? dir : ASSISTANT_SHARED_DIR) / "conformance/models";
    if (!std::filesystem::exists(models)) {
        if (std::getenv("CI")) FAIL() << models << " is missing";
        GTEST_SKIP() << models << " is missing";
    }
    for (const char* name : {"llama-a.gguf", "llama-a.Q4_K_M.gguf", "llama3rope-a.gguf", "qwen2-a.Q4_0.gguf",
                             "qwen3-a.gguf", "phi3-a.gguf", "gemma2-a.gguf", "qwen3moe-a.Q8_0.gguf"}) {
        auto model = assistant::Model::load((models / name).string());
        ASSERT_TRUE(model) << name << ": " << model.error().message;
        const std::string prompt = "one two three four one two three four one two three";
        const auto plain = greedy(*model, prompt, false);
        const auto fast = greedy(*model, prompt, true);
        EXPECT_EQ(fast.tokens, plain.tokens) << name;
        EXPECT_GT(fast.stats.draftedTokens, 0) << name;
    }
}
