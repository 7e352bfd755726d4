// A remote OpenAI-compatible /v1/embeddings (vLLM, llama-server, Ollama's /v1, OpenAI,
// another machine's `assistant-cli serve`) as the document index's embedder: the same
// rag::Embedder the local model is, so indexing and retrieval do not tell them apart.
// The texts (document chunks when indexing, questions when searching) go to that server.
//
//   auto e = remote::connectEmbedder({"http://gpu-box:8000/v1", key, "bge-m3"});
//   if (e) rag::Indexer(db, {.embedder = &*e}).run(paths);   // or a clear error
#pragma once

#include <expected>
#include <string>

#include "rag/embedder.h"
#include "remote_chat.h"

namespace remote {

// POST {baseUrl}/embeddings {"model", "input": [texts], "encoding_format": "float"},
// up to kMaxInputsPerRequest texts a request; the vectors come back in input order
// (the answer's `index` fields say which is which).
class EmbeddingClient : public rag::EmbeddingSource {
public:
    static constexpr size_t kMaxInputsPerRequest = 64;
    explicit EmbeddingClient(Endpoint endpoint) : m_endpoint(std::move(endpoint)) {}
    std::expected<std::vector<std::vector<float>>, std::string> embed(std::span<const std::string> texts) const override;
    // The model id the last answer named (the server's, when the endpoint names none).
    const Endpoint& endpoint() const { return m_endpoint; }

private:
    Endpoint m_endpoint;
};

// One short probe request learns the vectors' size and the model's id, so a wrong URL,
// key or model fails here, before any document is read. The Embedder is named by the
// model id and identified in the store as "remote:BASEURL#MODEL".
std::expected<rag::Embedder, std::string> connectEmbedder(const Endpoint& endpoint);

}  // namespace remote
