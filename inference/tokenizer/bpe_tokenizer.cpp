// Byte-level BPE ("gpt2" vocabularies):
//   1. special-token texts are cut out of the input (Tokenizer::splitSpecial);
//   2. the pre-tokenizer named by tokenizer.ggml.pre cuts the rest into words;
//   3. each byte of a word becomes GPT-2's printable stand-in character
//      (bytes_to_unicode: printable Latin-1 maps to itself, the rest to U+0100+n);
//   4. starting from single characters, the adjacent pair with the best (lowest)
//      merge rank is merged, leftmost on ties, until no pair has a rank.
//      Llama-3 style vocabularies first take a word whole if it is a token.
#include <unordered_map>

#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/symbol_merge.h"
#include "tokenizer/tokenizer_internal.h"
#include "tokenizer/unicode.h"
#include "common/utf8.h"

namespace tokenizer {
namespace {

class BpeTokenizer final : public Tokenizer {
public:
    BpeTokenizer(VocabSpec& spec, PreTokenizer pre) : m_pre(std::move(pre)) {
        m_ranks.reserve(spec.merges.size());
        for (size_t i = 0; i < spec.merges.size(); ++i) m_ranks.emplace(spec.merges[i], static_cast<int32_t>(i));
        initCommon(spec);
        m_addBos = spec.addBos.value_or(false);
        m_addEos = spec.addEos.value_or(false);
        m_addSpacePrefix = spec.addSpacePrefix.value_or(false);
        m_removeLeadingSpace = m_addSpacePrefix;
        buildByteMap();
    }

    std::vector<int32_t> encode(std::string_view text, bool addSpecial, bool parseSpecial) const override {
        std::vector<int32_t> out;
        if (addSpecial && m_addBos && m_bos >= 0) out.push_back(m_bos);
        bool first = true;
        for (const Fragment& f : splitSpecial(text, parseSpecial)) {
            if (f.token >= 0) {
                out.push_back(f.token);
                first = false;
                continue;
            }
            std::string fragment = m_addSpacePrefix && first ? " " : "";
            first = false;
            fragment += f.text;
            for (const std::string& word : m_pre.split(fragment)) encodeWord(word, out);
        }
        if (addSpecial && m_addEos && m_eos >= 0) out.push_back(m_eos);
        return out;
    }

    std::string tokenToPiece(int32_t id, bool renderSpecial) const override {
        if (id < 0 || id >= vocabSize()) return {};
        const std::string& text = m_texts[id];
        switch (m_attrs[id]) {
            case TokenAttr::Normal: return unmapBytes(text);
            case TokenAttr::Control: return renderSpecial ? text : std::string();
            case TokenAttr::UserDefined: return text;
            case TokenAttr::Unknown: return renderSpecial ? text : std::string();
            case TokenAttr::Unused: return {};
            case TokenAttr::Byte: return unmapBytes(text);
        }
        return {};
    }

    std::string decode(const std::vector<int32_t>& ids, bool renderSpecial) const override {
        return joinPieces(ids, renderSpecial, m_addSpacePrefix);
    }

private:
    void buildByteMap() {
        int extra = 0;
        for (int b = 0; b < 256; ++b) {
            const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
            const char32_t cp = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + extra++);
            m_byteToText[b] = unicode::toUtf8(cp);
            m_charToByte.emplace(cp, static_cast<uint8_t>(b));
        }
    }

    std::string unmapBytes(const std::string& text) const {
        std::string out;
        out.reserve(text.size());
        for (size_t pos = 0; pos < text.size();) {
            const size_t start = pos;
            const char32_t cp = utf8::decode(text, pos);
            const auto it = m_charToByte.find(cp);
            if (it != m_charToByte.end()) {
                out += static_cast<char>(it->second);
            } else {
                out.append(text, start, pos - start);  // not from the byte alphabet: keep as is
            }
        }
        return out;
    }

    void encodeWord(std::string_view raw, std::vector<int32_t>& out) const {
        std::string word;
        for (char c : raw) word += m_byteToText[static_cast<uint8_t>(c)];
        if (word.empty()) return;
        if (m_pre.ignoreMerges()) {
            const int32_t whole = find(word);
            if (whole >= 0) {
                out.push_back(whole);
                return;
            }
        }
        // Merge by rank: a lower rank merges first.
        const auto pieces = detail::mergeSymbols(word, [this](std::string_view left, std::string_view right)
                                                           -> std::optional<double> {
            std::string key;
            key.reserve(left.size() + right.size() + 1);
            key.append(left).append(1, ' ').append(right);
            const auto it = m_ranks.find(key);
            if (it == m_ranks.end()) return std::nullopt;
            return -static_cast<double>(it->second);
        });
        for (const std::string_view piece : pieces) {
            const int32_t id = find(piece);
            if (id >= 0) {
                out.push_back(id);
                continue;
            }
            // Not a token (an incomplete vocabulary): one token per byte character, or <unk>.
            for (size_t pos = 0; pos < piece.size();) {
                const size_t len = std::min(unicode::utf8Length(static_cast<uint8_t>(piece[pos])), piece.size() - pos);
                const int32_t byteId = find(piece.substr(pos, len));
                if (byteId >= 0) out.push_back(byteId);
                else if (m_unk >= 0) out.push_back(m_unk);
                pos += len;
            }
        }
    }

    PreTokenizer m_pre;
    std::unordered_map<std::string, int32_t> m_ranks;  // "left right" -> rank
    std::string m_byteToText[256];
    std::unordered_map<char32_t, uint8_t> m_charToByte;
};

}  // namespace

namespace detail {
assistant::Result<std::unique_ptr<Tokenizer>> makeBpe(VocabSpec& spec) {
    auto pre = PreTokenizer::forName(spec.pre.empty() ? "default" : spec.pre);
    if (!pre) {
        return std::unexpected(assistant::Error{assistant::ErrorCode::UnsupportedTokenizer,
                                                "tokenizer.ggml.pre \"" + spec.pre + "\" is not supported"});
    }
    if (spec.merges.empty()) {
        return std::unexpected(assistant::Error{assistant::ErrorCode::InvalidFormat, "tokenizer.ggml.merges is missing"});
    }
    return std::unique_ptr<Tokenizer>(new BpeTokenizer(spec, std::move(*pre)));
}
}  // namespace detail

}  // namespace tokenizer
