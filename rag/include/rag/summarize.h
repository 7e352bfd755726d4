// Whole-document summaries by map-reduce: the document's text is cut into sections
// sized to the session's context, each section is summarized (map; cached in the
// store's summaries table, so a second run or a resumed one skips them), then the
// section summaries are summarized together (reduce; repeated in groups when they
// do not fit one context).
#pragma once

#include <atomic>
#include <expected>
#include <functional>
#include <string>
#include <string_view>

#include "assistant/engine.h"
#include "rag/store.h"

namespace rag {

struct SummarizeOptions {
    int mapTokens = 200;      // most tokens of one section summary
    int reduceTokens = 400;   // most tokens of the final summary
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

struct SummaryResult {
    std::string text;
    int sections = 0;        // map steps
    int cachedSections = 0;  // of those, served from the cache
    int reduceSteps = 0;
    bool cancelled = false;
};

// The session's model writes the summaries; the session is reset between steps.
std::expected<SummaryResult, std::string> summarizeDocument(Store& store, int64_t documentId,
                                                            assistant::Session& session,
                                                            const SummarizeOptions& options = {});

}  // namespace rag
