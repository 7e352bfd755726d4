// --remote-embeddings: a remote server's /v1/embeddings as the document embedder.
#include "cli_rag.h"
#include "remote_embedder.h"

namespace cli {

std::expected<rag::Embedder, std::string> remoteEmbedder(const std::string& url, const std::string& apiKey,
                                                         const std::string& model) {
    remote::Endpoint endpoint{url, apiKey, model};
    endpoint.readTimeoutSeconds = 120;  // one batch of chunks; a server silent this long is given up on
    return remote::connectEmbedder(endpoint);
}

}  // namespace cli
