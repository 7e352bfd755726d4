// Answering from documents: a prompt that fits the model's context with 5-8 retrieved
// chunks labelled [n] (file and page), and the mapping of the answer's [n] markers
// back to those sources.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "assistant/engine.h"
#include "rag/retrieve.h"

namespace rag {

struct Source {
    int n = 0;  // the label: [n]
    int64_t chunkId = 0;
    std::string path;
    int pageFrom = 1, pageTo = 1;
    std::string excerpt;  // the chunk text as given to the model
};

struct PromptOptions {
    int contextTokens = 4096;  // the session's context size
    int answerTokens = 512;    // kept free for the answer
    int minChunks = 5;         // truncate the last chunk rather than give fewer (when there are enough hits)
    int maxChunks = 8;
    // Tokens of a text; default: estimateTokens. Pass the model's tokenizer.
    std::function<int(std::string_view)> countTokens;
};

struct AssembledPrompt {
    std::vector<assistant::Message> messages;  // system (instructions + sources), user (question)
    std::vector<Source> sources;               // the chunks in the prompt, n = 1, 2, ...
};

// Tokens of a text when no tokenizer is at hand: a token per CJK character (Han, kana,
// Hangul), one per two other non-ASCII characters (accented letters, Cyrillic ...),
// one per four ASCII bytes; rounded up. Bytes / 4 would count a Chinese text at a
// third of what a multilingual tokenizer makes of it.
int estimateTokens(std::string_view text);

// Tokens left for sources once the instructions, the question, the answer and the
// chat template's overhead are taken from the context (may be negative).
int sourceTokenBudget(const std::string& question, const PromptOptions& options);

// The line that labels source n in the prompt: "[n] (file.pdf, p. 3)\n".
std::string sourceHeader(const Source& source);

AssembledPrompt assemblePrompt(const std::string& question, const std::vector<SearchHit>& hits,
                               const PromptOptions& options = {});

// "file.pdf, p. 3" or "file.pdf, pp. 3-4" (file name only).
std::string sourceLabel(const Source& source);

// Numbers cited in the answer, first mention first, each once: "[2]", "[1, 3]",
// "[1][2]", "[2-4]" are understood, and the full-width forms CJK text uses ("【1】",
// "［1，2］").
std::vector<int> citationNumbers(std::string_view answer);

// The sources the answer cites (unknown numbers are dropped), in first-mention order.
std::vector<Source> citedSources(std::string_view answer, const std::vector<Source>& sources);

}  // namespace rag
