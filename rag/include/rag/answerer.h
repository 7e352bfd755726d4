// Answering a question from the document index: the one path from a conversation to
// the prompt and its numbered sources, shared by `assistant-cli ask`, the local API's
// rag:<collection> models and the app's "Use my documents".
//
// What the prompt carries, first that applies:
//   1. WholeCollection: every document of the collection, whole, when all of their
//      text fits the budget (no retrieval runs).
//   2. WholeDocument: the document of the best hit, whole, when it fits; other
//      documents' hits follow while room remains.
//   3. Chunks: the best retrieved chunks (at most maxChunks; the last may be cut).
// Retrieval is hybrid (BM25 + dense, fused by rank) when the Answerer has an embedder
// and the index holds its vectors for the collection, else BM25; searchNote says why.
// A document given whole is its chunks without their overlaps, those with the same
// page span joined: [n] still names pages. The budget is the session's context minus the answer, the
// instructions, the conversation and a template allowance, counted with the chat
// model's tokenizer.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "assistant/engine.h"
#include "rag/embedder.h"
#include "rag/prompt.h"
#include "rag/retrieve.h"
#include "rag/store.h"

namespace rag {

// Tokens of a text.
using TokenCounter = std::function<int(std::string_view)>;

// The model's own tokenizer (no BOS/EOS, special tokens as plain text); a text it
// cannot tokenize counts one token per byte, which no tokenizer exceeds.
TokenCounter modelTokenCounter(std::shared_ptr<const assistant::Model> model);

struct AnswerOptions {
    std::string collection;       // empty: every document
    int contextTokens = 4096;     // the chat session's context size
    int answerTokens = 512;       // kept free for the answer
    int maxChunks = 8;            // retrieved chunks in the prompt (whole documents' pages not counted)
    bool wholeDocuments = true;   // false: always retrieved chunks (cases 1 and 2 off)
    TokenCounter countTokens;     // the chat model's tokenizer; empty: one token per byte
};

enum class AnswerBasis { Chunks, WholeDocument, WholeCollection };

struct PreparedAnswer {
    // system (the conversation's own system text, then instructions and sources), the
    // earlier turns (without system messages), the question.
    std::vector<assistant::Message> messages;
    std::vector<Source> sources;                // n = 1, 2, ...
    AnswerBasis basis = AnswerBasis::Chunks;
    std::vector<std::string> wholeDocuments;    // paths given whole; empty for Chunks
    bool searched = false;                      // retrieval ran (not for WholeCollection)
    SearchMode search = SearchMode::Bm25;       // Hybrid or Bm25, when searched
    std::string searchNote;                     // why BM25 only; empty when hybrid
    int promptTokens = 0;                       // the messages' text, counted (template excluded)
};

// One line for a person: "whole document used: a.pdf", "hybrid search (BM25 + dense)",
// "BM25 search only: no embedder". The app builds its own translated line from the fields.
std::string describeAnswer(const PreparedAnswer& answer);

class Answerer {
public:
    // Opens (creating if needed) the index at dbPath. embedder: embeds questions for
    // dense search; nullopt: BM25 only.
    static StoreResult<Answerer> open(const std::string& dbPath, std::optional<Embedder> embedder = std::nullopt);
    Answerer(Answerer&&) noexcept;
    Answerer& operator=(Answerer&&) noexcept;
    ~Answerer();

    bool hasEmbedder() const;
    StoreResult<std::vector<std::string>> collections();

    // conversation: the chat so far; its last user message is the question (an error
    // when there is none). Not thread-safe: one Answerer is one SQLite connection.
    StoreResult<PreparedAnswer> prepare(std::span<const assistant::Message> conversation,
                                        const AnswerOptions& options);

    // The sources the answer cites ([n] markers), first mention first; all of them
    // when it cites none.
    static std::vector<Source> citations(std::string_view answer, const std::vector<Source>& sources);

private:
    struct State;
    explicit Answerer(std::unique_ptr<State> state);
    std::unique_ptr<State> m_state;
};

}  // namespace rag
