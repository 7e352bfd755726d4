// SentencePiece-style BPE ("llama" vocabularies), as llama.cpp runs it:
//   1. special-token texts are cut out of the input (see Tokenizer::splitSpecial);
//   2. each text fragment gets a dummy-prefix space when it starts the input or
//      follows a special token (add_space_prefix), and spaces become U+2581;
//   3. starting from single UTF-8 characters, the adjacent pair whose concatenation
//      is a vocabulary piece with the highest score is merged (leftmost on ties),
//      until no pair forms a piece;
//   4. a remaining symbol that is not a piece falls back to <0xXX> byte tokens.
#include <cstdio>
#include <queue>

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
    struct Symbol {
        int32_t prev, next;
        size_t begin, length;  // bytes of the escaped text
    };
    struct Bigram {
        int32_t left, right;
        float score;
        size_t length;  // left.length + right.length when queued: stale entries differ
    };
    struct BigramOrder {
        bool operator()(const Bigram& a, const Bigram& b) const {
            return a.score < b.score || (a.score == b.score && a.left > b.left);
        }
    };
    using Queue = std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder>;

    // "<0x41>" -> 0x41.
    static int byteValue(const std::string& text) {
        if (text.size() == 6 && text.starts_with("<0x")) return std::stoi(text.substr(3, 2), nullptr, 16);
        return text.empty() ? 0 : static_cast<uint8_t>(text[0]);
    }

    void tryAddBigram(std::string_view text, const std::vector<Symbol>& symbols, int32_t left, int32_t right,
                      Queue& queue) const {
        if (left < 0 || right < 0) return;
        const Symbol& l = symbols[left];
        const Symbol& r = symbols[right];
        const int32_t id = find(text.substr(l.begin, l.length + r.length));
        if (id < 0) return;
        queue.push({left, right, m_scores[id], l.length + r.length});
    }

    void encodeText(std::string_view text, std::vector<int32_t>& out) const {
        std::vector<Symbol> symbols;
        for (size_t pos = 0; pos < text.size();) {
            const size_t len = std::min(unicode::utf8Length(static_cast<uint8_t>(text[pos])), text.size() - pos);
            const auto index = static_cast<int32_t>(symbols.size());
            symbols.push_back({index - 1, index + 1, pos, len});
            pos += len;
        }
        if (symbols.empty()) return;
        symbols.back().next = -1;

        Queue queue;
        for (size_t i = 1; i < symbols.size(); ++i) {
            tryAddBigram(text, symbols, static_cast<int32_t>(i - 1), static_cast<int32_t>(i), queue);
        }
        while (!queue.empty()) {
            const Bigram bigram = queue.top();
            queue.pop();
            Symbol& l = symbols[bigram.left];
            Symbol& r = symbols[bigram.right];
            if (l.length == 0 || r.length == 0 || l.length + r.length != bigram.length) continue;
            l.length += r.length;
            r.length = 0;
            l.next = r.next;
            if (r.next >= 0) symbols[r.next].prev = bigram.left;
            tryAddBigram(text, symbols, l.prev, bigram.left, queue);
            tryAddBigram(text, symbols, bigram.left, l.next, queue);
        }

        for (int32_t i = 0; i >= 0; i = symbols[i].next) {
            const std::string_view piece = text.substr(symbols[i].begin, symbols[i].length);
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
