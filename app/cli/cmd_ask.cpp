// assistant-cli ask: answer a question from the indexed documents (rag::Answerer),
// streaming the answer, then the sources its [n] markers cite (file, page, excerpt).
#include <csignal>
#include <cstdio>

#include "chat_loop.h"
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
    if (!readGrammarParams(args, gen.grammar, cmd)) return 2;
    if (auto n = args.integer("-n", "--max-tokens")) gen.maxTokens = static_cast<int>(*n);
    // --remote URL: retrieval stays here, the prompt goes to that server (-m names its model).
    const auto remoteUrl = args.value("--remote");
    const auto apiKey = args.value("--api-key");
    const auto remoteModel = remoteUrl ? args.value("-m", "--model") : std::nullopt;
    auto model = remoteUrl ? nullptr : loadModel(args, cmd);
    const std::vector<std::string> rest = args.positional();
    if (!args.error().empty() || rest.size() != 1) return usageError(args, cmd, "give the question as one argument");
    if (remoteUrl && !gen.grammar.empty())
        return usageError(args, cmd, "--grammar-file and --json-schema constrain the local engine only, not --remote");
    if ((!model && !remoteUrl) || !db) return 1;
    std::optional<rag::Embedder> embedder = ragEmbedder(embedderPath, cmd, !embedderPath);
    auto answerer = rag::Answerer::open(*db, std::move(embedder));
    if (!answerer) {
        std::fprintf(stderr, "%s: %s\n", cmd, answerer.error().c_str());
        return 1;
    }
    // The answer: a local session, or the remote server's chat.
    std::unique_ptr<assistant::Session> session;
    ChatAnswerer remote;
    rag::AnswerOptions options;
    if (remoteUrl) {
        std::string banner;
        auto connected = remoteChatAnswerer(*remoteUrl, apiKey.value_or(""), remoteModel.value_or(""), gen, banner);
        if (!connected) {
            std::fprintf(stderr, "%s: %s\n", cmd, connected.error().c_str());
            return 1;
        }
        remote = std::move(*connected);
        std::fprintf(stderr, "%s: %s\n", cmd, banner.c_str());
        // No tokenizer here: the budget counts a byte as a token (never too long), in the
        // context -c says (4096 when not given).
        options.contextTokens = sessionParams.contextLength > 0 ? sessionParams.contextLength : 4096;
    } else {
        auto created = assistant::Session::create(model, sessionParams);
        if (!created) {
            printError(cmd, created.error());
            return 1;
        }
        session = std::move(*created);
        options.contextTokens = session->contextSize();
        options.countTokens = rag::modelTokenCounter(model);
    }
    if (collection) options.collection = *collection;
    if (k) options.maxChunks = static_cast<int>(*k);
    options.answerTokens = gen.maxTokens > 0 ? std::min(gen.maxTokens, options.contextTokens / 2) : 512;
    options.wholeDocuments = !chunksOnly;
    const std::vector<assistant::Message> question = {{"user", rest.front()}};
    auto prompt = answerer->prepare(question, options);
    if (!prompt) {
        std::fprintf(stderr, "%s: %s\n", cmd, prompt.error().c_str());
        return 1;
    }
    std::fprintf(stderr, "%s: %s\n", cmd, rag::describeAnswer(*prompt).c_str());
    std::signal(SIGINT, [](int) { g_askCancel = true; });
    gen.cancel = &g_askCancel;
    std::string text;
    if (remote) {
        auto turn = remote(prompt->messages, printPiece);
        std::printf("\n");
        if (!turn) {
            std::fprintf(stderr, "%s: %s\n", cmd, turn.error().c_str());
            return 1;
        }
        text = turn->text;
    } else {
        auto result = session->generate(prompt->messages, gen, printPiece);
        std::printf("\n");
        if (!result) {
            printError(cmd, result.error());
            return 1;
        }
        text = result->text;
    }
    const bool none = rag::citationNumbers(text).empty();
    const std::vector<rag::Source> cited = rag::Answerer::citations(text, prompt->sources);
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
