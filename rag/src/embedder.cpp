#include "rag/embedder.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "sha256.h"

namespace rag {

namespace {

// In place to unit length; false for a zero or non-finite vector.
bool normalize(std::vector<float>& v) {
    double sum = 0;
    for (float x : v) sum += static_cast<double>(x) * x;
    if (!(sum > 0) || !std::isfinite(sum)) return false;
    const float scale = static_cast<float>(1 / std::sqrt(sum));
    for (float& x : v) x *= scale;
    return true;
}

}  // namespace

std::expected<std::string, std::string> modelFileHash(const std::string& path) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!f) return std::unexpected("cannot open " + path);
    std::error_code ec;
    const uint64_t size = std::filesystem::file_size(path, ec);
    if (ec) return std::unexpected("cannot stat " + path);
    constexpr uint64_t kPiece = 4ull << 20;
    Sha256 h;
    const std::string sizeText = std::to_string(size);
    h.update(sizeText.data(), sizeText.size());
    std::vector<char> buffer(kPiece);
    auto hashAt = [&](uint64_t offset) {
        if (std::fseek(f.get(), static_cast<long>(offset), SEEK_SET) != 0) return false;
        const size_t n = std::fread(buffer.data(), 1, buffer.size(), f.get());
        h.update(buffer.data(), n);
        return true;
    };
    if (!hashAt(0) || (size > kPiece && !hashAt(size > 2 * kPiece ? size - kPiece : kPiece)))
        return std::unexpected("cannot read " + path);
    return h.hex();
}

std::expected<Embedder, std::string> Embedder::load(const std::string& path, const std::string& device) {
    auto hash = modelFileHash(path);
    if (!hash) return std::unexpected(hash.error());
    assistant::ModelParams params;
    params.device = device.empty() ? "cpu" : device;
    auto model = assistant::Model::load(path, params);
    if (!model) return std::unexpected("load " + path + ": " + model.error().message);
    if (!(*model)->info().isEmbeddingModel)
        return std::unexpected(path + " is not an embedding model (architecture " +
                               (*model)->info().architecture + ")");
    return Embedder(std::move(*model), std::move(*hash));
}

Embedder::Embedder(std::shared_ptr<const assistant::Model> model, std::string fileHash)
    : m_model(std::move(model)), m_fileHash(std::move(fileHash)) {
    m_name = m_model->info().name;
    m_dims = m_model->info().embeddingLength;
    m_languages = m_model->info().languages;
    // Universal Sentence Encoder Lite was trained on English only.
    if (m_languages.empty() && m_model->info().architecture == "use-lite") m_languages = {"en"};
}

Embedder::Embedder(std::shared_ptr<const EmbeddingSource> source, std::string name, std::string identity, int dims)
    : m_source(std::move(source)), m_name(std::move(name)), m_fileHash(std::move(identity)), m_dims(dims) {}

std::string Embedder::describeEmbedder(const std::string& name, const std::string& fileHash) {
    if (!fileHash.starts_with(kRemoteEmbedderPrefix)) return "the local model " + name;
    const std::string where = fileHash.substr(kRemoteEmbedderPrefix.size());
    const size_t hash = where.rfind('#');
    return "the remote model " + name + " at " + where.substr(0, hash);
}

bool Embedder::covers(const std::string& language) const {
    return language.empty() || m_languages.empty() ||
           std::find(m_languages.begin(), m_languages.end(), language) != m_languages.end();
}

std::expected<std::vector<std::vector<float>>, std::string> Embedder::embed(const std::vector<std::string>& texts,
                                                                            int batch) const {
    std::vector<std::vector<float>> out;
    out.reserve(texts.size());
    const size_t step = static_cast<size_t>(batch > 0 ? batch : 16);
    for (size_t i = 0; i < texts.size(); i += step) {
        const size_t n = std::min(step, texts.size() - i);
        const std::span<const std::string> part(texts.data() + i, n);
        std::expected<std::vector<std::vector<float>>, std::string> vectors;
        if (m_source) {
            vectors = m_source->embed(part);
        } else if (auto local = m_model->embed(part)) {
            vectors = std::move(*local);
        } else {
            return std::unexpected("embed: " + local.error().message);
        }
        if (!vectors) return std::unexpected(vectors.error());
        if (vectors->size() != n)
            return std::unexpected("embed: " + describe() + " returned " + std::to_string(vectors->size()) +
                                   " vectors for " + std::to_string(n) + " texts");
        for (auto& v : *vectors) {
            if (static_cast<int>(v.size()) != m_dims)
                return std::unexpected("embed: " + describe() + " returned a vector of " + std::to_string(v.size()) +
                                       " dimensions, not " + std::to_string(m_dims));
            if (m_source && !normalize(v))
                return std::unexpected("embed: " + describe() + " returned a zero or non-finite vector");
            out.push_back(std::move(v));
        }
    }
    return out;
}

}  // namespace rag
