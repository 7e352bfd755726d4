#include "rag/store.h"

#include <sqlite3.h>

#include <array>
#include <string_view>
#include <utility>

namespace rag {
namespace {

// Migration N brings the schema from version N-1 to N. Append only; never edit a
// migration that has shipped.
constexpr std::array<std::string_view, 1> kMigrations = {
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
};

std::string lastError(sqlite3* db, std::string_view what) {
    return std::string(what) + ": " + (db ? sqlite3_errmsg(db) : "out of memory");
}

bool exec(sqlite3* db, const char* sql, std::string& error) {
    char* message = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &message) == SQLITE_OK) return true;
    error = message ? message : "unknown SQLite error";
    sqlite3_free(message);
    return false;
}

int userVersion(sqlite3* db) {
    sqlite3_stmt* stmt = nullptr;
    int version = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
        version = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    return version;
}

}  // namespace

std::expected<Store, std::string> Store::open(const std::string& path) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
        SQLITE_OK) {
        std::string error = lastError(db, "open " + path);
        sqlite3_close(db);
        return std::unexpected(error);
    }
    Store store(db);
    std::string error;
    if (!exec(db, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;", error))
        return std::unexpected("configure " + path + ": " + error);
    const int version = userVersion(db);
    if (version < 0) return std::unexpected(lastError(db, "read schema version of " + path));
    if (version > static_cast<int>(kMigrations.size()))
        return std::unexpected(path + " has schema version " + std::to_string(version) +
                               ", newer than this build knows (" +
                               std::to_string(kMigrations.size()) + ")");
    for (size_t i = static_cast<size_t>(version); i < kMigrations.size(); ++i) {
        const std::string sql = "BEGIN;" + std::string(kMigrations[i]) +
                                "PRAGMA user_version=" + std::to_string(i + 1) + "; COMMIT;";
        if (!exec(db, sql.c_str(), error)) {
            std::string ignored;
            exec(db, "ROLLBACK;", ignored);
            return std::unexpected("migration " + std::to_string(i + 1) + " of " + path + ": " + error);
        }
    }
    return store;
}

Store::Store(Store&& other) noexcept : m_db(std::exchange(other.m_db, nullptr)) {}

Store& Store::operator=(Store&& other) noexcept {
    if (this != &other) {
        sqlite3_close(m_db);
        m_db = std::exchange(other.m_db, nullptr);
    }
    return *this;
}

Store::~Store() { sqlite3_close(m_db); }

int Store::schemaVersion() const { return userVersion(m_db); }

}  // namespace rag
