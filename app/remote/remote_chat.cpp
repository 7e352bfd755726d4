#include "remote_chat.h"

#include "json/json.h"
#include "remote_http.h"

namespace remote {

using json::Array;
using json::Object;
using json::Value;

namespace {

Value requestBody(const Endpoint& e, std::span<const assistant::Message> messages, const assistant::GenerateParams& p) {
    Array msgs;
    for (const assistant::Message& m : messages) msgs.push_back(Object{{"role", m.role}, {"content", m.content}});
    Value body = Object{{"messages", std::move(msgs)}, {"stream", true}, {"stream_options", Object{{"include_usage", true}}},
                        {"temperature", p.sampling.temperature}};
    if (!e.model.empty()) body.set("model", e.model);
    if (p.sampling.topP < 1) body.set("top_p", p.sampling.topP);
    if (p.maxTokens > 0) body.set("max_tokens", p.maxTokens);
    if (!p.stop.empty()) body.set("stop", Array(p.stop.begin(), p.stop.end()));
    if (p.sampling.seed != 0xFFFFFFFFull) body.set("seed", p.sampling.seed);
    return body;
}

// One SSE "data:" payload applied to the reply. False when the server reported an error.
bool applyEvent(const Value& event, Reply& reply, const assistant::TokenSink& sink, bool& stopped, std::string& error) {
    if (event.find("error")) {
        error = serverMessage(500, event.dump());
        return false;
    }
    const Value& usage = event["usage"];
    if (usage["prompt_tokens"].isNumber()) reply.promptTokens = static_cast<int>(usage["prompt_tokens"].asInt());
    if (usage["completion_tokens"].isNumber()) reply.completionTokens = static_cast<int>(usage["completion_tokens"].asInt());
    const Value& c = event["choices"][0];
    if (!c.isObject()) return true;
    if (c["finish_reason"].isString()) reply.finishReason = c["finish_reason"].asString();
    const Value& delta = c["delta"];
    assistant::GenerateStats stats;
    for (const char* key : {"reasoning_content", "reasoning", "content"}) {
        const std::string& text = delta[key].asString();  // "" when absent or not a string
        if (text.empty()) continue;
        const bool reasoning = std::string_view(key) != "content";
        (reasoning ? reply.reasoning : reply.text) += text;
        stats.channel = reasoning ? assistant::StreamChannel::Reasoning : assistant::StreamChannel::Content;
        stats.generatedTokens = ++reply.completionTokens;
        if (sink && !sink(text, stats)) stopped = true;
    }
    return true;
}

}  // namespace

std::expected<Reply, std::string> streamChat(const Endpoint& e, std::span<const assistant::Message> messages,
                                             const assistant::GenerateParams& params, const assistant::TokenSink& sink) {
    auto target = splitUrl(e.baseUrl);
    if (!target) return std::unexpected(target.error());
    auto http = client(e, *target);
    const std::string url = e.baseUrl + "/chat/completions";
    Reply reply;
    int status = 0;
    bool stopped = false, done = false;
    std::string pending, errorBody, error;
    httplib::Request req;
    req.method = "POST";
    req.path = target->prefix + "/chat/completions";
    req.set_header("Accept", "text/event-stream");
    req.body = requestBody(e, messages, params).dump();
    req.set_header("Content-Type", "application/json");
    req.response_handler = [&](const httplib::Response& r) {
        status = r.status;
        return true;
    };
    req.content_receiver = [&](const char* data, size_t size, uint64_t, uint64_t) {
        if (status != 200) {
            errorBody.append(data, std::min<size_t>(size, 65536 - std::min<size_t>(errorBody.size(), 65536)));
            return true;
        }
        pending.append(data, size);
        std::erase(pending, '\r');  // "\r\n" line ends: JSON text never holds a raw CR
        for (size_t end; (end = pending.find("\n\n")) != std::string::npos;) {
            const std::string block = pending.substr(0, end);
            pending.erase(0, end + 2);
            for (size_t pos = 0; pos < block.size();) {
                size_t eol = block.find('\n', pos);
                if (eol == std::string::npos) eol = block.size();
                std::string line = block.substr(pos, eol - pos);
                pos = eol + 1;
                if (!line.starts_with("data:")) continue;
                const std::string payload = line.substr(line.size() > 5 && line[5] == ' ' ? 6 : 5);
                if (payload == "[DONE]") {
                    done = true;
                    continue;
                }
                const auto event = Value::parse(payload);
                if (!event) {
                    error = url + " sent a chunk that is not JSON: " + payload.substr(0, 120);
                    return false;
                }
                if (!applyEvent(*event, reply, sink, stopped, error)) return false;
                if (stopped) return false;
            }
        }
        return true;
    };
    httplib::Response res;
    httplib::Error err = httplib::Error::Success;
    const bool ok = http->send(req, res, err);
    if (stopped) {
        reply.finishReason = "cancelled";
        return reply;
    }
    if (!error.empty()) return std::unexpected(error);
    if (!ok && status == 0) return std::unexpected(transportError(url, err, e.readTimeoutSeconds));
    if (status != 200) return std::unexpected(url + ": " + serverMessage(status, errorBody));
    if (!ok) return std::unexpected(transportError(url, err, e.readTimeoutSeconds));
    if (!done && reply.finishReason.empty())
        return std::unexpected(url + ": the answer stopped before its end (" + std::to_string(reply.text.size()) +
                               " characters received); the connection dropped or the server failed");
    return reply;
}

std::expected<std::vector<std::string>, std::string> listModels(const Endpoint& e) {
    auto target = splitUrl(e.baseUrl);
    if (!target) return std::unexpected(target.error());
    auto http = client(e, *target);
    const std::string url = e.baseUrl + "/models";
    auto res = http->Get(target->prefix + "/models");
    if (!res) return std::unexpected(transportError(url, res.error(), e.readTimeoutSeconds));
    if (res->status != 200) return std::unexpected(url + ": " + serverMessage(res->status, res->body));
    const auto j = Value::parse(res->body);
    if (!j || !(*j)["data"].isArray()) return std::unexpected(url + ": not a model list");
    std::vector<std::string> ids;
    for (const Value& m : (*j)["data"].asArray())
        if (m["id"].isString()) ids.push_back(m["id"].asString());
    return ids;
}

}  // namespace remote
