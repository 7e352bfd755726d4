#include "document_embedder.h"

namespace {
RemoteEmbedderConnector& slot() {
    static RemoteEmbedderConnector connector;
    return connector;
}
}  // namespace

void installRemoteEmbedderConnector(RemoteEmbedderConnector connector) { slot() = std::move(connector); }

std::expected<rag::Embedder, std::string> loadDocumentEmbedder(const QString& pathOrRemote, const QString& apiKey,
                                                               const QString& device) {
    if (!isRemoteModelPath(pathOrRemote)) return rag::Embedder::load(pathOrRemote.toStdString(), device.toStdString());
    QString url, model;
    if (!parseRemoteModelPath(pathOrRemote, url, model))
        return std::unexpected("'" + pathOrRemote.toStdString() + "' is not a remote server's address");
    if (!slot()) return std::unexpected(std::string("this build cannot reach remote servers (no HTTP client)"));
    return slot()(RemoteEndpoint{url.toStdString(), apiKey.toStdString(), model.toStdString()});
}
