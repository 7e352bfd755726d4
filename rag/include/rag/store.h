// The document index on disk: one SQLite database (WAL, foreign keys on) with numbered
// migrations. One Store is one connection: use it from one thread at a time (open one
// Store per thread; WAL lets readers run beside the indexer's writer).
//
// Schema (migration number in brackets):
//   documents(id PK, path TEXT UNIQUE, size, mtime (ns since epoch), sha256 TEXT (hex),
//             status TEXT (statusName), error TEXT, pages [2], indexed_at (s) [2])   [1]
//   collections(id PK, name TEXT UNIQUE); 'default' always exists                    [2]
//   collection_documents(collection_id, document_id) PK both, cascades              [2]
//   chunks(id PK, document_id -> documents ON DELETE CASCADE, ordinal, page_from,
//          page_to (1-based), char_start, char_end (bytes into the document text),
//          text; UNIQUE(document_id, ordinal))                                       [2]
//   chunks_fts: FTS5 external-content index of chunks.text,
//          tokenize='porter unicode61 remove_diacritics 2', kept in sync by triggers [2]
//   embedders(id PK, name, file_hash, dims; UNIQUE(name, file_hash))                 [3]
//   embeddings(embedder_id, chunk_id -> chunks ON DELETE CASCADE, format (0 float32,
//          1 int8 with per-row scale), scale REAL, vector BLOB (dims values,
//          little-endian); PK(embedder_id, chunk_id))                                [3]
//   summaries(document_id -> documents ON DELETE CASCADE, model_key, section,
//          char_start, char_end, text; PK(document_id, model_key, section))          [4]
//   chunks.lang, documents.language: ISO 639-1 code of the chunk's / most of the
//          document's text (detectLanguage; '' when unknown); index chunks_lang.
//          chunks_fts re-made with tokenize='assistant' (CJK characters and pairs,
//          Snowball stemming by language: fts_tokenizer.h)                        [5]
#pragma once

#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rag/chunker.h"

struct sqlite3;

namespace rag {
namespace fts {
struct Tokenizer;
}

template <class T>
using StoreResult = std::expected<T, std::string>;

struct DocumentRecord {
    int64_t id = 0;
    std::string path;       // absolute, as indexed
    int64_t size = 0;       // bytes
    int64_t mtime = 0;      // nanoseconds since the epoch
    std::string sha256;     // lower-case hex of the file's bytes
    std::string status;     // statusName(DocumentStatus)
    std::string error;      // reason or note; empty if none
    int pages = 0;
    int chunks = 0;         // filled by listDocuments / findDocument
    std::string language;   // ISO 639-1 code of most of its text ("" unknown); set by commitDocument
};

struct ChunkRecord {
    int64_t id = 0;
    int64_t documentId = 0;
    std::string path;
    int ordinal = 0;
    int pageFrom = 1, pageTo = 1;
    int64_t charStart = 0, charEnd = 0;
    std::string text;
};

struct ScoredChunk {
    int64_t chunkId = 0;
    float score = 0;  // higher is better (BM25: -bm25(); dense: cosine)
};

// Float rows [count][dims] with their chunk ids, for the dense index.
struct EmbeddingMatrix {
    int dims = 0;
    std::vector<int64_t> chunkIds;
    std::vector<float> values;
};

struct EmbedderRecord {
    int64_t id = 0;
    std::string name;      // a model's general.name, or a remote server's model id
    std::string fileHash;  // Embedder::fileHash(): the file's hash, or "remote:URL#MODEL"
    int dims = 0;
    int64_t vectors = 0;
};

class Store {
public:
    // Opens (creating if needed) and migrates to the newest schema version.
    static StoreResult<Store> open(const std::string& path);
    Store(Store&&) noexcept;
    Store& operator=(Store&&) noexcept;
    ~Store();

    int schemaVersion() const;
    static int latestSchemaVersion();
    // SQLite's PRAGMA data_version: changes when another connection commits (the app's
    // indexer, `assistant-cli index`), so a reader knows its cached vectors are stale.
    StoreResult<int64_t> dataVersion();

    // Collection names, sorted ('default' is always there).
    StoreResult<std::vector<std::string>> listCollections();

    // ---- documents -------------------------------------------------------
    StoreResult<std::optional<DocumentRecord>> findDocument(const std::string& path);
    // Every document, or those of one collection; ordered by path.
    StoreResult<std::vector<DocumentRecord>> listDocuments(const std::string& collection = {});
    // One transaction: upserts the document row, replaces its chunks (and with them
    // their FTS rows, embeddings and cached summaries) and adds it to `collection`.
    // Returns the document id. After a crash either all of it is there or none.
    StoreResult<int64_t> commitDocument(const DocumentRecord& doc, const std::vector<Chunk>& chunks,
                                        const std::string& collection = "default");
    // Same content, new size/mtime (the file was touched or copied).
    StoreResult<void> updateFileStamp(int64_t documentId, int64_t size, int64_t mtime);
    StoreResult<void> removeDocument(int64_t documentId);

    // ---- chunks ----------------------------------------------------------
    StoreResult<std::vector<ChunkRecord>> documentChunks(int64_t documentId);
    // Chunks by id, in the order of `ids` (missing ids are skipped).
    StoreResult<std::vector<ChunkRecord>> chunks(const std::vector<int64_t>& ids);
    StoreResult<int64_t> chunkCount(const std::string& collection = {});
    // FTS5 BM25 over chunk text. The query is split into words, each quoted and
    // OR-ed (no FTS syntax reaches SQLite). Best first.
    StoreResult<std::vector<ScoredChunk>> searchBm25(const std::string& query, int limit,
                                                     const std::string& collection = {});

    // ---- embeddings ------------------------------------------------------
    // The id of (name, fileHash), created with `dims` if new; an error if it exists
    // with other dims.
    StoreResult<int64_t> embedderId(const std::string& name, const std::string& fileHash, int dims);
    // Up to `limit` chunks (id, text) with no embedding from this embedder, by id.
    StoreResult<std::vector<ChunkRecord>> chunksWithoutEmbedding(int64_t embedderId, int limit);
    StoreResult<int64_t> countChunksWithoutEmbedding(int64_t embedderId);
    // One transaction. int8: each row stored as round(v / scale), scale = max|v| / 127.
    StoreResult<void> putEmbeddings(int64_t embedderId, const std::vector<int64_t>& chunkIds,
                                    const std::vector<std::vector<float>>& vectors, bool int8 = false);
    StoreResult<EmbeddingMatrix> loadEmbeddings(int64_t embedderId, const std::string& collection = {});
    // Every embedder that has vectors in the index, with how many (an index is built by one:
    // rag/embedder_check.h refuses a second).
    StoreResult<std::vector<EmbedderRecord>> embeddersWithVectors();
    // Drops an embedder and its vectors (one statement; the cascade removes the rows).
    StoreResult<void> removeEmbedder(int64_t embedderId);

    // ---- summaries (map-reduce cache) -------------------------------------
    StoreResult<std::optional<std::string>> summary(int64_t documentId, const std::string& modelKey,
                                                    int section, int64_t charStart, int64_t charEnd);
    StoreResult<void> putSummary(int64_t documentId, const std::string& modelKey, int section,
                                 int64_t charStart, int64_t charEnd, const std::string& text);

private:
    friend struct StoreTestAccess;  // tests/: the raw connection (rag/src/store_test_access.h)
    explicit Store(sqlite3* db) : m_db(db) {}
    sqlite3* m_db = nullptr;
    fts::Tokenizer* m_fts = nullptr;  // the connection's tokenizer state (owned by SQLite)
};

// FTS5 MATCH expression for free text: '"w1" OR "w2" ...' (empty when no words);
// CJK runs become their character pairs and characters; common function words (and
// CJK particles as single characters) are left out unless nothing else remains.
std::string ftsQuery(const std::string& text);

}  // namespace rag
