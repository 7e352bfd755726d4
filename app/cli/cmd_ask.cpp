// assistant-cli ask: answer a question from the indexed documents (rag::Answerer),
// streaming the answer, then the sources its [n] markers cite (file, page, excerpt).
#include <csignal>
#include <cstdio>

#include "cli_common.h"
#include "commands.h"
#include "rag/answerer.h"

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
    const bool chunksOnly = args.flag("--chunks-only");
    assistant::SessionParams sessionParams;
    if (!readSessionParams(args, sessionParams, cmd)) return 2;
    assistant::GenerateParams gen;
    gen.sampling.temperature = 0.2f;
    readSamplingParams(args, gen.sampling);
    if (auto n = args.integer("-n", "--max-tokens")) gen.maxTokens = static_cast<int>(*n);
    auto model = loadModel(args, cmd);
    const std::vector<std::string> rest = args.positional();
    if (!args.error().empty() || rest.size() != 1) return usageError(args, cmd, "give the question as one argument");
    if (!model || !db) return 1;
    std::optional<rag::Embedder> embedder = ragEmbedder(embedderPath, cmd, !embedderPath);
    auto answerer = rag::Answerer::open(*db, std::move(embedder));
    if (!answerer) {
        std::fprintf(stderr, "%s: %s\n", cmd, answerer.error().c_str());
        return 1;
    }
    auto session = assistant::Session::create(model, sessionParams);
    if (!session) {
        printError(cmd, session.error());
        return 1;
    }
    rag::AnswerOptions options;
    if (collection) options.collection = *collection;
    if (k) options.maxChunks = static_cast<int>(*k);
    options.contextTokens = (*session)->contextSize();
    options.answerTokens = gen.maxTokens > 0 ? std::min(gen.maxTokens, options.contextTokens / 2) : 512;
    options.wholeDocuments = !chunksOnly;
    options.countTokens = rag::modelTokenCounter(model);
    const std::vector<assistant::Message> question = {{"user", rest.front()}};
    auto prompt = answerer->prepare(question, options);
    if (!prompt) {
        std::fprintf(stderr, "%s: %s\n", cmd, prompt.error().c_str());
        return 1;
    }
    std::fprintf(stderr, "%s: %s\n", cmd, rag::describeAnswer(*prompt).c_str());
    std::signal(SIGINT, [](int) { g_askCancel = true; });
    gen.cancel = &g_askCancel;
    auto result = (*session)->generate(prompt->messages, gen, printPiece);
    std::printf("\n");
    if (!result) {
        printError(cmd, result.error());
        return 1;
    }
    const bool none = rag::citationNumbers(result->text).empty();
    const std::vector<rag::Source> cited = rag::Answerer::citations(result->text, prompt->sources);
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
