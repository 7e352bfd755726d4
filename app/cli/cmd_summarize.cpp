// assistant-cli summarize: a whole-document summary by map-reduce (section summaries
// are cached in the index, so a second run or a resumed one is quick).
#include <cstdio>
#include <filesystem>

#include "cli_common.h"
#include "cli_rag.h"
#include "commands.h"
#include "rag/indexer.h"
#include "rag/summarize.h"
#include "summarize_remote.h"

namespace cli {

namespace {

constexpr const char* kCommand = "summarize";

// What writes the summaries: a local session (kept alive beside its writer), or a
// remote server.
struct Writer {
    std::unique_ptr<assistant::Session> session;
    rag::SummaryWriter writer;
};

std::optional<Writer> connectWriter(const RemoteArgs& remote, const std::shared_ptr<const assistant::Model>& model,
                                    const assistant::SessionParams& sessionParams) {
    Writer w;
    if (remote.url) {
        std::string banner;
        auto connected = remoteSummaryWriter(*remote.url, remote.apiKey.value_or(""), remote.model.value_or(""),
                                             remoteContextTokens(sessionParams), banner);
        if (!connected) {
            failure(kCommand, connected.error());
            return std::nullopt;
        }
        w.writer = std::move(*connected);
        std::fprintf(stderr, "%s: %s\n", kCommand, banner.c_str());
        return w;
    }
    w.session = createSession(model, sessionParams, kCommand);
    if (!w.session) return std::nullopt;
    w.writer = rag::sessionSummaryWriter(*w.session);
    return w;
}

// The file's document in the index, indexed first (a no-op when it is already indexed
// and unchanged).
struct IndexedDocument {
    rag::Store store;
    int64_t id = 0;
};

// Nullopt after printing why there is nothing to summarize.
std::optional<IndexedDocument> indexedDocument(const std::string& db, const std::string& path, bool ocr) {
    rag::IndexOptions indexOptions;
    indexOptions.extract.ocr = ocr;
    rag::Indexer indexer(db, indexOptions);
    const rag::IndexSummary indexed = indexer.run({path});
    if (!indexed.error.empty() || indexed.files.empty()) {
        failure(kCommand, indexed.error.empty() ? "nothing to summarize" : indexed.error);
        return std::nullopt;
    }
    const rag::FileResult& file = indexed.files.front();
    auto store = rag::Store::open(db);
    if (!store) {
        failure(kCommand, store.error());
        return std::nullopt;
    }
    auto doc = store->findDocument(file.path);
    if (!doc || !*doc || (*doc)->chunks == 0) {
        std::fprintf(stderr, "%s: %s has no text to summarize (%s%s%s)\n", kCommand, file.path.c_str(),
                     file.status.c_str(), file.detail.empty() ? "" : ": ", file.detail.c_str());
        return std::nullopt;
    }
    return IndexedDocument{std::move(*store), (*doc)->id};
}

// Progress on stderr, the final summary streamed to stdout, Ctrl+C cancels.
void reportOnTerminal(rag::SummarizeOptions& options) {
    options.cancel = cancelOnInterrupt();
    options.onProgress = [](std::string_view stage, int done, int total) {
        std::fprintf(stderr, "\r%.*s %d/%d", static_cast<int>(stage.size()), stage.data(), done, total);
        if (done == total) std::fprintf(stderr, "\n");
    };
    options.onFinalPiece = printText;
}

}  // namespace

int runSummarize(std::vector<std::string> argv) {
    const char* cmd = kCommand;
    Args args(std::move(argv));
    const auto db = ragDatabasePath(args);
    assistant::SessionParams sessionParams;
    if (!readSessionParams(args, sessionParams, cmd)) return 2;
    rag::SummarizeOptions options;
    readSamplingParams(args, options.sampling);
    if (auto n = args.integer("-n", "--max-tokens")) {
        if (*n < 1 || *n > 1000000) {
            std::fprintf(stderr, "%s: -n must be a positive number of tokens\n", cmd);
            return 2;
        }
        options.reduceTokens = static_cast<int>(*n);
    }
    const bool noOcr = args.flag("--no-ocr");
    // --remote URL: that server writes the summaries (-m names its model); the document
    // is extracted, indexed and cut into sections here.
    const RemoteArgs remote = readRemoteArgs(args);
    auto model = remote.url ? nullptr : loadModel(args, cmd);
    const std::vector<std::string> rest = args.positional();
    if (!args.error().empty() || rest.size() != 1) return usageError(args, cmd, "give one FILE");
    if ((!model && !remote.url) || !db) return 1;

    std::optional<Writer> writer = connectWriter(remote, model, sessionParams);
    if (!writer) return 1;
    // The context must hold every step (and -n) before any indexing work is done.
    const std::string fileName = std::filesystem::path(rest.front()).filename().string();
    if (auto budget = rag::summaryBudget(writer->writer, fileName, options); !budget) {
        failure(cmd, budget.error());
        return 2;
    }
    std::optional<IndexedDocument> document = indexedDocument(*db, rest.front(), !noOcr);
    if (!document) return 1;

    reportOnTerminal(options);
    auto result = rag::summarizeDocument(document->store, document->id, writer->writer, options);
    std::printf("\n");
    if (!result) return failure(cmd, result.error());
    if (result->cancelled) return failure(cmd, "cancelled (finished section summaries are kept)");
    std::fprintf(stderr, "%s: %d sections (%d from cache), %d reduce steps\n", cmd, result->sections,
                 result->cachedSections, result->reduceSteps);
    return 0;
}

}  // namespace cli
