// The document index's embedder as the app names it: a GGUF file's path, or a remote
// server's /v1/embeddings as "remote:BASEURL#MODEL" (remote_backend.h's form; an empty
// MODEL takes the server's default). ui/ links no HTTP library: the app installs the
// remote connector (app/gui/remote_embedder_impl.cpp, over app/remote); without one a
// remote embedder is refused with a clear message. Only with rag/.
#pragma once

#include <QString>

#include <expected>
#include <functional>
#include <string>

#include "rag/embedder.h"
#include "remote_backend.h"

using RemoteEmbedderConnector = std::function<std::expected<rag::Embedder, std::string>(const RemoteEndpoint&)>;

// Set once by main() before the UI starts (or by a test).
void installRemoteEmbedderConnector(RemoteEmbedderConnector connector);

// Loads the file on `device` (cpu, auto: the first OpenCL GPU, or opencl:P.D), or connects to
// the server with apiKey (a request: call it off the GUI thread).
std::expected<rag::Embedder, std::string> loadDocumentEmbedder(const QString& pathOrRemote, const QString& apiKey,
                                                               const QString& device = QStringLiteral("cpu"));
