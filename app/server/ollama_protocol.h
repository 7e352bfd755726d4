// The Ollama wire format (/api/chat, /api/generate, /api/embed, /api/embeddings,
// /api/tags, /api/show), both directions, as pure functions like openai_protocol.h:
// request bodies -> the same GenerationRequest / EmbeddingRequest the OpenAI routes
// use, and results -> Ollama's objects. Differences from OpenAI that clients rely on:
// streaming is the default and is NDJSON (one object a line, the last with
// "done": true and the counts and durations in nanoseconds); sampling sits under
// "options" (num_predict, temperature, top_k, top_p, min_p, seed, stop,
// repeat_penalty, repeat_last_n, ...); errors are {"error": "message"}; model names
// may carry a ":tag" (":latest" is the same model).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "assistant/engine.h"
#include "assistant/tools.h"
#include "json/json.h"
#include "openai_protocol.h"

namespace server::ollama {

// POST /api/chat: messages (with tool_calls, arguments as objects, and tool results),
// options, stream (default true), format ("json" or a JSON Schema object: the output
// is constrained to it), tools (the model decides: Ollama has no tool_choice).
// `images` are refused with a clear 400.
ApiResult<GenerationRequest> parseChat(const json::Value& body);
// POST /api/generate: prompt (+ system) through the model's chat template, or with
// "raw": true as the bare prompt (GenerationRequest::messages empty, prompt set).
// An empty prompt only loads the model: `loadOnly` is set and nothing runs.
struct GenerateRequest {
    GenerationRequest request;
    bool raw = false;
    bool loadOnly = false;
};
ApiResult<GenerateRequest> parseGenerate(const json::Value& body);
// POST /api/embed ("input": string | [string]) and the older /api/embeddings ("prompt").
ApiResult<EmbeddingRequest> parseEmbed(const json::Value& body, bool legacy);

// "name:latest" -> "name"; other tags are kept (they are part of a name we do not know).
std::string modelName(std::string_view name);
// "stop" | "length"
const char* doneReason(assistant::StopReason reason);
// RFC 3339 UTC with nanoseconds, as Ollama writes created_at.
std::string timestamp(std::chrono::system_clock::time_point t);

// One streamed piece. chat: {"message": {"role", "content" | "thinking"}}, else
// {"response": text} ("thinking" beside it for reasoning).
json::Value chunk(bool chat, const std::string& model, std::string_view text, bool reasoning);
// The last object: done, done_reason, counts and durations; non-streaming answers
// also carry the whole text (streaming ones an empty message / response).
// tools: the calls found in a non-streamed chat answer (message.tool_calls, content
// the text around them).
json::Value final(bool chat, const std::string& model, const assistant::GenerateResult& result,
                     std::chrono::nanoseconds total, bool withText, const assistant::ParsedToolCalls* tools = nullptr);

// /api/tags entry and the /api/show body for a loaded model.
json::Value tagEntry(const std::string& name, const assistant::ModelInfo& info);
json::Value show(const assistant::ModelInfo& info);

// {"error": message}
json::Value errorBody(const ApiError& error);

}  // namespace server::ollama
