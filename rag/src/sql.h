// RAII over the SQLite C API for store.cpp: a prepared statement that finalizes itself
// and a transaction that rolls back unless committed. Errors are strings that say
// what failed and SQLite's message.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <span>
#include <string>

namespace rag {

inline std::string sqlError(sqlite3* db, const std::string& what) {
    return what + ": " + (db ? sqlite3_errmsg(db) : "out of memory");
}

inline bool sqlExec(sqlite3* db, const char* sql, std::string& error) {
    char* message = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &message) == SQLITE_OK) return true;
    error = message ? message : "unknown SQLite error";
    sqlite3_free(message);
    return false;
}

class Statement {
public:
    Statement(sqlite3* db, const std::string& sql) : m_db(db) {
        if (sqlite3_prepare_v2(db, sql.c_str(), -1, &m_stmt, nullptr) != SQLITE_OK) m_stmt = nullptr;
    }
    ~Statement() { sqlite3_finalize(m_stmt); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    Statement& bind(int i, int64_t v) { sqlite3_bind_int64(m_stmt, i, v); return *this; }
    Statement& bind(int i, double v) { sqlite3_bind_double(m_stmt, i, v); return *this; }
    Statement& bind(int i, const std::string& v) {
        sqlite3_bind_text(m_stmt, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
        return *this;
    }
    Statement& bindBlob(int i, const void* data, size_t bytes) {
        sqlite3_bind_blob(m_stmt, i, data, static_cast<int>(bytes), SQLITE_TRANSIENT);
        return *this;
    }
    // SQLITE_ROW, SQLITE_DONE or an error code (SQLITE_MISUSE when preparing failed).
    int step() { return m_stmt ? sqlite3_step(m_stmt) : SQLITE_MISUSE; }
    void reset() {
        if (!m_stmt) return;
        sqlite3_reset(m_stmt);
        sqlite3_clear_bindings(m_stmt);
    }

    int64_t int64(int col) const { return sqlite3_column_int64(m_stmt, col); }
    int int32(int col) const { return sqlite3_column_int(m_stmt, col); }
    double real(int col) const { return sqlite3_column_double(m_stmt, col); }
    std::string text(int col) const {
        const auto* p = sqlite3_column_text(m_stmt, col);
        return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(m_stmt, col)))
                 : std::string();
    }
    std::span<const uint8_t> blob(int col) const {
        const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(m_stmt, col));
        return {p, p ? static_cast<size_t>(sqlite3_column_bytes(m_stmt, col)) : 0};
    }
    std::string error(const std::string& what) const { return sqlError(m_db, what); }

private:
    sqlite3* m_db;
    sqlite3_stmt* m_stmt = nullptr;
};

// BEGIN IMMEDIATE (take the write lock now, so busy_timeout applies) ... COMMIT;
// rolls back in the destructor unless committed.
class Transaction {
public:
    explicit Transaction(sqlite3* db) : m_db(db) { m_ok = sqlExec(db, "BEGIN IMMEDIATE", m_error); }
    ~Transaction() {
        if (m_ok && !m_done) {
            std::string ignored;
            sqlExec(m_db, "ROLLBACK", ignored);
        }
    }
    bool ok() const { return m_ok; }
    bool commit() {
        m_done = sqlExec(m_db, "COMMIT", m_error);
        return m_done;
    }
    std::string error() const { return "transaction: " + m_error; }

private:
    sqlite3* m_db;
    bool m_ok = false;
    bool m_done = false;
    std::string m_error;
};

}  // namespace rag
