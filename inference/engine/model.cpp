// Model: open and validate the GGUF, bind the architecture's weights, build the
// tokenizer, describe the model.
#include <algorithm>
#include <filesystem>
#include <map>

#include "chat_template/model_chat.h"
#include "kernels/thread_pool.h"
#include "common/log.h"
#include "quantize/model_quantizer.h"
#include "engine/model_impl.h"

namespace assistant {

using detail::makeError;

namespace {

// The quantization most of the weight bytes are in, e.g. "Q4_0"; "Q4_K_M" style
// names come from general.file_type when present.
std::string describeFileType(const gguf::File& f) {
    static const std::map<uint64_t, const char*> kFileTypes = {
        {0, "F32"}, {1, "F16"}, {2, "Q4_0"}, {3, "Q4_1"}, {7, "Q8_0"}, {8, "Q5_0"}, {9, "Q5_1"},
        {10, "Q2_K"}, {11, "Q3_K_S"}, {12, "Q3_K_M"}, {13, "Q3_K_L"}, {14, "Q4_K_S"}, {15, "Q4_K_M"},
        {16, "Q5_K_S"}, {17, "Q5_K_M"}, {18, "Q6_K"}, {25, "IQ4_NL"}, {30, "IQ4_XS"}, {32, "BF16"},
        {36, "TQ1_0"}, {37, "TQ2_0"},
    };
    if (auto ft = f.getUInt("general.file_type")) {
        if (auto it = kFileTypes.find(*ft); it != kFileTypes.end()) return it->second;
    }
    std::map<std::string_view, uint64_t> bytesPerType;
    for (const gguf::TensorInfo& t : f.tensors()) bytesPerType[kernels::typeName(t.type)] += t.bytes;
    auto best = std::max_element(bytesPerType.begin(), bytesPerType.end(),
                                 [](const auto& a, const auto& b) { return a.second < b.second; });
    return best == bytesPerType.end() ? "unknown" : std::string(best->first);
}

ModelInfo describe(const std::string& path, const gguf::File& f, const arch::Hparams& h,
                   const tokenizer::Tokenizer& tok) {
    ModelInfo info;
    info.path = path;
    info.name = std::string(f.getString("general.name").value_or(""));
    if (info.name.empty()) info.name = std::filesystem::path(path).stem().string();
    if (const gguf::Array* langs = f.getArray("general.languages"))
        for (const gguf::Value& v : langs->items)
            if (auto code = v.asString(); code && !code->empty()) info.languages.emplace_back(*code);
    info.architecture = h.arch;
    info.fileType = describeFileType(f);
    info.tokenizerModel = tok.model();
    info.chatTemplate = std::string(f.getString("tokenizer.chat_template").value_or(""));
    info.fileSize = f.fileSize();
    for (const gguf::TensorInfo& t : f.tensors()) info.parameterCount += static_cast<uint64_t>(t.elements());
    info.contextLength = static_cast<int>(h.nCtxTrain);
    info.embeddingLength = static_cast<int>(h.nEmbd);
    info.layerCount = static_cast<int>(h.nLayer);
    info.headCount = static_cast<int>(h.nHead);
    info.headCountKv = static_cast<int>(h.nHeadKv);
    info.vocabSize = static_cast<int>(h.nVocab);
    return info;
}

// Which built-in chat format fits: from the template text, the architecture, else
// the special tokens.
chat_template::BuiltinFormat chooseChatFormat(const std::string& templateText, const std::string& architecture,
                                              const tokenizer::Tokenizer& tok) {
    auto isSpecial = [&](std::string_view text) {
        const int32_t id = tok.find(text);
        return id >= 0 && (tok.attr(id) == tokenizer::TokenAttr::Control || tok.attr(id) == tokenizer::TokenAttr::UserDefined);
    };
    chat_template::VocabHints hints;
    hints.imStart = isSpecial("<|im_start|>");
    hints.headerId = isSpecial("<|start_header_id|>");
    hints.inst = isSpecial("[INST]");
    hints.phiUser = isSpecial("<|user|>");
    hints.startOfTurn = isSpecial("<start_of_turn>");
    return chat_template::detectFormat(templateText, architecture, hints);
}

bool reportProgress(const ModelParams& params, float value) {
    return !params.progress || params.progress(value);
}

}  // namespace

Model::Model(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Model::~Model() = default;

Result<std::shared_ptr<const Model>> Model::load(const std::string& path, const ModelParams& params) {
    auto impl = std::make_unique<Impl>();
    if (!reportProgress(params, 0.0f)) return std::unexpected(Error{ErrorCode::Cancelled, "loading cancelled"});
    auto file = gguf::File::open(path, params.useMmap);
    if (!file) return std::unexpected(file.error());
    if (!params.requantize.empty()) {  // the file's weights converted in memory; the mapping is dropped
        auto image = quantize::quantizeImage(**file, params.requantize, params.threads);
        if (!image) return std::unexpected(makeError(image.error().code, path, ": requantize: ", image.error().message));
        impl->requantized = std::move(*image);
        file = gguf::File::fromMemory(impl->requantized);
        if (!file) return std::unexpected(file.error());
        detail::log(LogLevel::Info, "requantized ", path, " to ", params.requantize, " in memory (",
                    impl->requantized.size(), " bytes)");
    }
    impl->file = std::move(*file);
    if (!reportProgress(params, 0.3f)) return std::unexpected(Error{ErrorCode::Cancelled, "loading cancelled"});

    auto arch = arch::makeArchitecture(*impl->file);
    if (!arch) return std::unexpected(arch.error());
    impl->arch = std::move(*arch);
    auto tok = tokenizer::Tokenizer::fromGguf(*impl->file);
    if (!tok) return std::unexpected(tok.error());
    impl->tokenizer = std::move(*tok);
    if (impl->tokenizer->vocabSize() != impl->arch->hparams().nVocab)
        return std::unexpected(makeError(ErrorCode::InvalidFormat, "tokenizer has ", impl->tokenizer->vocabSize(),
                                         " tokens but the model's vocabulary is ", impl->arch->hparams().nVocab));
    impl->info = describe(path, *impl->file, impl->arch->hparams(), *impl->tokenizer);
    impl->info.isEmbeddingModel = impl->arch->encoder() != nullptr;
    auto placement = arch::Placement::create(*impl->arch, params, impl->info.deviceNote);
    if (!placement) return std::unexpected(placement.error());
    impl->placement = std::move(*placement);
    if (auto* encoder = dynamic_cast<arch::Encoder*>(impl->arch.get())) {
        if (const int64_t n = arch::placeEncoder(*encoder, params, impl->info.deviceNote); n > 0) {
            impl->info.device = params.device.substr(0, params.device.find(','));
            if (impl->info.device == "auto" || impl->info.device.empty()) impl->info.device = "opencl";
            impl->info.gpuLayers = static_cast<int>(n);
        }
    }
    if (impl->placement && impl->placement->deviceLayers() > 0) {
        impl->info.device = impl->placement->deviceId();
        impl->info.gpuLayers = static_cast<int>(impl->placement->deviceLayers());
        impl->info.expertsOnGpu = impl->placement->expertsOnDevice();
        impl->info.hotExpertsPerLayer = static_cast<int>(impl->placement->plannedHotExperts());
        impl->info.expertStreamBytes = impl->placement->plannedStreamBytes();
        impl->info.expertStreamHostBytes = impl->placement->plannedStreamHostBytes();
    }
    impl->info.expertCount = static_cast<int>(impl->arch->hparams().nExpert);
    if (impl->placement) impl->info.cpuCopyBytes = impl->placement->cpuCopyBytes();
    if (!impl->info.deviceNote.empty()) {
        detail::log(LogLevel::Info, "GPU not used: ", impl->info.deviceNote);
    }
    {
        const tokenizer::Tokenizer& tok = *impl->tokenizer;
        const std::string& templateText =
            params.chatTemplateOverride.empty() ? impl->info.chatTemplate : params.chatTemplateOverride;
        auto tokenText = [&](int32_t id) { return id >= 0 ? tok.tokenText(id) : std::string(); };
        impl->chat = chat_template::prepareModelChat(impl->info.chatTemplate, params.chatTemplateOverride,
                                                     chooseChatFormat(templateText, impl->info.architecture, tok),
                                                     tokenText(tok.bos()), tokenText(tok.eos()));
    }
    if (!reportProgress(params, 1.0f)) return std::unexpected(Error{ErrorCode::Cancelled, "loading cancelled"});
    detail::log(LogLevel::Info, "loaded ", path, ": ", impl->info.architecture, ", ", impl->info.parameterCount,
                " parameters, ", impl->info.fileType);
    return std::shared_ptr<const Model>(new Model(std::move(impl)));
}

const ModelInfo& Model::info() const { return m_impl->info; }

Result<std::vector<int32_t>> Model::tokenize(std::string_view text, bool addSpecial, bool parseSpecial) const {
    return m_impl->tokenizer->encode(text, addSpecial, parseSpecial);
}

std::string Model::detokenize(std::span<const int32_t> tokens) const {
    return m_impl->tokenizer->decode(std::vector<int32_t>(tokens.begin(), tokens.end()));
}

Result<std::string> Model::applyChatTemplate(std::span<const Message> messages, bool addGenerationPrompt,
                                             std::span<const ToolDefinition> tools) const {
    return chat_template::renderMessages(m_impl->chat, messages, addGenerationPrompt, tools);
}

ToolCallSyntax Model::toolCallSyntax() const { return m_impl->chat.toolSyntax; }

Result<std::vector<std::vector<float>>> Model::embed(std::span<const std::string> texts) const {
    if (!m_impl->arch->encoder())
        return std::unexpected(makeError(ErrorCode::InvalidArgument, "embeddings need an embedding model (bert, ",
                                         "use-lite); ", m_impl->info.architecture, " is a decoder"));
    std::vector<std::vector<int32_t>> sequences;
    sequences.reserve(texts.size());
    for (const std::string& text : texts) sequences.push_back(m_impl->tokenizer->encode(text, true, true));
    return embedTokens(sequences);
}

Result<std::vector<std::vector<float>>> Model::embedTokens(std::span<const std::vector<int32_t>> sequences) const {
    const arch::Encoder* encoder = m_impl->arch->encoder();
    if (!encoder)
        return std::unexpected(makeError(ErrorCode::InvalidArgument, "embeddings need an embedding model (bert, ",
                                         "use-lite); ", m_impl->info.architecture, " is a decoder"));
    const arch::Hparams& h = m_impl->arch->hparams();
    // Validate, and cut sequences longer than the trained context (keeping a final
    // control token such as BERT's [SEP] at the end).
    std::vector<std::vector<int32_t>> seqs(sequences.begin(), sequences.end());
    for (size_t i = 0; i < seqs.size(); ++i) {
        std::vector<int32_t>& s = seqs[i];
        if (s.empty()) return std::unexpected(makeError(ErrorCode::InvalidArgument, "input ", i, " has no tokens"));
        for (int32_t id : s)
            if (id < 0 || id >= h.nVocab)
                return std::unexpected(makeError(ErrorCode::InvalidArgument, "input ", i, ": token id ", id,
                                                 " is outside the vocabulary [0, ", h.nVocab, ")"));
        if (static_cast<int64_t>(s.size()) > h.nCtxTrain) {
            detail::log(LogLevel::Warning, "embed: input ", i, " has ", s.size(), " tokens; keeping the first ",
                        h.nCtxTrain, " (the model's context)");
            const int32_t last = s.back();
            s.resize(static_cast<size_t>(h.nCtxTrain));
            if (m_impl->tokenizer->attr(last) == tokenizer::TokenAttr::Control) s.back() = last;
        }
    }
    // Sequences go through the encoder in batches of about kBatchTokens tokens: wide
    // enough for the matmuls, small enough to bound the activations ([tokens][nFf]).
    constexpr int64_t kBatchTokens = 2048;
    kernels::ThreadPool pool(0);
    const int64_t dim = encoder->outputSize();
    std::vector<std::vector<float>> out;
    out.reserve(seqs.size());
    std::vector<float> pooled;
    for (size_t first = 0; first < seqs.size();) {
        size_t last = first;
        int64_t tokens = 0;
        while (last < seqs.size() && (last == first || tokens + static_cast<int64_t>(seqs[last].size()) <= kBatchTokens))
            tokens += static_cast<int64_t>(seqs[last++].size());
        encoder->encode(pool, std::span(seqs).subspan(first, last - first), pooled, nullptr);
        for (size_t s = 0; s < last - first; ++s) {
            std::vector<float> v(pooled.begin() + static_cast<int64_t>(s) * dim,
                                 pooled.begin() + static_cast<int64_t>(s + 1) * dim);
            kernels::l2Normalize(v.data(), dim);
            out.push_back(std::move(v));
        }
        first = last;
    }
    return out;
}

Model::HotExpertStats Model::hotExperts() const {
    return m_impl->placement ? m_impl->placement->hotExpertStats() : HotExpertStats{};
}

uint64_t Model::refreshHotExperts() const {
    return m_impl->placement ? m_impl->placement->refreshHotExperts() : 0;
}

uint64_t Model::kvBytesPerToken(KvType type) const {
    const arch::Hparams& h = m_impl->arch->hparams();
    const int64_t width = h.nHeadKv * h.headDim;
    const double perElement = type == KvType::F32   ? 4.0
                              : type == KvType::F16 ? 2.0
                              : type == KvType::Q8_0 ? 34.0 / 32.0
                                                     : 18.0 / 32.0;
    return static_cast<uint64_t>(2.0 * static_cast<double>(h.nLayer * width) * perElement);
}

}  // namespace assistant
