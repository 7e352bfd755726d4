// assistant-cli summarize: a whole-document summary by map-reduce (section summaries
// are cached in the index, so a second run or a resumed one is quick).
#include <csignal>
#include <cstdio>
#include <filesystem>

#include "cli_common.h"
#include "commands.h"
#include "rag/indexer.h"
#include "rag/summarize.h"
#include "summarize_remote.h"

namespace cli {

namespace {
std::atomic<bool> g_summaryCancel{false};
}

int runSummarize(std::vector<std::string> argv) {
    const char* cmd = "summarize";
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
    const auto remoteUrl = args.value("--remote");
    const auto apiKey = args.value("--api-key");
    const auto remoteModel = remoteUrl ? args.value("-m", "--model") : std::nullopt;
    auto model = remoteUrl ? nullptr : loadModel(args, cmd);
    const std::vector<std::string> rest = args.positional();
    if (!args.error().empty() || rest.size() != 1) return usageError(args, cmd, "give one FILE");
    if ((!model && !remoteUrl) || !db) return 1;
    // The writer: a local session, or the remote server.
    std::unique_ptr<assistant::Session> session;
    rag::SummaryWriter writer;
    if (remoteUrl) {
        std::string banner;
        // No tokenizer here: tokens are estimated, in the context -c says (4096 when not given).
        const int context = sessionParams.contextLength > 0 ? sessionParams.contextLength : 4096;
        auto remote = remoteSummaryWriter(*remoteUrl, apiKey.value_or(""), remoteModel.value_or(""), context, banner);
        if (!remote) {
            std::fprintf(stderr, "%s: %s\n", cmd, remote.error().c_str());
            return 1;
        }
        writer = std::move(*remote);
        std::fprintf(stderr, "%s: %s\n", cmd, banner.c_str());
    } else {
        auto created = assistant::Session::create(model, sessionParams);
        if (!created) {
            printError(cmd, created.error());
            return 1;
        }
        session = std::move(*created);
        writer = rag::sessionSummaryWriter(*session);
    }
    // The context must hold every step (and -n) before any indexing work is done.
    const std::string fileName = std::filesystem::path(rest.front()).filename().string();
    if (auto budget = rag::summaryBudget(writer, fileName, options); !budget) {
        std::fprintf(stderr, "%s: %s\n", cmd, budget.error().c_str());
        return 2;
    }
    // Index the file first (a no-op when it is already indexed and unchanged).
    rag::IndexOptions indexOptions;
    indexOptions.extract.ocr = !noOcr;
    rag::Indexer indexer(*db, indexOptions);
    const rag::IndexSummary indexed = indexer.run({rest.front()});
    if (!indexed.error.empty() || indexed.files.empty()) {
        std::fprintf(stderr, "%s: %s\n", cmd, indexed.error.empty() ? "nothing to summarize" : indexed.error.c_str());
        return 1;
    }
    const rag::FileResult& file = indexed.files.front();
    auto store = rag::Store::open(*db);
    if (!store) {
        std::fprintf(stderr, "%s: %s\n", cmd, store.error().c_str());
        return 1;
    }
    auto doc = store->findDocument(file.path);
    if (!doc || !*doc || (*doc)->chunks == 0) {
        std::fprintf(stderr, "%s: %s has no text to summarize (%s%s%s)\n", cmd, file.path.c_str(), file.status.c_str(),
                     file.detail.empty() ? "" : ": ", file.detail.c_str());
        return 1;
    }
    std::signal(SIGINT, [](int) { g_summaryCancel = true; });
    options.cancel = &g_summaryCancel;
    options.onProgress = [](std::string_view stage, int done, int total) {
        std::fprintf(stderr, "\r%.*s %d/%d", static_cast<int>(stage.size()), stage.data(), done, total);
        if (done == total) std::fprintf(stderr, "\n");
    };
    options.onFinalPiece = [](std::string_view piece) {
        std::fwrite(piece.data(), 1, piece.size(), stdout);
        std::fflush(stdout);
        return true;
    };
    auto result = rag::summarizeDocument(*store, (*doc)->id, writer, options);
    std::printf("\n");
    if (!result) {
        std::fprintf(stderr, "%s: %s\n", cmd, result.error().c_str());
        return 1;
    }
    if (result->cancelled) {
        std::fprintf(stderr, "%s: cancelled (finished section summaries are kept)\n", cmd);
        return 1;
    }
    std::fprintf(stderr, "%s: %d sections (%d from cache), %d reduce steps\n", cmd, result->sections,
                 result->cachedSections, result->reduceSteps);
    return 0;
}

}  // namespace cli
