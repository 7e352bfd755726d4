// Prompt prefixes shared among the sessions of one Batcher: a prompt that begins like
// what another session has cached gets those KV rows copied, and the answer (ids and
// every step's logits) is the one a session alone computes from scratch; rows a session
// is about to change are never copied; a session that goes away is never read again.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "assistant/engine.h"

namespace {

using assistant::Batcher;
using assistant::Model;
using assistant::Session;

std::filesystem::path modelPath(const char* name) {
    const char* dir = std::getenv("ASSISTANT_SHARED_DIR");
    return std::filesystem::path(dir ? dir : ASSISTANT_SHARED_DIR) / "conformance/models" / name;
}

struct Answer {
    std::vector<int32_t> tokens;
    std::vector<std::vector<float>> logits;
    assistant::GenerateStats stats;
};

Answer generate(Session& s, const std::string& prompt, int n = 6) {
    Answer a;
    assistant::GenerateParams p;
    p.sampling.temperature = 0;
    p.maxTokens = n;
    p.ignoreEos = true;
    p.onLogits = [&](std::span<const float> l) { a.logits.emplace_back(l.begin(), l.end()); };
    auto r = s.generate(prompt, p, {});
    EXPECT_TRUE(r) << r.error().message;
    if (r) a.tokens = r->tokens, a.stats = r->stats;
    return a;
}

Answer alone(const std::shared_ptr<const Model>& model, const std::string& prompt, assistant::KvType kv) {
    assistant::SessionParams sp;
    sp.kvType = kv;
    auto s = Session::create(model, sp);
    EXPECT_TRUE(s) << s.error().message;
    return generate(**s, prompt);
}

void expectSame(const Answer& got, const Answer& want, const std::string& what) {
    EXPECT_EQ(got.tokens, want.tokens) << what;
    ASSERT_EQ(got.logits.size(), want.logits.size()) << what;
    for (size_t t = 0; t < want.logits.size(); ++t) {
        float d = 0;
        for (size_t i = 0; i < want.logits[t].size(); ++i) d = std::max(d, std::fabs(got.logits[t][i] - want.logits[t][i]));
        EXPECT_LE(d, 1e-4f) << what << ", token " << t;
    }
}

const std::string kSystem =
    "You are a helpful assistant for an office suite. Answer briefly, quote the document where you can, "
    "and never invent numbers. The document follows. one two three four five six seven eight nine ten ";

TEST(BatcherPrefix, SessionsCopyTheLongestCachedPrefixAndAnswerAsAlone) {
    const auto path = modelPath("llama-a.gguf");
    if (!std::filesystem::exists(path)) {
        if (std::getenv("CI")) FAIL() << path << " is missing";
        GTEST_SKIP() << path << " is missing";
    }
    for (assistant::KvType kv : {assistant::KvType::F32, assistant::KvType::Q8_0}) {
        auto model = Model::load(path.string(), {});
        ASSERT_TRUE(model) << model.error().message;
        auto batcher = Batcher::create(*model, {});
        ASSERT_TRUE(batcher) << batcher.error().message;
        assistant::SessionParams sp;
        sp.batcher = *batcher;
        sp.kvType = kv;
        auto a = Session::create(*model, sp), b = Session::create(*model, sp), c = Session::create(*model, sp);
        ASSERT_TRUE(a && b && c);

        const Answer first = generate(**a, kSystem + "Question: what comes after four?");
        EXPECT_EQ(first.stats.sharedPromptTokens, 0);  // nobody had anything
        // b's prompt begins with the system text a has cached: those rows are copied
        const std::string second = kSystem + "Question: and what comes after nine?";
        const Answer shared = generate(**b, second);
        EXPECT_GT(shared.stats.sharedPromptTokens, 20) << "the system text is ~40 tokens";
        EXPECT_EQ(shared.stats.reusedPromptTokens, shared.stats.sharedPromptTokens);
        expectSame(shared, alone(*model, second, kv), "b after copying a's prefix");

        // a moves on to another text: its old rows are no longer offered beyond what
        // the new prompt keeps in common, b's still are
        const Answer moved = generate(**a, "Something else entirely, about the sea and ships.");
        const Answer third = generate(**c, second + " Answer in one word.");
        EXPECT_GT(third.stats.sharedPromptTokens, shared.stats.sharedPromptTokens) << "b cached its whole prompt";
        expectSame(third, alone(*model, second + " Answer in one word.", kv), "c after copying b's prefix");

        // b and c go away: their rows are never read again (the sanitizer build would
        // see a read of freed rows); only a's (one BOS row in common) are left
        b->reset();
        c->reset();
        auto d = Session::create(*model, sp);
        ASSERT_TRUE(d);
        const Answer fourth = generate(**d, second + " Answer in one word.");
        EXPECT_LE(fourth.stats.sharedPromptTokens, 1);
        expectSame(fourth, alone(*model, second + " Answer in one word.", kv), "d after b and c went away");
        EXPECT_GT((*batcher)->stats().sharedPromptTokens, 0u);
        (void)moved;
    }
}

// A donor that keeps generating on another thread while others copy its prompt rows.
TEST(BatcherPrefix, CopyingWhileTheDonorGeneratesGivesTheAnswerAlone) {
    const auto path = modelPath("llama-a.gguf");
    if (!std::filesystem::exists(path)) {
        if (std::getenv("CI")) FAIL() << path << " is missing";
        GTEST_SKIP() << path << " is missing";
    }
    auto model = Model::load(path.string(), {});
    ASSERT_TRUE(model) << model.error().message;
    auto batcher = Batcher::create(*model, {});
    ASSERT_TRUE(batcher);
    assistant::SessionParams sp;
    sp.batcher = *batcher;
    sp.kvType = assistant::KvType::F32;
    auto donor = Session::create(*model, sp);
    ASSERT_TRUE(donor);
    generate(**donor, kSystem + "Start.");
    std::thread busy([&] { generate(**donor, kSystem + "Start. Keep going for a while.", 40); });
    std::vector<std::string> prompts;
    for (int i = 0; i < 3; ++i) prompts.push_back(kSystem + "Question " + std::to_string(i) + ": count on.");
    std::vector<Answer> got(prompts.size());
    std::vector<std::thread> threads;
    for (size_t i = 0; i < prompts.size(); ++i)
        threads.emplace_back([&, i] {
            auto s = Session::create(*model, sp);
            ASSERT_TRUE(s);
            got[i] = generate(**s, prompts[i]);
        });
    for (auto& t : threads) t.join();
    busy.join();
    for (size_t i = 0; i < prompts.size(); ++i)
        expectSame(got[i], alone(*model, prompts[i], assistant::KvType::F32), "session " + std::to_string(i));
}

}  // namespace
