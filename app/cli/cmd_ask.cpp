// assistant-cli ask: answer a question from the indexed documents (rag::Answerer),
// streaming the answer, then the sources its [n] markers cite (file, page, excerpt).
#include <cstdio>

#include "chat_loop.h"
#include "cli_common.h"
#include "cli_rag.h"
#include "commands.h"
#include "rag/answerer.h"

namespace cli {

namespace {

constexpr const char* kCommand = "ask";

// What writes the answer: a local session, or a remote server's chat (retrieval stays here).
struct AnswerWriter {
    std::unique_ptr<assistant::Session> session;
    ChatAnswerer remote;
};

// The writer, and the prompt's context: the session's with its tokenizer, or for a
// remote server the context -c says, counting a byte as a token (never too long).
std::optional<AnswerWriter> connectWriter(const RemoteArgs& remote, const std::shared_ptr<const assistant::Model>& model,
                                          const assistant::SessionParams& sessionParams,
                                          const assistant::GenerateParams& gen, rag::AnswerOptions& options) {
    AnswerWriter writer;
    if (remote.url) {
        std::string banner;
        auto connected = remoteChatAnswerer(*remote.url, remote.apiKey.value_or(""), remote.model.value_or(""), gen, banner);
        if (!connected) {
            failure(kCommand, connected.error());
            return std::nullopt;
        }
        writer.remote = std::move(*connected);
        std::fprintf(stderr, "%s: %s\n", kCommand, banner.c_str());
        options.contextTokens = remoteContextTokens(sessionParams);
        return writer;
    }
    writer.session = createSession(model, sessionParams, kCommand);
    if (!writer.session) return std::nullopt;
    options.contextTokens = writer.session->contextSize();
    options.countTokens = rag::modelTokenCounter(model);
    return writer;
}

// Streams the answer to stdout; its text, or nullopt after printing why not.
std::optional<std::string> writeAnswer(AnswerWriter& writer, const std::vector<assistant::Message>& messages,
                                       const assistant::GenerateParams& gen) {
    if (writer.remote) {
        auto turn = writer.remote(messages, printPiece);
        std::printf("\n");
        if (!turn) {
            failure(kCommand, turn.error());
            return std::nullopt;
        }
        return turn->text;
    }
    auto result = writer.session->generate(messages, gen, printPiece);
    std::printf("\n");
    if (!result) {
        printError(kCommand, result.error());
        return std::nullopt;
    }
    return result->text;
}

// The sources the answer cites (all retrieved ones when it cites none), an excerpt each.
void printSources(const std::string& answer, const std::vector<rag::Source>& sources) {
    constexpr size_t kExcerptBytes = 160;
    const bool none = rag::citationNumbers(answer).empty();
    std::printf("\n%s\n", none ? "Retrieved sources (the answer cites none):" : "Sources:");
    for (const rag::Source& s : rag::Answerer::citations(answer, sources)) {
        std::string excerpt = s.excerpt.substr(0, kExcerptBytes);
        for (char& c : excerpt)
            if (c == '\n') c = ' ';
        std::printf("[%d] %s  (%s)\n    %s%s\n", s.n, rag::sourceLabel(s).c_str(), s.path.c_str(), excerpt.c_str(),
                    s.excerpt.size() > kExcerptBytes ? "..." : "");
    }
}

}  // namespace

int runAsk(std::vector<std::string> argv) {
    const char* cmd = kCommand;
    Args args(std::move(argv));
    const auto db = ragDatabasePath(args);
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
    const RemoteArgs remote = readRemoteArgs(args);
    const EmbedderArgs embedderArgs = readEmbedderArgs(args, remote.apiKey);
    auto model = remote.url ? nullptr : loadModel(args, cmd);
    const std::vector<std::string> rest = args.positional();
    if (!args.error().empty() || rest.size() != 1) return usageError(args, cmd, "give the question as one argument");
    if (remote.url && !gen.grammar.empty())
        return usageError(args, cmd, "--grammar-file and --json-schema constrain the local engine only, not --remote");
    if ((!model && !remote.url) || !db) return 1;

    std::optional<rag::Embedder> embedder = ragEmbedder(embedderArgs, cmd, !embedderArgs.given());
    if (embedderArgs.given() && !embedder) return 1;
    if (embedder && !embedderMatchesIndex(*db, *embedder, cmd)) return 1;
    auto answerer = rag::Answerer::open(*db, std::move(embedder));
    if (!answerer) return failure(cmd, answerer.error());
    rag::AnswerOptions options;
    std::optional<AnswerWriter> writer = connectWriter(remote, model, sessionParams, gen, options);
    if (!writer) return 1;
    if (collection) options.collection = *collection;
    if (k) options.maxChunks = static_cast<int>(*k);
    options.answerTokens = gen.maxTokens > 0 ? std::min(gen.maxTokens, options.contextTokens / 2) : 512;
    options.wholeDocuments = !chunksOnly;
    const std::vector<assistant::Message> question = {{"user", rest.front()}};
    auto prompt = answerer->prepare(question, options);
    if (!prompt) return failure(cmd, prompt.error());
    std::fprintf(stderr, "%s: %s\n", cmd, rag::describeAnswer(*prompt).c_str());

    gen.cancel = cancelOnInterrupt();
    const std::optional<std::string> answer = writeAnswer(*writer, prompt->messages, gen);
    if (!answer) return 1;
    printSources(*answer, prompt->sources);
    return 0;
}

}  // namespace cli
