// What constrained sampling picks, checked against the grammar's masked logits on the
// demo model: greedy takes the best allowed token at every step (the unmasked choice
// is kept only when the grammar allows it), and sampling's draw-reject-redraw gives
// the masked softmax.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "assistant/engine.h"
#include "grammar/grammar_matcher.h"
#include "engine/engine_access.h"

namespace {

const std::string kDemo = std::string(ASSISTANT_SOURCE_DIR) + "/resources/models/stories260K.gguf";

std::shared_ptr<const assistant::Model> demoModel() {
    static auto model = assistant::Model::load(kDemo);
    EXPECT_TRUE(model.has_value()) << model.error().message;
    return model ? *model : nullptr;
}

// The tokens allowed after `text`, from the pieces and a matcher of its own.
struct Oracle {
    explicit Oracle(const std::string& gbnf) {
        auto g = grammar::parseGbnf(gbnf);
        EXPECT_TRUE(g.has_value());
        matcher = std::make_unique<grammar::GrammarMatcher>(std::make_shared<const grammar::Grammar>(std::move(*g)));
    }
    bool allowed(grammar::MatchState s, int32_t id) const {
        const auto& impl = assistant::modelImpl(*demoModel());
        if (impl.tokenizer->isEndOfGeneration(id)) return matcher->complete(s);
        const std::string& piece = impl.grammarVocab().pieces[static_cast<size_t>(id)];
        return !piece.empty() && !matcher->advance(s, piece).dead();
    }
    std::unique_ptr<grammar::GrammarMatcher> matcher;
};

const char* kWords = R"GBNF(
root ::= word (" " word){2,6} "."
word ::= [a-z]{2,7}
)GBNF";

TEST(ConstrainedSampling, GreedyTakesTheBestAllowedTokenEveryStep) {
    Oracle oracle(kWords);
    std::vector<std::vector<float>> rows;
    assistant::GenerateParams p;
    p.grammar = kWords;
    p.sampling.temperature = 0.0f;
    p.maxTokens = 60;
    p.onLogits = [&](std::span<const float> logits) { rows.emplace_back(logits.begin(), logits.end()); };
    auto session = assistant::Session::create(demoModel());
    ASSERT_TRUE(session.has_value());
    auto r = (*session)->generate(std::string_view("Once upon a time"), p, nullptr);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    ASSERT_GE(rows.size(), r->tokens.size());
    grammar::MatchState s = oracle.matcher->start();
    int overruled = 0;  // steps where the model's own best token was not allowed
    for (size_t i = 0; i < r->tokens.size(); ++i) {
        int32_t best = -1, top = 0;
        for (int32_t id = 0; id < static_cast<int32_t>(rows[i].size()); ++id) {
            if (rows[i][id] > rows[i][top]) top = id;
            if (oracle.allowed(s, id) && (best < 0 || rows[i][id] > rows[i][best])) best = id;
        }
        EXPECT_EQ(r->tokens[i], best) << "step " << i << " of '" << r->text << "'";
        overruled += top != best;
        const auto& pieces = assistant::modelImpl(*demoModel()).grammarVocab().pieces;
        s = oracle.matcher->advance(s, pieces[static_cast<size_t>(r->tokens[i])]);
    }
    EXPECT_TRUE(oracle.matcher->complete(s)) << r->text;
    EXPECT_GE(overruled, 2) << "the grammar never had to overrule the model: the test checks little";
}

TEST(ConstrainedSampling, SamplingFollowsTheMaskedDistribution) {
    // Words starting with a vowel: most of the model's first-token mass is not allowed.
    const std::string g = "root ::= [aeiou] [a-z]*";
    Oracle oracle(g);
    auto session = assistant::Session::create(demoModel());
    ASSERT_TRUE(session.has_value());
    const auto prompt = demoModel()->tokenize("Once upon a time, there was a", true, false);
    ASSERT_TRUE(prompt.has_value());
    assistant::GenerateParams p;
    p.grammar = g;
    p.maxTokens = 1;
    p.sampling.temperature = 1.0f;
    p.sampling.topK = 0;
    p.sampling.topP = 1.0f;
    p.sampling.minP = 0.0f;
    std::vector<float> logits;
    p.onLogits = [&](std::span<const float> l) { logits.assign(l.begin(), l.end()); };
    const int kDraws = 4000;
    std::map<int32_t, int> counts;
    for (int i = 0; i < kDraws; ++i) {
        p.sampling.seed = static_cast<uint64_t>(i + 1);
        auto r = (*session)->generate(std::span<const int32_t>(*prompt), p, nullptr);
        ASSERT_TRUE(r.has_value() && r->tokens.size() == 1);
        ++counts[r->tokens[0]];
    }
    // The expected masked softmax of the first step.
    const grammar::MatchState s = oracle.matcher->start();
    double total = 0, allowedMass = 0, unmasked = 0;
    float top = logits[0];
    for (float l : logits) top = std::max(top, l);
    std::vector<double> expected(logits.size(), 0.0);
    for (size_t id = 0; id < logits.size(); ++id) {
        const double w = std::exp(double(logits[id]) - top);
        unmasked += w;
        if (!oracle.allowed(s, static_cast<int32_t>(id))) continue;
        expected[id] = w;
        total += w;
    }
    allowedMass = total / unmasked;
    EXPECT_LT(allowedMass, 0.5) << "the grammar should reject most first draws";
    for (auto& [id, n] : counts) EXPECT_GT(expected[static_cast<size_t>(id)], 0.0) << "token " << id << " is not allowed";
    for (size_t id = 0; id < expected.size(); ++id) {
        const double q = expected[id] / total;
        if (q < 0.01) continue;
        const double freq = double(counts[static_cast<int32_t>(id)]) / kDraws;
        const double sd = std::sqrt(q * (1 - q) / kDraws);
        EXPECT_NEAR(freq, q, 5 * sd + 0.002) << "token " << id;
    }
}

}  // namespace
