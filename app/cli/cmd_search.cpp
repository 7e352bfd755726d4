// assistant-cli search: BM25, dense or hybrid retrieval over the document index.
#include <cstdio>

#include "cli_common.h"
#include "cli_rag.h"
#include "commands.h"
#include "json/json.h"
#include "rag/retrieve.h"

namespace cli {

namespace {

std::string oneLine(const std::string& text, size_t maxBytes) {
    std::string out;
    for (char c : text) {
        if (out.size() >= maxBytes && (static_cast<unsigned char>(c) & 0xC0) != 0x80) {
            out += "...";
            break;
        }
        out.push_back(c == '\n' || c == '\t' ? ' ' : c);
    }
    return out;
}

// Dense and hybrid search need the embedder and its vectors: loads them into embedder
// and index, or falls back to BM25 (hybrid; dense fails). False after printing why.
bool prepareDense(rag::Store& store, const EmbedderArgs& embedderArgs, bool modeGiven,
                  const std::string& db, rag::SearchOptions& options, std::optional<rag::Embedder>& embedder,
                  rag::DenseIndex& index) {
    const char* cmd = "search";
    embedder = ragEmbedder(embedderArgs, cmd, !modeGiven && !embedderArgs.given());
    if (embedderArgs.given() && !embedder) return false;
    if (embedder && !embedderMatchesIndex(db, *embedder, cmd)) return false;
    if (embedder) {
        auto loaded = rag::loadDenseIndex(store, *embedder, options.collection);
        if (!loaded) {
            failure(cmd, loaded.error());
            return false;
        }
        index = std::move(*loaded);
    }
    if (embedder && index.size() > 0) return true;
    if (options.mode == rag::SearchMode::Dense) {
        std::fprintf(stderr, "%s: no vectors for this embedder in %s (index with --embedder first)\n", cmd, db.c_str());
        return false;
    }
    if (modeGiven) std::fprintf(stderr, "%s: no vectors for this embedder; hybrid falls back to BM25\n", cmd);
    options.mode = rag::SearchMode::Bm25;
    return true;
}

void printHits(const std::vector<rag::SearchHit>& hits, bool json) {
    if (json) {
        json::Value out = json::Array{};
        for (const rag::SearchHit& h : hits) {
            json::Value o;
            o.set("path", h.path);
            o.set("page_from", h.pageFrom);
            o.set("page_to", h.pageTo);
            o.set("score", static_cast<double>(h.score));
            o.set("text", h.text);
            out.push(std::move(o));
        }
        std::printf("%s\n", out.dump().c_str());
        return;
    }
    for (const rag::SearchHit& h : hits) {
        const std::string pages = h.pageFrom == h.pageTo ? "p. " + std::to_string(h.pageFrom)
                                                         : "pp. " + std::to_string(h.pageFrom) + "-" + std::to_string(h.pageTo);
        std::printf("%s  %s  %.4f\n    %s\n", h.path.c_str(), pages.c_str(), static_cast<double>(h.score),
                    oneLine(h.text, 240).c_str());
    }
}

}  // namespace

int runSearch(std::vector<std::string> argv) {
    const char* cmd = "search";
    Args args(std::move(argv));
    const auto db = ragDatabasePath(args);
    const auto k = args.integer("-k", "--top-k");
    const auto modeText = args.value("--mode");
    const auto apiKey = args.value("--api-key");
    const EmbedderArgs embedderArgs = readEmbedderArgs(args, apiKey);
    const auto collection = args.value("--collection");
    const bool json = args.flag("--json");
    const std::vector<std::string> rest = args.positional();
    rag::SearchOptions options;
    if (modeText && !rag::parseSearchMode(*modeText, options.mode)) {
        std::fprintf(stderr, "%s: --mode must be bm25, dense or hybrid\n", cmd);
        return 2;
    }
    if (!args.error().empty() || rest.size() != 1 || (k && (*k < 1 || *k > 1000)))
        return usageError(args, cmd, rest.size() != 1 ? "give the query as one argument" : "-k must be in 1..1000");
    if (!db) return 1;
    if (k) options.k = static_cast<int>(*k);
    if (collection) options.collection = *collection;
    auto store = rag::Store::open(*db);
    if (!store) return failure(cmd, store.error());
    std::optional<rag::Embedder> embedder;
    rag::DenseIndex index;
    if (options.mode != rag::SearchMode::Bm25 &&
        !prepareDense(*store, embedderArgs, modeText.has_value(), *db, options, embedder, index))
        return 1;
    rag::Retriever retriever(*store, embedder ? &*embedder : nullptr, &index);
    auto hits = retriever.search(rest.front(), options);
    if (!hits) return failure(cmd, hits.error());
    printHits(*hits, json);
    if (!json && hits->empty()) std::fprintf(stderr, "%s: no matches\n", cmd);
    return 0;
}

}  // namespace cli
