// Sampler: bias, penalties, greedy, top-k / top-p / min-p candidate sets checked
// empirically, seeding, and extreme logits.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "engine/sampling.h"

namespace {

using assistant::Sampler;
using assistant::SamplingParams;

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNegInf = -kInf;
constexpr float kMax = std::numeric_limits<float>::max();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Every stage off, fixed seed: each test turns on what it checks.
SamplingParams plainParams(float temperature = 0.0f) {
    SamplingParams p;
    p.temperature = temperature;
    p.topK = 0;
    p.topP = 1.0f;
    p.minP = 0.0f;
    p.repeatPenalty = 1.0f;
    p.repeatLastN = 64;
    p.frequencyPenalty = 0.0f;
    p.presencePenalty = 0.0f;
    p.seed = 1234;
    return p;
}

std::vector<float> randomLogits(std::mt19937& rng, size_t vocab, float lo, float hi) {
    std::uniform_real_distribution<float> dist(lo, hi);
    std::vector<float> logits(vocab);
    for (auto& l : logits) l = dist(rng);
    return logits;
}

// ---------------------------------------------------------------------------
// Greedy: bias and penalties decide the argmax. The pairs of cases sit on both
// sides of a boundary so that a wrong formula or order flips the answer.
// ---------------------------------------------------------------------------
struct GreedyCase {
    std::string name;
    std::vector<float> logits;
    std::vector<int32_t> history;
    SamplingParams params;
    int32_t expected;
};

SamplingParams with(std::function<void(SamplingParams&)> edit) {
    auto p = plainParams();
    edit(p);
    return p;
}

class GreedyTest : public testing::TestWithParam<GreedyCase> {};

TEST_P(GreedyTest, PicksExpectedToken) {
    const auto& c = GetParam();
    Sampler sampler(c.params);
    const std::vector<float> before = c.logits;
    EXPECT_EQ(sampler.sample(c.logits, c.history), c.expected);
    // The caller's logits are untouched (bitwise: NaN != NaN).
    EXPECT_EQ(std::memcmp(c.logits.data(), before.data(), before.size() * sizeof(float)), 0);
}

const auto repeat = [](float penalty) {
    return with([=](SamplingParams& p) { p.repeatPenalty = penalty; });
};

INSTANTIATE_TEST_SUITE_P(
    Sampling, GreedyTest,
    testing::Values(
        GreedyCase{"Argmax", {0.1f, 2.0f, -1.0f, 1.9f}, {}, plainParams(), 1},
        GreedyCase{"TieLowestIdWins", {1.0f, 3.0f, 3.0f, 3.0f}, {}, plainParams(), 1},
        GreedyCase{"NegativeTemperatureIsGreedy", {0.0f, 0.5f, 0.4f}, {}, plainParams(-1.0f), 1},
        GreedyCase{"NaNNeverWins", {kNaN, 0.5f, kNaN, 0.7f}, {}, plainParams(), 3},
        GreedyCase{"BiasBansArgmax", {0.1f, 2.0f, 1.5f}, {},
                   with([](auto& p) { p.logitBias = {{1, -kInf}}; }), 2},
        GreedyCase{"BiasRaises", {0.1f, 2.0f, 1.5f}, {},
                   with([](auto& p) { p.logitBias = {{0, 2.0f}}; }), 0},
        GreedyCase{"BiasOutOfRangeIgnored", {0.1f, 2.0f, 1.5f}, {},
                   with([](auto& p) { p.logitBias = {{-1, 9.0f}, {3, 9.0f}, {1 << 30, 9.0f}}; }),
                   1},
        // Positive logit is divided: 2.0 / 2 = 1.0 < 1.1 (multiplying would keep 0).
        GreedyCase{"RepeatDividesPositive", {2.0f, 1.1f}, {0}, repeat(2.0f), 1},
        GreedyCase{"RepeatDividesPositiveMildly", {2.0f, 1.1f}, {0}, repeat(1.5f), 0},
        // Negative logit is multiplied: -1 * 2 = -2 < -1.5 (dividing would keep 0).
        GreedyCase{"RepeatMultipliesNegative", {-1.0f, -1.5f}, {0}, repeat(2.0f), 1},
        GreedyCase{"RepeatMultipliesNegativeMildly", {-1.0f, -1.5f}, {0}, repeat(1.4f), 0},
        // Repetition applies once per distinct token, however often it occurs.
        GreedyCase{"RepeatOncePerToken", {2.0f, 0.9f}, {0, 0, 0, 0}, repeat(2.0f), 0},
        GreedyCase{"PenaltyBelowOneRewards", {1.0f, 1.5f}, {0}, repeat(0.5f), 0},
        GreedyCase{"ZeroPenaltyIgnored", {-1.0f, -1.5f}, {0}, repeat(0.0f), 0},
        // Frequency scales with the count: 3.0 - 2*0.2 = 2.6 < 2.7; 3.0 - 2*0.1 = 2.8.
        GreedyCase{"FrequencyCounts", {3.0f, 2.7f}, {0, 0},
                   with([](auto& p) { p.frequencyPenalty = 0.2f; }), 1},
        GreedyCase{"FrequencySmall", {3.0f, 2.7f}, {0, 0},
                   with([](auto& p) { p.frequencyPenalty = 0.1f; }), 0},
        // Presence does not: 3.0 - 0.2 = 2.8 > 2.7; 3.0 - 0.4 = 2.6 < 2.7.
        GreedyCase{"PresenceOnce", {3.0f, 2.7f}, {0, 0},
                   with([](auto& p) { p.presencePenalty = 0.2f; }), 0},
        GreedyCase{"PresenceLarge", {3.0f, 2.7f}, {0, 0},
                   with([](auto& p) { p.presencePenalty = 0.4f; }), 1},
        // Repetition before frequency: 4/2 - 0.6 = 1.4 < 1.5 ((4 - 0.6)/2 = 1.7 would keep 0).
        GreedyCase{"RepeatThenFrequency", {4.0f, 1.5f}, {0},
                   with([](auto& p) {
                       p.repeatPenalty = 2.0f;
                       p.frequencyPenalty = 0.6f;
                   }),
                   1},
        // Bias before penalties: (-1 + 1.2) / 2 = 0.1 > 0.05 (-1*2 + 1.2 = -0.8 would lose).
        GreedyCase{"BiasThenRepeat", {-1.0f, 0.05f}, {0},
                   with([](auto& p) {
                       p.repeatPenalty = 2.0f;
                       p.logitBias = {{0, 1.2f}};
                   }),
                   0},
        // The window: only the last repeatLastN tokens count.
        GreedyCase{"WindowOfOne", {2.0f, 2.0f, 1.5f}, {0, 1},
                   with([](auto& p) {
                       p.repeatPenalty = 2.0f;
                       p.repeatLastN = 1;
                   }),
                   0},
        GreedyCase{"WindowOfTwo", {2.0f, 2.0f, 1.5f}, {0, 1},
                   with([](auto& p) {
                       p.repeatPenalty = 2.0f;
                       p.repeatLastN = 2;
                   }),
                   2},
        GreedyCase{"WindowZeroIsOff", {2.0f, 1.5f}, {0},
                   with([](auto& p) {
                       p.repeatPenalty = 2.0f;
                       p.frequencyPenalty = 1.0f;
                       p.repeatLastN = 0;
                   }),
                   0},
        GreedyCase{"WindowMinusTwoIsOff", {2.0f, 1.5f}, {0},
                   with([](auto& p) {
                       p.repeatPenalty = 2.0f;
                       p.repeatLastN = -2;
                   }),
                   0},
        GreedyCase{"WindowMinusOneIsWholeHistory", {2.0f, 1.5f, 0.0f},
                   {0, 2, 2, 2, 2, 2, 2, 2, 2, 2},
                   with([](auto& p) {
                       p.repeatPenalty = 2.0f;
                       p.repeatLastN = -1;
                   }),
                   1},
        GreedyCase{"HistoryOutOfRangeIgnored", {2.0f, 1.5f}, {-1, 2, 99},
                   with([](auto& p) {
                       p.repeatPenalty = 2.0f;
                       p.presencePenalty = 5.0f;
                   }),
                   0}),
    [](const testing::TestParamInfo<GreedyCase>& info) { return info.param.name; });

// Reference: the penalized logits computed the slow, literal way.
std::vector<float> referencePenalized(const std::vector<float>& logits,
                                      const std::vector<int32_t>& history,
                                      const SamplingParams& p) {
    std::vector<float> out = logits;
    for (const auto& [id, v] : p.logitBias)
        if (id >= 0 && id < static_cast<int32_t>(out.size())) out[id] += v;
    size_t n = 0;
    if (p.repeatLastN == -1) n = history.size();
    else if (p.repeatLastN > 0) n = std::min(history.size(), size_t(p.repeatLastN));
    std::map<int32_t, int> counts;
    for (size_t i = history.size() - n; i < history.size(); ++i) ++counts[history[i]];
    for (const auto& [id, count] : counts) {
        float& l = out[id];
        l = l > 0 ? l / p.repeatPenalty : l * p.repeatPenalty;
        l -= count * p.frequencyPenalty + (count > 0 ? p.presencePenalty : 0.0f);
    }
    return out;
}

TEST(Sampling, GreedyEqualsArgmaxOfPenalizedLogits) {
    std::mt19937 rng(7);
    for (int trial = 0; trial < 300; ++trial) {
        const size_t vocab = 2 + rng() % 300;
        // Coarse values so that ties happen.
        std::vector<float> logits(vocab);
        for (auto& l : logits) l = static_cast<float>(static_cast<int>(rng() % 21) - 10) * 0.5f;
        std::vector<int32_t> history(rng() % 100);
        for (auto& t : history) t = static_cast<int32_t>(rng() % vocab);

        auto p = plainParams();
        p.repeatPenalty = 1.0f + static_cast<float>(rng() % 20) * 0.1f;
        p.repeatLastN = static_cast<int>(rng() % 80) - 1;
        p.frequencyPenalty = static_cast<float>(rng() % 5) * 0.25f;
        p.presencePenalty = static_cast<float>(rng() % 5) * 0.25f;
        p.logitBias = {{static_cast<int32_t>(rng() % vocab), -kInf},
                       {static_cast<int32_t>(rng() % vocab), 1.5f}};

        const auto ref = referencePenalized(logits, history, p);
        const auto expected = std::max_element(ref.begin(), ref.end()) - ref.begin();
        Sampler sampler(p);
        ASSERT_EQ(sampler.sample(logits, history), expected) << "trial " << trial;
    }
}

TEST(Sampling, TopKOneIsGreedyAtAnyTemperature) {
    std::mt19937 rng(11);
    for (float temperature : {0.01f, 0.7f, 1.0f, 5.0f, 1000.0f}) {
        auto p = plainParams(temperature);
        p.topK = 1;
        Sampler sampler(p);
        for (int trial = 0; trial < 200; ++trial) {
            auto logits = randomLogits(rng, 50, -3.0f, 3.0f);
            if (trial % 2) logits[40] = logits[7] = 10.0f;  // a tie: 7 must win
            const auto expected = std::max_element(logits.begin(), logits.end()) - logits.begin();
            ASSERT_EQ(sampler.sample(logits, {}), expected) << "T=" << temperature;
        }
    }
}

// ---------------------------------------------------------------------------
// Truncation: over many draws only the expected ids appear, with frequencies
// close to their renormalized probabilities. Logits are ln(prob) so that the
// temperature-1 probabilities are {0.4, 0.3, 0.15, 0.1, 0.05}.
// ---------------------------------------------------------------------------
struct CandidateCase {
    std::string name;
    float temperature;
    int topK;
    float topP;
    float minP;
    std::set<int32_t> allowed;
};

class CandidateSetTest : public testing::TestWithParam<CandidateCase> {};

TEST_P(CandidateSetTest, OnlyAllowedIdsAtExpectedFrequencies) {
    const auto& c = GetParam();
    const std::vector<float> logits = {std::log(0.4f), std::log(0.3f), std::log(0.15f),
                                       std::log(0.1f), std::log(0.05f)};
    auto p = plainParams(c.temperature);
    p.topK = c.topK;
    p.topP = c.topP;
    p.minP = c.minP;
    Sampler sampler(p);

    constexpr int kDraws = 2000;
    std::map<int32_t, int> counts;
    for (int i = 0; i < kDraws; ++i) ++counts[sampler.sample(logits, {})];

    // Expected: softmax(logit / T) renormalized over the allowed set.
    std::map<int32_t, double> expected;
    double sum = 0.0;
    for (int32_t id : c.allowed) sum += expected[id] = std::exp(logits[id] / c.temperature);
    for (auto& [id, prob] : expected) prob /= sum;

    for (const auto& [id, n] : counts) EXPECT_TRUE(c.allowed.contains(id)) << "drew id " << id;
    for (const auto& [id, prob] : expected) {
        // 0.05 is more than 4.5 standard deviations at 2000 draws.
        EXPECT_NEAR(counts[id] / double(kDraws), prob, 0.05) << "id " << id;
    }
}

INSTANTIATE_TEST_SUITE_P(
    Sampling, CandidateSetTest,
    testing::Values(
        CandidateCase{"AllOff", 1.0f, 0, 1.0f, 0.0f, {0, 1, 2, 3, 4}},
        CandidateCase{"TopK3", 1.0f, 3, 1.0f, 0.0f, {0, 1, 2}},
        CandidateCase{"TopKAboveVocabIsOff", 1.0f, 9, 1.0f, 0.0f, {0, 1, 2, 3, 4}},
        CandidateCase{"TopP065", 1.0f, 0, 0.65f, 0.0f, {0, 1}},        // 0.4, 0.7
        CandidateCase{"TopP080", 1.0f, 0, 0.80f, 0.0f, {0, 1, 2}},     // 0.85
        CandidateCase{"TopPZeroKeepsOne", 1.0f, 0, 0.0f, 0.0f, {0}},
        // Top-p measures the top-k survivors renormalized: 0.7/0.85 = 0.82 >= 0.8.
        CandidateCase{"TopK3ThenTopP080", 1.0f, 3, 0.80f, 0.0f, {0, 1}},
        // T=2: probs ~ {0.30, 0.26, 0.18, 0.15, 0.11}; cumulative 0.56, 0.74.
        CandidateCase{"TopPAfterTemperature", 2.0f, 0, 0.60f, 0.0f, {0, 1, 2}},
        CandidateCase{"MinP030", 1.0f, 0, 1.0f, 0.30f, {0, 1, 2}},     // >= 0.12
        CandidateCase{"MinP050", 1.0f, 0, 1.0f, 0.50f, {0, 1}},        // >= 0.20
        CandidateCase{"MinP010KeepsAll", 1.0f, 0, 1.0f, 0.10f, {0, 1, 2, 3, 4}},  // >= 0.04
        CandidateCase{"MinP015", 1.0f, 0, 1.0f, 0.15f, {0, 1, 2, 3}},         // >= 0.06
        // T=0.5: probs ~ {0.56, 0.32, 0.08, 0.035, 0.009}; min-p 0.1 -> >= 0.056.
        CandidateCase{"MinPAfterTemperature", 0.5f, 0, 1.0f, 0.10f, {0, 1, 2}},
        CandidateCase{"TopPAndMinP", 1.0f, 0, 0.80f, 0.50f, {0, 1}},
        CandidateCase{"TopKTopPMinP", 1.0f, 4, 0.95f, 0.30f, {0, 1, 2}}),
    [](const testing::TestParamInfo<CandidateCase>& info) { return info.param.name; });

// Reference candidate set in the brief's literal order on a full sort.
std::set<int32_t> referenceAllowed(const std::vector<float>& logits, const SamplingParams& p) {
    std::vector<int32_t> order(logits.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
    if (p.topK > 0 && size_t(p.topK) < order.size()) order.resize(p.topK);
    std::vector<double> prob;
    for (int32_t id : order)
        prob.push_back(std::exp((double(logits[id]) - logits[order[0]]) / p.temperature));
    const double sum = std::accumulate(prob.begin(), prob.end(), 0.0);
    size_t keep = order.size();
    if (p.topP < 1.0f) {
        double cum = 0.0;
        for (size_t i = 0; i < order.size(); ++i) {
            cum += prob[i] / sum;
            if (cum >= p.topP) {
                keep = i + 1;
                break;
            }
        }
    }
    std::set<int32_t> allowed;
    for (size_t i = 0; i < keep; ++i)
        if (p.minP <= 0.0f || prob[i] >= p.minP * prob[0]) allowed.insert(order[i]);
    return allowed;
}

// Flat distributions over thousands of tokens: top-p spans far more than one chunk
// of the sampler's incremental sort.
TEST(Sampling, LargeVocabDrawsStayInReferenceSet) {
    std::mt19937 rng(3);
    struct Setting { int topK; float topP; float minP; float temperature; };
    for (const auto& s : {Setting{0, 0.9f, 0.0f, 1.0f}, Setting{0, 0.5f, 0.2f, 0.7f},
                          Setting{2000, 0.8f, 0.0f, 1.5f}, Setting{0, 0.3f, 0.0f, 0.2f},
                          Setting{100, 1.0f, 0.5f, 1.0f}}) {
        auto p = plainParams(s.temperature);
        p.topK = s.topK;
        p.topP = s.topP;
        p.minP = s.minP;
        Sampler sampler(p);
        const auto logits = randomLogits(rng, 20000, 0.0f, 3.0f);
        const auto allowed = referenceAllowed(logits, p);
        std::set<int32_t> seen;
        for (int i = 0; i < 300; ++i) {
            const int32_t id = sampler.sample(logits, {});
            ASSERT_TRUE(allowed.contains(id)) << "id " << id << " top-p " << s.topP;
            seen.insert(id);
        }
        EXPECT_GT(seen.size(), 50u);  // it really samples from a wide set
    }
}

TEST(Sampling, LargestVocabWithDefaults) {
    std::mt19937 rng(5);
    const auto logits = randomLogits(rng, 256 * 1024, -5.0f, 5.0f);
    SamplingParams defaults;
    defaults.seed = 99;
    Sampler sampler(defaults);
    const auto allowed = referenceAllowed(logits, sampler.params());
    for (int i = 0; i < 20; ++i) EXPECT_TRUE(allowed.contains(sampler.sample(logits, {})));
}

// ---------------------------------------------------------------------------
// Seeds
// ---------------------------------------------------------------------------
std::vector<int32_t> generate(uint64_t seed, int steps) {
    SamplingParams p;  // defaults: T 0.8, top-k 40, top-p 0.95, min-p 0.05
    p.temperature = 1.5f;
    p.repeatPenalty = 1.1f;
    p.seed = seed;
    Sampler sampler(p);
    std::mt19937 rng(42);  // the same logits sequence for every seed
    std::vector<int32_t> tokens;
    for (int i = 0; i < steps; ++i) {
        const auto logits = randomLogits(rng, 1000, 0.0f, 2.0f);
        tokens.push_back(sampler.sample(logits, tokens));
    }
    return tokens;
}

TEST(Sampling, SameSeedSameTokens) {
    EXPECT_EQ(generate(1, 200), generate(1, 200));
    EXPECT_EQ(generate(0, 200), generate(0, 200));
}

TEST(Sampling, DifferentSeedsDiffer) {
    EXPECT_NE(generate(1, 200), generate(2, 200));
    EXPECT_NE(generate(0, 200), generate(1, 200));
}

TEST(Sampling, RandomSeedDiffersBetweenSamplers) {
    EXPECT_NE(generate(0xFFFFFFFFull, 200), generate(0xFFFFFFFFull, 200));
}

// ---------------------------------------------------------------------------
// Extreme logits: always a valid id, never a NaN-driven pick.
// ---------------------------------------------------------------------------
struct ExtremeCase {
    std::string name;
    std::vector<float> logits;
    std::set<int32_t> allowed;
};

class ExtremeTest : public testing::TestWithParam<ExtremeCase> {};

TEST_P(ExtremeTest, DrawsOnlyAllowedIds) {
    const auto& c = GetParam();
    for (float temperature : {0.0f, 1e-30f, 0.5f, 1.0f, 100.0f, 1e30f}) {
        for (float topP : {1.0f, 0.9f}) {
            for (float minP : {0.0f, 0.1f}) {
                auto p = plainParams(temperature);
                p.topP = topP;
                p.minP = minP;
                p.repeatPenalty = 1.3f;
                Sampler sampler(p);
                const std::vector<int32_t> history = {0, 1, 2};
                for (int i = 0; i < 50; ++i) {
                    const int32_t id = sampler.sample(c.logits, history);
                    ASSERT_TRUE(c.allowed.contains(id))
                        << "id " << id << " T=" << temperature << " top-p " << topP;
                }
            }
        }
    }
}

INSTANTIATE_TEST_SUITE_P(
    Sampling, ExtremeTest,
    testing::Values(
        ExtremeCase{"OneFinite", {kNegInf, kNegInf, kNegInf, 0.5f, kNegInf}, {3}},
        ExtremeCase{"OneFiniteHugeNegative", {kNegInf, -1e30f, kNegInf, kNegInf}, {1}},
        ExtremeCase{"AllBannedStillValid", {kNegInf, kNegInf, kNegInf}, {0, 1, 2}},
        ExtremeCase{"FloatMaxWins", {kMax, -kMax, 0.0f, 1e30f}, {0}},
        ExtremeCase{"PositiveInfinityWins", {1.0f, kInf, 3.0f}, {1}},
        ExtremeCase{"NaNNeverDrawn", {kNaN, 1.0f, kNaN, 1.0f}, {1, 3}},
        ExtremeCase{"HugeTie", {1e38f, -1e38f, 1e38f}, {0, 2}}),
    [](const testing::TestParamInfo<ExtremeCase>& info) { return info.param.name; });

TEST(Sampling, BiasCanBanAllButOneWhileSampling) {
    auto p = plainParams(1.0f);
    p.logitBias = {{0, kNegInf}, {1, kNegInf}, {3, kNegInf}};
    Sampler sampler(p);
    const std::vector<float> logits = {5.0f, 4.0f, -3.0f, 6.0f};
    for (int i = 0; i < 100; ++i) EXPECT_EQ(sampler.sample(logits, {}), 2);
}

TEST(Sampling, EmptyLogitsGiveMinusOne) {
    Sampler sampler(plainParams(1.0f));
    EXPECT_EQ(sampler.sample({}, {}), -1);
}

}  // namespace
