// For tests only: the raw SQLite connection behind a Store (journal mode checks,
// corrupting a table, FTS integrity checks). Not part of rag/'s public surface.
#pragma once

#include "rag/store.h"

namespace rag {

struct StoreTestAccess {
    static sqlite3* handle(const Store& store) { return store.m_db; }
};

}  // namespace rag
