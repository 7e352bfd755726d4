// The terminal conversation behind `assistant-cli chat`, whatever answers it: the local
// engine or a remote server (chat --remote). Lines starting with '/' are commands:
// /reset forgets the conversation, /exit (or end of input) quits. With tools (chat
// --tools, chat_tools.h) the model's calls are answered and the conversation goes on.
#pragma once

#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "assistant/engine.h"

namespace cli {

struct ChatTurn {
    std::string text;   // the answer (kept in the conversation); without its tool calls
    std::string stats;  // "[12 tokens, ...]" for stderr
    std::vector<assistant::ToolCall> toolCalls{};  // chat --tools: the calls it made (ids set)
};
// Answers the conversation, streaming pieces to the sink; an error message drops the turn.
using ChatAnswerer =
    std::function<std::expected<ChatTurn, std::string>(const std::vector<assistant::Message>&, const assistant::TokenSink&)>;

// "[12 tokens, 80.1 tokens/s, first token 35 ms, context 120/2048{extra}]" for a local answer.
std::string localTurnStats(const assistant::GenerateStats& stats, const std::string& extra = {});

// A tool call's result (chat_tools.h); nullopt: the user quit instead of answering.
using ToolResultSource = std::function<std::optional<std::string>(const assistant::ToolCall&)>;

// Reads questions from stdin until /exit or its end. With toolResults, an answer's tool
// calls get their results from it as `tool` messages and the model answers again (at most
// kMaxToolRounds times a question).
inline constexpr int kMaxToolRounds = 8;
int runChatLoop(const char* command, const std::string& banner, const std::optional<std::string>& system,
                const ChatAnswerer& answer, const ToolResultSource& toolResults = {});

// The remote half (chat_remote.cpp, or chat_remote_none.cpp without an HTTP client):
// checks that the server answers with this key, then answers through it.
std::expected<ChatAnswerer, std::string> remoteChatAnswerer(const std::string& url, const std::string& apiKey,
                                                            const std::string& model,
                                                            const assistant::GenerateParams& params,
                                                            std::string& banner);

// Checks that the server answers with this key and has `model`; returns the model's id
// (the server's first when `model` is empty) or why not.
std::expected<std::string, std::string> checkRemoteServer(const std::string& url, const std::string& apiKey,
                                                          const std::string& model);

}  // namespace cli
