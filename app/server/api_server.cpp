#include "api_server.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstring>
#include <random>
#include <sys/socket.h>

#include "device_choice.h"
#include "draft_choice.h"
#include "server_impl.h"

namespace server {

using json::Array;
using json::Object;
using json::Value;
using httplib::Request;
using httplib::Response;

const std::vector<std::string> kDefaultCorsOrigins = {
    "http://localhost",  "http://localhost:*",  "https://localhost",  "https://localhost:*",
    "http://127.0.0.1",  "http://127.0.0.1:*",  "https://127.0.0.1",  "https://127.0.0.1:*",
    "http://[::1]",      "http://[::1]:*",      "https://[::1]",      "https://[::1]:*",
    "https://*.officeapps.live.com", "https://*.office.com", "https://*.office365.com",
    "https://*.microsoft365.com",    "https://*.sharepoint.com",
};

namespace {

// Glob over an origin ("scheme://host[:port]"): '*' matches any run of characters
// except '/', so "https://*.office.com" covers every subdomain and nothing else.
bool globMatch(std::string_view pattern, std::string_view text) {
    if (pattern.empty()) return text.empty();
    if (pattern[0] == '*') {
        for (size_t i = 0; i <= text.size(); ++i) {
            if (globMatch(pattern.substr(1), text.substr(i))) return true;
            if (i < text.size() && text[i] == '/') break;
        }
        return false;
    }
    return !text.empty() && pattern[0] == text[0] && globMatch(pattern.substr(1), text.substr(1));
}

void setHeaderOnce(Response& res, const char* key, const std::string& value) {
    if (!res.has_header(key)) res.set_header(key, value);
}

// Token comparison in time independent of where the first difference is.
bool sameSecret(const std::string& a, const std::string& b) {
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i % (b.empty() ? 1 : b.size())]);
    return diff == 0 && !b.empty();
}

}  // namespace

std::string modelIdFromPath(const std::string& path) {
    std::string name = path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
    if (name.size() > 5 && name.ends_with(".gguf")) name.resize(name.size() - 5);
    return name.empty() ? "model" : name;
}

std::string generateApiKey() {
    static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    std::random_device rd;
    std::uniform_int_distribution<int> pick(0, static_cast<int>(sizeof(kChars)) - 2);
    std::string key = "sk-local-";
    for (int i = 0; i < 32; ++i) key += kChars[pick(rd)];
    return key;
}

// ---------------------------------------------------------------------------
// Impl: routes and plumbing
// ---------------------------------------------------------------------------
ApiServer::Impl::Impl(ServerOptions o)
    : options(std::move(o)), slots(std::max(1, options.parallel), options.maxQueue) {
    // The user's origins add to the defaults (README: "add an add-in's own host"); they
    // never take localhost or the Office hosts away.
    options.corsOrigins.insert(options.corsOrigins.begin(), kDefaultCorsOrigins.begin(), kDefaultCorsOrigins.end());
}

bool ApiServer::Impl::originAllowed(const std::string& origin) const {
    return std::any_of(options.corsOrigins.begin(), options.corsOrigins.end(),
                       [&](const std::string& p) { return p == "*" || globMatch(p, origin); });
}

void ApiServer::Impl::sendJson(Response& res, const Value& body, int status) {
    res.status = status;
    res.set_content(dumpJson(body), "application/json");
}

void ApiServer::Impl::sendError(Response& res, const ApiError& error, bool ollamaShape) {
    res.status = error.status;
    res.set_content(ollamaShape ? dumpJson(Object{{"error", error.message}}) : errorJson(error), "application/json");
}

bool ApiServer::Impl::isOllamaPath(const Request& req) { return req.path.starts_with("/api/"); }

httplib::Server::HandlerResponse ApiServer::Impl::preRoute(const Request& req, Response& res) {
    requests.fetch_add(1);
    const std::string origin = req.get_header_value("Origin");
    if (req.method == "OPTIONS") {
        // CORS preflight (also Private Network Access: a public page asking for loopback).
        if (!origin.empty() && !originAllowed(origin)) {
            sendError(res, {403, "origin '" + origin + "' is not allowed (assistant-cli serve --cors-origin)",
                            "permission_error", "", "origin_not_allowed"}, isOllamaPath(req));
            return httplib::Server::HandlerResponse::Handled;
        }
        res.status = 204;
        res.set_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
        const std::string asked = req.get_header_value("Access-Control-Request-Headers");
        res.set_header("Access-Control-Allow-Headers", asked.empty() ? "Authorization, Content-Type" : asked);
        res.set_header("Access-Control-Allow-Private-Network", "true");
        res.set_header("Access-Control-Max-Age", "600");
        return httplib::Server::HandlerResponse::Handled;
    }
    // A browser page from another origin must not drive the assistant, not even with
    // "simple" requests that skip the preflight.
    if (!origin.empty() && !originAllowed(origin)) {
        sendError(res, {403, "origin '" + origin + "' is not allowed (assistant-cli serve --cors-origin)",
                        "permission_error", "", "origin_not_allowed"}, isOllamaPath(req));
        return httplib::Server::HandlerResponse::Handled;
    }
    if (!options.apiKey.empty() && req.path != "/health") {
        const std::string auth = req.get_header_value("Authorization");
        const std::string prefix = "Bearer ";
        const bool ok = auth.size() > prefix.size() && auth.compare(0, prefix.size(), prefix) == 0 &&
                        sameSecret(auth.substr(prefix.size()), options.apiKey);
        if (!ok) {
            res.set_header("WWW-Authenticate", "Bearer");
            sendError(res, {401, auth.empty() ? "missing API key: send 'Authorization: Bearer <key>'" : "invalid API key",
                            "authentication_error", "", "invalid_api_key"}, isOllamaPath(req));
            return httplib::Server::HandlerResponse::Handled;
        }
    }
    return httplib::Server::HandlerResponse::Unhandled;
}

void ApiServer::Impl::postRoute(const Request& req, Response& res) {
    const std::string origin = req.get_header_value("Origin");
    if (!origin.empty() && originAllowed(origin)) {
        setHeaderOnce(res, "Access-Control-Allow-Origin", origin);
        setHeaderOnce(res, "Vary", "Origin");
    }
    if (res.status == 429 || res.status == 503) rejected.fetch_add(1);
    else if (res.status >= 400 && res.status < 500) clientErrors.fetch_add(1);
}

assistant::Result<std::shared_ptr<assistant::Batcher>> ApiServer::Impl::batcherFor(
    const std::shared_ptr<const assistant::Model>& model) {
    std::lock_guard lock(mutex);
    if (batcher && batcher->model() == model) return batcher;
    assistant::BatcherParams bp;
    bp.threads = options.threads;
    auto made = assistant::Batcher::create(model, bp);
    if (!made) return std::unexpected(made.error());
    batcher = *made;
    return batcher;
}

ApiResult<std::shared_ptr<const assistant::Model>> ApiServer::Impl::chatModelFor(const std::string& name) const {
    std::lock_guard lock(mutex);
    if (state == ModelState::Loading && !chatModel)
        return std::unexpected(ApiError{503, "the model is still loading; retry in a moment", "server_error", "", "model_loading"});
    if (!chatModel) {
        const std::string why = state == ModelState::Failed ? "the model failed to load: " + loadError : "no chat model is loaded";
        return std::unexpected(ApiError{503, why, "server_error", "", "model_not_loaded"});
    }
    if (name.empty() || name == chatId || name == chatId + ".gguf" || name == "default") return chatModel;
    if (!embedderId.empty() && name == embedderId)
        return std::unexpected(ApiError{400, "'" + name + "' is an embedding model: use /v1/embeddings",
                                        "invalid_request_error", "model", "model_not_supported"});
    if (name.starts_with("rag:"))
        return std::unexpected(ApiError{404, "'" + name + "': no document index is open (assistant-cli serve --db FILE)",
                                        "invalid_request_error", "model", "model_not_found"});
    return std::unexpected(ApiError{404, "the model '" + name + "' does not exist; GET /v1/models lists the available ones",
                                    "invalid_request_error", "model", "model_not_found"});
}

ApiResult<std::shared_ptr<const assistant::Model>> ApiServer::Impl::embedderFor(const std::string& name) const {
    std::lock_guard lock(mutex);
    if (state == ModelState::Loading)
        return std::unexpected(ApiError{503, "the models are still loading; retry in a moment", "server_error", "", "model_loading"});
    if (embedder && (name.empty() || name == embedderId || name == embedderId + ".gguf")) return embedder;
    if (chatModel && (name == chatId || (name.empty() && !embedder))) return chatModel;
    if (name.empty())
        return std::unexpected(ApiError{503, "no embedding model is loaded (assistant-cli serve --embedder FILE)",
                                        "server_error", "", "model_not_loaded"});
    return std::unexpected(ApiError{404, "the model '" + name + "' does not exist; GET /v1/models lists the available ones",
                                    "invalid_request_error", "model", "model_not_found"});
}

ApiResult<std::shared_ptr<SlotPool::Lease>> ApiServer::Impl::acquireSlot(const std::function<bool()>& abandoned) {
    auto lease = slots.acquire(std::chrono::milliseconds(options.queueTimeoutMs), abandoned);
    if (lease) return *lease;
    switch (lease.error()) {
        case SlotPool::Rejection::QueueFull:
            return std::unexpected(ApiError{429, "the server is busy: all " + std::to_string(slots.size()) +
                                                     " slots are generating and the queue is full; retry later",
                                            "rate_limit_error", "", "server_busy"});
        case SlotPool::Rejection::Timeout:
            return std::unexpected(ApiError{503, "timed out waiting for a free generation slot", "server_error", "", "queue_timeout"});
        case SlotPool::Rejection::Abandoned:
            return std::unexpected(ApiError{499, "the client closed the connection while queued", "invalid_request_error", "", "client_closed"});
        case SlotPool::Rejection::Stopped: break;
    }
    return std::unexpected(ApiError{503, "the server is shutting down", "server_error", "", "shutting_down"});
}

void ApiServer::Impl::handleHealth(const Request&, Response& res) {
    std::lock_guard lock(mutex);
    const char* status = state == ModelState::Ready ? "ok" : state == ModelState::Loading ? "loading"
                         : state == ModelState::Failed ? "error" : "no_model";
    Value body = Object{{"status", status}, {"slots", slots.size()}, {"busy", slots.busy()}, {"queued", slots.queued()}};
    if (chatModel) body.set("model", chatId);
    if (state == ModelState::Failed) body.set("error", loadError);
    sendJson(res, body, state == ModelState::Ready ? 200 : 503);
}

void ApiServer::Impl::handleModels(const Request&, Response& res) {
    Array data;
    std::lock_guard lock(mutex);
    auto entry = [](const std::string& id, const std::shared_ptr<const assistant::Model>& m, const char* kind) {
        Value e = Object{{"id", id}, {"object", "model"}, {"created", 0}, {"owned_by", "local"}, {"kind", kind}};
        if (m) {
            e.set("architecture", m->info().architecture);
            e.set("context_length", m->info().contextLength);
        }
        return e;
    };
    if (chatModel) data.push_back(entry(chatId, chatModel, "chat"));
    if (embedder) data.push_back(entry(embedderId, embedder, "embedding"));
    if (rag && chatModel)
        for (const std::string& c : rag->collections()) data.push_back(entry("rag:" + c, chatModel, "rag"));
    sendJson(res, Object{{"object", "list"}, {"data", std::move(data)}});
}

void ApiServer::Impl::handleModel(const Request& req, Response& res) {
    const std::string id = req.matches.size() > 1 ? req.matches[1].str() : "";
    std::lock_guard lock(mutex);
    bool ragModel = false;
    ragModel = rag && chatModel && id.starts_with("rag:") && rag->hasCollection(id.substr(4));
    if ((chatModel && id == chatId) || (embedder && id == embedderId) || ragModel)
        return sendJson(res, Object{{"id", id}, {"object", "model"}, {"created", 0}, {"owned_by", "local"}});
    sendError(res, {404, "the model '" + id + "' does not exist", "invalid_request_error", "model", "model_not_found"});
}

ServerStats ApiServer::Impl::snapshot() const {
    ServerStats s;
    s.requests = requests;
    s.completions = completions;
    s.cancelled = cancelled;
    s.rejected = rejected;
    s.clientErrors = clientErrors;
    s.generatedTokens = generatedTokens;
    s.promptTokens = promptTokens;
    s.busySlots = slots.busy();
    s.queued = slots.queued();
    std::lock_guard lock(mutex);
    if (batcher) s.batch = batcher->stats();
    return s;
}

void ApiServer::Impl::handleStats(const Request&, Response& res) {
    const ServerStats s = snapshot();
    Object out{{"requests", s.requests}, {"completions", s.completions}, {"cancelled", s.cancelled},
               {"rejected", s.rejected}, {"client_errors", s.clientErrors},
               {"generated_tokens", s.generatedTokens}, {"prompt_tokens", s.promptTokens},
               {"slots", slots.size()}, {"busy_slots", s.busySlots}, {"queued", s.queued},
               {"batch", Object{{"passes", s.batch.passes}, {"tokens", s.batch.tokens},
                                {"sequences", s.batch.sequences}}}};
    // The chat model's hot-expert cache (a MoE model's experts in host memory, --gpu-mem).
    if (auto model = chatModelFor(""); model && (*model)->info().hotExpertsPerLayer > 0) {
        const assistant::Model::HotExpertStats h = (*model)->hotExperts();
        out.emplace_back("hot_experts", Object{{"per_layer", (*model)->info().hotExpertsPerLayer},
                                               {"experts", (*model)->info().expertCount}, {"picks", h.picks},
                                               {"hits", h.hits}, {"hit_rate", h.hitRate()}, {"swaps", h.swaps},
                                               {"refreshes", h.refreshes}});
    }
    sendJson(res, out);
}

ApiResult<ApiServer::Impl::Embedded> ApiServer::Impl::embedInputs(const EmbeddingRequest& request) {
    auto model = embedderFor(request.model);
    if (!model) return std::unexpected(model.error());
    auto lease = acquireSlot();  // embedding competes for the same CPU as generation
    if (!lease) return std::unexpected(lease.error());
    auto vectors = (*model)->embed(request.inputs);
    if (!vectors) {
        const bool caller = vectors.error().code == assistant::ErrorCode::NotImplemented ||
                            vectors.error().code == assistant::ErrorCode::InvalidArgument;
        return std::unexpected(ApiError{caller ? 400 : 500, "embedding failed: " + vectors.error().message,
                                        caller ? "invalid_request_error" : "server_error", "model", ""});
    }
    Embedded out{std::move(*vectors), 0, request.model.empty() ? modelIdFromPath((*model)->info().path) : request.model};
    for (const std::string& text : request.inputs)
        if (auto ids = (*model)->tokenize(text)) out.tokens += static_cast<int>(ids->size());
    return out;
}

void ApiServer::Impl::handleEmbeddings(const Request& req, Response& res) {
    auto body = parseBody(req.body);
    if (!body) return sendError(res, body.error());
    auto parsed = parseEmbeddingRequest(*body);
    if (!parsed) return sendError(res, parsed.error());
    auto embedded = embedInputs(*parsed);
    if (!embedded) return sendError(res, embedded.error());
    Array data;
    for (size_t i = 0; i < embedded->vectors.size(); ++i) {
        const std::vector<float>& v = embedded->vectors[i];
        Value e = Object{{"object", "embedding"}, {"index", i}};
        if (parsed->base64) e.set("embedding", base64Encode(v.data(), v.size() * sizeof(float)));  // x86: little-endian
        else e.set("embedding", Array(v.begin(), v.end()));
        data.push_back(std::move(e));
    }
    sendJson(res, Object{{"object", "list"}, {"data", std::move(data)}, {"model", embedded->model},
                         {"usage", Object{{"prompt_tokens", embedded->tokens}, {"total_tokens", embedded->tokens}}}});
}

void ApiServer::Impl::installRoutes() {
    http.set_pre_routing_handler([this](const Request& q, Response& r) { return preRoute(q, r); });
    http.set_post_routing_handler([this](const Request& q, Response& r) { postRoute(q, r); });
    // Errors httplib raises itself (unknown path 404, body over the limit 413, a request
    // it cannot parse 400) get an OpenAI-style body too; our own errors keep theirs.
    http.set_error_handler(httplib::Server::HandlerWithResponse([this](const Request& q, Response& r) {
        if (!r.body.empty() || r.is_chunked_content_provider_) return httplib::Server::HandlerResponse::Unhandled;
        ApiError e{r.status, "", "invalid_request_error", "", ""};
        if (r.status == 404) e.message = "unknown endpoint: " + q.method + " " + q.path, e.code = "not_found";
        else if (r.status == 413) e.message = "the request body is larger than " + std::to_string(options.maxBodyBytes) + " bytes", e.code = "body_too_large";
        else if (r.status == 405) e.message = "method not allowed";
        else e.message = "bad request";
        if (r.status >= 500) e.type = "server_error";
        sendError(r, e, isOllamaPath(q));
        return httplib::Server::HandlerResponse::Handled;
    }));
    http.set_exception_handler([this](const Request& q, Response& r, std::exception_ptr ep) {
        std::string what = "internal error";
        try {
            if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
            what = std::string("internal error: ") + e.what();
        } catch (...) {
        }
        sendError(r, {500, what, "server_error", "", ""}, isOllamaPath(q));
    });
    http.Get("/health", [this](const Request& q, Response& r) { handleHealth(q, r); });
    http.Get("/v1/models", [this](const Request& q, Response& r) { handleModels(q, r); });
    http.Get(R"(/v1/models/(.+))", [this](const Request& q, Response& r) { handleModel(q, r); });
    http.Get("/stats", [this](const Request& q, Response& r) { handleStats(q, r); });
    http.Post("/v1/chat/completions", [this](const Request& q, Response& r) { handleGeneration(q, r, true); });
    http.Post("/v1/completions", [this](const Request& q, Response& r) { handleGeneration(q, r, false); });
    http.Post("/v1/embeddings", [this](const Request& q, Response& r) { handleEmbeddings(q, r); });
    installOllamaRoutes();
}

void ApiServer::Impl::loadModels() {
    std::string error;
    std::shared_ptr<const assistant::Model> chat;
    if (!options.modelPath.empty()) {
        auto loaded = assistant::Model::load(options.modelPath, options.modelParams);
        if (loaded) chat = *loaded;
        else error = options.modelPath + ": " + loaded.error().message;
    }
    std::shared_ptr<const assistant::Model> draft;
    if (chat && !options.draft.empty()) {
        auto loaded = app::loadDraftModel(options.draft, options.modelPath, *chat);
        if (loaded) draft = *loaded;
        else error = "draft " + options.draft + ": " + loaded.error().message;
    }
    std::shared_ptr<const assistant::Model> emb;
    if (error.empty() && !options.embedderPath.empty()) {
        auto loaded = assistant::Model::load(options.embedderPath, options.modelParams);
        if (loaded) emb = *loaded;
        else error = options.embedderPath + ": " + loaded.error().message;
    }
    std::unique_ptr<RagAnswerer> ragOpened;
    if (error.empty() && !options.ragDbPath.empty()) {
        auto opened = RagAnswerer::open(options.ragDbPath, emb, options.embedderPath);
        if (opened) ragOpened = std::move(*opened);
        else error = opened.error().message;
    }
    std::lock_guard lock(mutex);
    rag = std::move(ragOpened);
    if (chat) {
        chatModel = chat;
        chatId = modelIdFromPath(options.modelPath);
        draftModel = draft;
        options.speculative.draftModel = draft;  // the default for requests that do not choose
    }
    if (emb) {
        embedder = emb;
        embedderId = modelIdFromPath(options.embedderPath);
    }
    state = error.empty() ? ModelState::Ready : ModelState::Failed;
    loadError = error;
    modelsSettled.notify_all();
}

// ---------------------------------------------------------------------------
// ApiServer
// ---------------------------------------------------------------------------
ApiServer::ApiServer(ServerOptions options) : m_impl(std::make_unique<Impl>(std::move(options))) {}

ApiServer::~ApiServer() { stop(); }

assistant::Status ApiServer::start() {
    Impl& d = *m_impl;
    if (d.running) return {};
    // A client that hangs up mid-stream must not kill the process with SIGPIPE.
    std::signal(SIGPIPE, SIG_IGN);
    const ServerOptions& o = d.options;
    if (o.parallel < 1 || o.maxQueue < 0 || o.maxBodyBytes == 0)
        return std::unexpected(assistant::Error{assistant::ErrorCode::InvalidArgument, "parallel must be >= 1, queue >= 0, max body > 0"});
    if (const std::string why = app::deviceChoiceError(o.modelParams.device); !why.empty())
        return std::unexpected(assistant::Error{assistant::ErrorCode::InvalidArgument, why});
    // Threads: every slot, every waiter, plus room for /health, /v1/models and idle keep-alive connections.
    const size_t threads = static_cast<size_t>(o.parallel + o.maxQueue + 16);
    d.http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    d.http.set_payload_max_length(o.maxBodyBytes);
    d.http.set_tcp_nodelay(true);  // SSE pieces are tiny: no Nagle delay on the first token
    // httplib's default adds SO_REUSEPORT, which lets a second server share the port
    // (the kernel would split requests between them); keep only SO_REUSEADDR.
    d.http.set_socket_options([](socket_t sock) {
        int yes = 1;
        setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    d.http.set_keep_alive_timeout(5);
    d.http.set_read_timeout(30);
    d.http.set_write_timeout(30);
    d.installRoutes();
    if (o.port == 0) {
        d.boundPort = d.http.bind_to_any_port(o.host);
        if (d.boundPort <= 0) d.boundPort = 0;
    } else if (d.http.bind_to_port(o.host, o.port)) {
        d.boundPort = o.port;
    }
    if (d.boundPort == 0)
        return std::unexpected(assistant::Error{assistant::ErrorCode::IoError,
                                                "cannot listen on " + o.host + ":" + std::to_string(o.port) +
                                                    " (address in use, or not an address of this machine)"});
    d.running = true;
    {
        std::lock_guard lock(d.mutex);
        if (!o.modelPath.empty() || !o.embedderPath.empty() || !o.ragDbPath.empty()) d.state = ModelState::Loading;
    }
    if (d.state == ModelState::Loading) d.loaderThread = std::thread([&d] { d.loadModels(); });
    d.listenEnded = false;
    d.listenThread = std::thread([&d] {
        d.http.listen_after_bind();
        d.listenEnded = true;
    });
    // httplib's stop() only acts once the accept loop runs: return when it does, so an
    // immediate stop() cannot be lost (and leave the listener thread running forever).
    while (!d.http.is_running() && !d.listenEnded) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return {};
}

void ApiServer::stop() {
    Impl& d = *m_impl;
    if (!d.running.exchange(false)) return;
    d.slots.stop();
    if (d.loaderThread.joinable()) d.loaderThread.join();  // loading is not interruptible; it ends on its own
    d.http.stop();
    if (d.listenThread.joinable()) d.listenThread.join();
}

bool ApiServer::isRunning() const { return m_impl->running; }

ModelState ApiServer::waitForModels() {
    std::unique_lock lock(m_impl->mutex);
    m_impl->modelsSettled.wait(lock, [&] { return m_impl->state != ModelState::Loading; });
    return m_impl->state;
}

ModelState ApiServer::modelState() const {
    std::lock_guard lock(m_impl->mutex);
    return m_impl->state;
}

std::string ApiServer::modelError() const {
    std::lock_guard lock(m_impl->mutex);
    return m_impl->loadError;
}

void ApiServer::setChatModel(std::shared_ptr<const assistant::Model> model) {
    {
        std::lock_guard lock(m_impl->mutex);
        m_impl->chatModel = std::move(model);
        m_impl->chatId = m_impl->chatModel ? modelIdFromPath(m_impl->chatModel->info().path) : "";
        if (m_impl->state != ModelState::Loading) m_impl->state = m_impl->chatModel ? ModelState::Ready : ModelState::None;
        m_impl->modelsSettled.notify_all();
    }
    m_impl->slots.cancelAll();
}

void ApiServer::setEmbedder(std::shared_ptr<const assistant::Model> model) {
    std::lock_guard lock(m_impl->mutex);
    m_impl->embedder = std::move(model);
    m_impl->embedderId = m_impl->embedder ? modelIdFromPath(m_impl->embedder->info().path) : "";
}

int ApiServer::port() const { return m_impl->boundPort; }

std::string ApiServer::url() const {
    const std::string& h = m_impl->options.host;
    const bool v6 = h.find(':') != std::string::npos;
    const std::string shown = h == "0.0.0.0" ? "127.0.0.1" : v6 ? "[" + h + "]" : h;
    return "http://" + shown + ":" + std::to_string(m_impl->boundPort);
}

const std::string& ApiServer::apiKey() const { return m_impl->options.apiKey; }

ServerStats ApiServer::stats() const { return m_impl->snapshot(); }

}  // namespace server
