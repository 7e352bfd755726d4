#include "cli_rag.h"

#include <cstdio>
#include <filesystem>

#include "paths.h"
#include "rag/embedder_check.h"

namespace cli {

std::optional<std::string> ragDatabasePath(Args& args) {
    if (auto db = args.value("--db")) return *db;
    const std::string dir = app::userDataDir();
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        std::fprintf(stderr, "cannot create %s: %s\n", dir.c_str(), ec.message().c_str());
        return std::nullopt;
    }
    return dir + "/documents.db";
}

EmbedderArgs readEmbedderArgs(Args& args, const std::optional<std::string>& apiKey) {
    EmbedderArgs e;
    e.path = args.value("--embedder");
    e.remoteUrl = args.value("--remote-embeddings");
    e.model = args.value("--embedding-model");
    e.apiKey = args.value("--embeddings-api-key");
    e.device = args.value("--embedder-device");
    if (!e.apiKey) e.apiKey = apiKey;
    return e;
}

std::optional<rag::Embedder> ragEmbedder(const EmbedderArgs& choice, const char* command, bool quietIfMissing) {
    if (choice.path && choice.remoteUrl) {
        std::fprintf(stderr, "%s: give --embedder FILE or --remote-embeddings URL, not both\n", command);
        return std::nullopt;
    }
    if (choice.remoteUrl) {
        auto remote = remoteEmbedder(*choice.remoteUrl, choice.apiKey.value_or(""), choice.model.value_or(""));
        if (!remote) {
            std::fprintf(stderr, "%s: %s\n", command, remote.error().c_str());
            return std::nullopt;
        }
        std::fprintf(stderr, "%s: embeddings from %s (%d dimensions): the texts to embed are sent to that server\n",
                     command, remote->describe().c_str(), remote->dims());
        return std::move(*remote);
    }
    const std::string file = choice.path ? *choice.path : app::defaultEmbedderPath();
    if (file.empty()) {
        if (!quietIfMissing) std::fprintf(stderr, "%s: no embedder given (--embedder FILE) and the default one was not found\n", command);
        return std::nullopt;
    }
    auto embedder = rag::Embedder::load(file, choice.device.value_or("cpu"));
    if (!embedder) {
        std::fprintf(stderr, "%s: %s%s\n", command, embedder.error().c_str(),
                     choice.path ? "" : " (continuing with BM25 only)");
        return std::nullopt;
    }
    return std::move(*embedder);
}

namespace {

constexpr const char* kMixedHint =
    "use the embedder that built it (--embedder FILE, or --remote-embeddings URL --embedding-model M), "
    "or re-embed the whole index with this one: assistant-cli index PATH... --replace-embeddings";

}  // namespace

bool embedderMatchesIndex(const std::string& db, const rag::Embedder& embedder, const char* command) {
    auto store = rag::Store::open(db);
    if (!store) {
        std::fprintf(stderr, "%s: %s\n", command, store.error().c_str());
        return false;
    }
    auto checked = rag::checkIndexEmbedder(*store, embedder);
    if (checked) return true;
    std::fprintf(stderr, "%s: %s: %s\n%s: %s\n", command, db.c_str(), checked.error().c_str(), command, kMixedHint);
    return false;
}

void printMixedEmbedderHint(const std::string& error, const char* command) {
    if (error.find("cannot be mixed") != std::string::npos) std::fprintf(stderr, "%s: %s\n", command, kMixedHint);
}

}  // namespace cli
