// assistant-cli chat: an interactive conversation on the terminal. Lines starting
// with '/' are commands: /reset forgets the conversation, /exit (or end of input) quits.
#include <cstdio>
#include <iostream>

#include "cli_common.h"
#include "commands.h"

namespace cli {

int runChat(std::vector<std::string> argv) {
    const char* cmd = "chat";
    Args args(std::move(argv));
    auto model = loadModel(args, cmd);
    assistant::SessionParams sp;
    assistant::GenerateParams gp;
    if (!readSessionParams(args, sp, cmd)) return 2;
    readSamplingParams(args, gp.sampling);
    if (!readSpeculativeParams(args, gp.speculative, cmd)) return 2;
    if (auto n = args.integer("-n", "--n-predict")) gp.maxTokens = static_cast<int>(*n);
    const auto system = args.value("--system");
    args.positional();
    if (!args.error().empty()) {
        std::fprintf(stderr, "%s: %s\n", cmd, args.error().c_str());
        return 2;
    }
    if (!model) return 1;
    auto session = assistant::Session::create(model, sp);
    if (!session) {
        printError(cmd, session.error());
        return 1;
    }
    std::vector<assistant::Message> messages;
    if (system) messages.push_back({"system", *system});
    std::fprintf(stderr, "%s (%s). /reset starts over, /exit quits.\n", model->info().name.c_str(),
                 model->info().architecture.c_str());
    std::string line;
    for (;;) {
        std::fprintf(stderr, "> ");
        if (!std::getline(std::cin, line) || line == "/exit") break;
        if (line == "/reset") {
            messages.resize(system ? 1 : 0);
            continue;
        }
        if (line.empty()) continue;
        messages.push_back({"user", line});
        // Reasoning (<think> text) goes to stderr, so stdout holds only the answer.
        auto result = (*session)->generate(messages, gp, [](std::string_view piece, const assistant::GenerateStats& st) {
            if (st.channel == assistant::StreamChannel::Reasoning) {
                std::fwrite(piece.data(), 1, piece.size(), stderr);
                return true;
            }
            std::fwrite(piece.data(), 1, piece.size(), stdout);
            std::fflush(stdout);
            return true;
        });
        std::printf("\n");
        if (!result) {
            printError(cmd, result.error());
            messages.pop_back();
            continue;
        }
        messages.push_back({"assistant", result->text});
        std::fprintf(stderr, "[%d tokens, %.1f tokens/s, first token %.0f ms, context %d/%d%s]\n",
                     result->stats.generatedTokens, result->stats.generatedTokensPerSecond,
                     result->stats.timeToFirstTokenMs, result->stats.contextUsed, result->stats.contextSize,
                     speculativeStats(result->stats).c_str());
    }
    return 0;
}

}  // namespace cli
