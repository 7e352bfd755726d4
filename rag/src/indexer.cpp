#include "rag/indexer.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>
#include <set>

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

IndexSummary Indexer::run(const std::vector<std::string>& inputPaths) {
    m_running = true;
    struct Done {
        std::atomic<bool>& flag;
        ~Done() { flag = false; }
    } done{m_running};
    IndexSummary summary;
    auto store = Store::open(m_dbPath);
    if (!store) {
        summary.error = store.error();
        return summary;
    }
    const auto started = Clock::now();
    IndexProgress progress;
    auto report = [&] {
        progress.elapsedSeconds = std::chrono::duration<double>(Clock::now() - started).count();
        if (m_options.onProgress) m_options.onProgress(progress);
    };
    auto emit = [&](FileResult r) {
        if (m_options.onFile) m_options.onFile(r);
        summary.files.push_back(std::move(r));
    };

    std::vector<std::string> roots;
    for (const std::string& p : inputPaths) roots.push_back(absolutePath(p));
    std::vector<std::string> missing;
    const std::vector<std::string> files = collectFiles(roots, missing);
    progress.filesTotal = static_cast<int>(files.size());
    report();

    ExtractOptions extract = m_options.extract;
    extract.cancel = &m_cancel;
    progress.phase = IndexProgress::Phase::Extracting;
    double extractSeconds = 0;
    for (const std::string& path : files) {
        if (!checkpoint()) break;
        progress.currentFile = path;
        report();
        const auto fileStart = Clock::now();
        std::error_code ec;
        const int64_t size = static_cast<int64_t>(fs::file_size(path, ec));
        const int64_t mtime = ec ? 0 : mtimeNs(path, ec);
        auto existing = store->findDocument(path);
        if (!existing) {
            summary.error = existing.error();
            break;
        }
        const auto passwordIt = m_options.passwords.find(path);
        const bool newPassword = passwordIt != m_options.passwords.end() || !extract.password.empty();
        const auto& old = *existing;
        if (!ec && old && old->size == size && old->mtime == mtime &&
            !(old->status == statusName(DocumentStatus::Encrypted) && newPassword)) {
            ++progress.filesDone;
            emit({path, "unchanged", old->pages, old->chunks, old->error});
            continue;
        }
        auto sha = ec ? std::expected<std::string, std::string>(std::unexpected(ec.message())) : sha256File(path);
        if (sha && old && old->sha256 == *sha && old->status != statusName(DocumentStatus::Encrypted)) {
            if (auto r = store->updateFileStamp(old->id, size, mtime); !r) {
                summary.error = r.error();
                break;
            }
            ++progress.filesDone;
            emit({path, "unchanged", old->pages, old->chunks, old->error});
            continue;
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
            if (passwordIt != m_options.passwords.end()) fileOptions.password = passwordIt->second;
            ExtractedDocument text = extractDocument(path, fileOptions);
            if (text.cancelled) break;
            doc.status = statusName(text.status);
            doc.error = text.error;
            doc.pages = static_cast<int>(text.pages.size());
            chunks = chunkDocument(text.pages, m_options.chunker);
        }
        auto id = store->commitDocument(doc, chunks, m_options.collection);
        if (!id) {
            summary.error = id.error();
            break;
        }
        ++progress.filesDone;
        progress.pagesDone += doc.pages;
        progress.chunksDone += static_cast<int64_t>(chunks.size());
        extractSeconds += std::chrono::duration<double>(Clock::now() - fileStart).count();
        progress.ratePerSecond = extractSeconds > 0 ? progress.pagesDone / extractSeconds : 0;
        const int left = progress.filesTotal - progress.filesDone;
        progress.etaSeconds = progress.filesDone > 0 ? extractSeconds / progress.filesDone * left : -1;
        emit({path, doc.status, doc.pages, static_cast<int>(chunks.size()), doc.error});
    }

    // Documents that were under an indexed root and are gone (only after a full walk).
    if (summary.error.empty() && !m_cancel.load()) {
        std::vector<std::string> allRoots = roots;
        auto docs = store->listDocuments();
        if (docs) {
            const std::set<std::string> present(files.begin(), files.end());
            for (const DocumentRecord& d : *docs) {
                if (present.count(d.path)) continue;
                const bool covered = std::any_of(allRoots.begin(), allRoots.end(),
                                                 [&](const std::string& r) { return underRoot(d.path, r); });
                if (!covered) continue;
                if (auto r = store->removeDocument(d.id); !r) {
                    summary.error = r.error();
                    break;
                }
                emit({d.path, "removed", d.pages, 0, "the file no longer exists"});
            }
        }
        for (const std::string& m : missing) {
            if (std::none_of(summary.files.begin(), summary.files.end(),
                             [&](const FileResult& f) { return f.path == m; }))
                emit({m, statusName(DocumentStatus::Failed).data(), 0, 0, "no such file or folder"});
        }
    }

    // Embeddings for every chunk that lacks one from this embedder, batch by batch.
    std::optional<Embedder> loaded;
    if (!m_options.embedder && !m_options.embedderPath.empty() && summary.error.empty() && !m_cancel.load()) {
        // A file that does not load leaves the index BM25-only; the text is indexed already.
        if (auto e = Embedder::load(m_options.embedderPath)) loaded.emplace(std::move(*e));
    }
    const Embedder* chosen = m_options.embedder ? m_options.embedder : loaded ? &*loaded : nullptr;
    if (summary.error.empty() && chosen && !m_cancel.load()) {
        const Embedder& embedder = *chosen;
        auto embedderId = store->embedderId(embedder.name(), embedder.fileHash(), embedder.dims());
        if (!embedderId) {
            summary.error = embedderId.error();
        } else {
            progress.phase = IndexProgress::Phase::Embedding;
            progress.currentFile.clear();
            const auto embedStart = Clock::now();
            const int batch = std::max(1, m_options.embedBatch);
            if (auto todo = store->countChunksWithoutEmbedding(*embedderId)) progress.chunksToEmbed = *todo;
            while (checkpoint()) {
                auto todo = store->chunksWithoutEmbedding(*embedderId, batch);
                if (!todo) {
                    summary.error = todo.error();
                    break;
                }
                if (todo->empty()) break;
                std::vector<std::string> texts;
                std::vector<int64_t> ids;
                for (ChunkRecord& c : *todo) {
                    ids.push_back(c.id);
                    texts.push_back(std::move(c.text));
                }
                auto vectors = embedder.embed(texts, batch);
                if (!vectors) {
                    summary.error = vectors.error();
                    break;
                }
                if (auto r = store->putEmbeddings(*embedderId, ids, *vectors, m_options.int8Embeddings); !r) {
                    summary.error = r.error();
                    break;
                }
                progress.chunksEmbedded += static_cast<int64_t>(ids.size());
                const double s = std::chrono::duration<double>(Clock::now() - embedStart).count();
                progress.ratePerSecond = s > 0 ? progress.chunksEmbedded / s : 0;
                progress.etaSeconds = progress.ratePerSecond > 0
                                          ? (progress.chunksToEmbed - progress.chunksEmbedded) / progress.ratePerSecond
                                          : -1;
                report();
            }
        }
    }
    summary.cancelled = m_cancel.load();
    progress.phase = IndexProgress::Phase::Done;
    progress.etaSeconds = 0;
    report();
    return summary;
}

}  // namespace rag
