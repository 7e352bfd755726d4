// Dense text embeddings through the engine's public API (assistant::Model::embed):
// the default embedder shipped in resources/ or any GGUF embedding model (BERT family);
// or from another source of vectors, a remote server's /v1/embeddings
// (app/remote/remote_embedder.h), behind the same class.
#pragma once

#include <expected>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "assistant/engine.h"

namespace rag {

// Vectors from somewhere other than a local model. rag/ links no HTTP library: the
// remote implementation lives in app/remote.
class EmbeddingSource {
public:
    virtual ~EmbeddingSource() = default;
    // One vector per text, in order; errors say what failed (the server, the key...).
    // Called from any thread.
    virtual std::expected<std::vector<std::vector<float>>, std::string> embed(std::span<const std::string> texts) const = 0;
};

// The store's fileHash of a remote embedder: "remote:" + base URL + "#" + model id.
inline constexpr std::string_view kRemoteEmbedderPrefix = "remote:";

class Embedder {
public:
    // Loads an embedding model (Model::info().isEmbeddingModel must be true).
    // device: ModelParams::device for the encoder's layers ("cpu", "auto", "opencl:P.D").
    static std::expected<Embedder, std::string> load(const std::string& path, const std::string& device = "cpu");
    // Wraps an already loaded model; `fileHash` identifies its weights in the store.
    Embedder(std::shared_ptr<const assistant::Model> model, std::string fileHash);
    // Wraps another source: `name` and `identity` (stored as fileHash; for a remote server
    // "remote:URL#MODEL") tell its vectors apart in the store; dims as the source gives.
    // Its vectors are L2-normalized here (servers do not all normalize).
    Embedder(std::shared_ptr<const EmbeddingSource> source, std::string name, std::string identity, int dims);

    // True when vectors come from another machine (the texts go there).
    bool isRemote() const { return m_source != nullptr; }
    // For messages: "the local model use-lite" or "the remote model M at URL".
    std::string describe() const { return describeEmbedder(m_name, m_fileHash); }
    static std::string describeEmbedder(const std::string& name, const std::string& fileHash);

    // Stored in embedders.name: the model's general.name.
    const std::string& name() const { return m_name; }
    // sha256 of the file's size, first and last 4 MiB (hashing a whole large model
    // would take seconds for nothing: a changed model changes those too).
    const std::string& fileHash() const { return m_fileHash; }
    int dims() const { return m_dims; }
    // Languages its vectors are meaningful for (ISO 639-1): the file's general.languages;
    // USE-Lite (which does not say) is English-only; empty = every language.
    const std::vector<std::string>& languages() const { return m_languages; }
    // True for "" (unknown) and for every language when languages() is empty.
    bool covers(const std::string& language) const;

    // One L2-normalized float vector [dims] per text, in `batch`-sized calls.
    // Thread-safe (Model is immutable).
    std::expected<std::vector<std::vector<float>>, std::string> embed(const std::vector<std::string>& texts,
                                                                      int batch = 16) const;

private:
    std::shared_ptr<const assistant::Model> m_model;
    std::shared_ptr<const EmbeddingSource> m_source;  // instead of m_model
    std::string m_name;
    std::string m_fileHash;
    int m_dims = 0;
    std::vector<std::string> m_languages;
};

// The hash Embedder::load uses for a model file.
std::expected<std::string, std::string> modelFileHash(const std::string& path);

}  // namespace rag
