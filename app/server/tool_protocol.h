// Tool calls on the wire, shared by the OpenAI and the Ollama routes: the request's
// tools / tool_choice / parallel_tool_calls and its messages' tool_calls, the grammar
// a required call gets, and the answer's calls, whole or as streamed deltas.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "assistant/tools.h"
#include "json/json.h"
#include "openai_protocol.h"

namespace server {

// tools[] ({"type": "function", "function": {name, description, parameters}}),
// tool_choice and parallel_tool_calls into r.params.tools and r.toolChoice. "none"
// offers no tools; a named function must be one of them.
std::optional<ApiError> readTools(const json::Value& body, GenerationRequest& r);

// An assistant message's tool_calls ([{id, type, function: {name, arguments}}];
// arguments a JSON string as OpenAI sends it, or an object as Ollama does) and a tool
// message's tool_call_id and name. param: "messages[3]".
std::optional<ApiError> readMessageToolFields(const json::Value& message, const std::string& param,
                                              assistant::Message& out);

// tool_choice "required" (one call, or several with parallel_tool_calls) or a named
// function (exactly one call of it): the grammar that forces the call in the model's
// syntax (400 when a response_format or grammar is set too).
std::optional<ApiError> applyToolChoice(GenerationRequest& r, assistant::ToolCallSyntax syntax);

// "call_" + 24 random letters and digits.
std::string newToolCallId();

// The answer's calls, ids given: OpenAI's [{id, type, function: {name, arguments: "JSON text"}}]
// or Ollama's [{function: {name, arguments: {...}}}].
json::Value openAiToolCalls(const std::vector<assistant::ToolCall>& calls);
json::Value ollamaToolCalls(const std::vector<assistant::ToolCall>& calls);

// A whole answer with tools offered: the calls (ids given) and the text around them.
assistant::ParsedToolCalls toolCallsOf(const GenerationRequest& r, assistant::ToolCallSyntax syntax, const std::string& text);

// Streaming: content pieces in, OpenAI chunk deltas out ({"content": ..} or
// {"tool_calls": [{index, id, type, function: {name, arguments}}]}), a call's id,
// type and name on its first delta, its arguments in pieces after.
class ToolCallDeltas {
public:
    explicit ToolCallDeltas(assistant::ToolCallSyntax syntax, std::span<const assistant::ToolDefinition> tools = {})
        : m_parser(syntax, tools) {}
    std::vector<json::Value> feed(std::string_view piece) { return deltas(m_parser.feed(piece)); }
    std::vector<json::Value> finish() { return deltas(m_parser.finish()); }
    bool calledTools() const { return m_parser.calls() > 0; }

private:
    std::vector<json::Value> deltas(const std::vector<assistant::ToolCallEvent>& events);
    assistant::ToolCallParser m_parser;
};

// Streaming without partial calls (Ollama): content pieces in; out come text pieces
// and whole calls, each call once its JSON has closed. A malformed call comes back as
// text, since none of it was sent.
class WholeToolCalls {
public:
    explicit WholeToolCalls(assistant::ToolCallSyntax syntax, std::span<const assistant::ToolDefinition> tools = {})
        : m_parser(syntax, tools) {}
    struct Item {
        std::string text;                     // content, when call is empty
        std::optional<assistant::ToolCall> call;
    };
    std::vector<Item> feed(std::string_view piece) { return items(m_parser.feed(piece)); }
    std::vector<Item> finish() { return items(m_parser.finish()); }

private:
    std::vector<Item> items(const std::vector<assistant::ToolCallEvent>& events);
    assistant::ToolCallParser m_parser;
    assistant::ToolCall m_pending;
};

}  // namespace server
