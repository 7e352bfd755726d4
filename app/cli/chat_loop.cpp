#include "chat_loop.h"

#include <cstdio>
#include <iostream>

#include "cli_common.h"

namespace cli {

namespace {

// Answers the last question, and then each round of tool calls with their results, into
// messages. False when the user quit at a result prompt.
bool answerQuestion(const char* command, std::vector<assistant::Message>& messages, const ChatAnswerer& answer,
                    const ToolResultSource& toolResults) {
    const size_t question = messages.size() - 1;
    for (int round = 0;; ++round) {
        auto turn = answer(messages, printPiece);
        std::printf("\n");
        if (!turn) {
            std::fprintf(stderr, "%s: %s\n", command, turn.error().c_str());
            messages.resize(question);  // the question can be asked again; nothing else is lost
            return true;
        }
        std::fprintf(stderr, "%s\n", turn->stats.c_str());
        assistant::Message reply{"assistant", turn->text};
        reply.toolCalls = turn->toolCalls;
        messages.push_back(std::move(reply));
        if (turn->toolCalls.empty() || !toolResults) return true;
        if (round + 1 >= kMaxToolRounds) {
            std::fprintf(stderr, "%s: the model called tools %d times in a row; ask again or /reset\n", command,
                         kMaxToolRounds);
            messages.back().toolCalls.clear();  // no call is left without its result
            return true;
        }
        for (const assistant::ToolCall& call : turn->toolCalls) {
            std::optional<std::string> result = toolResults(call);
            if (!result) return false;
            assistant::Message m{"tool", *result};
            m.toolCallId = call.id;
            m.name = call.name;
            messages.push_back(std::move(m));
        }
    }
}

}  // namespace

std::string localTurnStats(const assistant::GenerateStats& st, const std::string& extra) {
    char stats[256];
    std::snprintf(stats, sizeof stats, "[%d tokens, %.1f tokens/s, first token %.0f ms, context %d/%d%s%s]",
                  st.generatedTokens, st.generatedTokensPerSecond, st.timeToFirstTokenMs, st.contextUsed,
                  st.contextSize, speculativeStats(st).c_str(), extra.c_str());
    return stats;
}

int runChatLoop(const char* command, const std::string& banner, const std::optional<std::string>& system,
                const ChatAnswerer& answer, const ToolResultSource& toolResults) {
    std::vector<assistant::Message> messages;
    if (system) messages.push_back({"system", *system});
    std::fprintf(stderr, "%s /reset starts over, /exit quits.\n", banner.c_str());
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
        if (!answerQuestion(command, messages, answer, toolResults)) break;
    }
    return 0;
}

}  // namespace cli
