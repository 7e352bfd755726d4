#include "remote_backend_impl.h"

#include "remote_chat.h"

namespace {

remote::Endpoint toRemote(const RemoteEndpoint& e) {
    remote::Endpoint out;
    out.baseUrl = e.baseUrl;
    out.apiKey = e.apiKey;
    out.model = e.model;
    return out;
}

class HttpRemoteBackend final : public RemoteBackend {
public:
    std::expected<std::vector<std::string>, std::string> listModels(const RemoteEndpoint& endpoint) override {
        return remote::listModels(toRemote(endpoint));
    }
    std::expected<RemoteReply, std::string> streamChat(const RemoteEndpoint& endpoint,
                                                       std::span<const assistant::Message> messages,
                                                       const assistant::GenerateParams& params,
                                                       const assistant::TokenSink& sink) override {
        auto reply = remote::streamChat(toRemote(endpoint), messages, params, sink);
        if (!reply) return std::unexpected(reply.error());
        return RemoteReply{reply->finishReason, reply->promptTokens, reply->completionTokens};
    }
};

}  // namespace

std::shared_ptr<RemoteBackend> makeRemoteBackend() { return std::make_shared<HttpRemoteBackend>(); }
