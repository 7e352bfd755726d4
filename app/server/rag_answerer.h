// `rag:<collection>` models: chat that answers from the document index through
// rag::Answerer (the last user message is the question; whole documents when they fit,
// else hybrid or BM25 chunks; numbered sources). This class adds what HTTP needs: one
// lock around the SQLite connection, status codes, and the sources as JSON.
// rag_answerer.cpp with rag/ (ASSISTANT_WITH_RAG); rag_answerer_none.cpp, which refuses
// --db, without it.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "assistant/engine.h"
#include "json/json.h"
#include "openai_protocol.h"

namespace server {

struct RagPrompt {
    std::vector<assistant::Message> messages;  // what the chat model answers
    json::Value sources;                   // [{n, file, path, page_from, page_to, excerpt}]
};

class RagAnswerer {
public:
    // Opens the index at dbPath (SQLite). embedder/embedderPath: the model that embeds
    // questions for dense search (null: BM25 only). Errors name the file.
    static ApiResult<std::unique_ptr<RagAnswerer>> open(const std::string& dbPath,
                                                        std::shared_ptr<const assistant::Model> embedder,
                                                        const std::string& embedderPath);
    ~RagAnswerer();

    std::vector<std::string> collections();
    bool hasCollection(const std::string& name);

    // 404 for an unknown collection, 400 without a user question.
    ApiResult<RagPrompt> prepare(const std::string& collection, const std::vector<assistant::Message>& conversation,
                                 std::shared_ptr<const assistant::Model> chatModel, int contextTokens,
                                 int answerTokens);

    // The sources the answer cites ([n] markers); all prompt sources when it cites none.
    static json::Value citations(const std::string& answer, const json::Value& sources);

    struct Impl;

private:
    explicit RagAnswerer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace server
