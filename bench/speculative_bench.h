// assistant-bench --speculative: end-to-end speed of speculative decoding on a fixed
// prompt set (a rewrite-a-paragraph prompt and a continue-a-story prompt), each draft
// kind against plain decoding on the same model.
#pragma once

#include <string>
#include <vector>

namespace bench {

struct SpeculativeOptions {
    std::vector<std::string> models;
    std::vector<std::string> drafts;  // "prompt-lookup", "self:TYPE" or a draft file
    int tokens = 128;                 // generated per run (greedy, past end of text)
    int reps = 5;
    int threads = 0;                  // 0: physical cores
    int maxDraftTokens = 3;           // SpeculativeParams defaults unless given
    float minDraftProbability = 0.5f;
};

// Prints a markdown table: model, prompt, draft, acceptance (accepted / drafted), end-to-end
// generated tokens/s (mean +- sd over reps, each a fresh session: prompt and the draft's
// prompt included) and the speed-up over "none". Returns the process exit status.
int runSpeculative(const SpeculativeOptions& options);

}  // namespace bench
