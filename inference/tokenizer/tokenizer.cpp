// Tokenizer base: loading tokenizer.* from GGUF, dispatch on the model name, the
// special-token split shared by every model, and the streaming decoder.
#include "tokenizer/tokenizer.h"

#include <algorithm>

#include "gguf/gguf_file.h"
#include "tokenizer/tokenizer_internal.h"
#include "tokenizer/unicode.h"

namespace tokenizer {

using assistant::Error;
using assistant::ErrorCode;

namespace {

Error formatError(std::string message) { return Error{ErrorCode::InvalidFormat, std::move(message)}; }

int32_t idOrNone(const gguf::File& file, std::string_view key) {
    const auto v = file.getUInt(key);
    return v && *v < static_cast<uint64_t>(INT32_MAX) ? static_cast<int32_t>(*v) : -1;
}

// Token texts that end a turn in the common chat formats, when the file marks no EOT.
constexpr std::string_view kEndOfTurnTexts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>",
    "<EOT>", "<|END_OF_TURN_TOKEN|>", "<|end_of_text|>", "<｜end▁of▁sentence｜>",
};

}  // namespace

namespace detail {

std::string replaceAll(std::string_view text, std::string_view from, std::string_view to) {
    std::string out;
    out.reserve(text.size());
    size_t pos = 0;
    while (true) {
        const size_t hit = text.find(from, pos);
        if (hit == std::string_view::npos) break;
        out.append(text, pos, hit - pos);
        out.append(to);
        pos = hit + from.size();
    }
    out.append(text, pos);
    return out;
}

}  // namespace detail

assistant::Result<std::unique_ptr<Tokenizer>> Tokenizer::fromGguf(const gguf::File& file) {
    VocabSpec spec;
    const auto model = file.getString("tokenizer.ggml.model");
    if (!model) return std::unexpected(formatError("tokenizer.ggml.model is missing"));
    spec.model = std::string(*model);
    spec.pre = std::string(file.getString("tokenizer.ggml.pre").value_or(""));
    spec.name = std::string(file.getString("general.name").value_or(""));

    const gguf::Array* tokens = file.getArray("tokenizer.ggml.tokens");
    if (!tokens) return std::unexpected(formatError("tokenizer.ggml.tokens is missing"));
    spec.tokens.reserve(tokens->items.size());
    for (const auto& item : tokens->items) {
        const auto s = item.asString();
        if (!s) return std::unexpected(formatError("tokenizer.ggml.tokens holds a non-string"));
        spec.tokens.emplace_back(*s);
    }
    if (const gguf::Array* scores = file.getArray("tokenizer.ggml.scores")) {
        spec.scores.reserve(scores->items.size());
        for (const auto& item : scores->items) spec.scores.push_back(static_cast<float>(item.asFloat().value_or(0.0)));
    }
    if (const gguf::Array* types = file.getArray("tokenizer.ggml.token_type")) {
        spec.types.reserve(types->items.size());
        for (const auto& item : types->items) spec.types.push_back(static_cast<int32_t>(item.asInt().value_or(1)));
    }
    if (const gguf::Array* merges = file.getArray("tokenizer.ggml.merges")) {
        spec.merges.reserve(merges->items.size());
        for (const auto& item : merges->items) spec.merges.emplace_back(item.asString().value_or(""));
    }
    spec.bos = idOrNone(file, "tokenizer.ggml.bos_token_id");
    spec.eos = idOrNone(file, "tokenizer.ggml.eos_token_id");
    spec.eot = idOrNone(file, "tokenizer.ggml.eot_token_id");
    spec.eom = idOrNone(file, "tokenizer.ggml.eom_token_id");
    spec.unk = idOrNone(file, "tokenizer.ggml.unknown_token_id");
    spec.pad = idOrNone(file, "tokenizer.ggml.padding_token_id");
    spec.cls = idOrNone(file, "tokenizer.ggml.cls_token_id");
    spec.sep = idOrNone(file, "tokenizer.ggml.seperator_token_id");  // sic, as written by llama.cpp
    spec.addBos = file.getBool("tokenizer.ggml.add_bos_token");
    spec.addEos = file.getBool("tokenizer.ggml.add_eos_token");
    spec.addSpacePrefix = file.getBool("tokenizer.ggml.add_space_prefix");
    spec.removeExtraWhitespaces = file.getBool("tokenizer.ggml.remove_extra_whitespaces");
    if (const gguf::Array* charsmap = file.getArray("tokenizer.ggml.precompiled_charsmap")) {
        spec.precompiledCharsmap.reserve(charsmap->items.size());
        for (const auto& item : charsmap->items)
            spec.precompiledCharsmap.push_back(static_cast<char>(item.asInt().value_or(0)));
    }
    return fromSpec(std::move(spec));
}

assistant::Result<std::unique_ptr<Tokenizer>> Tokenizer::fromSpec(VocabSpec spec) {
    const size_t n = spec.tokens.size();
    if (n == 0) return std::unexpected(formatError("the vocabulary is empty"));
    if (!spec.scores.empty() && spec.scores.size() != n) {
        return std::unexpected(formatError("tokenizer.ggml.scores has " + std::to_string(spec.scores.size()) +
                                           " entries for " + std::to_string(n) + " tokens"));
    }
    if (!spec.types.empty() && spec.types.size() != n) {
        return std::unexpected(formatError("tokenizer.ggml.token_type has " + std::to_string(spec.types.size()) +
                                           " entries for " + std::to_string(n) + " tokens"));
    }
    for (int32_t* id : {&spec.bos, &spec.eos, &spec.eot, &spec.eom, &spec.unk, &spec.pad, &spec.cls, &spec.sep}) {
        if (*id >= static_cast<int32_t>(n)) *id = -1;  // out-of-range ids are treated as absent
    }
    if (spec.model == "llama") return detail::makeSpm(spec);
    if (spec.model == "bert") return detail::makeWordPiece(spec);
    if (spec.model == "gpt2") return detail::makeBpe(spec);
    if (spec.model == "unigram") return detail::makeUnigram(spec);
    if (spec.model == "t5") return detail::makeUgm(spec);
    return std::unexpected(Error{ErrorCode::UnsupportedTokenizer,
                                "tokenizer.ggml.model \"" + spec.model + "\" is not supported"});
}

void Tokenizer::initCommon(VocabSpec& spec) {
    const size_t n = spec.tokens.size();
    m_model = spec.model;
    m_pre = spec.pre.empty() ? "default" : spec.pre;
    m_texts = std::move(spec.tokens);
    m_attrs.assign(n, TokenAttr::Normal);
    for (size_t i = 0; i < spec.types.size(); ++i) {
        const int32_t t = spec.types[i];
        m_attrs[i] = t >= 1 && t <= 6 ? static_cast<TokenAttr>(t - 1) : TokenAttr::Normal;
    }
    m_textToId.reserve(n);
    for (size_t i = 0; i < n; ++i) m_textToId.emplace(m_texts[i], static_cast<int32_t>(i));

    m_bos = spec.bos;
    m_eos = spec.eos;
    m_eot = spec.eot;
    m_eom = spec.eom;
    m_unk = spec.unk;
    m_pad = spec.pad;
    if (m_unk >= 0 && m_attrs[m_unk] == TokenAttr::Normal) m_attrs[m_unk] = TokenAttr::Unknown;

    if (m_eot < 0) {
        for (std::string_view text : kEndOfTurnTexts) {
            const int32_t id = find(text);
            if (id >= 0 && id != m_eos) {
                m_eot = id;
                break;
            }
        }
    }
    for (int32_t id : {m_eos, m_eot, m_eom}) {
        if (id >= 0 && std::find(m_endOfGeneration.begin(), m_endOfGeneration.end(), id) == m_endOfGeneration.end()) {
            m_endOfGeneration.push_back(id);
        }
    }

    for (size_t i = 0; i < n; ++i) {
        const TokenAttr a = m_attrs[i];
        if ((a == TokenAttr::Control || a == TokenAttr::UserDefined || a == TokenAttr::Unknown) && !m_texts[i].empty()) {
            m_specialByLength.push_back(static_cast<int32_t>(i));
        }
    }
    std::stable_sort(m_specialByLength.begin(), m_specialByLength.end(),
                     [this](int32_t a, int32_t b) { return m_texts[a].size() > m_texts[b].size(); });
}

int32_t Tokenizer::find(std::string_view text) const {
    const auto it = m_textToId.find(std::string(text));
    return it == m_textToId.end() ? -1 : it->second;
}

bool Tokenizer::isEndOfGeneration(int32_t id) const {
    return id >= 0 && std::find(m_endOfGeneration.begin(), m_endOfGeneration.end(), id) != m_endOfGeneration.end();
}

std::string Tokenizer::joinPieces(const std::vector<int32_t>& ids, bool renderSpecial, bool stripLeadingSpace) const {
    std::string out;
    for (int32_t id : ids) out += tokenToPiece(id, renderSpecial);
    if (stripLeadingSpace && !out.empty() && out.front() == ' ') out.erase(0, 1);
    return out;
}

std::vector<Tokenizer::Fragment> Tokenizer::splitSpecial(std::string_view text, bool parseSpecial) const {
    std::vector<Fragment> fragments;
    if (text.empty()) return fragments;
    fragments.push_back({text, -1});
    // Longest texts first, so "<|im_start|>" wins over a shorter token inside it.
    for (int32_t id : m_specialByLength) {
        if (!parseSpecial && m_attrs[id] != TokenAttr::UserDefined) continue;
        const std::string& special = m_texts[id];
        std::vector<Fragment> next;
        next.reserve(fragments.size());
        for (const Fragment& f : fragments) {
            if (f.token >= 0) {
                next.push_back(f);
                continue;
            }
            size_t pos = 0;
            while (true) {
                const size_t hit = f.text.find(special, pos);
                if (hit == std::string_view::npos) break;
                if (hit > pos) next.push_back({f.text.substr(pos, hit - pos), -1});
                next.push_back({std::string_view(special), id});
                pos = hit + special.size();
            }
            if (pos < f.text.size()) next.push_back({f.text.substr(pos), -1});
        }
        fragments.swap(next);
    }
    return fragments;
}

// ---------------------------------------------------------------------------
// StreamingDecoder
// ---------------------------------------------------------------------------
std::string StreamingDecoder::push(int32_t id) {
    if (id < 0 || id >= m_tokenizer.vocabSize()) return {};
    std::string piece = m_tokenizer.tokenToPiece(id);
    // The vocabulary's dummy-prefix space is not part of the text.
    if (m_first && !piece.empty()) {
        if (m_tokenizer.removesLeadingSpace() && piece.front() == ' ') piece.erase(0, 1);
        m_first = false;
    }
    m_pending += piece;
    const size_t complete = unicode::completeUtf8Prefix(m_pending);
    std::string out = m_pending.substr(0, complete);
    m_pending.erase(0, complete);
    return out;
}

std::string StreamingDecoder::flush() {
    std::string out;
    if (!m_pending.empty()) out = "\xEF\xBF\xBD";  // U+FFFD for the unfinished sequence
    m_pending.clear();
    return out;
}

}  // namespace tokenizer
