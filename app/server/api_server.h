// The local OpenAI-compatible API server (office-plugin mode). No Qt: the headless
// `assistant-cli serve` and the GUI's settings toggle both drive this class.
//
//   server::ServerOptions o;  o.modelPath = "...gguf";  o.apiKey = server::generateApiKey();
//   server::ApiServer api(o);
//   if (auto s = api.start(); !s) show(s.error().message);
//   show(api.url(), api.apiKey());          // e.g. "http://127.0.0.1:8765"
//   ...; api.stop();                        // also done by the destructor
//
// Endpoints: GET /health, GET /v1/models, GET /v1/models/{id}, POST /v1/chat/completions,
// POST /v1/completions, POST /v1/embeddings, GET /stats (counters, for tests and the UI),
// and the Ollama API under /api/ (ollama_protocol.h).
// Threads: start() returns after binding; HTTP runs on a pool of its own threads and
// models load on a background thread (requests get 503 "loading" until ready).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "assistant/engine.h"

namespace server {

struct ServerOptions {
    std::string host = "127.0.0.1";     // loopback unless the user asks for another address
    int port = 8765;                    // 0: any free port (port() tells which)
    std::string apiKey;                 // "": no token; else "Authorization: Bearer <key>" on all but /health
    int parallel = 2;                   // generation slots (independent sessions sharing the model)
    int maxQueue = 32;                  // requests that may wait for a slot; more get 429
    int queueTimeoutMs = 300000;        // a request waiting longer for a slot gets 503
    size_t maxBodyBytes = 8u << 20;     // larger request bodies get 413
    // Allowed browser origins: exact ("https://example.org") or a wildcard host
    // ("https://*.office.com"); "*" allows any. Allowed in addition to kDefaultCorsOrigins.
    std::vector<std::string> corsOrigins;
    std::string modelPath;              // chat model loaded by start() (or use setChatModel)
    std::string embedderPath;           // optional embedding model for /v1/embeddings
    std::string ragDbPath;              // optional document index: rag:<collection> models
    int contextLength = 0;              // per slot; 0: the engine's default
    // Continuous batching: the slots' sessions share one forward pass per step
    // (assistant::Batcher), run by `threads` engine threads; off: each slot decodes on
    // threads / parallel threads of its own.
    bool batching = true;
    int threads = 0;                    // engine threads; 0: physical cores (batching) or hardware threads
    assistant::ModelParams modelParams; // device, gpu layers, ... for models loaded here
    // Speculative decoding for requests without their own "speculative" (off by default).
    // With Draft::Model, `draft` names the draft model loaded beside the chat model.
    assistant::SpeculativeParams speculative;
    // A draft model for speculative decoding: a GGUF file with the chat model's vocabulary,
    // or "self:TYPE" (the chat model requantized at load, app/common/draft_choice.h).
    // Requests use it by this name ("speculative": {"draft": ...}); "" (default): none.
    std::string draft;
};

// localhost / 127.0.0.1 / [::1] on any port and scheme, and the Office web hosts
// that run add-ins (https://*.officeapps.live.com, *.office.com, *.office365.com,
// *.microsoft365.com, *.sharepoint.com).
extern const std::vector<std::string> kDefaultCorsOrigins;

struct ServerStats {
    uint64_t requests = 0;          // every HTTP request, preflights included
    uint64_t completions = 0;       // generations that ran to their end
    uint64_t cancelled = 0;         // generations stopped because the client went away (or stop())
    uint64_t rejected = 0;          // 429/503 for a full queue or a loading model
    uint64_t clientErrors = 0;      // other 4xx
    uint64_t generatedTokens = 0;   // over all generations
    uint64_t promptTokens = 0;
    int busySlots = 0;
    assistant::Batcher::Stats batch;  // continuous batching: passes, tokens, sequences (summed over passes)
    int queued = 0;
};

enum class ModelState { None, Loading, Ready, Failed };

// A random 32-character token for ServerOptions::apiKey (from std::random_device).
std::string generateApiKey();

class ApiServer {
public:
    explicit ApiServer(ServerOptions options);
    ~ApiServer();
    ApiServer(const ApiServer&) = delete;
    ApiServer& operator=(const ApiServer&) = delete;

    // Binds host:port and starts serving; loads options.modelPath / embedderPath in
    // the background. Fails (InvalidArgument / IoError) when the address cannot be bound.
    assistant::Status start();
    // Cancels running generations, closes the listener and joins every thread. Idempotent.
    void stop();
    bool isRunning() const;

    // Blocks until the models given in the options have loaded (or failed). For the CLI.
    ModelState waitForModels();
    ModelState modelState() const;
    std::string modelError() const;  // why loading failed

    // The GUI shares the model it already loaded instead of loading a second copy.
    // Running generations on the old model are cancelled.
    void setChatModel(std::shared_ptr<const assistant::Model> model);
    void setEmbedder(std::shared_ptr<const assistant::Model> model);

    int port() const;           // the bound port (after start)
    std::string url() const;    // "http://127.0.0.1:8765"
    const std::string& apiKey() const;
    ServerStats stats() const;

    struct Impl;

private:
    std::unique_ptr<Impl> m_impl;
};

}  // namespace server
