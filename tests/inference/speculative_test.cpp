// Speculative decoding with prompt-lookup drafts: the same tokens as plain decoding
// (greedy and seeded sampling) on the demo model and on a model of every decoder
// architecture in ../shared/conformance, drafts that are accepted, and the drafter.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "assistant/engine.h"
#include "engine/prompt_lookup.h"

namespace {

const std::string kDemo = std::string(ASSISTANT_SOURCE_DIR) + "/resources/models/stories260K.gguf";

assistant::GenerateParams params(int maxTokens, float temperature, bool speculative) {
    assistant::GenerateParams p;
    p.sampling.temperature = temperature;
    p.sampling.seed = 1234;
    p.maxTokens = maxTokens;
    if (speculative) p.speculative.draft = assistant::SpeculativeParams::Draft::PromptLookup;
    return p;
}

assistant::GenerateResult run(const std::shared_ptr<const assistant::Model>& model, std::string_view prompt,
                              const assistant::GenerateParams& p) {
    auto session = assistant::Session::create(model, {});
    EXPECT_TRUE(session) << session.error().message;
    auto r = (*session)->generate(prompt, p, {});
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : assistant::GenerateResult{};
}

std::shared_ptr<const assistant::Model> load(const std::string& path) {
    auto m = assistant::Model::load(path);
    EXPECT_TRUE(m) << path << ": " << m.error().message;
    return m ? *m : nullptr;
}

// A story that repeats itself, as the demo model's stories do: drafts find matches.
constexpr std::string_view kPrompt =
    "Once upon a time, there was a little girl named Lily. She liked to play outside. One day, Lily";

}  // namespace

TEST(PromptLookup, DraftsWhatFollowedTheLatestMatch) {
    using assistant::promptLookupDraft;
    const std::vector<int32_t> h = {1, 2, 3, 9, 1, 2, 3, 7, 8, 5, 1, 2, 3};
    EXPECT_EQ(promptLookupDraft(h, 3, 2, 4), (std::vector<int32_t>{7, 8, 5}));  // the latest "1 2 3", not the first
    EXPECT_EQ(promptLookupDraft(h, 8, 2, 4), (std::vector<int32_t>{7, 8, 5, 1, 2, 3}));  // up to the end
    const std::vector<int32_t> unique = {1, 2, 3, 4}, single = {5, 6, 1, 5, 7, 5};
    EXPECT_TRUE(promptLookupDraft(unique, 4, 2, 4).empty());                              // no earlier match
    EXPECT_EQ(promptLookupDraft(single, 2, 1, 3), (std::vector<int32_t>{7, 5}));          // n = 1 as a last resort
    EXPECT_TRUE(promptLookupDraft(single, 2, 2, 3).empty());
    EXPECT_TRUE(promptLookupDraft(std::vector<int32_t>{}, 4, 1, 4).empty());
    EXPECT_TRUE(promptLookupDraft(h, 0, 2, 4).empty());
}

TEST(Speculative, GreedyTextIsTheSameAndDraftsAreAccepted) {
    const auto model = load(kDemo);
    ASSERT_TRUE(model);
    const auto plain = run(model, kPrompt, params(200, 0, false));
    const auto fast = run(model, kPrompt, params(200, 0, true));
    EXPECT_EQ(fast.tokens, plain.tokens);
    EXPECT_EQ(fast.text, plain.text);
    EXPECT_EQ(fast.stopReason, plain.stopReason);
    EXPECT_GT(fast.stats.draftedTokens, 0);
    EXPECT_GT(fast.stats.acceptedDraftTokens, 0);
    EXPECT_LE(fast.stats.acceptedDraftTokens, fast.stats.draftedTokens);
    EXPECT_EQ(plain.stats.draftedTokens, 0);
}

TEST(Speculative, SeededSamplingIsTheSame) {
    const auto model = load(kDemo);
    ASSERT_TRUE(model);
    for (float temperature : {0.5f, 1.0f}) {
        const auto plain = run(model, kPrompt, params(150, temperature, false));
        const auto fast = run(model, kPrompt, params(150, temperature, true));
        EXPECT_EQ(fast.tokens, plain.tokens) << "temperature " << temperature;
    }
}

TEST(Speculative, LimitsStopsAndTheCacheStayExact) {
    const auto model = load(kDemo);
    ASSERT_TRUE(model);
    for (int n : {1, 2, 7, 33}) {
        const auto r = run(model, kPrompt, params(n, 0, true));
        EXPECT_EQ(r.stats.generatedTokens, n);
        EXPECT_EQ(r.tokens, run(model, kPrompt, params(n, 0, false)).tokens) << n;
    }
    // A follow-up on the same session reuses the cache the speculative answer left.
    auto session = *assistant::Session::create(model, {});
    auto first = session->generate(kPrompt, params(60, 0, true), {});
    ASSERT_TRUE(first);
    const std::string again = std::string(kPrompt) + first->text + " The end. Once upon a time";
    auto reused = session->generate(again, params(40, 0, true), {});
    ASSERT_TRUE(reused);
    EXPECT_GT(reused->stats.reusedPromptTokens, 0);
    EXPECT_EQ(reused->tokens, run(model, again, params(40, 0, false)).tokens);
    // Stop strings end it at the same place.
    auto stopAt = params(200, 0, true);
    stopAt.stop = {"garden"};
    auto plainStop = stopAt;
    plainStop.speculative = {};
    EXPECT_EQ(run(model, kPrompt, stopAt).text, run(model, kPrompt, plainStop).text);
}

TEST(Speculative, BadSettingsAreRejected) {
    const auto model = load(kDemo);
    ASSERT_TRUE(model);
    auto session = *assistant::Session::create(model, {});
    auto p = params(4, 0, true);
    p.speculative.maxDraftTokens = 0;
    auto r = session->generate(kPrompt, p, {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, assistant::ErrorCode::InvalidArgument);
    p.speculative.maxDraftTokens = 4;
    p.speculative.ngramMin = 5;
    EXPECT_FALSE(session->generate(kPrompt, p, {}));
}
