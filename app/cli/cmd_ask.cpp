// assistant-cli ask: answer a question from the indexed documents, streaming the
// answer, then the sources its [n] markers cite (file, page, excerpt).
#include <csignal>
#include <cstdio>

#include "cli_common.h"
#include "commands.h"
#include "rag/prompt.h"

namespace cli {

namespace {
std::atomic<bool> g_askCancel{false};
}

int runAsk(std::vector<std::string> argv) {
    const char* cmd = "ask";
    Args args(std::move(argv));
    const auto db = ragDatabasePath(args);
    const auto embedderPath = args.value("--embedder");
    const auto collection = args.value("--collection");
    const auto k = args.integer("-k", "--top-k");
    assistant::SessionParams sessionParams;
    if (!readSessionParams(args, sessionParams, cmd)) return 2;
    assistant::GenerateParams gen;
    gen.sampling.temperature = 0.2f;
    readSamplingParams(args, gen.sampling);
    if (auto n = args.integer("-n", "--max-tokens")) gen.maxTokens = static_cast<int>(*n);
    auto model = loadModel(args, cmd);
    const std::vector<std::string> rest = args.positional();
    if (!args.error().empty() || rest.size() != 1) {
        std::fprintf(stderr, "%s: %s\n", cmd, args.error().empty() ? "give the question as one argument" : args.error().c_str());
        return 2;
    }
    if (!model || !db) return 1;
    auto store = rag::Store::open(*db);
    if (!store) {
        std::fprintf(stderr, "%s: %s\n", cmd, store.error().c_str());
        return 1;
    }
    rag::SearchOptions search;
    search.k = k ? static_cast<int>(*k) : 8;
    if (collection) search.collection = *collection;
    std::optional<rag::Embedder> embedder = ragEmbedder(embedderPath, cmd, !embedderPath);
    rag::DenseIndex index;
    if (embedder) {
        if (auto loaded = rag::loadDenseIndex(*store, *embedder, search.collection)) index = std::move(*loaded);
    }
    if (!embedder || index.size() == 0) search.mode = rag::SearchMode::Bm25;
    rag::Retriever retriever(*store, embedder ? &*embedder : nullptr, &index);
    auto hits = retriever.search(rest.front(), search);
    if (!hits) {
        std::fprintf(stderr, "%s: %s\n", cmd, hits.error().c_str());
        return 1;
    }
    auto session = assistant::Session::create(model, sessionParams);
    if (!session) {
        printError(cmd, session.error());
        return 1;
    }
    rag::PromptOptions promptOptions;
    promptOptions.contextTokens = (*session)->contextSize();
    promptOptions.answerTokens = gen.maxTokens > 0 ? std::min(gen.maxTokens, promptOptions.contextTokens / 2) : 512;
    promptOptions.countTokens = [&](std::string_view text) {
        auto ids = model->tokenize(text, false, false);
        return ids ? static_cast<int>(ids->size()) : static_cast<int>(text.size() / 3 + 1);
    };
    const rag::AssembledPrompt prompt = rag::assemblePrompt(rest.front(), *hits, promptOptions);
    std::signal(SIGINT, [](int) { g_askCancel = true; });
    gen.cancel = &g_askCancel;
    auto result = (*session)->generate(prompt.messages, gen, [](std::string_view piece, const assistant::GenerateStats&) {
        std::fwrite(piece.data(), 1, piece.size(), stdout);
        std::fflush(stdout);
        return true;
    });
    std::printf("\n");
    if (!result) {
        printError(cmd, result.error());
        return 1;
    }
    auto cited = rag::citedSources(result->text, prompt.sources);
    const bool none = cited.empty();
    if (none) cited = prompt.sources;
    std::printf("\n%s\n", none ? "Retrieved sources (the answer cites none):" : "Sources:");
    for (const rag::Source& s : cited) {
        std::string excerpt = s.excerpt.substr(0, 160);
        for (char& c : excerpt)
            if (c == '\n') c = ' ';
        std::printf("[%d] %s  (%s)\n    %s%s\n", s.n, rag::sourceLabel(s).c_str(), s.path.c_str(), excerpt.c_str(),
                    s.excerpt.size() > 160 ? "..." : "");
    }
    return 0;
}

}  // namespace cli
