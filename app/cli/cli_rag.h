// What the document commands (index, docs, search, ask, summarize) share: where the
// index is and which embedder searches it.
#pragma once

#include <expected>
#include <optional>
#include <string>

#include "args.h"
#include "rag/embedder.h"

namespace cli {

// --db FILE, else <user data dir>/documents.db (the folder is created); nullopt on failure.
std::optional<std::string> ragDatabasePath(Args& args);
// Which embedder makes the index's vectors and the question's:
//   --embedder FILE | --remote-embeddings URL [--api-key KEY] [--embedding-model M]
// (--embeddings-api-key KEY when --api-key already belongs to --remote's chat server).
struct EmbedderArgs {
    std::optional<std::string> path;
    std::optional<std::string> remoteUrl;  // base URL with /v1: its /embeddings makes the vectors
    std::optional<std::string> apiKey;
    std::optional<std::string> model;      // the server's model id (empty: its default)
    std::optional<std::string> device;     // --embedder-device: the local embedder's device (default cpu)
    bool given() const { return path || remoteUrl; }
};
// apiKey: the command's --api-key, used unless --embeddings-api-key is given.
EmbedderArgs readEmbedderArgs(Args& args, const std::optional<std::string>& apiKey);

// The remote embedder, the file's, else the shipped default embedder; nullopt (message
// on stderr unless quietIfMissing and nothing was asked for) when none loads. A remote
// one prints that the texts go to that server.
std::optional<rag::Embedder> ragEmbedder(const EmbedderArgs& choice, const char* command, bool quietIfMissing);

// False after printing why when the index at db holds another embedder's vectors (they
// cannot be searched with this one's), with what to give instead.
bool embedderMatchesIndex(const std::string& db, const rag::Embedder& embedder, const char* command);
// The hint after the indexer's refusal to mix embedders.
void printMixedEmbedderHint(const std::string& error, const char* command);

// remote::connectEmbedder where the build has the HTTP client; else an error saying so.
std::expected<rag::Embedder, std::string> remoteEmbedder(const std::string& url, const std::string& apiKey,
                                                         const std::string& model);

}  // namespace cli
