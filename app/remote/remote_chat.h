// A remote OpenAI-compatible server as the model: vLLM, llama-server, Ollama's /v1, a
// gateway, or another machine's `assistant-cli serve`. The conversation stays here and
// only the messages of one request go out; answers stream back like the local engine's
// (the same TokenSink, reasoning on its channel). No Qt: the CLI uses it, the app can.
//
//   remote::Endpoint e{"http://gpu-box:8000/v1", key, "qwen3-8b"};
//   auto reply = remote::streamChat(e, messages, params, sink);   // or a clear error
#pragma once

#include <expected>
#include <span>
#include <string>
#include <vector>

#include "assistant/engine.h"

namespace remote {

struct Endpoint {
    std::string baseUrl;  // including the API prefix: "http://127.0.0.1:8765/v1"
    std::string apiKey;   // sent as "Authorization: Bearer KEY" when not empty
    std::string model;    // the server's model id; empty: the server's default
    int connectTimeoutSeconds = 10;
    int readTimeoutSeconds = 300;  // a server silent this long mid-answer is given up on
};

struct Reply {
    std::string text;       // the Content channel
    std::string reasoning;  // reasoning_content / reasoning
    std::string finishReason;
    int promptTokens = 0;   // from the usage chunk, when the server sends one
    int completionTokens = 0;
};

// POST {baseUrl}/chat/completions with stream: true. params: temperature, top_p,
// max_tokens, stop and a fixed seed are sent (OpenAI's own fields only, so every
// server accepts them); the sink may return false to stop (the request is then
// abandoned and the reply so far returned with finishReason "cancelled"). Errors
// name the URL and what went wrong: unreachable, a status with the server's message
// (a wrong key, an unknown model, a 500), no data within the read timeout, or a
// stream that ended before its last chunk.
std::expected<Reply, std::string> streamChat(const Endpoint& endpoint, std::span<const assistant::Message> messages,
                                             const assistant::GenerateParams& params, const assistant::TokenSink& sink);

// GET {baseUrl}/models: the ids the server offers.
std::expected<std::vector<std::string>, std::string> listModels(const Endpoint& endpoint);

}  // namespace remote
