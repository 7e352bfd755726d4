// chat --tools: functions the local model may call in a terminal conversation.
//   --tools FILE.json           OpenAI's `tools` array ({"tools": [...]} too)
//   --tool-choice auto|none|required|NAME   (auto; required/NAME force a call by grammar
//                               in the first answer to each question, later answers choose)
//   --tool-results FILE.json    {"NAME": result, ...}: answers calls without asking
// A call is printed on stdout as `[tool call] NAME {"arg": ...}` as it is generated; each
// call's result is read from the results file or asked for on the terminal (one line:
// JSON or text), goes back as a `tool` message, and the model answers again.
#pragma once

#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "args.h"
#include "assistant/engine.h"
#include "chat_loop.h"

namespace cli {

struct ChatTools {
    std::vector<assistant::ToolDefinition> tools;
    std::string choice = "auto";                  // auto | none | required | a function's name
    std::map<std::string, std::string> results;  // --tool-results: function -> result text
    std::string resultsPath;
};

// --tools, --tool-choice and --tool-results from args; nullopt when --tools is absent,
// an error (naming the file and the entry) when a file or the choice is wrong.
std::expected<std::optional<ChatTools>, std::string> readChatTools(Args& args);

// The local session answering with the tools offered: calls parsed in the model's own
// syntax (streamed to the sink as text lines) and returned in ChatTurn::toolCalls.
ChatAnswerer localToolAnswerer(std::shared_ptr<assistant::Session> session, const assistant::GenerateParams& params,
                               ChatTools tools, assistant::ToolCallSyntax syntax);

// Where a call's result comes from: the results file, else the terminal. nullopt: the
// user ended the input (or typed /exit) instead.
ToolResultSource toolResultSource(const ChatTools& tools);

}  // namespace cli
