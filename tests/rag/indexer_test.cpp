// Indexer: incremental runs, removal of deleted files, progress, pause/cancel, and
// the kill -9 test (a child indexer killed mid-way; the resumed index equals an
// uninterrupted run's).
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "rag/indexer.h"
#include "store_test_access.h"
#include "temp_dir.h"

namespace fs = std::filesystem;

namespace {

using rag_test::freshDir;

std::string essay(int seed, int paragraphs) {
    static const char* words[] = {"river", "mountain", "signal", "carbon", "lattice", "orbit", "harvest",
                                  "granite", "protocol", "meadow", "vector", "thunder", "copper", "glacier"};
    std::string text = "Document " + std::to_string(seed) + " keyword" + std::to_string(seed) + ".\n\n";
    uint32_t x = static_cast<uint32_t>(seed) * 2654435761u + 1;
    for (int p = 0; p < paragraphs; ++p) {
        for (int s = 0; s < 5; ++s) {
            for (int w = 0; w < 12; ++w) {
                x = x * 1664525u + 1013904223u;
                text += std::string(w ? " " : "") + words[(x >> 16) % 14];
            }
            text += ". ";
        }
        text += "\n\n";
    }
    return text;
}

void writeFile(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

// Everything that defines the index's content, independent of row ids.
std::string dump(const std::string& db) {
    auto store = rag::Store::open(db);
    EXPECT_TRUE(store.has_value());
    if (!store) return {};
    std::string out;
    auto collect = [&](const char* sql) {
        sqlite3_stmt* stmt = nullptr;
        EXPECT_EQ(sqlite3_prepare_v2(rag::StoreTestAccess::handle(*store), sql, -1, &stmt, nullptr), SQLITE_OK) << sql;
        while (sqlite3_step(stmt) == SQLITE_ROW) {
            for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
                const auto* t = sqlite3_column_text(stmt, c);
                out += t ? reinterpret_cast<const char*>(t) : "NULL";
                out += '|';
            }
            out += '\n';
        }
        sqlite3_finalize(stmt);
    };
    collect("SELECT path, size, sha256, status, coalesce(error,''), pages FROM documents ORDER BY path");
    collect("SELECT d.path, c.ordinal, c.page_from, c.page_to, c.char_start, c.char_end, c.text FROM chunks c"
            " JOIN documents d ON d.id = c.document_id ORDER BY d.path, c.ordinal");
    collect("SELECT d.path, c.ordinal FROM chunks_fts f JOIN chunks c ON c.id = f.rowid JOIN documents d"
            " ON d.id = c.document_id WHERE chunks_fts MATCH 'keyword3 OR keyword17 OR granite' ORDER BY 1, 2");
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(rag::StoreTestAccess::handle(*store), "INSERT INTO chunks_fts(chunks_fts) VALUES('integrity-check')",
                           nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    return out;
}

int64_t documentCount(const std::string& db) {
    sqlite3* h = nullptr;
    int64_t n = -1;
    if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_busy_timeout(h, 1000);
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v2(h, "SELECT count(*) FROM documents", -1, &stmt, nullptr) == SQLITE_OK &&
            sqlite3_step(stmt) == SQLITE_ROW)
            n = sqlite3_column_int64(stmt, 0);
        sqlite3_finalize(stmt);
    }
    sqlite3_close(h);
    return n;
}

std::map<std::string, std::string> statuses(const rag::IndexSummary& s) {
    std::map<std::string, std::string> m;
    for (const auto& f : s.files) m[fs::path(f.path).filename().string()] = f.status;
    return m;
}

}  // namespace

TEST(RagIndexer, IncrementalRunsSkipReChunkAndRemove) {
    const fs::path dir = freshDir("incremental");
    const std::string db = (dir / "index.db").string();
    const fs::path docs = dir / "docs";
    fs::create_directories(docs / "sub");
    writeFile(docs / "a.txt", essay(1, 3));
    writeFile(docs / "b.md", essay(2, 3));
    writeFile(docs / "sub" / "c.txt", essay(3, 3));
    writeFile(docs / "ignored.bin", "binary");
    rag::Indexer indexer(db, {});
    auto first = indexer.run({docs.string()});
    ASSERT_TRUE(first.error.empty()) << first.error;
    EXPECT_EQ(statuses(first), (std::map<std::string, std::string>{{"a.txt", "indexed"}, {"b.md", "indexed"}, {"c.txt", "indexed"}}));

    auto second = indexer.run({docs.string()});
    EXPECT_EQ(statuses(second), (std::map<std::string, std::string>{{"a.txt", "unchanged"}, {"b.md", "unchanged"}, {"c.txt", "unchanged"}}));

    writeFile(docs / "a.txt", essay(11, 4));               // new content
    fs::last_write_time(docs / "b.md", fs::last_write_time(docs / "b.md") + std::chrono::seconds(5));  // touched only
    fs::remove(docs / "sub" / "c.txt");                    // deleted
    auto third = indexer.run({docs.string()});
    ASSERT_TRUE(third.error.empty()) << third.error;
    EXPECT_EQ(statuses(third), (std::map<std::string, std::string>{{"a.txt", "indexed"}, {"b.md", "unchanged"}, {"c.txt", "removed"}}));

    auto store = rag::Store::open(db);
    ASSERT_TRUE(store.has_value());
    auto gone = store->searchBm25("keyword3", 10);
    ASSERT_TRUE(gone.has_value());
    EXPECT_TRUE(gone->empty()) << "chunks of the deleted file are still searchable";
    auto oldText = store->searchBm25("keyword1", 10);
    EXPECT_TRUE(oldText->empty()) << "old chunks of the changed file survived";
    EXPECT_FALSE(store->searchBm25("keyword11", 10)->empty());
    auto b = store->findDocument((docs / "b.md").string());
    ASSERT_TRUE(b.has_value() && b->has_value());
    EXPECT_EQ((*b)->mtime, std::chrono::duration_cast<std::chrono::nanoseconds>(
                               fs::last_write_time(docs / "b.md").time_since_epoch()).count());
    // A missing path is a failure line, not a crash, and nothing is stored for it.
    auto missing = indexer.run({(dir / "nope.pdf").string()});
    ASSERT_EQ(missing.files.size(), 1u);
    EXPECT_EQ(missing.files[0].status, "failed");
}

TEST(RagIndexer, ReportsProgressAndHonoursPauseAndCancel) {
    const fs::path dir = freshDir("progress");
    const fs::path docs = dir / "docs";
    fs::create_directories(docs);
    for (int i = 0; i < 8; ++i) writeFile(docs / ("f" + std::to_string(i) + ".txt"), essay(i, 2));
    std::vector<rag::IndexProgress> events;
    std::mutex mutex;
    rag::IndexOptions options;
    options.onProgress = [&](const rag::IndexProgress& p) {
        std::lock_guard lock(mutex);
        events.push_back(p);
    };
    rag::Indexer indexer((dir / "index.db").string(), options);
    indexer.pause();
    indexer.start({docs.string()});
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    {
        std::lock_guard lock(mutex);
        for (const auto& e : events) EXPECT_EQ(e.filesDone, 0) << "progressed while paused";
    }
    EXPECT_TRUE(indexer.running());
    indexer.resume();
    auto summary = indexer.wait();
    EXPECT_FALSE(indexer.running());
    EXPECT_EQ(summary.files.size(), 8u);
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.back().phase, rag::IndexProgress::Phase::Done);
    EXPECT_EQ(events.back().filesDone, 8);
    EXPECT_EQ(events.back().filesTotal, 8);
    EXPECT_GE(events.back().chunksDone, 8);
    EXPECT_GE(events.back().pagesDone, 8);

    // Cancel after two files: those two stay committed.
    const fs::path db2 = dir / "cancel.db";
    rag::IndexOptions cancelOptions;
    rag::Indexer* self = nullptr;
    int seen = 0;
    cancelOptions.onFile = [&](const rag::FileResult&) {
        if (++seen == 2) self->cancel();
    };
    rag::Indexer cancelling(db2.string(), cancelOptions);
    self = &cancelling;
    auto partial = cancelling.run({docs.string()});
    EXPECT_TRUE(partial.cancelled);
    EXPECT_EQ(partial.files.size(), 2u);
    EXPECT_EQ(documentCount(db2.string()), 2);
}

TEST(RagIndexer, KillNineMidRunThenResumeEqualsAnUninterruptedRun) {
    const fs::path dir = freshDir("kill9");
    const fs::path docs = dir / "docs";
    fs::create_directories(docs);
    constexpr int kFiles = 40;
    for (int i = 0; i < kFiles; ++i) writeFile(docs / ("doc" + std::to_string(100 + i) + ".txt"), essay(i, 4));
    const std::string reference = (dir / "reference.db").string();
    {
        rag::Indexer indexer(reference, {});
        ASSERT_TRUE(indexer.run({docs.string()}).error.empty());
    }

    const std::string killed = (dir / "killed.db").string();
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        rag::IndexOptions slow;
        // Slow the child down so the parent's SIGKILL lands mid-run (and often
        // mid-transaction: chunks are written between these callbacks).
        slow.onProgress = [](const rag::IndexProgress&) { usleep(15000); };
        rag::Indexer indexer(killed, slow);
        indexer.run({docs.string()});
        _exit(0);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (documentCount(killed) < kFiles / 4 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ASSERT_EQ(kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the child finished before it was killed";
    const int64_t committed = documentCount(killed);
    EXPECT_GE(committed, kFiles / 4);
    EXPECT_LT(committed, kFiles);

    rag::Indexer resumed(killed, {});
    auto summary = resumed.run({docs.string()});
    ASSERT_TRUE(summary.error.empty()) << summary.error;
    int unchanged = 0;
    for (const auto& f : summary.files) unchanged += f.status == "unchanged";
    EXPECT_GE(unchanged, committed) << "committed files were indexed again";
    EXPECT_EQ(dump(killed), dump(reference));
}
