#include "cli_rag.h"

#include <cstdio>
#include <filesystem>

#include "paths.h"

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

std::optional<rag::Embedder> ragEmbedder(const std::optional<std::string>& path, const char* command, bool quietIfMissing) {
    const std::string file = path ? *path : app::defaultEmbedderPath();
    if (file.empty()) {
        if (!quietIfMissing) std::fprintf(stderr, "%s: no embedder given (--embedder FILE) and the default one was not found\n", command);
        return std::nullopt;
    }
    auto embedder = rag::Embedder::load(file);
    if (!embedder) {
        std::fprintf(stderr, "%s: %s%s\n", command, embedder.error().c_str(),
                     path ? "" : " (continuing with BM25 only)");
        return std::nullopt;
    }
    return std::move(*embedder);
}

}  // namespace cli
