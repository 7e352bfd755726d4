// WordPiece ("bert" vocabularies), following BERT's basic tokenizer:
//   1. clean: drop NUL, U+FFFD and control characters, map whitespace to ' ';
//   2. put spaces around CJK ideographs; NFD-decompose, drop combining marks (Mn)
//      and lowercase (uncased BERT);
//   3. split on whitespace; every punctuation character is a word of its own;
//   4. per word, greedy longest-match-first; a word that cannot be covered is [UNK].
// In GGUF the vocabulary is stored the llama.cpp way: a word-initial piece carries a
// "▁" prefix and a continuation piece has no "##".
#include "tokenizer/tokenizer_internal.h"
#include "tokenizer/unicode.h"
#include "common/utf8.h"

namespace tokenizer {
namespace {

// BERT's "Chinese character" blocks (CJK ideographs, not Hangul or kana).
bool isCjk(char32_t cp) {
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
           (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

// ASCII symbols count as punctuation in BERT ($, +, <, =, >, ^, `, |, ~).
bool isBertPunctuation(char32_t cp) {
    if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) {
        return true;
    }
    return unicode::isPunctuation(cp);
}

constexpr size_t kMaxWordChars = 100;  // longer words are [UNK], as in BERT

class WordPieceTokenizer final : public Tokenizer {
public:
    explicit WordPieceTokenizer(VocabSpec& spec) {
        initCommon(spec);
        if (spec.cls >= 0) m_bos = spec.cls;
        if (spec.sep >= 0) m_eos = spec.sep;
        if (m_unk < 0) m_unk = find("[UNK]");
        m_addBos = spec.addBos.value_or(true);
        m_addEos = spec.addEos.value_or(true);
        m_addSpacePrefix = spec.addSpacePrefix.value_or(false);
        m_removeLeadingSpace = true;  // every word piece starts with "▁"
    }

    std::vector<int32_t> encode(std::string_view text, bool addSpecial, bool parseSpecial) const override {
        std::vector<int32_t> out;
        if (addSpecial && m_addBos && m_bos >= 0) out.push_back(m_bos);
        for (const Fragment& f : splitSpecial(text, parseSpecial)) {
            if (f.token >= 0) {
                out.push_back(f.token);
                continue;
            }
            for (const std::u32string& word : words(f.text)) encodeWord(word, out);
        }
        if (addSpecial && m_addEos && m_eos >= 0) out.push_back(m_eos);
        return out;
    }

    std::string tokenToPiece(int32_t id, bool renderSpecial) const override {
        if (id < 0 || id >= vocabSize()) return {};
        const std::string& text = m_texts[id];
        switch (m_attrs[id]) {
            case TokenAttr::Normal:
            case TokenAttr::UserDefined: return detail::replaceAll(text, detail::kSpaceMark, " ");
            case TokenAttr::Control:
            case TokenAttr::Unknown: return renderSpecial ? text : std::string();
            case TokenAttr::Unused:
            case TokenAttr::Byte: return {};
        }
        return {};
    }

    std::string decode(const std::vector<int32_t>& ids, bool renderSpecial) const override {
        return joinPieces(ids, renderSpecial, true);  // words are joined with spaces: drop the first
    }

private:
    // Steps 1-3: normalized words.
    static std::vector<std::u32string> words(std::string_view text) {
        std::vector<std::u32string> result(1);
        auto endWord = [&result]() {
            if (!result.back().empty()) result.emplace_back();
        };
        std::u32string decomposed, lowered;
        for (size_t pos = 0; pos < text.size();) {
            const char32_t cp = utf8::decode(text, pos);
            if (unicode::isWhitespace(cp)) {
                endWord();
                continue;
            }
            if (cp == 0 || cp == 0xFFFD || unicode::isControl(cp)) continue;
            decomposed.clear();
            unicode::appendNfd(decomposed, cp);
            for (char32_t d : decomposed) {
                if (unicode::category(d) == unicode::Category::Mn) continue;
                lowered.clear();
                unicode::appendLower(lowered, d);
                for (char32_t c : lowered) {
                    if (isBertPunctuation(c) || isCjk(c)) {
                        endWord();
                        result.back() += c;
                        result.emplace_back();
                    } else {
                        result.back() += c;
                    }
                }
            }
        }
        if (result.back().empty()) result.pop_back();
        return result;
    }

    // Step 4: greedy longest match; the first piece is looked up as "▁" + text.
    void encodeWord(const std::u32string& word, std::vector<int32_t>& out) const {
        if (word.size() > kMaxWordChars) {
            if (m_unk >= 0) out.push_back(m_unk);
            return;
        }
        const size_t mark = out.size();
        size_t start = 0;
        while (start < word.size()) {
            int32_t found = -1;
            size_t end = word.size();
            for (; end > start; --end) {
                std::string piece = start == 0 ? std::string(detail::kSpaceMark) : std::string();
                for (size_t i = start; i < end; ++i) utf8::append(piece, word[i]);
                found = find(piece);
                if (found >= 0) break;
            }
            if (found < 0) {
                out.resize(mark);
                if (m_unk >= 0) out.push_back(m_unk);
                return;
            }
            out.push_back(found);
            start = end;
        }
    }
};

}  // namespace

namespace detail {
assistant::Result<std::unique_ptr<Tokenizer>> makeWordPiece(VocabSpec& spec) {
    return std::unique_ptr<Tokenizer>(new WordPieceTokenizer(spec));
}
}  // namespace detail

}  // namespace tokenizer
