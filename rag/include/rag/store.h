// The document index on disk: one SQLite database (WAL) with numbered migrations.
// Schema (migration 1):
//   documents(id INTEGER PK, path TEXT UNIQUE, size INTEGER, mtime INTEGER,
//             sha256 TEXT, status TEXT, error TEXT)
#pragma once

#include <expected>
#include <memory>
#include <string>

struct sqlite3;

namespace rag {

class Store {
public:
    // Opens (creating if needed) and migrates to the newest schema version.
    static std::expected<Store, std::string> open(const std::string& path);
    Store(Store&&) noexcept;
    Store& operator=(Store&&) noexcept;
    ~Store();

    int schemaVersion() const;
    sqlite3* handle() const { return m_db; }

private:
    explicit Store(sqlite3* db) : m_db(db) {}
    sqlite3* m_db = nullptr;
};

}  // namespace rag
