// ApiServer's insides, shared by api_server.cpp (lifecycle, CORS, auth, models,
// embeddings), completion_routes.cpp (chat and legacy completions) and
// ollama_routes.cpp (the Ollama API).
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <httplib.h>

#include "api_server.h"
#include "connection_probe.h"
#include "json/json.h"
#include "openai_protocol.h"
#include "rag_answerer.h"
#include "slot_pool.h"

namespace server {

// One generation's state, shared by its handler and a streaming provider; the lease
// frees the slot when the last owner lets go. Made by Impl::startGeneration.
struct GenerationJob {
    std::shared_ptr<SlotPool::Lease> lease;
    std::shared_ptr<const assistant::Model> model;
    GenerationRequest request;
    bool chat = true;         // messages through the chat template; else request.prompt as it is
    std::string modelName;    // the name the answer carries
    json::Value sources;   // rag:<collection>: the prompt's numbered sources, else null
    assistant::ToolCallSyntax toolSyntax = assistant::ToolCallSyntax::Generic;  // the model's, for params.tools

    assistant::Result<assistant::GenerateResult> run(const assistant::TokenSink& sink);
};

// Engine errors as API errors: 400 for what the caller can fix, 500 for the rest.
ApiError engineError(const assistant::Error& e);
int64_t unixSeconds();

struct ApiServer::Impl {
    explicit Impl(ServerOptions o);

    // --- lifecycle (api_server.cpp)
    void installRoutes();
    void loadModels();

    // --- request plumbing (api_server.cpp)
    bool originAllowed(const std::string& origin) const;
    httplib::Server::HandlerResponse preRoute(const httplib::Request& req, httplib::Response& res);
    void postRoute(const httplib::Request& req, httplib::Response& res);
    // ollamaShape: {"error": "message"}, what Ollama clients read (the /api/ routes).
    void sendError(httplib::Response& res, const ApiError& error, bool ollamaShape = false);
    static bool isOllamaPath(const httplib::Request& req);
    void sendJson(httplib::Response& res, const json::Value& body, int status = 200);
    // 503 while loading / failed, 404 for an unknown name, 400 for the wrong kind of model.
    ApiResult<std::shared_ptr<const assistant::Model>> chatModelFor(const std::string& name) const;
    // The batcher the slots' sessions of `model` share (made on first use; a new model
    // gets a new one, the old one lives on in the sessions that still hold it).
    assistant::Result<std::shared_ptr<assistant::Batcher>> batcherFor(const std::shared_ptr<const assistant::Model>& model);
    ApiResult<std::shared_ptr<const assistant::Model>> embedderFor(const std::string& name) const;
    // The embedder chosen by request.model runs on a slot: vectors and the inputs' tokens.
    struct Embedded {
        std::vector<std::vector<float>> vectors;
        int tokens = 0;
        std::string model;  // as the request named it, else the file's id
    };
    ApiResult<Embedded> embedInputs(const EmbeddingRequest& request);
    ApiResult<std::shared_ptr<SlotPool::Lease>> acquireSlot(const std::function<bool()>& abandoned = {});
    ServerStats snapshot() const;

    // --- handlers
    void handleHealth(const httplib::Request& req, httplib::Response& res);
    void handleModels(const httplib::Request& req, httplib::Response& res);
    void handleModel(const httplib::Request& req, httplib::Response& res);
    void handleStats(const httplib::Request& req, httplib::Response& res);
    void handleEmbeddings(const httplib::Request& req, httplib::Response& res);
    // completion_routes.cpp: the model (or rag:<collection>) resolved, a slot and its
    // session ready, the documents' prompt prepared.
    ApiResult<std::shared_ptr<GenerationJob>> startGeneration(GenerationRequest request, bool chat,
                                                              const ConnectionProbe& probe);
    void account(const assistant::GenerateResult& result);  // counters of a finished generation
    // handleGeneration: parse, start (a slot), then answer whole or stream.
    void handleGeneration(const httplib::Request& req, httplib::Response& res, bool chat);
    void answerWhole(GenerationJob& job, const ResponseBuilder& builder, const ConnectionProbe& probe,
                     httplib::Response& res);
    void streamAnswer(std::shared_ptr<GenerationJob> job, const ResponseBuilder& builder, httplib::Response& res);
    // After a streamed answer: the finish chunk, the sources and the usage chunk.
    void sendStreamEnd(const GenerationJob& job, const ResponseBuilder& b, const assistant::GenerateResult& result,
                       bool calledTools, const std::function<bool(const std::string&)>& send);
    // ollama_routes.cpp: /api/tags, /api/show, /api/ps, /api/version, /api/chat,
    // /api/generate, /api/embed and /api/embeddings.
    void installOllamaRoutes();
    void handleOllamaShow(const httplib::Request& req, httplib::Response& res);
    void handleOllamaGeneration(const httplib::Request& req, httplib::Response& res, bool chat);
    void handleOllamaEmbed(const httplib::Request& req, httplib::Response& res, bool legacy);

    ServerOptions options;
    httplib::Server http;
    SlotPool slots;
    int boundPort = 0;
    std::thread listenThread;
    std::thread loaderThread;
    std::atomic<bool> running{false};
    std::atomic<bool> listenEnded{false};

    // Models: replaced under `mutex`, read as shared_ptr copies (a request keeps its model alive).
    mutable std::mutex mutex;
    std::condition_variable modelsSettled;
    ModelState state = ModelState::None;
    std::string loadError;
    std::shared_ptr<const assistant::Model> chatModel;
    std::shared_ptr<assistant::Batcher> batcher;  // of the model the slots last batched (ServerOptions::batching)
    std::shared_ptr<const assistant::Model> embedder;
    std::shared_ptr<const assistant::Model> draftModel;  // options.draft, loaded with the chat model
    std::string chatId;      // file stem: "stories260K"
    std::string embedderId;
    std::unique_ptr<RagAnswerer> rag;  // --db: rag:<collection> models; set once by loadModels

    std::atomic<uint64_t> requests{0}, completions{0}, cancelled{0}, rejected{0}, clientErrors{0};
    std::atomic<uint64_t> generatedTokens{0}, promptTokens{0};
    std::atomic<uint64_t> nextId{1};
};

// "/models/foo.Q4_K.gguf" -> "foo.Q4_K"
std::string modelIdFromPath(const std::string& path);

}  // namespace server
