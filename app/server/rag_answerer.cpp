#include "rag_answerer.h"

#include <algorithm>
#include <filesystem>
#include <optional>

#include "rag/answerer.h"
#include "rag/embedder.h"

namespace server {

using json::Object;
using json::Value;

struct RagAnswerer::Impl {
    explicit Impl(rag::Answerer a) : answerer(std::move(a)) {}
    // rag::Answerer is one SQLite connection for one thread at a time: every use is under `mutex`.
    std::mutex mutex;
    rag::Answerer answerer;
};

RagAnswerer::RagAnswerer(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
RagAnswerer::~RagAnswerer() = default;

ApiResult<std::unique_ptr<RagAnswerer>> RagAnswerer::open(const std::string& dbPath,
                                                          std::shared_ptr<const assistant::Model> embedder,
                                                          const std::string& embedderPath) {
    if (!std::filesystem::exists(dbPath))
        return std::unexpected(ApiError{500, dbPath + ": no document index there", "server_error", "", ""});
    std::optional<rag::Embedder> questions;
    if (embedder && !embedderPath.empty()) {
        // The indexer keys vectors by this hash of the embedder file: same file, same vectors.
        auto hash = rag::modelFileHash(embedderPath);
        if (hash) questions.emplace(embedder, *hash);
    }
    auto answerer = rag::Answerer::open(dbPath, std::move(questions));
    if (!answerer) return std::unexpected(ApiError{500, dbPath + ": " + answerer.error(), "server_error", "", ""});
    return std::unique_ptr<RagAnswerer>(new RagAnswerer(std::make_unique<Impl>(std::move(*answerer))));
}

std::vector<std::string> RagAnswerer::collections() {
    std::lock_guard lock(m_impl->mutex);
    auto names = m_impl->answerer.collections();
    return names ? std::move(*names) : std::vector<std::string>();
}

bool RagAnswerer::hasCollection(const std::string& name) {
    for (const std::string& c : collections())
        if (c == name) return true;
    return false;
}

ApiResult<RagPrompt> RagAnswerer::prepare(const std::string& collection,
                                          const std::vector<assistant::Message>& conversation,
                                          std::shared_ptr<const assistant::Model> chatModel, int contextTokens,
                                          int answerTokens) {
    if (!hasCollection(collection))
        return std::unexpected(ApiError{404, "no document collection '" + collection + "'; GET /v1/models lists them",
                                        "invalid_request_error", "model", "model_not_found"});
    auto last = std::find_if(conversation.rbegin(), conversation.rend(),
                             [](const assistant::Message& m) { return m.role == "user"; });
    if (last == conversation.rend() || last->content.empty())
        return std::unexpected(ApiError{400, "a rag: model needs a user message with the question", "invalid_request_error",
                                        "messages", ""});
    rag::AnswerOptions options;
    options.collection = collection;
    options.contextTokens = contextTokens;
    options.answerTokens = answerTokens;
    options.countTokens = rag::modelTokenCounter(std::move(chatModel));
    std::lock_guard lock(m_impl->mutex);
    auto prepared = m_impl->answerer.prepare(conversation, options);
    if (!prepared)
        return std::unexpected(ApiError{500, "document search failed: " + prepared.error(), "server_error", "", ""});
    RagPrompt out;
    out.messages = std::move(prepared->messages);
    out.sources = json::Array();
    for (const rag::Source& s : prepared->sources)
        out.sources.push(Object{{"n", s.n}, {"file", std::filesystem::path(s.path).filename().string()},
                                {"path", s.path}, {"page_from", s.pageFrom}, {"page_to", s.pageTo},
                                {"label", rag::sourceLabel(s)}, {"excerpt", s.excerpt}});
    return out;
}

Value RagAnswerer::citations(const std::string& answer, const Value& sources) {
    Value cited = json::Array();
    for (int n : rag::citationNumbers(answer))
        for (const Value& s : sources.asArray())
            if (s["n"] == Value(n)) cited.push(s);
    return cited.size() == 0 ? sources : cited;
}

}  // namespace server
