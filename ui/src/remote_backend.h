// A remote OpenAI-compatible server as the chat model (vLLM, llama-server, Ollama's /v1,
// another machine's `assistant-cli serve`). ui/ links no HTTP library: the app installs
// the implementation (app/gui/remote_backend_impl.cpp, over app/remote); without one a
// remote model is refused with a clear message. The conversation and the document index
// stay on this computer; only one request's messages go out.
//
// A remote model is named by a path "remote:BASEURL#MODEL" ("remote:http://gpu:8000/v1#qwen3-8b";
// an empty MODEL takes the server's first), so it loads, reloads and shows like a file.
#pragma once

#include <QString>

#include <expected>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "assistant/engine.h"

struct RemoteEndpoint {
    std::string baseUrl;  // including the API prefix: "http://127.0.0.1:8765/v1"
    std::string apiKey;   // "Authorization: Bearer KEY" when not empty
    std::string model;    // the server's model id
};

struct RemoteReply {
    std::string finishReason;  // "stop", "length", "cancelled" ...
    int promptTokens = 0;      // from the server's usage, when it sends one
    int completionTokens = 0;
};

class RemoteBackend {
public:
    virtual ~RemoteBackend() = default;
    // The model ids the server offers, or why it cannot be used (unreachable, a wrong key).
    virtual std::expected<std::vector<std::string>, std::string> listModels(const RemoteEndpoint& endpoint) = 0;
    // Streams the answer through sink (which may return false to stop).
    virtual std::expected<RemoteReply, std::string> streamChat(const RemoteEndpoint& endpoint,
                                                               std::span<const assistant::Message> messages,
                                                               const assistant::GenerateParams& params,
                                                               const assistant::TokenSink& sink) = 0;

    // The process's implementation (set once by main() before the UI starts).
    static void install(std::shared_ptr<RemoteBackend> backend);
    static std::shared_ptr<RemoteBackend> installed();
};

// "remote:URL#MODEL" <-> (URL, MODEL).
bool isRemoteModelPath(const QString& path);
QString remoteModelPath(const QString& baseUrl, const QString& model);
// False unless path is a remote path with an http(s) URL.
bool parseRemoteModelPath(const QString& path, QString& baseUrl, QString& model);
