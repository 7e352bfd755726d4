// chat --remote: the answers come from an OpenAI-compatible server (app/remote).
#include <algorithm>

#include "chat_loop.h"
#include "remote_chat.h"

namespace cli {

namespace {

// Fails before the first request: an unreachable server, a wrong key or an unknown
// model says so now. Returns the model's id (the server's first when none is given).
std::expected<std::string, std::string> checkServer(const remote::Endpoint& endpoint) {
    auto models = remote::listModels(endpoint);
    if (!models) return std::unexpected(models.error());
    if (endpoint.model.empty()) {
        if (models->empty()) return std::unexpected(endpoint.baseUrl + " offers no model");
        return models->front();
    }
    if (std::find(models->begin(), models->end(), endpoint.model) == models->end()) {
        std::string ids;
        for (const std::string& id : *models) ids += (ids.empty() ? "" : ", ") + id;
        return std::unexpected(endpoint.baseUrl + " has no model '" + endpoint.model + "' (it has: " + ids + ")");
    }
    return endpoint.model;
}

}  // namespace

std::expected<std::string, std::string> checkRemoteServer(const std::string& url, const std::string& apiKey,
                                                          const std::string& model) {
    return checkServer(remote::Endpoint{url, apiKey, model});
}

std::expected<ChatAnswerer, std::string> remoteChatAnswerer(const std::string& url, const std::string& apiKey,
                                                            const std::string& model,
                                                            const assistant::GenerateParams& params,
                                                            std::string& banner) {
    remote::Endpoint endpoint{url, apiKey, model};
    if (auto checked = checkServer(endpoint); !checked) return std::unexpected(checked.error());
    banner = "Remote: " + url + (model.empty() ? "" : " (" + model + ")") + ". Your messages are sent to that server.";
    return [endpoint, params](const std::vector<assistant::Message>& messages,
                              const assistant::TokenSink& sink) -> std::expected<ChatTurn, std::string> {
        auto reply = remote::streamChat(endpoint, messages, params, sink);
        if (!reply) return std::unexpected(reply.error());
        return ChatTurn{reply->text, "[" + std::to_string(reply->completionTokens) + " tokens, " +
                                         (reply->finishReason.empty() ? "done" : reply->finishReason) + "]"};
    };
}

}  // namespace cli
