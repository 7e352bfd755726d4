// Retrieval: BM25 (SQLite FTS5) and exact dense search over an in-memory matrix,
// fused by reciprocal rank fusion. Results name the file and page span.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "rag/embedder.h"
#include "rag/store.h"

namespace rag {

// Exact inner-product search over L2-normalized rows (cosine). Above
// kPrefilterRows rows an int8 copy (per-row scale) scores everything first and the
// best max(20*k, 256) candidates are re-scored in float.
class DenseIndex {
public:
    static constexpr size_t kPrefilterRows = 200000;
    DenseIndex() = default;
    explicit DenseIndex(EmbeddingMatrix matrix, bool forcePrefilter = false);

    size_t size() const { return m_ids.size(); }
    int dims() const { return m_dims; }
    bool prefiltered() const { return !m_q8.empty(); }
    // Best k rows for the query [dims], best first; empty on a dims mismatch.
    std::vector<ScoredChunk> search(std::span<const float> query, int k) const;

private:
    std::vector<ScoredChunk> exact(std::span<const float> query, int k) const;
    int m_dims = 0;
    std::vector<int64_t> m_ids;
    std::vector<float> m_values;  // [rows][dims]
    std::vector<int8_t> m_q8;     // [rows][dims] when prefiltering
    std::vector<float> m_scales;  // [rows]
};

// Loads every vector of `embedder` (optionally one collection) from the store.
StoreResult<DenseIndex> loadDenseIndex(Store& store, const Embedder& embedder, const std::string& collection = {});

enum class SearchMode { Bm25, Dense, Hybrid };
// "bm25" | "dense" | "hybrid"; false for anything else.
bool parseSearchMode(const std::string& text, SearchMode& mode);

struct SearchOptions {
    SearchMode mode = SearchMode::Hybrid;
    int k = 8;             // results returned
    int candidates = 50;   // top-N taken from each ranker before fusion
    int rrfK = 60;         // RRF constant: score = sum 1 / (rrfK + rank), rank from 1
    std::string collection;  // empty: all documents
};

struct SearchHit {
    int64_t chunkId = 0;
    int64_t documentId = 0;
    std::string path;
    int pageFrom = 1, pageTo = 1;
    float score = 0;  // bm25 mode: -bm25; dense: cosine; hybrid: RRF score
    std::string text;
};

// Fuses ranked lists (best first) by reciprocal rank; best first, at most k.
std::vector<ScoredChunk> reciprocalRankFusion(const std::vector<std::vector<ScoredChunk>>& lists, int k,
                                              int rrfK = 60);

// Hybrid mode answers a question in a language the embedder does not cover
// (Embedder::covers(detectLanguage(query))) by BM25 alone.
// Dense and hybrid modes need an embedder and its index (built with loadDenseIndex for
// the same collection as SearchOptions::collection); without them they are an error. Not thread-safe (uses the Store's connection).
class Retriever {
public:
    Retriever(Store& store, const Embedder* embedder = nullptr, const DenseIndex* index = nullptr)
        : m_store(store), m_embedder(embedder), m_index(index) {}
    StoreResult<std::vector<SearchHit>> search(const std::string& query, const SearchOptions& options = {});

private:
    Store& m_store;
    const Embedder* m_embedder;
    const DenseIndex* m_index;
};

}  // namespace rag
