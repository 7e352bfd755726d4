// assistant-cli chat: an interactive conversation on the terminal (chat_loop.h), with
// the local engine or, with --remote URL, a remote OpenAI-compatible server.
#include <cstdio>

#include "chat_loop.h"
#include "cli_common.h"
#include "commands.h"

namespace cli {

namespace {

ChatAnswerer localAnswerer(std::unique_ptr<assistant::Session> session, const assistant::GenerateParams& gp) {
    return [session = std::shared_ptr<assistant::Session>(std::move(session)), gp](
               const std::vector<assistant::Message>& messages,
               const assistant::TokenSink& sink) -> std::expected<ChatTurn, std::string> {
        auto result = session->generate(messages, gp, sink);
        if (!result)
            return std::unexpected(result.error().message + " [" +
                                   std::string(assistant::errorCodeName(result.error().code)) + "]");
        const assistant::GenerateStats& st = result->stats;
        char stats[256];
        std::snprintf(stats, sizeof stats, "[%d tokens, %.1f tokens/s, first token %.0f ms, context %d/%d%s]",
                      st.generatedTokens, st.generatedTokensPerSecond, st.timeToFirstTokenMs, st.contextUsed,
                      st.contextSize, speculativeStats(st).c_str());
        return ChatTurn{result->text, stats};
    };
}

}  // namespace

int runChat(std::vector<std::string> argv) {
    const char* cmd = "chat";
    Args args(std::move(argv));
    // With --remote, -m/--model names the server's model, not a file.
    const RemoteArgs remote = readRemoteArgs(args);
    auto model = remote.url ? nullptr : loadModel(args, cmd);
    assistant::SessionParams sp;
    assistant::GenerateParams gp;
    if (!readGenerationArgs(args, sp, gp, cmd, model)) return 2;
    const auto system = args.value("--system");
    args.positional();
    if (!args.error().empty() || (remote.apiKey && !remote.url))
        return usageError(args, cmd, "--api-key goes with --remote URL");
    if (remote.url && !gp.grammar.empty())
        return usageError(args, cmd, "--grammar-file and --json-schema constrain the local engine only, not --remote");
    if (remote.url) {
        std::string banner;
        auto answer = remoteChatAnswerer(*remote.url, remote.apiKey.value_or(""), remote.model.value_or(""), gp, banner);
        if (!answer) return failure(cmd, answer.error());
        return runChatLoop(cmd, banner, system, *answer);
    }
    if (!model) return 1;
    auto session = createSession(model, sp, cmd);
    if (!session) return 1;
    const std::string banner = model->info().name + " (" + model->info().architecture + ").";
    return runChatLoop(cmd, banner, system, localAnswerer(std::move(session), gp));
}

}  // namespace cli
