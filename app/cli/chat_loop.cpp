#include "chat_loop.h"

#include <cstdio>
#include <iostream>

#include "cli_common.h"

namespace cli {

int runChatLoop(const char* command, const std::string& banner, const std::optional<std::string>& system,
                const ChatAnswerer& answer) {
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
        auto turn = answer(messages, printPiece);
        std::printf("\n");
        if (!turn) {
            std::fprintf(stderr, "%s: %s\n", command, turn.error().c_str());
            messages.pop_back();  // the question can be asked again; nothing else is lost
            continue;
        }
        messages.push_back({"assistant", turn->text});
        std::fprintf(stderr, "%s\n", turn->stats.c_str());
    }
    return 0;
}

}  // namespace cli
