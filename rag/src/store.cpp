#include "rag/store.h"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cctype>
#include <cstring>
#include <set>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "fts_tokenizer.h"
#include "rag/language.h"
#include "sql.h"

namespace rag {
namespace {

// Migration N brings the schema from version N-1 to N. Append only; never edit a
// migration that has shipped.
constexpr std::array<std::string_view, 5> kMigrations = {
    R"sql(
CREATE TABLE documents(
  id     INTEGER PRIMARY KEY,
  path   TEXT NOT NULL UNIQUE,
  size   INTEGER NOT NULL,
  mtime  INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  status TEXT NOT NULL,
  error  TEXT
);
)sql",
    R"sql(
ALTER TABLE documents ADD COLUMN pages INTEGER NOT NULL DEFAULT 0;
ALTER TABLE documents ADD COLUMN indexed_at INTEGER NOT NULL DEFAULT 0;
CREATE TABLE collections(
  id   INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);
INSERT INTO collections(name) VALUES('default');
CREATE TABLE collection_documents(
  collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
  document_id   INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  PRIMARY KEY(collection_id, document_id)
) WITHOUT ROWID;
CREATE INDEX collection_documents_document ON collection_documents(document_id);
CREATE TABLE chunks(
  id          INTEGER PRIMARY KEY,
  document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  ordinal     INTEGER NOT NULL,
  page_from   INTEGER NOT NULL,
  page_to     INTEGER NOT NULL,
  char_start  INTEGER NOT NULL,
  char_end    INTEGER NOT NULL,
  text        TEXT NOT NULL,
  UNIQUE(document_id, ordinal)
);
CREATE VIRTUAL TABLE chunks_fts USING fts5(text, content='chunks', content_rowid='id',
  tokenize='porter unicode61 remove_diacritics 2');
CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN
  INSERT INTO chunks_fts(rowid, text) VALUES(new.id, new.text);
END;
CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN
  INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES('delete', old.id, old.text);
END;
)sql",
    R"sql(
CREATE TABLE embedders(
  id        INTEGER PRIMARY KEY,
  name      TEXT NOT NULL,
  file_hash TEXT NOT NULL,
  dims      INTEGER NOT NULL,
  UNIQUE(name, file_hash)
);
CREATE TABLE embeddings(
  embedder_id INTEGER NOT NULL REFERENCES embedders(id) ON DELETE CASCADE,
  chunk_id    INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
  format      INTEGER NOT NULL,
  scale       REAL NOT NULL DEFAULT 1,
  vector      BLOB NOT NULL,
  PRIMARY KEY(embedder_id, chunk_id)
) WITHOUT ROWID;
CREATE INDEX embeddings_chunk ON embeddings(chunk_id);
)sql",
    R"sql(
CREATE TABLE summaries(
  document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  model_key   TEXT NOT NULL,
  section     INTEGER NOT NULL,
  char_start  INTEGER NOT NULL,
  char_end    INTEGER NOT NULL,
  text        TEXT NOT NULL,
  PRIMARY KEY(document_id, model_key, section)
) WITHOUT ROWID;
)sql",
    R"sql(
ALTER TABLE chunks ADD COLUMN lang TEXT NOT NULL DEFAULT '';
ALTER TABLE documents ADD COLUMN language TEXT NOT NULL DEFAULT '';
UPDATE chunks SET lang = assistant_language(text);
UPDATE documents SET language = coalesce((SELECT c.lang FROM chunks c WHERE c.document_id = documents.id
  AND c.lang <> '' GROUP BY c.lang ORDER BY sum(length(c.text)) DESC, c.lang LIMIT 1), '');
CREATE INDEX chunks_lang ON chunks(lang);
DROP TRIGGER chunks_ai;
DROP TRIGGER chunks_ad;
DROP TABLE chunks_fts;
CREATE VIRTUAL TABLE chunks_fts USING fts5(text, content='chunks', content_rowid='id', tokenize='assistant');
INSERT INTO chunks_fts(chunks_fts) VALUES('rebuild');
CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN
  INSERT INTO chunks_fts(rowid, text) VALUES(new.id, new.text);
END;
CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN
  INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES('delete', old.id, old.text);
END;
)sql",
};

int userVersion(sqlite3* db) {
    sqlite3_stmt* stmt = nullptr;
    int version = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
        version = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    return version;
}

// The collection filter shared by the queries that take one ("" = all documents).
constexpr const char* kInCollection =
    " (?1 = '' OR d.id IN (SELECT cd.document_id FROM collection_documents cd"
    " JOIN collections co ON co.id = cd.collection_id WHERE co.name = ?1)) ";

// The language of most of a document's text (by bytes of chunks), "" if none is known.
std::string mainLanguage(const std::vector<Chunk>& chunks, const std::vector<std::string>& langs) {
    std::unordered_map<std::string, size_t> bytes;
    for (size_t k = 0; k < chunks.size(); ++k)
        if (!langs[k].empty()) bytes[langs[k]] += chunks[k].text.size();
    std::string best;
    size_t most = 0;
    for (const auto& [lang, n] : bytes)
        if (n > most || (n == most && lang < best)) { best = lang; most = n; }
    return best;
}

DocumentRecord readDocument(Statement& s) {
    DocumentRecord d;
    d.id = s.int64(0);
    d.path = s.text(1);
    d.size = s.int64(2);
    d.mtime = s.int64(3);
    d.sha256 = s.text(4);
    d.status = s.text(5);
    d.error = s.text(6);
    d.pages = s.int32(7);
    d.chunks = s.int32(8);
    d.language = s.text(9);
    return d;
}

constexpr const char* kDocumentColumns =
    "SELECT d.id, d.path, d.size, d.mtime, d.sha256, d.status, coalesce(d.error, ''), d.pages,"
    " (SELECT count(*) FROM chunks c WHERE c.document_id = d.id), d.language FROM documents d ";

ChunkRecord readChunk(Statement& s) {
    ChunkRecord c;
    c.id = s.int64(0);
    c.documentId = s.int64(1);
    c.path = s.text(2);
    c.ordinal = s.int32(3);
    c.pageFrom = s.int32(4);
    c.pageTo = s.int32(5);
    c.charStart = s.int64(6);
    c.charEnd = s.int64(7);
    c.text = s.text(8);
    return c;
}

constexpr const char* kChunkColumns =
    "SELECT c.id, c.document_id, d.path, c.ordinal, c.page_from, c.page_to, c.char_start,"
    " c.char_end, c.text FROM chunks c JOIN documents d ON d.id = c.document_id ";

}  // namespace

StoreResult<Store> Store::open(const std::string& path) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
        SQLITE_OK) {
        std::string error = sqlError(db, "open " + path);
        sqlite3_close(db);
        return std::unexpected(error);
    }
    Store store(db);
    std::string error;
    store.m_fts = fts::install(db, error);
    if (!store.m_fts) return std::unexpected("open " + path + ": " + error);
    // The busy timeout first: switching to WAL takes a lock that another connection
    // may hold (the last one to close checkpoints and removes the WAL), and an open
    // racing with that must wait, not fail.
    sqlite3_busy_timeout(db, 5000);
    if (!sqlExec(db, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;", error))
        return std::unexpected("configure " + path + ": " + error);
    const int version = userVersion(db);
    if (version < 0) return std::unexpected(sqlError(db, "read schema version of " + path));
    if (version > static_cast<int>(kMigrations.size()))
        return std::unexpected(path + " has schema version " + std::to_string(version) +
                               ", newer than this build knows (" +
                               std::to_string(kMigrations.size()) + ")");
    for (size_t i = static_cast<size_t>(version); i < kMigrations.size(); ++i) {
        const std::string sql = "BEGIN IMMEDIATE;" + std::string(kMigrations[i]) +
                                "PRAGMA user_version=" + std::to_string(i + 1) + "; COMMIT;";
        if (!sqlExec(db, sql.c_str(), error)) {
            std::string ignored;
            sqlExec(db, "ROLLBACK;", ignored);
            return std::unexpected("migration " + std::to_string(i + 1) + " of " + path + ": " + error);
        }
    }
    return store;
}

Store::Store(Store&& other) noexcept
    : m_db(std::exchange(other.m_db, nullptr)), m_fts(std::exchange(other.m_fts, nullptr)) {}

Store& Store::operator=(Store&& other) noexcept {
    if (this != &other) {
        sqlite3_close(m_db);
        m_db = std::exchange(other.m_db, nullptr);
        m_fts = std::exchange(other.m_fts, nullptr);
    }
    return *this;
}

Store::~Store() { sqlite3_close(m_db); }

int Store::schemaVersion() const { return userVersion(m_db); }
int Store::latestSchemaVersion() { return static_cast<int>(kMigrations.size()); }

StoreResult<int64_t> Store::dataVersion() {
    Statement s(m_db, "PRAGMA data_version");
    if (s.step() != SQLITE_ROW) return std::unexpected(s.error("read data version"));
    return s.int64(0);
}

StoreResult<std::vector<std::string>> Store::listCollections() {
    Statement s(m_db, "SELECT name FROM collections ORDER BY name");
    std::vector<std::string> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) out.push_back(s.text(0));
    if (rc != SQLITE_DONE) return std::unexpected(s.error("list collections"));
    return out;
}

StoreResult<std::optional<DocumentRecord>> Store::findDocument(const std::string& path) {
    Statement s(m_db, std::string(kDocumentColumns) + "WHERE d.path = ?1");
    s.bind(1, path);
    const int rc = s.step();
    if (rc == SQLITE_DONE) return std::optional<DocumentRecord>();
    if (rc != SQLITE_ROW) return std::unexpected(s.error("find document"));
    return std::optional<DocumentRecord>(readDocument(s));
}

StoreResult<std::vector<DocumentRecord>> Store::listDocuments(const std::string& collection) {
    Statement s(m_db, std::string(kDocumentColumns) + "WHERE" + kInCollection + "ORDER BY d.path");
    s.bind(1, collection);
    std::vector<DocumentRecord> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) out.push_back(readDocument(s));
    if (rc != SQLITE_DONE) return std::unexpected(s.error("list documents"));
    return out;
}

StoreResult<int64_t> Store::commitDocument(const DocumentRecord& doc, const std::vector<Chunk>& chunks,
                                           const std::string& collection) {
    Transaction tx(m_db);
    if (!tx.ok()) return std::unexpected(tx.error());
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
    Statement up(m_db,
                 "INSERT INTO documents(path, size, mtime, sha256, status, error, pages, indexed_at, language)"
                 " VALUES(?1, ?2, ?3, ?4, ?5, nullif(?6, ''), ?7, ?8, ?9) ON CONFLICT(path) DO UPDATE SET"
                 " size = ?2, mtime = ?3, sha256 = ?4, status = ?5, error = nullif(?6, ''),"
                 " pages = ?7, indexed_at = ?8, language = ?9 RETURNING id");
    up.bind(1, doc.path).bind(2, doc.size).bind(3, doc.mtime).bind(4, doc.sha256).bind(5, doc.status);
    std::vector<std::string> langs;
    langs.reserve(chunks.size());
    for (const Chunk& c : chunks) langs.push_back(detectLanguage(c.text));
    up.bind(6, doc.error).bind(7, static_cast<int64_t>(doc.pages)).bind(8, now).bind(9, mainLanguage(chunks, langs));
    if (up.step() != SQLITE_ROW) return std::unexpected(up.error("store document " + doc.path));
    const int64_t id = up.int64(0);
    up.reset();
    for (const char* sql : {"DELETE FROM chunks WHERE document_id = ?1",
                            "DELETE FROM summaries WHERE document_id = ?1"}) {
        Statement del(m_db, sql);
        del.bind(1, id);
        if (del.step() != SQLITE_DONE) return std::unexpected(del.error("replace chunks of " + doc.path));
    }
    Statement ins(m_db,
                  "INSERT INTO chunks(document_id, ordinal, page_from, page_to, char_start, char_end, text, lang)"
                  " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    for (size_t k = 0; k < chunks.size(); ++k) {
        const Chunk& c = chunks[k];
        ins.bind(8, langs[k]);
        ins.bind(1, id).bind(2, static_cast<int64_t>(c.ordinal)).bind(3, static_cast<int64_t>(c.pageFrom));
        ins.bind(4, static_cast<int64_t>(c.pageTo)).bind(5, c.charStart).bind(6, c.charEnd).bind(7, c.text);
        if (ins.step() != SQLITE_DONE) return std::unexpected(ins.error("store chunks of " + doc.path));
        ins.reset();
    }
    Statement col(m_db, "INSERT INTO collections(name) VALUES(?1) ON CONFLICT(name) DO NOTHING");
    col.bind(1, collection.empty() ? std::string("default") : collection);
    if (col.step() != SQLITE_DONE) return std::unexpected(col.error("create collection"));
    Statement member(m_db,
                     "INSERT OR IGNORE INTO collection_documents(collection_id, document_id)"
                     " SELECT id, ?2 FROM collections WHERE name = ?1");
    member.bind(1, collection.empty() ? std::string("default") : collection).bind(2, id);
    if (member.step() != SQLITE_DONE) return std::unexpected(member.error("add to collection"));
    if (!tx.commit()) return std::unexpected(tx.error());
    return id;
}

StoreResult<void> Store::updateFileStamp(int64_t documentId, int64_t size, int64_t mtime) {
    Statement s(m_db, "UPDATE documents SET size = ?2, mtime = ?3 WHERE id = ?1");
    s.bind(1, documentId).bind(2, size).bind(3, mtime);
    if (s.step() != SQLITE_DONE) return std::unexpected(s.error("update document"));
    return {};
}

StoreResult<void> Store::removeDocument(int64_t documentId) {
    Transaction tx(m_db);
    if (!tx.ok()) return std::unexpected(tx.error());
    // Chunks first, one statement, so the FTS delete trigger sees every row.
    for (const char* sql : {"DELETE FROM chunks WHERE document_id = ?1", "DELETE FROM documents WHERE id = ?1"}) {
        Statement s(m_db, sql);
        s.bind(1, documentId);
        if (s.step() != SQLITE_DONE) return std::unexpected(s.error("remove document"));
    }
    if (!tx.commit()) return std::unexpected(tx.error());
    return {};
}

StoreResult<std::vector<ChunkRecord>> Store::documentChunks(int64_t documentId) {
    Statement s(m_db, std::string(kChunkColumns) + "WHERE c.document_id = ?1 ORDER BY c.ordinal");
    s.bind(1, documentId);
    std::vector<ChunkRecord> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) out.push_back(readChunk(s));
    if (rc != SQLITE_DONE) return std::unexpected(s.error("read chunks"));
    return out;
}

StoreResult<std::vector<ChunkRecord>> Store::chunks(const std::vector<int64_t>& ids) {
    Statement s(m_db, std::string(kChunkColumns) + "WHERE c.id = ?1");
    std::vector<ChunkRecord> out;
    for (int64_t id : ids) {
        s.bind(1, id);
        const int rc = s.step();
        if (rc == SQLITE_ROW) out.push_back(readChunk(s));
        else if (rc != SQLITE_DONE) return std::unexpected(s.error("read chunk"));
        s.reset();
    }
    return out;
}

StoreResult<int64_t> Store::chunkCount(const std::string& collection) {
    Statement s(m_db, std::string("SELECT count(*) FROM chunks c JOIN documents d ON d.id = c.document_id WHERE") +
                          kInCollection);
    s.bind(1, collection);
    if (s.step() != SQLITE_ROW) return std::unexpected(s.error("count chunks"));
    return s.int64(0);
}

StoreResult<std::vector<ScoredChunk>> Store::searchBm25(const std::string& query, int limit,
                                                        const std::string& collection) {
    std::vector<ScoredChunk> out;
    const std::string match = ftsQuery(query);
    if (match.empty() || limit <= 0) return out;
    // Queries are stemmed for every language in the index (chunks_lang covers this).
    std::vector<std::string> languages;
    Statement langs(m_db, "SELECT DISTINCT lang FROM chunks");
    while (langs.step() == SQLITE_ROW) languages.push_back(langs.text(0));
    fts::setQueryLanguages(m_fts, languages);
    // Without a collection the query stays inside FTS5, whose "ORDER BY rank" is
    // optimized; joining every match to chunks/documents first costs more than the
    // ranking on large indexes.
    const std::string sql =
        collection.empty()
            ? std::string("SELECT rowid, -rank FROM chunks_fts WHERE chunks_fts MATCH ?2 AND ?1 = ''"
                          " ORDER BY rank LIMIT ?3")
            : std::string("SELECT f.rowid, -bm25(chunks_fts) FROM chunks_fts f"
                          " JOIN chunks c ON c.id = f.rowid JOIN documents d ON d.id = c.document_id"
                          " WHERE chunks_fts MATCH ?2 AND") +
                  kInCollection + "ORDER BY bm25(chunks_fts) LIMIT ?3";
    Statement s(m_db, sql);
    s.bind(1, collection).bind(2, match).bind(3, static_cast<int64_t>(limit));
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) out.push_back({s.int64(0), static_cast<float>(s.real(1))});
    if (rc != SQLITE_DONE) return std::unexpected(s.error("full-text search"));
    return out;
}

StoreResult<int64_t> Store::embedderId(const std::string& name, const std::string& fileHash, int dims) {
    Statement find(m_db, "SELECT id, dims FROM embedders WHERE name = ?1 AND file_hash = ?2");
    find.bind(1, name).bind(2, fileHash);
    int rc = find.step();
    if (rc == SQLITE_ROW) {
        if (find.int32(1) != dims)
            return std::unexpected("embedder " + name + " is stored with " + std::to_string(find.int32(1)) +
                                   " dimensions, not " + std::to_string(dims));
        return find.int64(0);
    }
    if (rc != SQLITE_DONE) return std::unexpected(find.error("find embedder"));
    Statement ins(m_db, "INSERT INTO embedders(name, file_hash, dims) VALUES(?1, ?2, ?3) RETURNING id");
    ins.bind(1, name).bind(2, fileHash).bind(3, static_cast<int64_t>(dims));
    if (ins.step() != SQLITE_ROW) return std::unexpected(ins.error("add embedder"));
    return ins.int64(0);
}

StoreResult<std::vector<EmbedderRecord>> Store::embeddersWithVectors() {
    Statement s(m_db, "SELECT b.id, b.name, b.file_hash, b.dims, COUNT(*) FROM embedders b"
                      " JOIN embeddings e ON e.embedder_id = b.id GROUP BY b.id ORDER BY b.id");
    std::vector<EmbedderRecord> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) out.push_back({s.int64(0), s.text(1), s.text(2), s.int32(3), s.int64(4)});
    if (rc != SQLITE_DONE) return std::unexpected(s.error("list embedders"));
    return out;
}

StoreResult<void> Store::removeEmbedder(int64_t embedderId) {
    Statement s(m_db, "DELETE FROM embedders WHERE id = ?1");
    s.bind(1, embedderId);
    if (s.step() != SQLITE_DONE) return std::unexpected(s.error("remove embedder"));
    return {};
}

StoreResult<std::vector<ChunkRecord>> Store::chunksWithoutEmbedding(int64_t embedderId, int limit) {
    Statement s(m_db, std::string(kChunkColumns) +
                          "WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.embedder_id = ?1"
                          " AND e.chunk_id = c.id) ORDER BY c.id LIMIT ?2");
    s.bind(1, embedderId).bind(2, static_cast<int64_t>(limit));
    std::vector<ChunkRecord> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) out.push_back(readChunk(s));
    if (rc != SQLITE_DONE) return std::unexpected(s.error("find chunks to embed"));
    return out;
}

StoreResult<int64_t> Store::countChunksWithoutEmbedding(int64_t embedderId) {
    Statement s(m_db, "SELECT count(*) FROM chunks c WHERE NOT EXISTS (SELECT 1 FROM embeddings e"
                      " WHERE e.embedder_id = ?1 AND e.chunk_id = c.id)");
    s.bind(1, embedderId);
    if (s.step() != SQLITE_ROW) return std::unexpected(s.error("count chunks to embed"));
    return s.int64(0);
}

StoreResult<void> Store::putEmbeddings(int64_t embedderId, const std::vector<int64_t>& chunkIds,
                                       const std::vector<std::vector<float>>& vectors, bool int8) {
    if (chunkIds.size() != vectors.size()) return std::unexpected("putEmbeddings: ids and vectors differ in count");
    Transaction tx(m_db);
    if (!tx.ok()) return std::unexpected(tx.error());
    Statement s(m_db,
                "INSERT OR REPLACE INTO embeddings(embedder_id, chunk_id, format, scale, vector)"
                " VALUES(?1, ?2, ?3, ?4, ?5)");
    std::vector<int8_t> q;
    for (size_t i = 0; i < chunkIds.size(); ++i) {
        const std::vector<float>& v = vectors[i];
        s.bind(1, embedderId).bind(2, chunkIds[i]).bind(3, static_cast<int64_t>(int8 ? 1 : 0));
        if (int8) {
            float maxAbs = 0;
            for (float x : v) maxAbs = std::max(maxAbs, std::fabs(x));
            const float scale = maxAbs > 0 ? maxAbs / 127.0f : 1.0f;
            q.resize(v.size());
            for (size_t k = 0; k < v.size(); ++k) q[k] = static_cast<int8_t>(std::lrint(v[k] / scale));
            s.bind(4, static_cast<double>(scale)).bindBlob(5, q.data(), q.size());
        } else {
            s.bind(4, 1.0).bindBlob(5, v.data(), v.size() * sizeof(float));
        }
        if (s.step() != SQLITE_DONE) return std::unexpected(s.error("store embedding"));
        s.reset();
    }
    if (!tx.commit()) return std::unexpected(tx.error());
    return {};
}

StoreResult<EmbeddingMatrix> Store::loadEmbeddings(int64_t embedderId, const std::string& collection) {
    EmbeddingMatrix m;
    Statement dims(m_db, "SELECT dims FROM embedders WHERE id = ?1");
    dims.bind(1, embedderId);
    if (dims.step() != SQLITE_ROW) return std::unexpected("unknown embedder id " + std::to_string(embedderId));
    m.dims = dims.int32(0);
    Statement s(m_db, std::string("SELECT e.chunk_id, e.format, e.scale, e.vector FROM embeddings e"
                                  " JOIN chunks c ON c.id = e.chunk_id JOIN documents d ON d.id = c.document_id"
                                  " WHERE e.embedder_id = ?2 AND") +
                          kInCollection + "ORDER BY e.chunk_id");
    s.bind(1, collection).bind(2, embedderId);
    int rc;
    const size_t dimsU = static_cast<size_t>(m.dims);
    while ((rc = s.step()) == SQLITE_ROW) {
        const int format = s.int32(1);
        const auto blob = s.blob(3);
        const size_t elem = format == 1 ? 1 : sizeof(float);
        if (blob.size() != dimsU * elem) return std::unexpected("embedding of chunk " + std::to_string(s.int64(0)) + " has a wrong size");
        m.chunkIds.push_back(s.int64(0));
        const size_t at = m.values.size();
        m.values.resize(at + dimsU);
        if (format == 1) {
            const float scale = static_cast<float>(s.real(2));
            for (size_t k = 0; k < dimsU; ++k) m.values[at + k] = static_cast<int8_t>(blob[k]) * scale;
        } else {
            std::memcpy(&m.values[at], blob.data(), blob.size());
        }
    }
    if (rc != SQLITE_DONE) return std::unexpected(s.error("load embeddings"));
    return m;
}

StoreResult<std::optional<std::string>> Store::summary(int64_t documentId, const std::string& modelKey,
                                                       int section, int64_t charStart, int64_t charEnd) {
    Statement s(m_db, "SELECT text FROM summaries WHERE document_id = ?1 AND model_key = ?2 AND section = ?3"
                      " AND char_start = ?4 AND char_end = ?5");
    s.bind(1, documentId).bind(2, modelKey).bind(3, static_cast<int64_t>(section)).bind(4, charStart).bind(5, charEnd);
    const int rc = s.step();
    if (rc == SQLITE_DONE) return std::optional<std::string>();
    if (rc != SQLITE_ROW) return std::unexpected(s.error("read summary"));
    return std::optional<std::string>(s.text(0));
}

StoreResult<void> Store::putSummary(int64_t documentId, const std::string& modelKey, int section,
                                    int64_t charStart, int64_t charEnd, const std::string& text) {
    Statement s(m_db, "INSERT OR REPLACE INTO summaries(document_id, model_key, section, char_start, char_end, text)"
                      " VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
    s.bind(1, documentId).bind(2, modelKey).bind(3, static_cast<int64_t>(section)).bind(4, charStart).bind(5, charEnd).bind(6, text);
    if (s.step() != SQLITE_DONE) return std::unexpected(s.error("store summary"));
    return {};
}

}  // namespace rag
