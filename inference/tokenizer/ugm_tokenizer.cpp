// SentencePiece unigram segmentation as llama.cpp's UGM tokenizer runs it ("t5"
// vocabularies: T5, XLM-RoBERTa, bge-m3, multilingual-e5, nomic-embed-text-v2):
//   1. special-token texts are cut out of the input (Tokenizer::splitSpecial; user-
//      defined tokens always, so they never reach the normalizer);
//   2. each text fragment is normalized: at every position the longest key of the
//      precompiled charsmap is replaced, else one UTF-8 character is copied (malformed
//      bytes become U+FFFD); with remove_extra_whitespaces every run of non-spaces
//      gets one U+2581 before it and other spaces are dropped (leading and trailing
//      ones too), else each space becomes U+2581 and add_space_prefix puts one U+2581
//      before the first non-space;
//   3. Viterbi over byte offsets: from each character boundary, every Normal or
//      UserDefined piece that starts there (found by walking a byte trie) may extend
//      the best path ending there, by its score (UserDefined: 0); where no piece
//      covers exactly the one character, the unknown id may, at (lowest Normal score
//      - 10). A candidate replaces the best so far only if it scores strictly more
//      (double sums), so on ties the earlier start and the shorter piece win;
//   4. backtrack from the end; consecutive unknown ids collapse into one.
// BOS/EOS as tokenizer.ggml.add_bos_token / add_eos_token say (XLM-R: <s> ... </s>).
#include <algorithm>
#include <limits>

#include "tokenizer/precompiled_charsmap.h"
#include "tokenizer/tokenizer_internal.h"
#include "tokenizer/unicode.h"

namespace tokenizer {
namespace {

// Token texts as a byte trie built once from the sorted texts: each node's children
// lie next to each other, sorted by byte, so a step is a binary search.
class PieceTrie {
public:
    static constexpr int32_t kNone = -1;

    // pieces: (text, id); on duplicate texts the lowest id wins.
    void build(std::vector<std::pair<std::string_view, int32_t>> pieces) {
        std::sort(pieces.begin(), pieces.end());
        m_nodes.assign(1, Node{});
        struct Pending {
            size_t node, lo, hi, depth;
        };
        std::vector<Pending> queue{{0, 0, pieces.size(), 0}};
        for (size_t q = 0; q < queue.size(); ++q) {
            auto [node, lo, hi, depth] = queue[q];
            for (; lo < hi && pieces[lo].first.size() == depth; ++lo)  // texts that end here sort first
                if (m_nodes[node].value == kNone) m_nodes[node].value = pieces[lo].second;
            m_nodes[node].first = static_cast<uint32_t>(m_nodes.size());
            for (size_t groupStart = lo; groupStart < hi;) {
                const auto b = static_cast<uint8_t>(pieces[groupStart].first[depth]);
                size_t groupEnd = groupStart;
                while (groupEnd < hi && static_cast<uint8_t>(pieces[groupEnd].first[depth]) == b) ++groupEnd;
                queue.push_back({m_nodes.size(), groupStart, groupEnd, depth + 1});
                m_nodes.push_back(Node{kNone, 0, 0, b});
                ++m_nodes[node].count;
                groupStart = groupEnd;
            }
        }
    }

    // The node reached from `node` (0 = the root) by byte b, or kNone.
    int32_t child(int32_t node, uint8_t b) const {
        const Node& n = m_nodes[static_cast<size_t>(node)];
        const auto first = m_nodes.begin() + n.first, last = first + n.count;
        const auto it = std::lower_bound(first, last, b, [](const Node& c, uint8_t v) { return c.byte < v; });
        return it != last && it->byte == b ? static_cast<int32_t>(it - m_nodes.begin()) : kNone;
    }
    int32_t value(int32_t node) const { return m_nodes[static_cast<size_t>(node)].value; }

private:
    struct Node {
        int32_t value = kNone;
        uint32_t first = 0;  // index of the first child
        uint16_t count = 0;  // children
        uint8_t byte = 0;    // the byte that leads here from the parent
    };
    std::vector<Node> m_nodes;
};

class UgmTokenizer final : public Tokenizer {
public:
    UgmTokenizer(VocabSpec& spec, PrecompiledCharsmap charsmap) : m_charsmap(std::move(charsmap)) {
        m_scores = spec.scores;
        m_scores.resize(spec.tokens.size(), 0.0f);
        m_removeExtraWhitespaces = spec.removeExtraWhitespaces.value_or(false);
        initCommon(spec);
        m_addBos = spec.addBos.value_or(false);
        m_addEos = spec.addEos.value_or(true);
        m_addSpacePrefix = spec.addSpacePrefix.value_or(true);
        m_removeLeadingSpace = m_addSpacePrefix;
        if (m_unk < 0) m_unk = find("<unk>");
        if (m_unk < 0) m_unk = 0;

        float minScore = std::numeric_limits<float>::max();
        std::vector<std::pair<std::string_view, int32_t>> pieces;
        pieces.reserve(m_texts.size());
        for (size_t i = 0; i < m_texts.size(); ++i) {
            const TokenAttr a = m_attrs[i];
            if (a == TokenAttr::Normal) minScore = std::min(minScore, m_scores[i]);
            if ((a == TokenAttr::Normal || a == TokenAttr::UserDefined) && !m_texts[i].empty())
                pieces.emplace_back(m_texts[i], static_cast<int32_t>(i));
        }
        m_trie.build(std::move(pieces));
        m_unknownScore = (minScore == std::numeric_limits<float>::max() ? 0.0 : minScore) - kUnknownPenalty;
    }

    std::vector<int32_t> encode(std::string_view text, bool addSpecial, bool parseSpecial) const override {
        std::vector<int32_t> out;
        if (addSpecial && m_addBos && m_bos >= 0) out.push_back(m_bos);
        for (const Fragment& f : splitSpecial(text, parseSpecial)) {
            if (f.token >= 0) out.push_back(f.token);
            else segment(normalize(f.text), out);
        }
        if (addSpecial && m_addEos && m_eos >= 0) out.push_back(m_eos);
        return out;
    }

    std::string tokenToPiece(int32_t id, bool renderSpecial) const override {
        if (id < 0 || id >= vocabSize()) return {};
        switch (m_attrs[id]) {
            case TokenAttr::Normal: return detail::replaceAll(m_texts[id], detail::kSpaceMark, " ");
            case TokenAttr::UserDefined: return m_texts[id];
            case TokenAttr::Unknown: return renderSpecial ? m_texts[id] : "\xE2\x96\x85";  // "▅"
            default: return renderSpecial ? m_texts[id] : std::string();
        }
    }

    std::string decode(const std::vector<int32_t>& ids, bool renderSpecial) const override {
        return joinPieces(ids, renderSpecial, m_removeLeadingSpace);
    }

private:
    static constexpr double kUnknownPenalty = 10.0;

    // Step 2: the charsmap, then the space rules, spaces written as U+2581.
    std::string normalize(std::string_view text) const {
        std::string out;
        out.reserve(text.size() * 3);
        bool inWord = false, prefixed = false;
        for (size_t pos = 0; pos < text.size();) {
            const PrecompiledCharsmap::Match m = m_charsmap.normalizePrefix(text.substr(pos));
            pos += std::max<size_t>(1, m.consumed);
            for (char c : m.replacement) {
                if (c == ' ') {
                    inWord = false;
                    if (!m_removeExtraWhitespaces) out += detail::kSpaceMark;
                    continue;
                }
                if (!inWord) {
                    inWord = true;
                    if ((m_addSpacePrefix && !prefixed) || m_removeExtraWhitespaces) {
                        out += detail::kSpaceMark;
                        prefixed = true;
                    }
                }
                out.push_back(c);
            }
        }
        return out;
    }

    // Steps 3 and 4 over normalized text; appends the ids to `out`.
    void segment(const std::string& text, std::vector<int32_t>& out) const {
        const size_t n = text.size();
        if (n == 0) return;
        struct Best {
            int32_t id;
            size_t start;
            double score;
        };
        std::vector<Best> best(n + 1, {m_unk, 0, -std::numeric_limits<double>::max()});
        best[0].score = 0.0;
        for (size_t at = 0; at < n;) {
            const size_t charLen = std::min(unicode::utf8Length(static_cast<uint8_t>(text[at])), n - at);
            const double base = best[at].score;
            bool singleCharPiece = false;
            int32_t node = 0;  // the root
            for (size_t end = at; end < n;) {
                node = m_trie.child(node, static_cast<uint8_t>(text[end++]));
                if (node == PieceTrie::kNone) break;
                const int32_t id = m_trie.value(node);
                if (id == PieceTrie::kNone) continue;
                if (end - at == charLen) singleCharPiece = true;
                const double score = base + (m_attrs[id] == TokenAttr::UserDefined ? 0.0 : m_scores[id]);
                if (score > best[end].score) best[end] = {id, at, score};
            }
            if (!singleCharPiece) {
                const double score = base + m_unknownScore;
                if (score > best[at + charLen].score) best[at + charLen] = {m_unk, at, score};
            }
            at += charLen;
        }

        const size_t mark = out.size();
        bool previousUnknown = false;
        for (size_t end = n; end > 0;) {
            const Best& b = best[end];
            const bool unknown = b.id == m_unk;
            if (!(unknown && previousUnknown)) out.push_back(b.id);
            previousUnknown = unknown;
            end = b.start;
        }
        std::reverse(out.begin() + static_cast<std::ptrdiff_t>(mark), out.end());
    }

    std::vector<float> m_scores;
    PrecompiledCharsmap m_charsmap;
    PieceTrie m_trie;
    double m_unknownScore = 0.0;
    bool m_removeExtraWhitespaces = false;
};

}  // namespace

namespace detail {

assistant::Result<std::unique_ptr<Tokenizer>> makeUgm(VocabSpec& spec) {
    auto charsmap = PrecompiledCharsmap::parse(spec.precompiledCharsmap);
    if (!charsmap) return std::unexpected(charsmap.error());
    return std::unique_ptr<Tokenizer>(std::make_unique<UgmTokenizer>(spec, std::move(*charsmap)));
}

}  // namespace detail
}  // namespace tokenizer
