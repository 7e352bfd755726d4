// assistant/model_tools.h on top of the internals: gguf::File, quantize::,
// chat_template::renderChat and tokenizer::Tokenizer.
#include "assistant/model_tools.h"

#include "chat_template/chat_template.h"
#include "gguf/gguf_file.h"
#include "kernels/ggml_type.h"
#include "quantize/model_quantizer.h"
#include "quantize/quant_recipe.h"
#include "tokenizer/tokenizer.h"

namespace assistant {

// ---------------------------------------------------------------------------
// GgufInfo
// ---------------------------------------------------------------------------
struct GgufInfo::Impl {
    std::unique_ptr<gguf::File> file;
    std::vector<GgufTensor> tensors;
};

GgufInfo::GgufInfo(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
GgufInfo::GgufInfo(GgufInfo&&) noexcept = default;
GgufInfo& GgufInfo::operator=(GgufInfo&&) noexcept = default;
GgufInfo::~GgufInfo() = default;

Result<GgufInfo> GgufInfo::open(const std::string& path) {
    auto file = gguf::File::open(path);
    if (!file) return std::unexpected(file.error());
    auto impl = std::make_unique<Impl>();
    impl->file = std::move(*file);
    impl->tensors.reserve(impl->file->tensors().size());
    for (const gguf::TensorInfo& t : impl->file->tensors())
        impl->tensors.push_back(GgufTensor{std::string(t.name), static_cast<uint32_t>(t.type),
                                           std::string(kernels::typeName(t.type)), t.shape, t.elements(), t.bytes});
    return GgufInfo(std::move(impl));
}

uint32_t GgufInfo::version() const { return m_impl->file->version(); }
uint64_t GgufInfo::fileSize() const { return m_impl->file->fileSize(); }

std::optional<std::string> GgufInfo::getString(std::string_view key) const {
    const auto s = m_impl->file->getString(key);
    return s ? std::optional<std::string>(std::string(*s)) : std::nullopt;
}

std::optional<uint64_t> GgufInfo::getUInt(std::string_view key) const { return m_impl->file->getUInt(key); }

std::vector<uint64_t> GgufInfo::getUInts(std::string_view key) const {
    std::vector<uint64_t> out;
    const gguf::Value* v = m_impl->file->find(key);
    if (!v) return out;
    if (const gguf::Array* a = v->asArray()) {
        for (const gguf::Value& item : a->items)
            if (auto u = item.asUInt()) out.push_back(*u);
    } else if (auto u = v->asUInt()) {
        out.push_back(*u);
    }
    return out;
}

std::optional<size_t> GgufInfo::arrayLength(std::string_view key) const {
    const gguf::Array* a = m_impl->file->getArray(key);
    return a ? std::optional<size_t>(a->items.size()) : std::nullopt;
}

std::optional<std::string> GgufInfo::arrayString(std::string_view key, size_t index) const {
    const gguf::Array* a = m_impl->file->getArray(key);
    if (!a || index >= a->items.size()) return std::nullopt;
    const auto s = a->items[index].asString();
    return s ? std::optional<std::string>(std::string(*s)) : std::nullopt;
}

std::string GgufInfo::archKey(std::string_view suffix) const { return m_impl->file->archKey(suffix); }
const std::vector<GgufTensor>& GgufInfo::tensors() const { return m_impl->tensors; }

// ---------------------------------------------------------------------------
// Quantization
// ---------------------------------------------------------------------------
bool isQuantizeType(std::string_view name) { return quantize::findRecipe(name).has_value(); }
std::string quantizeTypeNames() { return quantize::recipeNames(); }

Result<QuantizeStats> quantizeModel(const QuantizeParams& params) { return quantize::quantizeModel(params); }

// ---------------------------------------------------------------------------
// Chat templates
// ---------------------------------------------------------------------------
std::expected<std::string, TemplateRenderError> renderChatTemplate(std::string_view templateText,
                                                                   const json::Value& messages,
                                                                   const json::Value& variables,
                                                                   const TemplateRenderOptions& options) {
    chat_template::RenderOptions render;
    render.now = options.now;
    auto out = chat_template::renderChat(templateText, messages, variables, render);
    if (!out)
        return std::unexpected(TemplateRenderError{out.error().kind == chat_template::TemplateError::Kind::Raised,
                                                   out.error().describe()});
    return std::move(*out);
}

std::optional<std::tm> parseTemplateTime(std::string_view text) { return chat_template::parseIsoTime(text); }

// ---------------------------------------------------------------------------
// VocabTokenizer
// ---------------------------------------------------------------------------
struct VocabTokenizer::Impl {
    std::unique_ptr<gguf::File> file;
    std::unique_ptr<tokenizer::Tokenizer> tokenizer;
};

VocabTokenizer::VocabTokenizer(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
VocabTokenizer::VocabTokenizer(VocabTokenizer&&) noexcept = default;
VocabTokenizer& VocabTokenizer::operator=(VocabTokenizer&&) noexcept = default;
VocabTokenizer::~VocabTokenizer() = default;

Result<VocabTokenizer> VocabTokenizer::open(const std::string& path) {
    auto file = gguf::File::open(path);
    if (!file) return std::unexpected(file.error());
    auto tok = tokenizer::Tokenizer::fromGguf(**file);
    if (!tok) return std::unexpected(tok.error());
    auto impl = std::make_unique<Impl>();
    impl->file = std::move(*file);
    impl->tokenizer = std::move(*tok);
    return VocabTokenizer(std::move(impl));
}

std::vector<int32_t> VocabTokenizer::encode(std::string_view text, bool addSpecial, bool parseSpecial) const {
    return m_impl->tokenizer->encode(text, addSpecial, parseSpecial);
}

std::string VocabTokenizer::decode(std::span<const int32_t> tokens) const {
    return m_impl->tokenizer->decode(std::vector<int32_t>(tokens.begin(), tokens.end()));
}

}  // namespace assistant
