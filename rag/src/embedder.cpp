#include "rag/embedder.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "sha256.h"

namespace rag {

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

std::expected<Embedder, std::string> Embedder::load(const std::string& path) {
    auto hash = modelFileHash(path);
    if (!hash) return std::unexpected(hash.error());
    assistant::ModelParams params;
    params.device = "cpu";
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
        auto vectors = m_model->embed(std::span<const std::string>(texts.data() + i, n));
        if (!vectors) return std::unexpected("embed: " + vectors.error().message);
        if (vectors->size() != n) return std::unexpected("embed: the model returned a wrong number of vectors");
        for (auto& v : *vectors) {
            if (static_cast<int>(v.size()) != m_dims) return std::unexpected("embed: vector of unexpected size");
            out.push_back(std::move(v));
        }
    }
    return out;
}

}  // namespace rag
