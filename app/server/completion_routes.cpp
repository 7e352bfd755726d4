// POST /v1/chat/completions and POST /v1/completions, JSON or SSE.
//
// A request parses and validates its body, resolves the model, then waits for a
// generation slot (429 when the queue is full). Only then is the answer's status
// decided: JSON answers run the generation inside the handler; SSE answers run it
// inside httplib's chunked content provider, one "data:" event per piece, so a write
// that fails (the client went away) returns false from the token sink and the engine
// stops within one token; JSON answers peek at their socket every 8 tokens instead. The lease travels with the provider and frees the slot when
// httplib destroys the response, whether or not the provider ever ran.
#include <chrono>
#include <optional>
#include <thread>

#include "server_impl.h"
#include "tool_protocol.h"

namespace server {

using json::Value;
using httplib::Request;
using httplib::Response;

ApiError engineError(const assistant::Error& e) {
    switch (e.code) {
        case assistant::ErrorCode::ContextFull:
            return {400, e.message, "invalid_request_error", "messages", "context_length_exceeded"};
        case assistant::ErrorCode::InvalidArgument:
        case assistant::ErrorCode::TemplateError:
            return {400, e.message, "invalid_request_error", "", ""};
        default:
            return {500, std::string(assistant::errorCodeName(e.code)) + ": " + e.message, "server_error", "", ""};
    }
}

int64_t unixSeconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

assistant::Result<assistant::GenerateResult> GenerationJob::run(const assistant::TokenSink& sink) {
    assistant::Session& session = *lease->slot().session;
    if (chat) return session.generate(request.messages, request.params, sink);
    return session.generate(std::string_view(request.prompt), request.params, sink);
}

namespace {

Value citationsFor(const std::string& answer, const Value& sources) { return RagAnswerer::citations(answer, sources); }

}  // namespace

void ApiServer::Impl::account(const assistant::GenerateResult& r) {
    generatedTokens += static_cast<uint64_t>(r.stats.generatedTokens);
    promptTokens += static_cast<uint64_t>(r.stats.promptTokens);
    if (r.stopReason == assistant::StopReason::Cancelled) cancelled++;
    else completions++;
}

ApiResult<std::shared_ptr<GenerationJob>> ApiServer::Impl::startGeneration(GenerationRequest request, bool chat,
                                                                           const ConnectionProbe& probe) {
    // rag:<collection> answers from the document index with the chat model.
    const bool ragRequest = chat && request.model.starts_with("rag:");
    auto model = chatModelFor(ragRequest ? std::string() : request.model);
    if (!model) return std::unexpected(model.error());
    // The tool-call syntax is the model's: a required call's grammar is built for it.
    const assistant::ToolCallSyntax toolSyntax = (*model)->toolCallSyntax();
    if (auto e = applyToolChoice(request, toolSyntax)) return std::unexpected(*e);
    if (request.speculativeGiven && request.params.speculative.draft == assistant::SpeculativeParams::Draft::Model) {
        std::lock_guard lock(mutex);  // only the draft loaded beside the model (serve --draft) may be named
        if (!draftModel || request.draftName != options.draft)
            return std::unexpected(ApiError{400, "'speculative.draft': '" + request.draftName + "' is not " +
                                                     (draftModel ? "this server's draft model ('" + options.draft + "')"
                                                                 : "available: the server has no draft model (serve --draft)"),
                                            "invalid_request_error", "speculative.draft", ""});
        request.params.speculative.draftModel = draftModel;
    }
    RagAnswerer* ragAnswerer = nullptr;
    if (ragRequest) {
        std::lock_guard lock(mutex);
        ragAnswerer = rag.get();
    }
    if (ragRequest && !ragAnswerer)
        return std::unexpected(ApiError{404, "'" + request.model + "': no document index is open (assistant-cli serve --db FILE)",
                                        "invalid_request_error", "model", "model_not_found"});
    // A request waiting in the queue notices a hang-up through the probe.
    auto lease = acquireSlot([&probe] { return probe.peerClosed(); });
    if (!lease) {
        if (lease.error().status == 499) cancelled++;
        return std::unexpected(lease.error());
    }
    SlotPool::Slot& slot = (*lease)->slot();
    if (!slot.session || slot.session->model() != *model) {
        assistant::SessionParams sp;
        sp.contextLength = options.contextLength;
        if (options.batching) {
            auto batcher = batcherFor(*model);
            if (!batcher) return std::unexpected(engineError(batcher.error()));
            sp.batcher = std::move(*batcher);
        } else {
            const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
            sp.threads = options.threads > 0 ? std::max(1, options.threads / slots.size()) : std::max(1, hw / slots.size());
        }
        auto session = assistant::Session::create(*model, sp);
        if (!session) return std::unexpected(engineError(session.error()));
        slot.session = std::move(*session);
    }
    auto job = std::make_shared<GenerationJob>();
    job->lease = *lease;
    job->model = *model;
    job->chat = chat;
    job->toolSyntax = toolSyntax;
    job->modelName = request.model.empty() ? chatId : request.model;
    job->request = std::move(request);
    job->request.params.cancel = &slot.cancel;
    if (!job->request.speculativeGiven) job->request.params.speculative = options.speculative;
    if (ragRequest) {
        const int answer = job->request.params.maxTokens > 0 ? job->request.params.maxTokens : 512;
        auto prompt = ragAnswerer->prepare(job->request.model.substr(4), job->request.messages, *model,
                                           slot.session->contextSize(), answer);
        if (!prompt) return std::unexpected(prompt.error());
        job->request.messages = std::move(prompt->messages);
        job->sources = std::move(prompt->sources);
    }
    return job;
}

void ApiServer::Impl::handleGeneration(const Request& req, Response& res, bool chat) {
    auto body = parseBody(req.body);
    if (!body) return sendError(res, body.error());
    auto parsed = chat ? parseChatRequest(*body) : parseCompletionRequest(*body);
    if (!parsed) return sendError(res, parsed.error());
    // Lets a request that waits in the queue, or generates a JSON answer, notice a hang-up.
    const ConnectionProbe probe(req.local_addr, req.local_port, req.remote_addr, req.remote_port);
    auto started = startGeneration(std::move(*parsed), chat, probe);
    if (!started) return sendError(res, started.error());
    std::shared_ptr<GenerationJob> job = std::move(*started);
    const std::string id = (chat ? "chatcmpl-" : "cmpl-") + std::to_string(unixSeconds()) + "-" + std::to_string(nextId++);
    const ResponseBuilder builder(chat, job->modelName, id, unixSeconds());
    if (job->request.stream) streamAnswer(std::move(job), builder, res);
    else answerWhole(*job, builder, probe, res);
}

void ApiServer::Impl::answerWhole(GenerationJob& job, const ResponseBuilder& builder, const ConnectionProbe& probe,
                                  Response& res) {
    // Nothing is written until the end, so look at the socket every few tokens.
    int sinceCheck = 0;
    auto result = job.run([&](std::string_view, const assistant::GenerateStats&) {
        if (++sinceCheck < 8) return true;
        sinceCheck = 0;
        return !probe.peerClosed();
    });
    if (!result) return sendError(res, engineError(result.error()));
    account(*result);
    if (result->stopReason == assistant::StopReason::Cancelled)
        return sendError(res, {503, "the generation was cancelled (client gone, server stopping or model replaced)", "server_error", "", "cancelled"});
    const bool tools = job.chat && !job.request.params.tools.empty();
    const assistant::ParsedToolCalls calls = tools ? toolCallsOf(job.request, job.toolSyntax, result->text)
                                                   : assistant::ParsedToolCalls{};
    Value answer = builder.full(*result, job.request.echo ? std::string_view(job.request.prompt) : std::string_view(),
                                tools ? &calls : nullptr);
    if (!job.sources.isNull()) answer.set("citations", citationsFor(result->text, job.sources));
    sendJson(res, answer);
}

void ApiServer::Impl::streamAnswer(std::shared_ptr<GenerationJob> job, const ResponseBuilder& builder, Response& res) {
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");
    res.set_chunked_content_provider("text/event-stream", [this, job, builder](size_t, httplib::DataSink& sink) {
        bool connected = true;
        auto send = [&](const std::string& event) {
            connected = connected && sink.write(event.data(), event.size());
            return connected;
        };
        const ResponseBuilder& b = builder;
        if (job->chat) send(sseEvent(b.roleChunk()));
        else if (job->request.echo) send(sseEvent(b.deltaChunk(job->request.prompt, false)));
        // Tools offered: content goes through the parser, calls out as delta.tool_calls.
        std::optional<ToolCallDeltas> tools;
        if (job->chat && !job->request.params.tools.empty()) tools.emplace(job->toolSyntax, job->request.params.tools);
        auto sendDeltas = [&](const std::vector<Value>& deltas) {
            for (const Value& d : deltas) send(sseEvent(b.chatChunk(d)));
            return connected;
        };
        auto result = job->run([&](std::string_view piece, const assistant::GenerateStats& st) {
            const bool reasoning = st.channel == assistant::StreamChannel::Reasoning;
            if (tools && !reasoning) return sendDeltas(tools->feed(piece));
            return send(sseEvent(b.deltaChunk(piece, reasoning)));
        });
        if (tools) sendDeltas(tools->finish());
        if (!result) send(sseEvent(errorBody(engineError(result.error()))));  // headers are out: OpenAI's mid-stream error
        else sendStreamEnd(*job, b, *result, tools && tools->calledTools(), send);
        send(std::string(kSseDone));
        if (connected) sink.done();
        job->lease.reset();  // free the slot now, not when httplib gets round to destroying the response
        return connected;
    });
}

void ApiServer::Impl::sendStreamEnd(const GenerationJob& job, const ResponseBuilder& b, const assistant::GenerateResult& result,
                                    bool calledTools, const std::function<bool(const std::string&)>& send) {
    account(result);
    if (result.stopReason == assistant::StopReason::Cancelled) return;
    send(sseEvent(b.finishChunk(result.stopReason, calledTools)));
    if (!job.sources.isNull()) {
        // The sources as one extra chunk with no choices, like the usage chunk.
        Value event = b.usageChunk(result.stats);
        event.erase("usage");
        event.set("citations", citationsFor(result.text, job.sources));
        send(sseEvent(event));
    }
    if (job.request.includeUsage) send(sseEvent(b.usageChunk(result.stats)));
}

}  // namespace server
