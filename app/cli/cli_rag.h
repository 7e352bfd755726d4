// What the document commands (index, docs, search, ask, summarize) share: where the
// index is and which embedder searches it.
#pragma once

#include <optional>
#include <string>

#include "args.h"
#include "rag/embedder.h"

namespace cli {

// --db FILE, else <user data dir>/documents.db (the folder is created); nullopt on failure.
std::optional<std::string> ragDatabasePath(Args& args);
// --embedder FILE, else the shipped default embedder; nullopt (message on stderr unless
// quietIfMissing and no default exists) when none loads.
std::optional<rag::Embedder> ragEmbedder(const std::optional<std::string>& path, const char* command,
                                         bool quietIfMissing);

}  // namespace cli
