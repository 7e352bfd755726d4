#include "remote_embedder_impl.h"

#include "remote_embedder.h"

RemoteEmbedderConnector makeRemoteEmbedderConnector() {
    return [](const RemoteEndpoint& e) {
        remote::Endpoint endpoint{e.baseUrl, e.apiKey, e.model};
        endpoint.readTimeoutSeconds = 120;  // one batch of passages; longer silence is a stalled server
        return remote::connectEmbedder(endpoint);
    };
}
