#include "assistant/engine.h"
#include "src/log.h"

namespace assistant {

struct Model::Impl {
    ModelInfo info;
};

Model::Model(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Model::~Model() = default;

Result<std::shared_ptr<const Model>> Model::load(const std::string& path, const ModelParams&) {
    return std::unexpected(detail::makeError(ErrorCode::NotImplemented,
                                             "model loading is not implemented yet (", path, ")"));
}

const ModelInfo& Model::info() const { return m_impl->info; }

Result<std::vector<int32_t>> Model::tokenize(std::string_view, bool, bool) const {
    return std::unexpected(Error{ErrorCode::NotImplemented, "tokenizer not implemented yet"});
}

std::string Model::detokenize(std::span<const int32_t>) const { return {}; }

Result<std::string> Model::applyChatTemplate(std::span<const Message>, bool) const {
    return std::unexpected(Error{ErrorCode::NotImplemented, "chat templates not implemented yet"});
}

Result<std::vector<std::vector<float>>> Model::embed(std::span<const std::string>) const {
    return std::unexpected(Error{ErrorCode::NotImplemented, "embeddings not implemented yet"});
}

uint64_t Model::kvBytesPerToken(KvType) const { return 0; }

}  // namespace assistant
