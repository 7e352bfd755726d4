// Indexing files and folders into the Store: incremental, resumable, cancellable.
//
// For each file: unchanged size+mtime -> skipped; changed stamp but same sha256 -> the
// stamp is updated; otherwise text is extracted, chunked and committed in one
// transaction per file (a kill -9 loses at most the file in progress). Documents that
// lived under an indexed folder (or were an indexed file) and are gone are removed.
// With an embedder, chunks without a vector from it are then embedded in batches, one
// transaction per batch, so an interrupted run resumes where it stopped.
#pragma once

#include <atomic>
#include <condition_variable>
#include <expected>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "rag/chunker.h"
#include "rag/document.h"
#include "rag/embedder.h"
#include "rag/store.h"

namespace rag {

struct IndexProgress {
    enum class Phase { Scanning, Extracting, Embedding, Done };
    Phase phase = Phase::Scanning;
    int filesTotal = 0;        // files found (supported extensions)
    int filesDone = 0;         // processed or skipped
    int pagesDone = 0;         // pages extracted this run
    int64_t chunksDone = 0;    // chunks committed this run
    int64_t chunksEmbedded = 0;
    int64_t chunksToEmbed = 0; // chunks without a vector when the embedding phase started
    std::string currentFile;
    double elapsedSeconds = 0;
    double ratePerSecond = 0;  // pages/s while extracting, chunks/s while embedding
    double etaSeconds = -1;    // -1: unknown
};

struct FileResult {
    std::string path;
    std::string status;  // statusName(...), or "unchanged", "removed"
    int pages = 0;
    int chunks = 0;
    std::string detail;  // error or note
};

struct IndexOptions {
    std::string collection = "default";
    ExtractOptions extract;                       // OCR, default password, language
    std::map<std::string, std::string> passwords; // per-file PDF passwords (absolute path)
    ChunkerOptions chunker;
    const Embedder* embedder = nullptr;           // null: embedderPath's, else BM25 only
    std::string embedderPath;                     // loaded on the indexing thread when embedder is null
    std::string embedderDevice = "cpu";           // its device (ModelParams::device: cpu, auto, opencl:P.D)
    // Instead of embedderPath: makes the embedder on the indexing thread (a remote server's,
    // which takes a request). An error fails the run after the text is indexed.
    std::function<std::expected<Embedder, std::string>()> connectEmbedder;
    int embedBatch = 32;                          // chunks per embed call and transaction
    // Vectors of another embedder already in the index: dropped and replaced when true,
    // else the run fails before extracting anything (rag/embedder_check.h).
    bool replaceEmbeddings = false;
    bool int8Embeddings = false;                  // store vectors as int8 + scale
    // Called on the indexing thread; keep them short.
    std::function<void(const IndexProgress&)> onProgress;
    std::function<void(const FileResult&)> onFile;
};

struct IndexSummary {
    std::vector<FileResult> files;  // one per file found (and one per removed document)
    bool cancelled = false;
    std::string error;              // a store failure that stopped the run
};

class Indexer {
public:
    Indexer(std::string dbPath, IndexOptions options);
    ~Indexer();  // cancels and joins a background run
    Indexer(const Indexer&) = delete;
    Indexer& operator=(const Indexer&) = delete;

    // Runs on the calling thread until done or cancelled.
    IndexSummary run(const std::vector<std::string>& paths);

    // Runs on a background thread; wait() returns its summary. One run at a time.
    void start(std::vector<std::string> paths);
    IndexSummary wait();
    bool running() const { return m_running.load(); }

    // Thread-safe controls, honoured between pages, files and embedding batches.
    void pause();
    void resume();
    void cancel();
    bool paused() const { return m_paused.load(); }

private:
    struct Run;         // one run's phases (indexer.cpp)
    bool checkpoint();  // blocks while paused; false when cancelled
    std::string m_dbPath;
    IndexOptions m_options;
    std::atomic<bool> m_cancel{false};
    std::atomic<bool> m_paused{false};
    std::atomic<bool> m_running{false};
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::thread m_thread;
    IndexSummary m_result;
};

}  // namespace rag
