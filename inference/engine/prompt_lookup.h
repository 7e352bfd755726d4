// Prompt-lookup drafting for speculative decoding: the tokens that followed the latest
// earlier occurrence of the history's last n tokens (prompt and answer alike) are a
// cheap guess of what comes next; rewriting, quoting and code edits repeat long runs.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace assistant {

// history: every token so far, the just-sampled one last. Tries n = ngramMax down to
// ngramMin; the first n with an earlier match gives up to maxDraft tokens (fewer
// when the history ends first). Empty when nothing matches.
std::vector<int32_t> promptLookupDraft(std::span<const int32_t> history, int maxDraft, int ngramMin, int ngramMax);

}  // namespace assistant
