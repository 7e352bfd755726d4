// assistant-cli generate: stream a continuation of a prompt to stdout, stats to stderr.
#include <cstdio>

#include "cli_common.h"
#include "commands.h"

namespace cli {

namespace {

constexpr const char* kCommand = "generate";

void printIds(const std::vector<int32_t>& ids) {
    std::printf("[");
    for (size_t i = 0; i < ids.size(); ++i) std::printf(i ? ", %d" : "%d", ids[i]);
    std::printf("]\n");
}

// --token-ids as given, or the prompt tokenized (with BOS and special tokens); nullopt
// after printing why not.
std::optional<std::vector<int32_t>> promptIds(const assistant::Model& model, const std::optional<std::string>& prompt,
                                              const std::optional<std::string>& tokenIds) {
    if (tokenIds) return parseTokenIds(*tokenIds, kCommand);
    auto tokenized = model.tokenize(*prompt, true, true);
    if (!tokenized) {
        printError(kCommand, tokenized.error());
        return std::nullopt;
    }
    return std::move(*tokenized);
}

// --dump-logits FILE: raw float32 rows, every prompt position first (evaluated here),
// then one row per generated token (through gp.onLogits). The file stays open until
// the caller closes it; null after printing why not.
std::FILE* startLogitsDump(const std::string& path, assistant::Session& session, const std::vector<int32_t>& ids,
                           assistant::GenerateParams& gp) {
    std::FILE* dump = std::fopen(path.c_str(), "wb");
    if (!dump) {
        std::fprintf(stderr, "%s: cannot write %s\n", kCommand, path.c_str());
        return nullptr;
    }
    auto logits = session.evaluate(ids, true);
    if (!logits) {
        printError(kCommand, logits.error());
        std::fclose(dump);
        return nullptr;
    }
    std::fwrite(logits->data(), sizeof(float), logits->size(), dump);
    gp.onLogits = [dump](std::span<const float> row) { std::fwrite(row.data(), sizeof(float), row.size(), dump); };
    return dump;
}

// "; hot-expert hit rate 71.2%" with a hot-expert cache, else "".
std::string hotExpertStats(const assistant::GenerateStats& st) {
    if (st.hotExpertPicks == 0) return {};
    char buf[64];
    std::snprintf(buf, sizeof buf, "; hot-expert hit rate %.1f%%",
                  100.0 * static_cast<double>(st.hotExpertHits) / static_cast<double>(st.hotExpertPicks));
    return buf;
}

void printStats(const assistant::GenerateStats& st) {
    std::fprintf(stderr,
                 "prompt: %d tokens (%d reused), %.1f tokens/s; generated: %d tokens, %.1f tokens/s; "
                 "time to first token %.1f ms; context %d/%d%s%s\n",
                 st.promptTokens, st.reusedPromptTokens, st.promptTokensPerSecond, st.generatedTokens,
                 st.generatedTokensPerSecond, st.timeToFirstTokenMs, st.contextUsed, st.contextSize,
                 speculativeStats(st).c_str(), hotExpertStats(st).c_str());
}

}  // namespace

int runGenerate(std::vector<std::string> argv) {
    const char* cmd = kCommand;
    Args args(std::move(argv));
    auto model = loadModel(args, cmd);
    assistant::SessionParams sp;
    assistant::GenerateParams gp;
    if (!readGenerationArgs(args, sp, gp, cmd, model)) return 2;
    const auto prompt = args.value("-p", "--prompt");
    const auto tokenIds = args.value("--token-ids");
    const auto dumpLogits = args.value("--dump-logits");
    const bool printIdsFlag = args.flag("--print-ids");
    gp.ignoreEos = args.flag("--ignore-eos");
    while (auto stop = args.value("--stop")) gp.stop.push_back(*stop);
    args.positional();
    if (!args.error().empty() || (!prompt && !tokenIds) || (prompt && tokenIds))
        return usageError(args, cmd, "give exactly one of -p TEXT or --token-ids 1,2,3");
    if (!model) return 1;
    auto session = createSession(model, sp, cmd);
    if (!session) return 1;
    const std::optional<std::vector<int32_t>> ids = promptIds(*model, prompt, tokenIds);
    if (!ids) return tokenIds ? 2 : 1;
    std::FILE* dump = nullptr;
    if (dumpLogits && !(dump = startLogitsDump(*dumpLogits, *session, *ids, gp))) return 1;

    const bool streamText = !printIdsFlag;
    if (streamText && prompt) std::printf("%s", prompt->c_str());
    auto result = session->generate(std::span<const int32_t>(*ids), gp,
                                    [streamText](std::string_view piece, const assistant::GenerateStats&) {
                                        return !streamText || printText(piece);
                                    });
    if (dump) std::fclose(dump);
    if (!result) {
        printError(cmd, result.error());
        return 1;
    }
    if (printIdsFlag) printIds(result->tokens);
    else std::printf("\n");
    printStats(result->stats);
    return 0;
}

}  // namespace cli
