#include "speculative_bench.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string_view>

#include "assistant/engine.h"
#include "draft_choice.h"

namespace bench {

namespace {

// The fixed prompt set. The demo models are TinyStories models: both prompts are
// stories, one asking for a paragraph to be retold (the text to copy is in the prompt,
// where prompt lookup shines), one to be continued.
struct Prompt {
    const char* name;
    const char* text;
};
constexpr Prompt kPrompts[] = {
    {"rewrite",
     "Tom had a small red boat. Every morning he took the boat to the pond behind his house. He liked to watch the "
     "ducks swim around it. One day the wind pushed the boat to the middle of the pond, and Tom could not reach it. "
     "His big sister Mia came with a long stick. She pulled the boat back to the shore, and Tom gave her a big hug.\n"
     "Now tell the same story again in your own words.\n"
     "Tom had a small red boat. Every morning he took the boat to the pond"},
    {"story",
     "Once upon a time, in a little town by the sea, there lived a girl named Sara. Sara loved to collect shells. "
     "Every day after school she walked along the beach with her dog Max. One afternoon Max started to dig in the "
     "sand and found something shiny."},
};

struct Run {
    double seconds = 0;
    int generated = 0, drafted = 0, accepted = 0;
};

bool runOnce(const std::shared_ptr<const assistant::Model>& model, const Prompt& prompt,
             const assistant::GenerateParams& gp, int threads, Run& out) {
    assistant::SessionParams sp;
    sp.threads = threads;
    auto session = assistant::Session::create(model, sp);
    if (!session) {
        std::fprintf(stderr, "assistant-bench: %s\n", session.error().message.c_str());
        return false;
    }
    const auto t0 = std::chrono::steady_clock::now();
    auto r = (*session)->generate(std::string_view(prompt.text), gp, {});
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!r) {
        std::fprintf(stderr, "assistant-bench: %s\n", r.error().message.c_str());
        return false;
    }
    out.generated = r->stats.generatedTokens;
    out.drafted = r->stats.draftedTokens;
    out.accepted = r->stats.acceptedDraftTokens;
    return true;
}

// SpeculativeParams for a draft name; false after printing why not.
bool speculativeFor(const std::string& draft, const std::string& path,
                    const std::shared_ptr<const assistant::Model>& model, const SpeculativeOptions& o,
                    assistant::SpeculativeParams& spec) {
    spec.maxDraftTokens = o.maxDraftTokens;
    spec.minDraftProbability = o.minDraftProbability;
    if (draft == "none") return true;
    if (draft == "prompt-lookup") {
        spec.draft = assistant::SpeculativeParams::Draft::PromptLookup;
        return true;
    }
    auto loaded = app::loadDraftModel(draft, path, *model);
    if (!loaded) {
        std::fprintf(stderr, "assistant-bench: --speculative %s: %s\n", draft.c_str(), loaded.error().message.c_str());
        return false;
    }
    spec.draft = assistant::SpeculativeParams::Draft::Model;
    spec.draftModel = std::move(*loaded);
    return true;
}

}  // namespace

int runSpeculative(const SpeculativeOptions& o) {
    std::printf("| model | prompt | draft | accepted / drafted | gen tokens | t/s (end to end) | speed-up |\n");
    std::printf("| --- | --- | --- | ---: | ---: | ---: | ---: |\n");
    for (const std::string& path : o.models) {
        assistant::ModelParams mp;
        mp.device = "cpu";
        auto model = assistant::Model::load(path, mp);
        if (!model) {
            std::fprintf(stderr, "assistant-bench: %s: %s\n", path.c_str(), model.error().message.c_str());
            return 1;
        }
        std::vector<std::string> drafts{"none"};
        drafts.insert(drafts.end(), o.drafts.begin(), o.drafts.end());
        std::vector<assistant::SpeculativeParams> specs(drafts.size());
        for (size_t d = 0; d < drafts.size(); ++d)
            if (!speculativeFor(drafts[d], path, *model, o, specs[d])) return 1;
        for (const Prompt& prompt : kPrompts) {
            std::vector<assistant::GenerateParams> params(drafts.size());
            std::vector<Run> last(drafts.size());
            for (size_t d = 0; d < drafts.size(); ++d) {
                params[d].sampling.temperature = 0;
                params[d].maxTokens = o.tokens;
                params[d].ignoreEos = true;
                params[d].speculative = specs[d];
                if (!runOnce(*model, prompt, params[d], o.threads, last[d])) return 1;  // warm-up
            }
            // Repetitions interleave the drafts, so a busy spell of a shared machine
            // falls on all of them rather than on one.
            std::vector<std::vector<double>> rates(drafts.size());
            for (int r = 0; r < o.reps; ++r)
                for (size_t d = 0; d < drafts.size(); ++d) {
                    if (!runOnce(*model, prompt, params[d], o.threads, last[d])) return 1;
                    rates[d].push_back(last[d].generated / last[d].seconds);
                }
            double baseline = 0;
            for (size_t d = 0; d < drafts.size(); ++d) {
                double mean = 0, var = 0;
                for (double v : rates[d]) mean += v / rates[d].size();
                for (double v : rates[d]) var += (v - mean) * (v - mean) / std::max<size_t>(1, rates[d].size() - 1);
                if (d == 0) baseline = mean;
                const Run& run = last[d];
                char accept[48] = "-";
                if (run.drafted > 0)
                    std::snprintf(accept, sizeof accept, "%d / %d (%.0f%%)", run.accepted, run.drafted,
                                  100.0 * run.accepted / run.drafted);
                std::printf("| %s | %s | %s | %s | %d | %.1f ± %.1f | %.2fx |\n",
                            std::filesystem::path(path).filename().string().c_str(), prompt.name,
                            drafts[d].starts_with("/") ? std::filesystem::path(drafts[d]).filename().string().c_str()
                                                       : drafts[d].c_str(),
                            accept, run.generated, mean, std::sqrt(var), mean / baseline);
                std::fflush(stdout);
            }
        }
    }
    return 0;
}

}  // namespace bench
