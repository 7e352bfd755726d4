// Continuous batching (assistant::Batcher) on a model of every decoder architecture in
// ../shared/conformance: sequences of different lengths generated at once, sharing
// every forward pass, get the logits and the greedy ids each gets alone.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <latch>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "assistant/engine.h"

namespace {

using assistant::Batcher;
using assistant::BatcherParams;
using assistant::Model;
using assistant::Session;

std::filesystem::path modelsDir() {
    const char* dir = std::getenv("ASSISTANT_SHARED_DIR");
    return std::filesystem::path(dir ? dir : ASSISTANT_SHARED_DIR) / "conformance/models";
}

const std::vector<std::string> kPrompts = {
    "one two three four five six seven eight nine ten eleven twelve thirteen",
    "The cat",
    "A long time ago in a small village by the sea there lived an old fisherman and his wife",
    "Hello, world! 1 2 3",
};

struct Generated {
    std::vector<int32_t> tokens;
    std::vector<std::vector<float>> logits;  // each generated token's
    assistant::StopReason stop = assistant::StopReason::EndOfText;
};

assistant::GenerateParams greedyParams(int maxTokens, Generated& run) {
    assistant::GenerateParams p;
    p.sampling.temperature = 0;
    p.maxTokens = maxTokens;
    p.ignoreEos = true;
    p.onLogits = [&run](std::span<const float> l) { run.logits.emplace_back(l.begin(), l.end()); };
    return p;
}

Generated alone(const std::shared_ptr<const Model>& model, const std::string& prompt, int maxTokens) {
    Generated run;
    auto s = Session::create(model, {});
    EXPECT_TRUE(s) << s.error().message;
    auto r = (*s)->generate(prompt, greedyParams(maxTokens, run), {});
    EXPECT_TRUE(r) << r.error().message;
    if (r) run.tokens = r->tokens;
    return run;
}

// Sessions that wait for each other before their first token: from then on all of
// them are generating, so every pass can carry all (on a loaded machine threads may
// otherwise start one after another). Gives up after 10 s.
class Rendezvous {
public:
    explicit Rendezvous(size_t n) : m_left(n) {}
    void arriveAndWait() {
        std::unique_lock<std::mutex> lock(m_mutex);
        if (--m_left == 0) m_all.notify_all();
        m_all.wait_for(lock, std::chrono::seconds(10), [&] { return m_left == 0; });
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_all;
    size_t m_left;
};

// Every prompt on its own thread and session, all sessions sharing `batcher`.
// cancelAfter[i] > 0: session i cancels itself after that many tokens.
std::vector<Generated> together(const std::shared_ptr<Batcher>& batcher, const std::vector<std::string>& prompts,
                          int maxTokens, const std::vector<int>& cancelAfter = {}) {
    std::vector<Generated> runs(prompts.size());
    std::latch start(static_cast<std::ptrdiff_t>(prompts.size()));
    Rendezvous firstToken(prompts.size());
    std::vector<std::thread> threads;
    for (size_t i = 0; i < prompts.size(); ++i)
        threads.emplace_back([&, i] {
            assistant::SessionParams sp;
            sp.batcher = batcher;
            auto s = Session::create(batcher->model(), sp);
            EXPECT_TRUE(s) << s.error().message;
            std::atomic<bool> cancel{false};
            assistant::GenerateParams p = greedyParams(maxTokens, runs[i]);
            p.cancel = &cancel;
            p.onLogits = [&, i, first = true](std::span<const float> l) mutable {
                if (std::exchange(first, false)) firstToken.arriveAndWait();
                runs[i].logits.emplace_back(l.begin(), l.end());
            };
            const int stopAt = i < cancelAfter.size() ? cancelAfter[i] : 0;
            int pieces = 0;
            start.arrive_and_wait();
            auto r = (*s)->generate(prompts[i], p, [&](std::string_view, const assistant::GenerateStats&) {
                if (stopAt > 0 && ++pieces >= stopAt) cancel = true;
                return true;
            });
            EXPECT_TRUE(r) << r.error().message;
            if (r) {
                runs[i].tokens = r->tokens;
                runs[i].stop = r->stopReason;
            }
        });
    for (std::thread& t : threads) t.join();
    return runs;
}

float maxDiff(const std::vector<float>& a, const std::vector<float>& b) {
    float d = a.size() == b.size() ? 0.0f : INFINITY;
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) d = std::max(d, std::fabs(a[i] - b[i]));
    return d;
}

void expectSame(const Generated& batched, const Generated& single, const std::string& what) {
    EXPECT_EQ(batched.tokens, single.tokens) << what;
    ASSERT_EQ(batched.logits.size(), single.logits.size()) << what;
    for (size_t t = 0; t < single.logits.size(); ++t)
        EXPECT_LE(maxDiff(batched.logits[t], single.logits[t]), 1e-4f) << what << ", token " << t;
}

class Batching : public ::testing::Test {
protected:
    void SetUp() override {
        if (!std::filesystem::exists(modelsDir())) {
            if (std::getenv("CI")) FAIL() << modelsDir() << " is missing";
            GTEST_SKIP() << modelsDir() << " is missing";
        }
    }
};

TEST_F(Batching, EveryArchitectureGivesEachSequenceWhatItGetsAlone) {
    for (const char* name : {"llama-a.gguf", "llama-a.Q4_K_M.gguf", "llama3rope-a.gguf", "qwen2-a.Q4_0.gguf",
                             "qwen3-a.gguf", "phi3-a.gguf", "gemma2-a.gguf", "qwen3moe-a.Q8_0.gguf"}) {
        auto model = Model::load((modelsDir() / name).string());
        ASSERT_TRUE(model) << name << ": " << model.error().message;
        const int maxTokens = 20;
        std::vector<Generated> single;
        for (const std::string& p : kPrompts) single.push_back(alone(*model, p, maxTokens));
        BatcherParams bp;
        bp.threads = 2;
        bp.promptChunk = 8;        // the longer prompts take several passes beside the others
        bp.gatherMicros = 200000;  // generous: the test is about results, not latency
        auto batcher = Batcher::create(*model, bp);
        ASSERT_TRUE(batcher) << batcher.error().message;
        const std::vector<Generated> batched = together(*batcher, kPrompts, maxTokens);
        for (size_t i = 0; i < kPrompts.size(); ++i) expectSame(batched[i], single[i], std::string(name) + " #" + std::to_string(i));
        const Batcher::Stats st = (*batcher)->stats();
        std::printf("%s: %llu passes, %llu tokens, %llu sequences\n", name, (unsigned long long)st.passes, (unsigned long long)st.tokens, (unsigned long long)st.sequences);
        EXPECT_GT(st.sequences, st.passes) << name << ": no pass carried two sequences";
        // After the first token every pass carries all four: the prompts' passes + 19.
        EXPECT_LE(st.passes, static_cast<uint64_t>(maxTokens + 8)) << name;
    }
}

TEST_F(Batching, ACancelledSequenceLeavesTheOthersUntouched) {
    auto model = Model::load((modelsDir() / "llama-a.gguf").string());
    ASSERT_TRUE(model) << model.error().message;
    const int maxTokens = 16;
    BatcherParams bp;
    bp.gatherMicros = 200000;
    auto batcher = Batcher::create(*model, bp);
    ASSERT_TRUE(batcher);
    const std::vector<Generated> batched = together(*batcher, kPrompts, maxTokens, {0, 3, 0, 0});
    EXPECT_EQ(batched[1].stop, assistant::StopReason::Cancelled);
    EXPECT_LT(batched[1].tokens.size(), static_cast<size_t>(maxTokens));
    for (size_t i : {0u, 2u, 3u}) expectSame(batched[i], alone(*model, kPrompts[i], maxTokens), "#" + std::to_string(i));
}

TEST_F(Batching, ASessionKeepsItsCacheAcrossRequests) {
    // Prefix reuse: the second request of a session reuses the first's cache, batched too.
    auto model = Model::load((modelsDir() / "qwen3-a.gguf").string());
    ASSERT_TRUE(model) << model.error().message;
    auto batcher = Batcher::create(*model, {});
    ASSERT_TRUE(batcher);
    assistant::SessionParams sp;
    sp.batcher = *batcher;
    auto shared = Session::create(*model, sp);
    auto own = Session::create(*model, {});
    ASSERT_TRUE(shared && own);
    for (const std::string& prompt : {kPrompts[0], kPrompts[0] + " fourteen fifteen"}) {
        Generated a, b;
        auto ra = (*shared)->generate(prompt, greedyParams(8, a), {});
        auto rb = (*own)->generate(prompt, greedyParams(8, b), {});
        ASSERT_TRUE(ra && rb);
        a.tokens = ra->tokens;
        b.tokens = rb->tokens;
        expectSame(a, b, prompt);
        EXPECT_EQ(ra->stats.reusedPromptTokens, rb->stats.reusedPromptTokens);
    }
}

TEST_F(Batching, RefusesAnotherModelsBatcherAndEmbeddingModels) {
    auto llama = Model::load((modelsDir() / "llama-a.gguf").string());
    auto qwen = Model::load((modelsDir() / "qwen2-a.gguf").string());
    ASSERT_TRUE(llama && qwen);
    auto batcher = Batcher::create(*llama, {});
    ASSERT_TRUE(batcher);
    assistant::SessionParams sp;
    sp.batcher = *batcher;
    auto s = Session::create(*qwen, sp);
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message.find("another model"), std::string::npos) << s.error().message;
    BatcherParams bad;
    bad.promptChunk = 0;
    EXPECT_FALSE(Batcher::create(*llama, bad));
    if (auto bert = Model::load((modelsDir() / "bert-a.gguf").string())) {
        auto b = Batcher::create(*bert, {});
        ASSERT_FALSE(b);
        EXPECT_NE(b.error().message.find("embedding model"), std::string::npos) << b.error().message;
    }
}

}  // namespace
