// assistant-cli chat: an interactive conversation on the terminal (chat_loop.h), with
// the local engine or, with --remote URL, a remote OpenAI-compatible server.
#include <cstdio>

#include "assistant/tools.h"
#include "chat_loop.h"
#include "chat_tools.h"
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
        return ChatTurn{result->text, localTurnStats(result->stats)};
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
    auto tools = readChatTools(args);
    args.positional();
    if (!args.error().empty() || (remote.apiKey && !remote.url))
        return usageError(args, cmd, "--api-key goes with --remote URL");
    if (!tools) return failure(cmd, tools.error());
    if (remote.url && *tools)
        return usageError(args, cmd, "--tools offers functions to the local model only, not to --remote");
    if (*tools && (**tools).choice != "auto" && (**tools).choice != "none" && !gp.grammar.empty())
        return usageError(args, cmd, "a required tool call (--tool-choice) and --grammar-file/--json-schema exclude each other");
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
    std::string banner = model->info().name + " (" + model->info().architecture + ").";
    if (*tools) {
        const ChatTools& t = **tools;
        const assistant::ToolCallSyntax syntax = model->toolCallSyntax();
        std::string names;
        for (const auto& tool : t.tools) names += (names.empty() ? "" : ", ") + tool.name;
        banner += " Tools: " + names + " (tool choice " + t.choice + ", " +
                  std::string(assistant::toolCallSyntaxName(syntax)) + " syntax); a call shows as "
                  "[tool call] NAME {arguments}, and its result is " +
                  (t.results.empty() ? "asked for" : "taken from " + t.resultsPath + " or asked for") + ".";
        const ToolResultSource results = toolResultSource(t);
        return runChatLoop(cmd, banner, system, localToolAnswerer(std::move(session), gp, t, syntax), results);
    }
    return runChatLoop(cmd, banner, system, localAnswerer(std::move(session), gp));
}

}  // namespace cli
