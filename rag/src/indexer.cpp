#include "rag/indexer.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>
#include <set>

#include "rag/embedder_check.h"
#include "sha256.h"

namespace fs = std::filesystem;

namespace rag {
namespace {

using Clock = std::chrono::steady_clock;

int64_t mtimeNs(const fs::path& p, std::error_code& ec) {
    const auto t = fs::last_write_time(p, ec);
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

std::string absolutePath(const std::string& p) {
    std::error_code ec;
    fs::path a = fs::absolute(p, ec);
    return (ec ? fs::path(p) : a).lexically_normal().string();
}

// Supported files under each root (a root may itself be a file), sorted, unique.
std::vector<std::string> collectFiles(const std::vector<std::string>& roots, std::vector<std::string>& missing) {
    std::set<std::string> files;
    for (const std::string& root : roots) {
        std::error_code ec;
        if (fs::is_directory(root, ec)) {
            fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
            for (; !ec && it != end; it.increment(ec)) {
                std::error_code fec;
                if (it->is_regular_file(fec) && isSupportedDocument(it->path().string()))
                    files.insert(it->path().lexically_normal().string());
            }
        } else if (fs::exists(root, ec)) {
            files.insert(root);
        } else {
            missing.push_back(root);
        }
    }
    return {files.begin(), files.end()};
}

bool underRoot(const std::string& path, const std::string& root) {
    if (path == root) return true;
    const std::string prefix = root.back() == '/' ? root : root + "/";
    return path.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

Indexer::Indexer(std::string dbPath, IndexOptions options)
    : m_dbPath(std::move(dbPath)), m_options(std::move(options)) {}

Indexer::~Indexer() {
    cancel();
    if (m_thread.joinable()) m_thread.join();
}

void Indexer::pause() { m_paused = true; }

void Indexer::resume() {
    {
        std::lock_guard lock(m_mutex);
        m_paused = false;
    }
    m_wake.notify_all();
}

void Indexer::cancel() {
    {
        std::lock_guard lock(m_mutex);
        m_cancel = true;
    }
    m_wake.notify_all();
}

bool Indexer::checkpoint() {
    std::unique_lock lock(m_mutex);
    m_wake.wait(lock, [&] { return !m_paused.load() || m_cancel.load(); });
    return !m_cancel.load();
}

void Indexer::start(std::vector<std::string> paths) {
    if (m_thread.joinable()) m_thread.join();
    m_cancel = false;
    m_running = true;
    m_thread = std::thread([this, paths = std::move(paths)] { m_result = run(paths); });
}

IndexSummary Indexer::wait() {
    if (m_thread.joinable()) m_thread.join();
    return std::move(m_result);
}

// One run: the store, the summary and progress it reports, and its phases in order.
struct Indexer::Run {
    Indexer& indexer;
    Store& store;
    IndexSummary summary;
    IndexProgress progress;
    Clock::time_point started = Clock::now();
    double extractSeconds = 0;

    const IndexOptions& options() const { return indexer.m_options; }
    bool cancelled() const { return indexer.m_cancel.load(); }
    bool ok() const { return summary.error.empty(); }
    void report() {
        progress.elapsedSeconds = std::chrono::duration<double>(Clock::now() - started).count();
        if (options().onProgress) options().onProgress(progress);
    }
    void emit(FileResult r) {
        if (options().onFile) options().onFile(r);
        summary.files.push_back(std::move(r));
    }
    bool fail(std::string error) {
        summary.error = std::move(error);
        return false;
    }

    // Phase 1: every file's text into the store, skipping those unchanged since the
    // last run (same size and time, or same content). False to stop the run.
    bool indexFile(const std::string& path, const ExtractOptions& extract);
    // Phase 2, after a full walk: documents under an indexed root that are gone, and
    // the roots that did not exist.
    void removeVanished(const std::vector<std::string>& roots, const std::vector<std::string>& files,
                        const std::vector<std::string>& missing);
    // False (the run failed) when the index holds another embedder's vectors.
    bool acceptEmbedder(const Embedder& embedder);
    // Phase 3: embeddings for every chunk that lacks one from this embedder, batch by batch.
    void embedChunks(const Embedder& embedder);
};

bool Indexer::Run::indexFile(const std::string& path, const ExtractOptions& extract) {
    progress.currentFile = path;
    report();
    const auto fileStart = Clock::now();
    std::error_code ec;
    const int64_t size = static_cast<int64_t>(fs::file_size(path, ec));
    const int64_t mtime = ec ? 0 : mtimeNs(path, ec);
    auto existing = store.findDocument(path);
    if (!existing) return fail(existing.error());
    const auto passwordIt = options().passwords.find(path);
    const bool newPassword = passwordIt != options().passwords.end() || !extract.password.empty();
    const auto& old = *existing;
    if (!ec && old && old->size == size && old->mtime == mtime &&
        !(old->status == statusName(DocumentStatus::Encrypted) && newPassword)) {
        ++progress.filesDone;
        emit({path, "unchanged", old->pages, old->chunks, old->error});
        return true;
    }
    auto sha = ec ? std::expected<std::string, std::string>(std::unexpected(ec.message())) : sha256File(path);
    if (sha && old && old->sha256 == *sha && old->status != statusName(DocumentStatus::Encrypted)) {
        if (auto r = store.updateFileStamp(old->id, size, mtime); !r) return fail(r.error());
        ++progress.filesDone;
        emit({path, "unchanged", old->pages, old->chunks, old->error});
        return true;
    }
    DocumentRecord doc;
    doc.path = path;
    doc.size = size;
    doc.mtime = mtime;
    std::vector<Chunk> chunks;
    if (!sha) {
        doc.status = statusName(DocumentStatus::Failed);
        doc.error = sha.error();
    } else {
        doc.sha256 = *sha;
        ExtractOptions fileOptions = extract;
        if (passwordIt != options().passwords.end()) fileOptions.password = passwordIt->second;
        ExtractedDocument text = extractDocument(path, fileOptions);
        if (text.cancelled) return false;
        doc.status = statusName(text.status);
        doc.error = text.error;
        doc.pages = static_cast<int>(text.pages.size());
        chunks = chunkDocument(text.pages, options().chunker);
    }
    auto id = store.commitDocument(doc, chunks, options().collection);
    if (!id) return fail(id.error());
    ++progress.filesDone;
    progress.pagesDone += doc.pages;
    progress.chunksDone += static_cast<int64_t>(chunks.size());
    extractSeconds += std::chrono::duration<double>(Clock::now() - fileStart).count();
    progress.ratePerSecond = extractSeconds > 0 ? progress.pagesDone / extractSeconds : 0;
    const int left = progress.filesTotal - progress.filesDone;
    progress.etaSeconds = progress.filesDone > 0 ? extractSeconds / progress.filesDone * left : -1;
    emit({path, doc.status, doc.pages, static_cast<int>(chunks.size()), doc.error});
    return true;
}

void Indexer::Run::removeVanished(const std::vector<std::string>& roots, const std::vector<std::string>& files,
                                  const std::vector<std::string>& missing) {
    if (auto docs = store.listDocuments()) {
        const std::set<std::string> present(files.begin(), files.end());
        for (const DocumentRecord& d : *docs) {
            if (present.count(d.path)) continue;
            const bool covered =
                std::any_of(roots.begin(), roots.end(), [&](const std::string& r) { return underRoot(d.path, r); });
            if (!covered) continue;
            if (auto r = store.removeDocument(d.id); !r) {
                fail(r.error());
                break;
            }
            emit({d.path, "removed", d.pages, 0, "the file no longer exists"});
        }
    }
    for (const std::string& m : missing) {
        if (std::none_of(summary.files.begin(), summary.files.end(), [&](const FileResult& f) { return f.path == m; }))
            emit({m, statusName(DocumentStatus::Failed).data(), 0, 0, "no such file or folder"});
    }
}

bool Indexer::Run::acceptEmbedder(const Embedder& embedder) {
    if (options().replaceEmbeddings) {
        auto removed = removeOtherEmbedders(store, embedder);
        if (!removed) fail(removed.error());
        return removed.has_value();
    }
    auto checked = checkIndexEmbedder(store, embedder);
    if (!checked) fail(checked.error());
    return checked.has_value();
}

void Indexer::Run::embedChunks(const Embedder& embedder) {
    if (!acceptEmbedder(embedder)) return;
    auto embedderId = store.embedderId(embedder.name(), embedder.fileHash(), embedder.dims());
    if (!embedderId) {
        fail(embedderId.error());
        return;
    }
    progress.phase = IndexProgress::Phase::Embedding;
    progress.currentFile.clear();
    const auto embedStart = Clock::now();
    const int batch = std::max(1, options().embedBatch);
    if (auto todo = store.countChunksWithoutEmbedding(*embedderId)) progress.chunksToEmbed = *todo;
    while (indexer.checkpoint()) {
        auto todo = store.chunksWithoutEmbedding(*embedderId, batch);
        if (!todo) {
            fail(todo.error());
            return;
        }
        if (todo->empty()) return;
        std::vector<std::string> texts;
        std::vector<int64_t> ids;
        for (ChunkRecord& c : *todo) {
            ids.push_back(c.id);
            texts.push_back(std::move(c.text));
        }
        auto vectors = embedder.embed(texts, batch);
        if (!vectors) {
            fail(vectors.error());
            return;
        }
        if (auto r = store.putEmbeddings(*embedderId, ids, *vectors, options().int8Embeddings); !r) {
            fail(r.error());
            return;
        }
        progress.chunksEmbedded += static_cast<int64_t>(ids.size());
        const double s = std::chrono::duration<double>(Clock::now() - embedStart).count();
        progress.ratePerSecond = s > 0 ? progress.chunksEmbedded / s : 0;
        progress.etaSeconds =
            progress.ratePerSecond > 0 ? (progress.chunksToEmbed - progress.chunksEmbedded) / progress.ratePerSecond : -1;
        report();
    }
}

IndexSummary Indexer::run(const std::vector<std::string>& inputPaths) {
    m_running = true;
    struct Done {
        std::atomic<bool>& flag;
        ~Done() { flag = false; }
    } done{m_running};
    auto store = Store::open(m_dbPath);
    if (!store) {
        IndexSummary failed;
        failed.error = store.error();
        return failed;
    }
    Run run{*this, *store};

    // Refused before any file is read (an embedder loaded from embedderPath is checked later).
    if (m_options.embedder && !m_options.replaceEmbeddings && !run.acceptEmbedder(*m_options.embedder))
        return std::move(run.summary);

    std::vector<std::string> roots;
    for (const std::string& p : inputPaths) roots.push_back(absolutePath(p));
    std::vector<std::string> missing;
    const std::vector<std::string> files = collectFiles(roots, missing);
    run.progress.filesTotal = static_cast<int>(files.size());
    run.report();

    ExtractOptions extract = m_options.extract;
    extract.cancel = &m_cancel;
    run.progress.phase = IndexProgress::Phase::Extracting;
    for (const std::string& path : files)
        if (!checkpoint() || !run.indexFile(path, extract)) break;
    if (run.ok() && !m_cancel.load()) run.removeVanished(roots, files, missing);

    std::optional<Embedder> loaded;
    if (!m_options.embedder && m_options.connectEmbedder && run.ok() && !m_cancel.load()) {
        auto e = m_options.connectEmbedder();
        if (e) loaded.emplace(std::move(*e));
        else run.fail("the embedder is not available: " + e.error());
    } else if (!m_options.embedder && !m_options.embedderPath.empty() && run.ok() && !m_cancel.load()) {
        // A file that does not load leaves the index BM25-only; the text is indexed already.
        if (auto e = Embedder::load(m_options.embedderPath, m_options.embedderDevice)) loaded.emplace(std::move(*e));
    }
    const Embedder* embedder = m_options.embedder ? m_options.embedder : loaded ? &*loaded : nullptr;
    if (run.ok() && embedder && !m_cancel.load()) run.embedChunks(*embedder);

    run.summary.cancelled = m_cancel.load();
    run.progress.phase = IndexProgress::Phase::Done;
    run.progress.etaSeconds = 0;
    run.report();
    return std::move(run.summary);
}

}  // namespace rag
