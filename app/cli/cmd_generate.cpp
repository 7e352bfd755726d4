// assistant-cli generate: stream a continuation of a prompt to stdout, stats to stderr.
#include <cstdio>

#include "cli_common.h"
#include "commands.h"

namespace cli {

namespace {

void printIds(const std::vector<int32_t>& ids) {
    std::printf("[");
    for (size_t i = 0; i < ids.size(); ++i) std::printf(i ? ", %d" : "%d", ids[i]);
    std::printf("]\n");
}

}  // namespace

int runGenerate(std::vector<std::string> argv) {
    const char* cmd = "generate";
    Args args(std::move(argv));
    auto model = loadModel(args, cmd);
    assistant::SessionParams sp;
    assistant::GenerateParams gp;
    if (!readSessionParams(args, sp, cmd)) return 2;
    readSamplingParams(args, gp.sampling);
    if (!readSpeculativeParams(args, gp.speculative, cmd)) return 2;
    if (!readGrammarParams(args, gp.grammar, cmd)) return 2;
    const auto prompt = args.value("-p", "--prompt");
    const auto tokenIds = args.value("--token-ids");
    const auto dumpLogits = args.value("--dump-logits");
    const bool printIdsFlag = args.flag("--print-ids");
    gp.ignoreEos = args.flag("--ignore-eos");
    if (auto n = args.integer("-n", "--n-predict")) gp.maxTokens = static_cast<int>(*n);
    while (auto stop = args.value("--stop")) gp.stop.push_back(*stop);
    args.positional();
    if (!args.error().empty() || (!prompt && !tokenIds) || (prompt && tokenIds))
        return usageError(args, cmd, "give exactly one of -p TEXT or --token-ids 1,2,3");
    if (!model) return 1;
    auto session = assistant::Session::create(model, sp);
    if (!session) {
        printError(cmd, session.error());
        return 1;
    }

    std::vector<int32_t> ids;
    if (tokenIds) {
        auto parsed = parseTokenIds(*tokenIds, cmd);
        if (!parsed) return 2;
        ids = std::move(*parsed);
    } else {
        auto tokenized = model->tokenize(*prompt, true, true);
        if (!tokenized) {
            printError(cmd, tokenized.error());
            return 1;
        }
        ids = std::move(*tokenized);
    }

    std::FILE* dump = nullptr;
    if (dumpLogits) {
        dump = std::fopen(dumpLogits->c_str(), "wb");
        if (!dump) {
            std::fprintf(stderr, "%s: cannot write %s\n", cmd, dumpLogits->c_str());
            return 1;
        }
        // Every prompt position first, then one row per generated token.
        auto logits = (*session)->evaluate(ids, true);
        if (!logits) {
            printError(cmd, logits.error());
            std::fclose(dump);
            return 1;
        }
        std::fwrite(logits->data(), sizeof(float), logits->size(), dump);
        gp.onLogits = [dump](std::span<const float> row) { std::fwrite(row.data(), sizeof(float), row.size(), dump); };
    }

    const bool streamText = !printIdsFlag;
    if (streamText && prompt) std::printf("%s", prompt->c_str());
    auto result = (*session)->generate(std::span<const int32_t>(ids), gp,
                                       [streamText](std::string_view piece, const assistant::GenerateStats&) {
                                           if (streamText) {
                                               std::fwrite(piece.data(), 1, piece.size(), stdout);
                                               std::fflush(stdout);
                                           }
                                           return true;
                                       });
    if (dump) std::fclose(dump);
    if (!result) {
        printError(cmd, result.error());
        return 1;
    }
    if (printIdsFlag) printIds(result->tokens);
    else std::printf("\n");
    const assistant::GenerateStats& st = result->stats;
    std::fprintf(stderr,
                 "prompt: %d tokens (%d reused), %.1f tokens/s; generated: %d tokens, %.1f tokens/s; "
                 "time to first token %.1f ms; context %d/%d%s\n",
                 st.promptTokens, st.reusedPromptTokens, st.promptTokensPerSecond, st.generatedTokens,
                 st.generatedTokensPerSecond, st.timeToFirstTokenMs, st.contextUsed, st.contextSize,
                 speculativeStats(st).c_str());
    return 0;
}

}  // namespace cli
