// chat --remote: the answers come from an OpenAI-compatible server (app/remote).
#include <algorithm>

#include "chat_loop.h"
#include "remote_chat.h"

namespace cli {

std::expected<ChatAnswerer, std::string> remoteChatAnswerer(const std::string& url, const std::string& apiKey,
                                                            const std::string& model,
                                                            const assistant::GenerateParams& params,
                                                            std::string& banner) {
    remote::Endpoint endpoint{url, apiKey, model};
    // Fail before the first question: an unreachable server or a wrong key says so now.
    auto models = remote::listModels(endpoint);
    if (!models) return std::unexpected(models.error());
    if (!model.empty() && std::find(models->begin(), models->end(), model) == models->end()) {
        std::string ids;
        for (const std::string& id : *models) ids += (ids.empty() ? "" : ", ") + id;
        return std::unexpected(url + " has no model '" + model + "' (it has: " + ids + ")");
    }
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
