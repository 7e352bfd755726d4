// bench_constrained: what a grammar costs in generation speed. For each model,
// alternating runs of the same greedy generation without and with a grammar
// (default: any JSON object; --schema FILE: a JSON Schema; --grammar FILE: GBNF),
// tokens/s as the engine reports it (GenerateStats::generatedTokensPerSecond),
// median of -r runs after a warm-up. On a shared machine those two move by more than
// the grammar costs, so the grammar's own work is also timed alone: the constrained
// run's steps replayed (check the unconstrained choice, mask when it is rejected,
// advance), in microseconds per token and as a share of a plain token's time; and
// one full mask per state of the answer with nothing cached ("cold").
//   bench_constrained -m FILE [-m FILE...] [-n 128] [-r 5] [-t THREADS] [--schema F | --grammar F]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "assistant/engine.h"
#include "engine/engine_access.h"
#include "engine/grammar_constraint.h"

namespace {

using Clock = std::chrono::steady_clock;

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

struct Run {
    double tokensPerSecond = 0;
    int tokens = 0;
    std::vector<int32_t> ids;
    std::vector<int32_t> argmax;  // the unconstrained greedy choice at each step
};

Run generate(const std::shared_ptr<const assistant::Model>& model, const std::string& grammar, int n, int threads) {
    assistant::SessionParams sp;
    sp.threads = threads;
    auto session = assistant::Session::create(model, sp);
    if (!session) return {};
    assistant::GenerateParams p;
    p.sampling.temperature = 0.0f;
    p.maxTokens = n;
    p.ignoreEos = true;
    p.grammar = grammar;
    std::vector<int32_t> argmax;
    p.onLogits = [&](std::span<const float> logits) {
        argmax.push_back(static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin()));
    };
    auto r = (*session)->generate(std::string_view("Here is the answer as JSON:"), p, nullptr);
    if (!r) {
        std::fprintf(stderr, "generate: %s\n", r.error().message.c_str());
        return {};
    }
    return {r->stats.generatedTokensPerSecond, r->stats.generatedTokens, r->tokens, std::move(argmax)};
}

// Mean microseconds of one full mask over the states of `ids`, no cache reuse.
double maskMicros(const std::shared_ptr<const assistant::Model>& model, const std::string& grammar,
                  const std::vector<int32_t>& ids, int& masks) {
    std::vector<float> logits(static_cast<size_t>(model->info().vocabSize), 0.0f);
    double total = 0;
    masks = 0;
    for (int32_t id : ids) {
        auto fresh = assistant::GrammarConstraint::create(assistant::modelImpl(*model), grammar);  // empty mask cache
        for (int32_t done : std::vector<int32_t>(ids.begin(), ids.begin() + masks)) (*fresh)->accept(done);
        const auto t0 = Clock::now();
        (*fresh)->mask(logits);
        total += std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
        ++masks;
        (void)id;
    }
    return masks ? total / masks : 0;
}

// The grammar's own work in the constrained run, replayed on a fresh constraint as
// the session does it: check the unconstrained choice; when it is rejected, copy the
// row and mask it (cached per state, filled as the run goes); advance. Returns the
// microseconds per token, and how many steps needed the mask in `masked`.
double grammarMicrosPerToken(const std::shared_ptr<const assistant::Model>& model, const std::string& grammar,
                             const Run& run, int& masked, double& setupMs) {
    const auto t0 = Clock::now();
    auto c = assistant::GrammarConstraint::create(assistant::modelImpl(*model), grammar);
    setupMs = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (!c) return -1;
    std::vector<float> row(static_cast<size_t>(model->info().vocabSize), 0.0f), copy;
    masked = 0;
    const auto t1 = Clock::now();
    for (size_t i = 0; i < run.ids.size() && i < run.argmax.size(); ++i) {
        if (!(*c)->allows(run.argmax[i])) {
            ++masked;
            copy = row;
            (*c)->mask(copy);
        }
        (*c)->accept(run.ids[i]);
    }
    const double us = std::chrono::duration<double, std::micro>(Clock::now() - t1).count();
    return run.ids.empty() ? 0 : us / static_cast<double>(run.ids.size());
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> models;
    int n = 128, reps = 5, threads = 0;
    std::string grammar = assistant::jsonObjectGrammar(), what = "json_object";
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
        if (a == "-m") models.push_back(next());
        else if (a == "-n") n = std::stoi(next());
        else if (a == "-r") reps = std::stoi(next());
        else if (a == "-t") threads = std::stoi(next());
        else if (a == "--grammar") what = next(), grammar = readFile(what);
        else if (a == "--schema") {
            what = next();
            auto g = assistant::jsonSchemaToGrammar(readFile(what));
            if (!g) return std::fprintf(stderr, "%s\n", g.error().message.c_str()), 1;
            grammar = *g;
        } else return std::fprintf(stderr, "usage: bench_constrained -m FILE [-n N] [-r R] [-t T] [--schema F|--grammar F]\n"), 2;
    }
    std::printf("| model | grammar | plain t/s | constrained t/s | ratio | tokens | masked steps | grammar us/token "
                "| = share of a plain token | setup ms (trie once; parse per request) | full mask us (cold) |\n");
    std::printf("|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (const std::string& path : models) {
        auto model = assistant::Model::load(path);
        if (!model) return std::fprintf(stderr, "%s\n", model.error().message.c_str()), 1;
        const auto t0 = Clock::now();
        (void)assistant::modelImpl(**model).grammarVocab();  // the trie, built once per model
        const double buildMs = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        generate(*model, "", n, threads);       // warm-up
        generate(*model, grammar, n, threads);
        std::vector<double> plain, constrained;
        Run last;
        for (int r = 0; r < reps; ++r) {
            plain.push_back(generate(*model, "", n, threads).tokensPerSecond);
            last = generate(*model, grammar, n, threads);
            constrained.push_back(last.tokensPerSecond);
        }
        if (std::getenv("BENCH_SHOW_TEXT")) std::fprintf(stderr, "%s\n", (*model)->detokenize(last.ids).c_str());
        int masks = 0;
        const double us = maskMicros(*model, grammar, last.ids, masks);
        const double a = median(plain), b = median(constrained);
        int masked = 0;
        double setupMs = 0;
        const double perToken = grammarMicrosPerToken(*model, grammar, last, masked, setupMs);
        std::printf("| %s | %s | %.2f | %.2f | %.3f | %d | %d | %.1f | %.1f%% | %.1f; %.2f | %.0f (%d states) |\n",
                    path.c_str(), what.c_str(), a, b, a > 0 ? b / a : 0, last.tokens, masked, perToken,
                    perToken * a / 1e4, buildMs, setupMs, us, masks);
        std::fflush(stdout);
    }
    return 0;
}
