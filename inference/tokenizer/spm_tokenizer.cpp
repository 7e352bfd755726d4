// SentencePiece-style BPE ("llama" vocabularies), as llama.cpp runs it:
//   1. special-token texts are cut out of the input (see Tokenizer::splitSpecial);
//   2. each text fragment gets a dummy-prefix space when it starts the input or
//      follows a special token (add_space_prefix), and spaces become U+2581;
//   3. starting from single UTF-8 characters, the adjacent pair whose concatenation
//      is a vocabulary piece with the highest score is merged (leftmost on ties),
//      until no pair forms a piece;
//   4. a remaining symbol that is not a piece falls back to <0xXX> byte tokens.
#include <cstdio>

#include "tokenizer/symbol_merge.h"
#include "tokenizer/tokenizer_internal.h"
#include "tokenizer/unicode.h"

namespace tokenizer {
namespace {

class SpmTokenizer final : public Tokenizer {
public:
    explicit SpmTokenizer(VocabSpec& spec) {
        m_scores = spec.scores;
        m_scores.resize(spec.tokens.size(), 0.0f);
        initCommon(spec);
        m_addBos = spec.addBos.value_or(true);
        m_addEos = spec.addEos.value_or(false);
        m_addSpacePrefix = spec.addSpacePrefix.value_or(true);
        m_removeLeadingSpace = m_addSpacePrefix;
        for (int b = 0; b < 256; ++b) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "<0x%02X>", b);
            int32_t id = find(hex);
            if (id < 0) id = find(std::string(1, static_cast<char>(b)));
            m_byteTokens[b] = id;
        }
    }

    std::vector<int32_t> encode(std::string_view text, bool addSpecial, bool parseSpecial) const override {
        std::vector<int32_t> out;
        if (addSpecial && m_addBos && m_bos >= 0) out.push_back(m_bos);
        bool afterSpecial = true;  // the start of the input counts as "after a special token"
        for (const Fragment& f : splitSpecial(text, parseSpecial)) {
            if (f.token >= 0) {
                out.push_back(f.token);
                afterSpecial = true;
                continue;
            }
            std::string piece = m_addSpacePrefix && afterSpecial ? " " : "";
            piece += f.text;
            encodeText(detail::replaceAll(piece, " ", detail::kSpaceMark), out);
            afterSpecial = false;
        }
        if (addSpecial && m_addEos && m_eos >= 0) out.push_back(m_eos);
        return out;
    }

    std::string tokenToPiece(int32_t id, bool renderSpecial) const override {
        if (id < 0 || id >= vocabSize()) return {};
        const std::string& text = m_texts[id];
        switch (m_attrs[id]) {
            case TokenAttr::Normal: return detail::replaceAll(text, detail::kSpaceMark, " ");
            case TokenAttr::Unknown: return renderSpecial ? text : "\xE2\x96\x85";  // "▅", as llama.cpp shows it
            case TokenAttr::Control: return renderSpecial ? text : std::string();
            case TokenAttr::UserDefined: return text;
            case TokenAttr::Unused: return {};
            case TokenAttr::Byte: return std::string(1, static_cast<char>(byteValue(text)));
        }
        return {};
    }

    std::string decode(const std::vector<int32_t>& ids, bool renderSpecial) const override {
        std::string out;
        bool first = true;
        for (int32_t id : ids) {
            std::string piece = tokenToPiece(id, renderSpecial);
            if (first && !piece.empty()) {
                if (m_addSpacePrefix && piece.front() == ' ') piece.erase(0, 1);
                first = false;
            }
            out += piece;
        }
        return out;
    }

private:
    // "<0x41>" -> 0x41.
    static int byteValue(const std::string& text) {
        if (text.size() == 6 && text.starts_with("<0x")) return std::stoi(text.substr(3, 2), nullptr, 16);
        return text.empty() ? 0 : static_cast<uint8_t>(text[0]);
    }

    void encodeText(std::string_view text, std::vector<int32_t>& out) const {
        // Merge by score: the pair whose merged piece scores highest merges first.
        const auto pieces = detail::mergeSymbols(text, [this](std::string_view left, std::string_view right)
                                                           -> std::optional<double> {
            const int32_t id = find(std::string_view(left.data(), left.size() + right.size()));
            if (id < 0) return std::nullopt;
            return m_scores[id];
        });
        for (const std::string_view piece : pieces) {
            const int32_t id = find(piece);
            if (id >= 0) {
                out.push_back(id);
                continue;
            }
            // Byte fallback; a vocabulary without byte tokens gets one <unk> per symbol.
            const size_t mark = out.size();
            for (char c : piece) {
                const int32_t byteId = m_byteTokens[static_cast<uint8_t>(c)];
                if (byteId < 0) {
                    out.resize(mark);
                    if (m_unk >= 0) out.push_back(m_unk);
                    break;
                }
                out.push_back(byteId);
            }
        }
    }

    std::vector<float> m_scores;
    int32_t m_byteTokens[256];
};

}  // namespace

namespace detail {
assistant::Result<std::unique_ptr<Tokenizer>> makeSpm(VocabSpec& spec) {
    return std::unique_ptr<Tokenizer>(new SpmTokenizer(spec));
}
}  // namespace detail

}  // namespace tokenizer
