#include "rag/answerer.h"

#include <filesystem>
#include <map>
#include <utility>

#include "rag/embedder_check.h"

namespace rag {
namespace {

// Template tokens around one earlier turn (role markers, separators).
constexpr int kTurnOverhead = 8;
// No tokenizer averages more bytes per token than this on text: a document with more
// bytes than this many times the budget cannot fit, and is not tokenized to find out.
constexpr int64_t kMaxBytesPerToken = 8;

int countBytes(std::string_view text) { return static_cast<int>(text.size()); }

// A document's text without the chunker's overlaps, as hits: consecutive chunks with
// the same page span are joined, so each [n] names its pages as a chunk would.
StoreResult<std::vector<SearchHit>> wholeDocument(Store& store, int64_t documentId) {
    auto chunks = store.documentChunks(documentId);
    if (!chunks) return std::unexpected(chunks.error());
    std::vector<SearchHit> parts;
    int64_t covered = -1;  // byte offset into the document text the parts reach
    for (const ChunkRecord& c : *chunks) {
        std::string text = c.text;
        // Offsets are exact when the chunker wrote them (text == documentText[start, end)).
        const bool exact = c.charEnd - c.charStart == static_cast<int64_t>(c.text.size()) && c.charEnd > 0;
        std::string_view joint = "\n\n";
        if (exact && covered >= c.charStart) {
            if (covered >= c.charEnd) continue;
            text.erase(0, static_cast<size_t>(covered - c.charStart));  // a boundary the chunker chose
            joint = "";
        }
        if (exact) covered = std::max(covered, c.charEnd);
        if (parts.empty() || parts.back().pageFrom != c.pageFrom || parts.back().pageTo != c.pageTo) {
            parts.push_back(SearchHit{c.id, c.documentId, c.path, c.pageFrom, c.pageTo, 0, std::move(text)});
            continue;
        }
        parts.back().text.append(joint).append(text);
    }
    return parts;
}

// Tokens the parts take as sources numbered from firstN; -1 when they cannot fit `budget`.
int sourcesCost(const std::vector<SearchHit>& pages, int firstN, int budget, const TokenCounter& count) {
    int64_t bytes = 0;
    for (const SearchHit& p : pages) bytes += static_cast<int64_t>(p.text.size());
    if (bytes > static_cast<int64_t>(std::max(budget, 0)) * kMaxBytesPerToken) return -1;
    int cost = 0;
    for (const SearchHit& p : pages) {
        Source s{firstN++, p.chunkId, p.path, p.pageFrom, p.pageTo, {}};
        cost += count(sourceHeader(s)) + count(p.text) + 1;
        if (cost > budget) return -1;
    }
    return cost;
}

}  // namespace

TokenCounter modelTokenCounter(std::shared_ptr<const assistant::Model> model) {
    return [model = std::move(model)](std::string_view text) {
        auto ids = model->tokenize(text, false, false);
        return ids ? static_cast<int>(ids->size()) : countBytes(text);
    };
}

std::string describeAnswer(const PreparedAnswer& answer) {
    auto file = [](const std::string& path) { return std::filesystem::path(path).filename().string(); };
    if (answer.basis == AnswerBasis::WholeCollection) {
        if (answer.wholeDocuments.size() == 1) return "whole document used: " + file(answer.wholeDocuments.front());
        return "all " + std::to_string(answer.wholeDocuments.size()) + " documents used whole";
    }
    std::string line;
    if (answer.basis == AnswerBasis::WholeDocument)
        line = "whole document used: " + file(answer.wholeDocuments.front()) + "; ";
    if (answer.search == SearchMode::Hybrid) return line + "hybrid search (BM25 + dense)";
    return line + "BM25 search only" + (answer.searchNote.empty() ? "" : ": " + answer.searchNote);
}

struct Answerer::State {
    Store store;
    std::optional<Embedder> embedder;
    std::map<std::string, DenseIndex> indexes;  // per collection, loaded on first use
    int64_t dataVersion = -1;                   // of the store when `indexes` were loaded

    // The dense index of the collection, or null (no embedder, or no vectors from it).
    // The app's indexer or `assistant-cli index` write from other connections: when one
    // has committed since the indexes were loaded, they are loaded again.
    StoreResult<const DenseIndex*> denseIndex(const std::string& collection) {
        if (!embedder) return nullptr;
        auto version = store.dataVersion();
        if (!version) return std::unexpected(version.error());
        if (*version != dataVersion) indexes.clear();
        dataVersion = *version;
        auto it = indexes.find(collection);
        if (it == indexes.end()) {
            auto loaded = loadDenseIndex(store, *embedder, collection);
            if (!loaded) return std::unexpected(loaded.error());
            it = indexes.emplace(collection, std::move(*loaded)).first;
        }
        return it->second.size() > 0 ? &it->second : nullptr;
    }

    // Every document of the collection whole (wholeDocument), when all of them fit `budget`; else
    // empty. Stops reading once the text is too long to fit. paths: the documents.
    StoreResult<std::vector<SearchHit>> wholeCollection(const std::string& collection, int budget,
                                                        const TokenCounter& count, std::vector<std::string>& paths) {
        auto docs = store.listDocuments(collection);
        if (!docs) return std::unexpected(docs.error());
        std::vector<SearchHit> all;
        int64_t bytes = 0;
        for (const DocumentRecord& d : *docs) {
            if (d.chunks == 0) continue;
            auto pages = wholeDocument(store, d.id);
            if (!pages) return std::unexpected(pages.error());
            for (const SearchHit& p : *pages) bytes += static_cast<int64_t>(p.text.size());
            if (bytes > static_cast<int64_t>(std::max(budget, 0)) * kMaxBytesPerToken) return std::vector<SearchHit>();
            all.insert(all.end(), pages->begin(), pages->end());
            paths.push_back(d.path);
        }
        if (all.empty() || sourcesCost(all, 1, budget, count) < 0) {
            paths.clear();
            return std::vector<SearchHit>();
        }
        return all;
    }

    // The best hits for the question, hybrid when the index has the embedder's vectors
    // (out: search, searchNote). When the best hit's document fits `budget` whole, its
    // parts lead and replace its hits (out: basis, wholeDocuments).
    StoreResult<std::vector<SearchHit>> retrieve(const std::string& question, const AnswerOptions& options, int budget,
                                                 const TokenCounter& count, PreparedAnswer& out) {
        auto index = denseIndex(options.collection);
        if (!index) return std::unexpected(index.error());
        SearchOptions search;
        search.collection = options.collection;
        search.k = std::max(options.maxChunks, 1);
        search.mode = *index ? SearchMode::Hybrid : SearchMode::Bm25;
        out.searched = true;
        out.search = search.mode;
        if (!*index && !embedder) out.searchNote = "no embedder";
        if (!*index && embedder) {
            auto other = checkIndexEmbedder(store, *embedder);  // another embedder built the index?
            out.searchNote = other ? "the index has no vectors from " + embedder->name() + " (index the documents with it)"
                                   : other.error();
        }
        Retriever retriever(store, *index ? &*embedder : nullptr, *index);
        auto hits = retriever.search(question, search);
        if (!hits || hits->empty() || !options.wholeDocuments) return hits;
        const int64_t top = hits->front().documentId;
        auto parts = wholeDocument(store, top);
        if (!parts) return std::unexpected(parts.error());
        if (parts->empty() || sourcesCost(*parts, 1, budget, count) < 0) return hits;
        out.basis = AnswerBasis::WholeDocument;
        out.wholeDocuments.push_back(hits->front().path);
        std::erase_if(*hits, [top](const SearchHit& h) { return h.documentId == top; });
        hits->insert(hits->begin(), parts->begin(), parts->end());
        return hits;
    }
};

Answerer::Answerer(std::unique_ptr<State> state) : m_state(std::move(state)) {}
Answerer::Answerer(Answerer&&) noexcept = default;
Answerer& Answerer::operator=(Answerer&&) noexcept = default;
Answerer::~Answerer() = default;

StoreResult<Answerer> Answerer::open(const std::string& dbPath, std::optional<Embedder> embedder) {
    auto store = Store::open(dbPath);
    if (!store) return std::unexpected(store.error());
    return Answerer(std::make_unique<State>(State{std::move(*store), std::move(embedder), {}, -1}));
}

bool Answerer::hasEmbedder() const { return m_state->embedder.has_value(); }

StoreResult<std::vector<std::string>> Answerer::collections() { return m_state->store.listCollections(); }

std::vector<Source> Answerer::citations(std::string_view answer, const std::vector<Source>& sources) {
    std::vector<Source> cited = citedSources(answer, sources);
    return cited.empty() ? sources : cited;
}

StoreResult<PreparedAnswer> Answerer::prepare(std::span<const assistant::Message> conversation,
                                              const AnswerOptions& options) {
    size_t last = conversation.size();
    while (last > 0 && conversation[last - 1].role != "user") --last;
    if (last == 0 || conversation[last - 1].content.empty())
        return std::unexpected(std::string("no question: the conversation has no user message"));
    const std::string& question = conversation[last - 1].content;
    const TokenCounter count = options.countTokens ? options.countTokens : TokenCounter(countBytes);

    // The conversation's own system text leads the system message; earlier turns stay.
    std::string systemText;
    std::vector<assistant::Message> turns;
    int conversationTokens = 0;  // what the earlier turns take from the context
    for (size_t i = 0; i + 1 < last; ++i) {
        const assistant::Message& m = conversation[i];
        if (m.role == "system") {
            systemText += m.content + "\n\n";
            conversationTokens += count(m.content + "\n\n");
        } else {
            turns.push_back(m);
            conversationTokens += count(m.content) + kTurnOverhead;
        }
    }
    PromptOptions po;
    po.contextTokens = options.contextTokens - conversationTokens;
    po.answerTokens = options.answerTokens;
    po.maxChunks = options.maxChunks;
    po.countTokens = count;
    const int budget = sourceTokenBudget(question, po);

    PreparedAnswer out;
    std::vector<SearchHit> hits;
    if (options.wholeDocuments) {
        auto all = m_state->wholeCollection(options.collection, budget, count, out.wholeDocuments);
        if (!all) return std::unexpected(all.error());
        if (!all->empty()) {
            out.basis = AnswerBasis::WholeCollection;
            hits = std::move(*all);
        }
    }

    if (out.basis != AnswerBasis::WholeCollection) {
        auto found = m_state->retrieve(question, options, budget, count, out);
        if (!found) return std::unexpected(found.error());
        hits = std::move(*found);
    }
    // Whole documents' parts are not counted against maxChunks; other hits are at most k.
    if (out.basis != AnswerBasis::Chunks) po.maxChunks = static_cast<int>(hits.size());

    AssembledPrompt assembled = assemblePrompt(question, hits, po);
    out.sources = std::move(assembled.sources);
    assembled.messages.front().content.insert(0, systemText);
    out.messages.push_back(std::move(assembled.messages.front()));
    out.messages.insert(out.messages.end(), turns.begin(), turns.end());
    out.messages.push_back(std::move(assembled.messages.back()));
    for (const assistant::Message& m : out.messages) out.promptTokens += count(m.content);
    return out;
}

}  // namespace rag
