#include "rag_answerer.h"

#include <filesystem>
#include <optional>
#include <sqlite3.h>

#include "rag/embedder.h"
#include "rag/prompt.h"
#include "rag/retrieve.h"
#include "rag/store.h"

namespace server {

using nlohmann::json;

struct RagAnswerer::Impl {
    // rag::Store is one SQLite connection for one thread at a time: every use is under `mutex`.
    std::mutex mutex;
    std::optional<rag::Store> store;
    std::optional<rag::Embedder> embedder;
    std::map<std::string, std::unique_ptr<rag::DenseIndex>> indexes;  // per collection, loaded on first use
    int64_t dataVersion = -1;  // PRAGMA data_version when `indexes` were loaded

    // The app or `assistant-cli index` write the index from other connections while the
    // server runs: when one has committed since the indexes were loaded, forget them.
    void dropIndexesIfStoreChanged() {
        sqlite3_stmt* stmt = nullptr;
        int64_t version = -2;  // unreadable: reload every time rather than serve stale vectors
        if (sqlite3_prepare_v2(store->handle(), "PRAGMA data_version", -1, &stmt, nullptr) == SQLITE_OK &&
            sqlite3_step(stmt) == SQLITE_ROW)
            version = sqlite3_column_int64(stmt, 0);
        sqlite3_finalize(stmt);
        if (version != dataVersion || version == -2) indexes.clear();
        dataVersion = version;
    }
};

RagAnswerer::RagAnswerer(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
RagAnswerer::~RagAnswerer() = default;

ApiResult<std::unique_ptr<RagAnswerer>> RagAnswerer::open(const std::string& dbPath,
                                                          std::shared_ptr<const assistant::Model> embedder,
                                                          const std::string& embedderPath) {
    if (!std::filesystem::exists(dbPath))
        return std::unexpected(ApiError{500, dbPath + ": no document index there", "server_error", "", ""});
    auto store = rag::Store::open(dbPath);
    if (!store) return std::unexpected(ApiError{500, dbPath + ": " + store.error(), "server_error", "", ""});
    auto impl = std::make_unique<Impl>();
    impl->store.emplace(std::move(*store));
    if (embedder && !embedderPath.empty()) {
        // The indexer keys vectors by this hash of the embedder file: same file, same vectors.
        auto hash = rag::modelFileHash(embedderPath);
        if (hash) impl->embedder.emplace(embedder, *hash);
    }
    return std::unique_ptr<RagAnswerer>(new RagAnswerer(std::move(impl)));
}

std::vector<std::string> RagAnswerer::collections() {
    std::lock_guard lock(m_impl->mutex);
    // rag::Store has no listing of collections; the table is part of its documented schema.
    std::vector<std::string> names;
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(m_impl->store->handle(), "SELECT name FROM collections ORDER BY name", -1, &stmt, nullptr) ==
        SQLITE_OK) {
        while (sqlite3_step(stmt) == SQLITE_ROW)
            names.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
    }
    sqlite3_finalize(stmt);
    return names;
}

bool RagAnswerer::hasCollection(const std::string& name) {
    for (const std::string& c : collections())
        if (c == name) return true;
    return false;
}

ApiResult<RagPrompt> RagAnswerer::prepare(const std::string& collection,
                                          const std::vector<assistant::Message>& conversation,
                                          const assistant::Model& chatModel, int contextTokens, int answerTokens) {
    if (!hasCollection(collection))
        return std::unexpected(ApiError{404, "no document collection '" + collection + "'; GET /v1/models lists them",
                                        "invalid_request_error", "model", "model_not_found"});
    size_t last = conversation.size();
    while (last > 0 && conversation[last - 1].role != "user") --last;
    if (last == 0 || conversation[last - 1].content.empty())
        return std::unexpected(ApiError{400, "a rag: model needs a user message with the question", "invalid_request_error",
                                        "messages", ""});
    const std::string& question = conversation[last - 1].content;

    std::vector<rag::SearchHit> hits;
    {
        std::lock_guard lock(m_impl->mutex);
        rag::Store& store = *m_impl->store;
        const rag::DenseIndex* index = nullptr;
        if (m_impl->embedder) {
            m_impl->dropIndexesIfStoreChanged();
            auto& slot = m_impl->indexes[collection];
            if (!slot) {
                auto loaded = rag::loadDenseIndex(store, *m_impl->embedder, collection);
                slot = std::make_unique<rag::DenseIndex>(loaded ? std::move(*loaded) : rag::DenseIndex());
            }
            if (slot->size() > 0) index = slot.get();
        }
        rag::SearchOptions options;
        options.collection = collection;
        options.mode = index ? rag::SearchMode::Hybrid : rag::SearchMode::Bm25;
        rag::Retriever retriever(store, index ? &*m_impl->embedder : nullptr, index);
        auto found = retriever.search(question, options);
        if (!found) return std::unexpected(ApiError{500, "document search failed: " + found.error(), "server_error", "", ""});
        hits = std::move(*found);
    }

    rag::PromptOptions po;
    po.contextTokens = contextTokens;
    po.answerTokens = answerTokens;
    po.countTokens = [&chatModel](std::string_view text) {
        auto ids = chatModel.tokenize(text, false, false);
        return ids ? static_cast<int>(ids->size()) : static_cast<int>((text.size() + 3) / 4);
    };
    rag::AssembledPrompt assembled = rag::assemblePrompt(question, hits, po);
    RagPrompt out;
    // Earlier turns stay (minus their system prompts); the retrieval system prompt leads.
    for (const assistant::Message& m : assembled.messages)
        if (m.role == "system") out.messages.push_back(m);
    for (size_t i = 0; i + 1 < last; ++i)
        if (conversation[i].role != "system") out.messages.push_back(conversation[i]);
    for (const assistant::Message& m : assembled.messages)
        if (m.role != "system") out.messages.push_back(m);
    out.sources = json::array();
    for (const rag::Source& s : assembled.sources)
        out.sources.push_back(json{{"n", s.n}, {"file", std::filesystem::path(s.path).filename().string()},
                                   {"path", s.path}, {"page_from", s.pageFrom}, {"page_to", s.pageTo},
                                   {"label", rag::sourceLabel(s)}, {"excerpt", s.excerpt}});
    return out;
}

json RagAnswerer::citations(const std::string& answer, const json& sources) {
    json cited = json::array();
    for (int n : rag::citationNumbers(answer))
        for (const json& s : sources)
            if (s["n"] == n) cited.push_back(s);
    return cited.empty() ? sources : cited;
}

}  // namespace server
