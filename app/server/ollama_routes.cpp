// The Ollama API on the same server, port and key rule as /v1 (with --api-key the key
// is required as "Authorization: Bearer KEY", which Ollama clients can send), so tools
// that speak only Ollama work unchanged. Generation goes through the same slots,
// sessions and rag:<collection> models as the OpenAI routes (startGeneration); answers
// stream as NDJSON unless "stream": false. Errors are {"error": "..."} (sendError's
// Ollama shape, also for the key and origin checks and unknown /api/ paths).
#include <optional>

#include "ollama_protocol.h"
#include "server_impl.h"
#include "tool_protocol.h"

namespace server {

using json::Array;
using json::Object;
using json::Value;
using httplib::Request;
using httplib::Response;

namespace {

// The version Ollama clients see: the Ollama API level these routes follow.
constexpr const char* kOllamaApiVersion = "0.6.0";

}  // namespace

void ApiServer::Impl::installOllamaRoutes() {
    http.Get("/api/version", [this](const Request&, Response& r) { sendJson(r, Object{{"version", kOllamaApiVersion}}); });
    http.Get("/api/tags", [this](const Request&, Response& r) {
        Array models;
        std::lock_guard lock(mutex);
        if (chatModel) models.push_back(ollama::tagEntry(chatId + ":latest", chatModel->info()));
        if (embedder) models.push_back(ollama::tagEntry(embedderId + ":latest", embedder->info()));
        if (rag && chatModel)
            for (const std::string& c : rag->collections()) models.push_back(ollama::tagEntry("rag:" + c, chatModel->info()));
        sendJson(r, Object{{"models", std::move(models)}});
    });
    // Running models: both stay loaded for the server's lifetime.
    http.Get("/api/ps", [this](const Request&, Response& r) {
        Array models;
        std::lock_guard lock(mutex);
        for (const auto& [id, m] : {std::pair{chatId, chatModel}, std::pair{embedderId, embedder}}) {
            if (!m) continue;
            Value e = ollama::tagEntry(id + ":latest", m->info());
            e.set("expires_at", "9999-12-31T23:59:59Z");
            e.set("size_vram", 0);
            models.push_back(std::move(e));
        }
        sendJson(r, Object{{"models", std::move(models)}});
    });
    http.Post("/api/show", [this](const Request& q, Response& r) { handleOllamaShow(q, r); });
    http.Post("/api/chat", [this](const Request& q, Response& r) { handleOllamaGeneration(q, r, true); });
    http.Post("/api/generate", [this](const Request& q, Response& r) { handleOllamaGeneration(q, r, false); });
    http.Post("/api/embed", [this](const Request& q, Response& r) { handleOllamaEmbed(q, r, false); });
    http.Post("/api/embeddings", [this](const Request& q, Response& r) { handleOllamaEmbed(q, r, true); });
}

void ApiServer::Impl::handleOllamaShow(const Request& req, Response& res) {
    auto body = parseBody(req.body);
    if (!body) return sendError(res, body.error(), true);
    // "model", or "name" from older clients.
    const Value* name = body->find("model") ? body->find("model") : body->find("name");
    if (!name || !name->isString()) return sendError(res, {400, "'model' must be a string", "invalid_request_error", "model", ""}, true);
    const std::string id = ollama::modelName(name->asString());
    std::shared_ptr<const assistant::Model> m;
    {
        std::lock_guard lock(mutex);
        if (chatModel && (id == chatId || id.starts_with("rag:"))) m = chatModel;
        else if (embedder && id == embedderId) m = embedder;
    }
    if (!m) return sendError(res, {404, "model '" + name->asString() + "' not found", "invalid_request_error", "model", "model_not_found"}, true);
    sendJson(res, ollama::show(m->info()));
}

void ApiServer::Impl::handleOllamaGeneration(const Request& req, Response& res, bool chat) {
    const auto started = std::chrono::steady_clock::now();
    auto body = parseBody(req.body);
    if (!body) return sendError(res, body.error(), true);
    GenerationRequest request;
    bool useTemplate = true;
    if (chat) {
        auto parsed = ollama::parseChat(*body);
        if (!parsed) return sendError(res, parsed.error(), true);
        request = std::move(*parsed);
    } else {
        auto parsed = ollama::parseGenerate(*body);
        if (!parsed) return sendError(res, parsed.error(), true);
        if (parsed->loadOnly) {
            // An empty prompt asks for the model to be loaded: it is, or say why not.
            auto model = chatModelFor(parsed->request.model);
            if (!model) return sendError(res, model.error(), true);
            return sendJson(res, Object{{"model", parsed->request.model},
                                        {"created_at", ollama::timestamp(std::chrono::system_clock::now())},
                                        {"response", ""}, {"done", true}, {"done_reason", "load"}});
        }
        useTemplate = !parsed->raw;
        request = std::move(parsed->request);
    }
    const ConnectionProbe probe(req.local_addr, req.local_port, req.remote_addr, req.remote_port);
    auto job = startGeneration(std::move(request), useTemplate, probe);
    if (!job) return sendError(res, job.error(), true);
    // The answer names the model as the client did (":latest" and all).
    const std::string shownName = (*body)["model"].asString();
    auto elapsed = [started] { return std::chrono::steady_clock::now() - started; };

    if (!(*job)->request.stream) {
        int sinceCheck = 0;
        auto result = (*job)->run([&](std::string_view, const assistant::GenerateStats&) {
            if (++sinceCheck < 8) return true;
            sinceCheck = 0;
            return !probe.peerClosed();
        });
        if (!result) return sendError(res, engineError(result.error()), true);
        account(*result);
        if (result->stopReason == assistant::StopReason::Cancelled)
            return sendError(res, {503, "the generation was cancelled (client gone, server stopping or model replaced)", "server_error", "", "cancelled"}, true);
        const bool tools = chat && !(*job)->request.params.tools.empty();
        const assistant::ParsedToolCalls calls = tools ? toolCallsOf((*job)->request, (*job)->toolSyntax, result->text)
                                                       : assistant::ParsedToolCalls{};
        return sendJson(res, ollama::final(chat, shownName, *result, elapsed(), true, tools ? &calls : nullptr));
    }
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider("application/x-ndjson", [this, job = *job, chat, shownName, elapsed](size_t, httplib::DataSink& sink) {
        bool connected = true;
        auto send = [&](const Value& object) {
            const std::string line = dumpJson(object) + "\n";
            connected = connected && sink.write(line.data(), line.size());
            return connected;
        };
        // Tools offered: a call goes out whole, in its own chunk, once its JSON closes.
        std::optional<WholeToolCalls> tools;
        if (chat && !job->request.params.tools.empty()) tools.emplace(job->toolSyntax, job->request.params.tools);
        auto sendItems = [&](const std::vector<WholeToolCalls::Item>& items) {
            for (const WholeToolCalls::Item& item : items) {
                Value c = ollama::chunk(true, shownName, item.text, false);
                if (item.call) c.find("message")->set("tool_calls", ollamaToolCalls({*item.call}));
                send(c);
            }
            return connected;
        };
        auto result = job->run([&](std::string_view piece, const assistant::GenerateStats& st) {
            const bool reasoning = st.channel == assistant::StreamChannel::Reasoning;
            if (tools && !reasoning) return sendItems(tools->feed(piece));
            return send(ollama::chunk(chat, shownName, piece, reasoning));
        });
        if (tools) sendItems(tools->finish());
        if (!result) {
            send(ollama::errorBody(engineError(result.error())));  // headers are out: the error as the last line
        } else {
            account(*result);
            if (result->stopReason != assistant::StopReason::Cancelled)
                send(ollama::final(chat, shownName, *result, elapsed(), false));
        }
        if (connected) sink.done();
        job->lease.reset();
        return connected;
    });
}

void ApiServer::Impl::handleOllamaEmbed(const Request& req, Response& res, bool legacy) {
    const auto started = std::chrono::steady_clock::now();
    auto body = parseBody(req.body);
    if (!body) return sendError(res, body.error(), true);
    auto parsed = ollama::parseEmbed(*body, legacy);
    if (!parsed) return sendError(res, parsed.error(), true);
    auto embedded = embedInputs(*parsed);
    if (!embedded) return sendError(res, embedded.error(), true);
    auto numbers = [](const std::vector<float>& v) { return Array(v.begin(), v.end()); };
    if (legacy) return sendJson(res, Object{{"embedding", numbers(embedded->vectors.front())}});
    Array embeddings;
    for (const std::vector<float>& v : embedded->vectors) embeddings.push_back(numbers(v));
    const auto total = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - started);
    sendJson(res, Object{{"model", (*body)["model"].asString()}, {"embeddings", std::move(embeddings)},
                         {"total_duration", static_cast<int64_t>(total.count())}, {"load_duration", 0},
                         {"prompt_eval_count", embedded->tokens}});
}

}  // namespace server
