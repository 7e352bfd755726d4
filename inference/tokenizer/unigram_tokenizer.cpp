// SentencePiece unigram segmentation ("unigram" vocabularies, e.g. USE-Lite), the
// way the TF.js Universal Sentence Encoder tokenizer computes it, so that ids match
// the ones the model was run with:
//   1. the text is NFKC-normalized; a non-empty text gets a leading U+2581 and every
//      space becomes U+2581;
//   2. lattice: at each code point i, every vocabulary piece that starts there (pieces
//      of the Normal and UserDefined types only: the reserved ids are never produced);
//      where none does, the single code point as an unknown piece of score 0;
//   3. Viterbi over end positions: a candidate replaces the best so far when that
//      best is exactly 0 (unset) or the candidate's score is >= it (later starts win
//      ties), scores summed in double;
//   4. backtrack from the end; consecutive unknown ids collapse into one.
// No special-token parsing and no BOS/EOS unless the vocabulary asks for them.
#include <algorithm>

#include "tokenizer/tokenizer_internal.h"
#include "tokenizer/nfkc.h"
#include "tokenizer/unicode.h"

namespace tokenizer {
namespace {

class UnigramTokenizer final : public Tokenizer {
public:
    explicit UnigramTokenizer(VocabSpec& spec) {
        m_scores = spec.scores;
        m_scores.resize(spec.tokens.size(), 0.0f);
        initCommon(spec);
        m_addBos = spec.addBos.value_or(false);
        m_addEos = spec.addEos.value_or(false);
        m_addSpacePrefix = spec.addSpacePrefix.value_or(true);
        m_removeLeadingSpace = m_addSpacePrefix;
        m_pieceLength.resize(m_texts.size());
        for (size_t i = 0; i < m_texts.size(); ++i) {
            m_pieceLength[i] = static_cast<int32_t>(unicode::toCodepoints(m_texts[i]).size());
            const bool candidate = m_attrs[i] == TokenAttr::Normal || m_attrs[i] == TokenAttr::UserDefined;
            if (candidate && !m_texts[i].empty()) {
                m_pieces.emplace(m_texts[i], static_cast<int32_t>(i));  // first id wins on duplicates
                m_maxPieceLength = std::max(m_maxPieceLength, m_pieceLength[i]);
            }
        }
    }

    std::vector<int32_t> encode(std::string_view text, bool addSpecial, bool /*parseSpecial*/) const override {
        std::vector<int32_t> out;
        if (addSpecial && m_addBos && m_bos >= 0) out.push_back(m_bos);
        encodeText(text, out);
        if (addSpecial && m_addEos && m_eos >= 0) out.push_back(m_eos);
        return out;
    }

    std::string tokenToPiece(int32_t id, bool renderSpecial) const override {
        if (id < 0 || id >= vocabSize()) return {};
        switch (m_attrs[id]) {
            case TokenAttr::Normal:
            case TokenAttr::UserDefined: return detail::replaceAll(m_texts[id], detail::kSpaceMark, " ");
            case TokenAttr::Unknown: return renderSpecial ? m_texts[id] : "\xE2\x96\x85";  // "▅"
            default: return renderSpecial ? m_texts[id] : std::string();
        }
    }

    std::string decode(const std::vector<int32_t>& ids, bool renderSpecial) const override {
        return joinPieces(ids, renderSpecial, m_addSpacePrefix);
    }

private:
    struct Candidate {
        int32_t start;
        int32_t id;
        float score;
    };

    void encodeText(std::string_view raw, std::vector<int32_t>& out) const {
        const std::string normalized = unicode::nfkc(raw);
        if (normalized.empty()) return;
        std::string text(detail::kSpaceMark);
        text += detail::replaceAll(normalized, " ", detail::kSpaceMark);

        // Code point boundaries as byte offsets: symbol i is text[offset[i], offset[i+1]).
        std::vector<size_t> offset;
        for (size_t pos = 0; pos < text.size();) {
            offset.push_back(pos);
            pos += std::max<size_t>(1, unicode::utf8Length(static_cast<uint8_t>(text[pos])));
            pos = std::min(pos, text.size());
        }
        const int32_t n = static_cast<int32_t>(offset.size());
        offset.push_back(text.size());

        // ending[e]: the pieces that end at symbol e, by ascending start (the order the
        // reference visits them in).
        std::vector<std::vector<Candidate>> ending(static_cast<size_t>(n) + 1);
        std::string key;
        for (int32_t i = 0; i < n; ++i) {
            bool matched = false;
            for (int32_t len = 1; len <= m_maxPieceLength && i + len <= n; ++len) {
                key.assign(text, offset[i], offset[i + len] - offset[i]);
                const auto it = m_pieces.find(key);
                if (it == m_pieces.end()) continue;
                ending[i + len].push_back({i, it->second, m_scores[it->second]});
                matched = true;
            }
            if (!matched) ending[i + 1].push_back({i, kUnknownId, 0.0f});
        }

        std::vector<double> best(static_cast<size_t>(n) + 1, 0.0);
        std::vector<int32_t> word(static_cast<size_t>(n) + 1, kUnknownId);
        for (int32_t e = 0; e <= n; ++e) {
            for (const Candidate& c : ending[e]) {
                const double score = static_cast<double>(c.score) + best[c.start];
                if (best[e] == 0.0 || score >= best[e]) {
                    best[e] = score;
                    word[e] = c.id;
                }
            }
        }

        std::vector<int32_t> reversed;
        for (int32_t it = n; it > 0;) {
            const int32_t id = word[it];
            reversed.push_back(id == kUnknownId ? unknownId() : id);
            it -= id == kUnknownId ? 1 : std::max(1, m_pieceLength[id]);
        }
        bool previousUnknown = false;
        const size_t mark = out.size();
        for (int32_t id : reversed) {
            const bool unknown = id == unknownId();
            if (!(previousUnknown && unknown)) out.push_back(id);
            previousUnknown = unknown;
        }
        std::reverse(out.begin() + static_cast<std::ptrdiff_t>(mark), out.end());
    }

    // The unknown piece: the vocabulary's unk id, else 0 (the TF.js tokenizer's choice).
    int32_t unknownId() const { return m_unk >= 0 ? m_unk : 0; }

    static constexpr int32_t kUnknownId = -1;  // lattice marker, mapped by unknownId()
    std::vector<float> m_scores;
    std::vector<int32_t> m_pieceLength;  // code points per token text
    std::unordered_map<std::string, int32_t> m_pieces;
    int32_t m_maxPieceLength = 0;
};

}  // namespace

namespace detail {

assistant::Result<std::unique_ptr<Tokenizer>> makeUnigram(VocabSpec& spec) {
    return std::unique_ptr<Tokenizer>(std::make_unique<UnigramTokenizer>(spec));
}

}  // namespace detail
}  // namespace tokenizer
