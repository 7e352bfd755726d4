// Whole-document summaries by map-reduce: the document's text is cut into sections
// sized to the session's context (the chat template, the instructions and the
// section's summary included), each section is summarized (map; cached in the
// store's summaries table, so a second run or a resumed one skips them), then the
// section summaries are summarized together (reduce; combined in groups, level by
// level, until they fit one prompt with room for the final summary).
#pragma once

#include <atomic>
#include <expected>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "assistant/engine.h"
#include "rag/store.h"

namespace rag {

struct SummarizeOptions {
    // 0: sized to the context, min(200, a fifth of what the prompt leaves free).
    int mapTokens = 0;        // most tokens of one section summary
    // 0: sized to the context, min(400, a third of what the prompt leaves free).
    int reduceTokens = 0;     // most tokens of the final summary
    assistant::SamplingParams sampling = [] {
        assistant::SamplingParams s;
        s.temperature = 0;  // greedy: the cache and reruns give the same text
        return s;
    }();
    const std::atomic<bool>* cancel = nullptr;
    // stage: "map" or "reduce"; done of total steps of that stage.
    std::function<void(std::string_view stage, int done, int total)> onProgress;
    // Streams the final summary; return false to stop.
    std::function<bool(std::string_view piece)> onFinalPiece;
};

// The model that writes the summaries: its context, how it counts tokens, and one
// answer to a system + user prompt. sessionSummaryWriter wraps a local Session; the
// CLI's `summarize --remote` gives one over a remote server (tokens estimated).
struct SummaryWriter {
    int contextTokens = 0;
    std::string cacheKey;  // names the model in the summaries cache (context and sizes are added)
    std::function<int(std::string_view text)> countTokens;                         // plain text
    std::function<int(const std::vector<assistant::Message>& messages)> countPrompt;  // a whole chat prompt
    // An answer of at most params.maxTokens; onPiece sees it as it comes (false: stop).
    std::function<std::expected<std::string, std::string>(const std::vector<assistant::Message>& messages,
                                                          const assistant::GenerateParams& params,
                                                          const std::function<bool(std::string_view)>& onPiece)>
        write;
};

// The session's model (reset between steps), its tokenizer and chat template.
SummaryWriter sessionSummaryWriter(assistant::Session& session);

struct SummaryResult {
    std::string text;
    int sections = 0;        // map steps
    int cachedSections = 0;  // of those, served from the cache
    int reduceSteps = 0;
    bool cancelled = false;
};

// The token budget summarizeDocument uses with this session, or why the context is
// too small for it (or for an explicit mapTokens/reduceTokens): callers check the
// user's numbers with it before indexing.
struct SummaryBudget {
    int mapTokens = 0;      // resolved SummarizeOptions::mapTokens
    int reduceTokens = 0;   // resolved SummarizeOptions::reduceTokens
    int promptTokens = 0;   // the largest step prompt (template, system, instructions) without its text
    int partTokens = 0;     // what "Part N: " and its separator add per summary in a reduce prompt
};
std::expected<SummaryBudget, std::string> summaryBudget(const SummaryWriter& writer, const std::string& fileName,
                                                        const SummarizeOptions& options = {});
std::expected<SummaryBudget, std::string> summaryBudget(assistant::Session& session, const std::string& fileName,
                                                        const SummarizeOptions& options = {});

// The session's model writes the summaries; the session is reset between steps.
// Fails (never an empty text) when the context cannot hold the steps or the model
// writes an empty final summary.
std::expected<SummaryResult, std::string> summarizeDocument(Store& store, int64_t documentId,
                                                            const SummaryWriter& writer,
                                                            const SummarizeOptions& options = {});
std::expected<SummaryResult, std::string> summarizeDocument(Store& store, int64_t documentId,
                                                            assistant::Session& session,
                                                            const SummarizeOptions& options = {});

}  // namespace rag
