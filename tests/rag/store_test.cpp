#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "rag/store.h"
#include "store_test_access.h"
#include "temp_dir.h"

namespace fs = std::filesystem;

namespace {
using rag_test::tempDb;

// An indexed document's row (its hash made of `mark`).
rag::DocumentRecord indexedDocument(const std::string& path, char mark) {
    rag::DocumentRecord doc;
    doc.path = path;
    doc.sha256 = std::string(64, mark);
    doc.status = "indexed";
    return doc;
}
}  // namespace

TEST(Store, CreatesSchemaInWalMode) {
    const fs::path db = tempDb("create.db");
    auto store = rag::Store::open(db.string());
    ASSERT_TRUE(store.has_value()) << store.error();
    EXPECT_EQ(store->schemaVersion(), rag::Store::latestSchemaVersion());
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(rag::StoreTestAccess::handle(*store), "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
    sqlite3_finalize(stmt);
}

TEST(Store, ReopeningKeepsData) {
    const fs::path db = tempDb("reopen.db");
    {
        auto store = rag::Store::open(db.string());
        ASSERT_TRUE(store.has_value());
        ASSERT_EQ(sqlite3_exec(rag::StoreTestAccess::handle(*store),
                               "INSERT INTO documents(path,size,mtime,sha256,status) VALUES('a.pdf',1,2,'x','indexed')",
                               nullptr, nullptr, nullptr),
                  SQLITE_OK);
    }
    auto store = rag::Store::open(db.string());
    ASSERT_TRUE(store.has_value());
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(rag::StoreTestAccess::handle(*store), "SELECT count(*) FROM documents", -1, &stmt, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(stmt, 0), 1);
    sqlite3_finalize(stmt);
}

TEST(Store, RefusesANewerSchema) {
    const fs::path db = tempDb("newer.db");
    {
        auto store = rag::Store::open(db.string());
        ASSERT_TRUE(store.has_value());
        sqlite3_exec(rag::StoreTestAccess::handle(*store), "PRAGMA user_version=99", nullptr, nullptr, nullptr);
    }
    auto store = rag::Store::open(db.string());
    ASSERT_FALSE(store.has_value());
    EXPECT_NE(store.error().find("99"), std::string::npos) << store.error();
}

TEST(Store, NotADatabaseIsAClearError) {
    const fs::path db = tempDb("garbage.db");
    {
        std::FILE* f = std::fopen(db.c_str(), "wb");
        ASSERT_NE(f, nullptr);
        std::fputs("this is not an SQLite database, just some text long enough to be read", f);
        std::fclose(f);
    }
    auto store = rag::Store::open(db.string());
    ASSERT_FALSE(store.has_value());
    EXPECT_FALSE(store.error().empty());
}

// The app lists documents on one thread while an indexer opens the same file on
// another, and the last connection to close checkpoints and removes the WAL under
// an exclusive lock: an open racing with that must wait (busy timeout), not fail.
TEST(Store, OpensRacingWithOtherConnectionsWait) {
    const fs::path db = tempDb("race.db");
    ASSERT_TRUE(rag::Store::open(db.string()).has_value());
    std::atomic<int> failures{0};
    std::string firstError;
    std::atomic_flag haveError;
    auto churn = [&](int n) {
        for (int i = 0; i < n; ++i) {
            auto store = rag::Store::open(db.string());
            if (!store) {
                if (!haveError.test_and_set()) firstError = store.error();
                ++failures;
                continue;
            }
            if (auto docs = store->listDocuments(); !docs) ++failures;
        }
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) threads.emplace_back(churn, 150);
    for (std::thread& t : threads) t.join();
    EXPECT_EQ(failures.load(), 0) << firstError;
}

TEST(Store, ListsCollectionsSorted) {
    const fs::path db = tempDb("collections.db");
    auto store = rag::Store::open(db.string());
    ASSERT_TRUE(store.has_value()) << store.error();
    rag::Chunk chunk;
    chunk.text = "zebras";
    ASSERT_TRUE(store->commitDocument(indexedDocument("/tmp/notes.txt", 'a'), {chunk}, "notes"));
    auto names = store->listCollections();
    ASSERT_TRUE(names.has_value()) << names.error();
    EXPECT_EQ(*names, (std::vector<std::string>{"default", "notes"}));
}

TEST(Store, DataVersionMovesWhenAnotherConnectionCommits) {
    const fs::path db = tempDb("version.db");
    auto reader = rag::Store::open(db.string());
    ASSERT_TRUE(reader.has_value()) << reader.error();
    auto before = reader->dataVersion();
    ASSERT_TRUE(before.has_value()) << before.error();
    EXPECT_EQ(*reader->dataVersion(), *before);
    {
        auto writer = rag::Store::open(db.string());
        ASSERT_TRUE(writer.has_value()) << writer.error();
        ASSERT_TRUE(writer->commitDocument(indexedDocument("/tmp/other.txt", 'b'), {}));
    }
    EXPECT_NE(*reader->dataVersion(), *before);
}
