// assistant-cli index: add files and folders to the document index (incremental:
// unchanged files are skipped, changed ones re-chunked, deleted ones removed).
#include <cstdio>
#include <filesystem>

#include "cli_common.h"
#include "cli_rag.h"
#include "commands.h"
#include "json/json.h"
#include "rag/indexer.h"

namespace cli {

int runIndex(std::vector<std::string> argv) {
    const char* cmd = "index";
    Args args(std::move(argv));
    const auto db = ragDatabasePath(args);
    const auto apiKey = args.value("--api-key");
    EmbedderArgs embedderArgs = readEmbedderArgs(args, apiKey);
    if (!embedderArgs.device) embedderArgs.device = args.value("--device");  // index loads no other model
    const bool replaceEmbeddings = args.flag("--replace-embeddings");
    const auto password = args.value("--password");
    const auto collection = args.value("--collection");
    const bool noOcr = args.flag("--no-ocr");
    const bool noEmbed = args.flag("--no-embed");
    const bool json = args.flag("--json");
    const std::vector<std::string> paths = args.positional();
    if (!args.error().empty() || paths.empty()) return usageError(args, cmd, "give at least one file or folder");
    if (noEmbed && (embedderArgs.given() || replaceEmbeddings))
        return usageError(args, cmd, "--no-embed makes no vectors: leave out --embedder, --remote-embeddings and --replace-embeddings");
    if (!db) return 1;
    std::optional<rag::Embedder> embedder;
    if (!noEmbed) embedder = ragEmbedder(embedderArgs, cmd, !embedderArgs.given());
    if (embedderArgs.given() && !embedder) return 1;

    rag::IndexOptions options;
    options.extract.ocr = !noOcr;
    if (password) options.extract.password = *password;
    if (collection) options.collection = *collection;
    if (embedder) options.embedder = &*embedder;
    options.replaceEmbeddings = replaceEmbeddings;
    options.onFile = [&](const rag::FileResult& f) {
        if (!json) std::printf("%-10s %s%s%s\n", f.status.c_str(), f.path.c_str(), f.detail.empty() ? "" : "  ", f.detail.c_str());
        std::fflush(stdout);
    };
    int lastEmbedded = -1;
    options.onProgress = [&](const rag::IndexProgress& p) {
        if (p.phase != rag::IndexProgress::Phase::Embedding || p.chunksEmbedded == lastEmbedded) return;
        lastEmbedded = static_cast<int>(p.chunksEmbedded);
        std::fprintf(stderr, "\rembedding: %lld chunks (%.0f/s)", static_cast<long long>(p.chunksEmbedded), p.ratePerSecond);
    };
    rag::Indexer indexer(*db, options);
    const rag::IndexSummary summary = indexer.run(paths);
    if (lastEmbedded >= 0) std::fprintf(stderr, "\n");
    if (json) {
        json::Value out = json::Array{};
        for (const rag::FileResult& f : summary.files) {
            json::Value o;
            o.set("path", f.path);
            o.set("status", f.status);
            o.set("pages", f.pages);
            o.set("chunks", f.chunks);
            o.set("detail", f.detail);
            out.push(std::move(o));
        }
        std::printf("%s\n", out.dump().c_str());
    }
    if (summary.error.empty()) return 0;
    failure(cmd, summary.error);
    printMixedEmbedderHint(summary.error, cmd);
    return 1;
}

}  // namespace cli
