// summarize --remote: a remote OpenAI-compatible server writes the summaries
// (app/remote); the document is indexed and cut into sections here.
#include "chat_loop.h"
#include "rag/prompt.h"
#include "remote_chat.h"
#include "summarize_remote.h"

namespace cli {

std::expected<rag::SummaryWriter, std::string> remoteSummaryWriter(const std::string& url, const std::string& apiKey,
                                                                   const std::string& model, int contextTokens,
                                                                   std::string& banner) {
    auto id = checkRemoteServer(url, apiKey, model);
    if (!id) return std::unexpected(id.error());
    remote::Endpoint endpoint{url, apiKey, model};
    endpoint.model = *id;
    banner = "Remote: " + url + " (" + *id + "). The document's text is sent to that server.";
    rag::SummaryWriter w;
    w.contextTokens = contextTokens;
    w.cacheKey = "remote|" + url + "|" + *id;
    w.countTokens = [](std::string_view text) { return rag::estimateTokens(text); };
    w.countPrompt = [](const std::vector<assistant::Message>& messages) {
        int n = 16;  // the server's chat template
        for (const assistant::Message& m : messages) n += rag::estimateTokens(m.content) + 4;
        return n;
    };
    w.write = [endpoint](const std::vector<assistant::Message>& messages, const assistant::GenerateParams& params,
                         const std::function<bool(std::string_view)>& onPiece) -> std::expected<std::string, std::string> {
        auto reply = remote::streamChat(endpoint, messages, params, [&](std::string_view piece, const assistant::GenerateStats&) {
            return onPiece ? onPiece(piece) : true;
        });
        if (!reply) return std::unexpected(reply.error());
        return reply->text;
    };
    return w;
}

}  // namespace cli
