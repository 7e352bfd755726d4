// The OpenAI wire format, both directions: request bodies (JSON) -> engine parameters
// with strict type checks, and engine results -> response objects and SSE chunks.
// Pure functions of their inputs (no I/O, no engine calls) so every rule is unit-tested.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "assistant/engine.h"
#include "assistant/tools.h"
#include "json/json.h"

namespace server {

// An error as OpenAI reports it: HTTP status + {"error": {message, type, param, code}}.
struct ApiError {
    int status = 400;
    std::string message;
    std::string type = "invalid_request_error";  // invalid_request_error | authentication_error | server_error ...
    std::string param;                           // the offending field, "" = null
    std::string code;                            // machine-readable, "" = null
};

template <class T>
using ApiResult = std::expected<T, ApiError>;

json::Value errorBody(const ApiError& error);
std::string errorJson(const ApiError& error);
// Compact JSON text; invalid UTF-8 in strings becomes U+FFFD (never throws).
std::string dumpJson(const json::Value& value);

// Body text -> JSON object. Malformed JSON, a non-object top level -> 400.
ApiResult<json::Value> parseBody(std::string_view body);

// tool_choice and parallel_tool_calls (tool_protocol.h reads them).
struct ToolChoice {
    enum class Mode { Auto, None, Required, Function };
    Mode mode = Mode::Auto;  // "auto" (the default), "none", "required", {"type": "function", ...}
    std::string function;    // Mode::Function: the function's name
    bool parallel = true;    // parallel_tool_calls: more than one call per answer
};

// A chat or legacy completion request, validated.
struct GenerationRequest {
    std::string model;                       // as sent; "" when absent
    std::vector<assistant::Message> messages;  // chat: the conversation
    std::string prompt;                      // completions: the raw prompt
    assistant::GenerateParams params;        // sampling, maxTokens, stop, ignoreEos (cancel left null)
    bool stream = false;
    bool includeUsage = false;               // stream_options.include_usage
    bool echo = false;                       // completions: prepend the prompt to the text
    bool speculativeGiven = false;           // "speculative" was in the request (else the server's default)
    std::string draftName;                   // "speculative.draft" naming a draft model (the server resolves it)
    ToolChoice toolChoice;                   // chat: the tools themselves are params.tools
};

ApiResult<GenerationRequest> parseChatRequest(const json::Value& body);
ApiResult<GenerationRequest> parseCompletionRequest(const json::Value& body);

struct EmbeddingRequest {
    std::string model;
    std::vector<std::string> inputs;
    bool base64 = false;  // encoding_format "base64": little-endian float32, base64 (what the openai npm client asks for)
};
ApiResult<EmbeddingRequest> parseEmbeddingRequest(const json::Value& body);

// "stop" | "length"; Cancelled -> "stop" (only logged, a cancelled client gets nothing).
// toolCalls: "tool_calls" unless the answer was cut short ("length").
const char* finishReason(assistant::StopReason reason, bool toolCalls = false);

std::string base64Encode(const void* data, size_t size);

// One request's response objects. kind: chat ("chat.completion[.chunk]") or legacy
// completion ("text_completion"). id is "chatcmpl-..." / "cmpl-...".
class ResponseBuilder {
public:
    ResponseBuilder(bool chat, std::string model, std::string id, int64_t created);

    // Streaming: the first chat chunk carries the role; later ones content or reasoning.
    json::Value roleChunk() const;
    json::Value deltaChunk(std::string_view text, bool reasoning) const;
    // A chat chunk with this delta ({"tool_calls": [...]} or {"content": ...}).
    json::Value chatChunk(json::Value delta) const;
    // toolCalls: the answer called tools, finish_reason "tool_calls" (unless cut short).
    json::Value finishChunk(assistant::StopReason reason, bool toolCalls = false) const;
    // stream_options.include_usage: the extra last chunk with empty choices.
    json::Value usageChunk(const assistant::GenerateStats& stats) const;
    // Non-streaming: the whole answer. tools: the answer's calls and the text around
    // them (tools were offered): message.tool_calls, content null when no text is left.
    json::Value full(const assistant::GenerateResult& result, std::string_view textPrefix = {},
                        const assistant::ParsedToolCalls* tools = nullptr) const;

    static json::Value usage(const assistant::GenerateStats& stats);
    const std::string& id() const { return m_id; }

private:
    json::Value envelope(bool chunk) const;
    bool m_chat;
    std::string m_model;
    std::string m_id;
    int64_t m_created;
};

// "data: <json>\n\n" and the terminator "data: [DONE]\n\n".
std::string sseEvent(const json::Value& data);
inline constexpr std::string_view kSseDone = "data: [DONE]\n\n";

}  // namespace server
