// Text <-> token ids for every vocabulary type the engine supports, loaded from a
// GGUF's tokenizer.* metadata:
//   "llama" -> SentencePiece-style (scores, byte fallback, dummy-prefix space)
//   "gpt2"  -> byte-level BPE (merges) with the pre-tokenizer rules named by
//              tokenizer.ggml.pre
//   "bert"  -> WordPiece
//   "t5"    -> SentencePiece unigram as llama.cpp's UGM (T5, XLM-RoBERTa)
//   "unigram" -> SentencePiece unigram as TF.js runs it (USE-Lite)
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <string_view>
#include <vector>

#include "assistant/engine.h"

namespace gguf {
class File;
}

namespace tokenizer {

enum class TokenAttr : uint8_t { Normal, Unknown, Control, UserDefined, Unused, Byte };

// Everything a tokenizer is built from: the tokenizer.* metadata of a GGUF, or a
// hand-made vocabulary in tests. Ids of -1 mean "none".
struct VocabSpec {
    std::string model = "llama";         // tokenizer.ggml.model: "llama", "gpt2", "bert", "t5", "unigram"
    std::string pre;                     // tokenizer.ggml.pre; "" = "default"
    std::string name;                    // general.name (a few quirks key on it)
    std::vector<std::string> tokens;
    std::vector<float> scores;           // empty = all 0 (SPM merge priority)
    std::vector<int32_t> types;          // GGUF token_type (1..6); empty = all normal
    std::vector<std::string> merges;     // "left right", best rank first (gpt2)
    int32_t bos = -1, eos = -1, eot = -1, eom = -1, unk = -1, pad = -1, cls = -1, sep = -1;
    // Absent keys take the model's default: SPM adds BOS and a dummy-prefix space,
    // BERT adds CLS/SEP, byte-level BPE adds nothing.
    std::optional<bool> addBos, addEos, addSpacePrefix;
    // t5: tokenizer.ggml.precompiled_charsmap (raw bytes; empty = no normalization
    // rules) and tokenizer.ggml.remove_extra_whitespaces (absent = false).
    std::string precompiledCharsmap;
    std::optional<bool> removeExtraWhitespaces;
};

class Tokenizer {
public:
    // Reads tokenizer.* from the file. UnsupportedTokenizer names the model/pre it lacks.
    static assistant::Result<std::unique_ptr<Tokenizer>> fromGguf(const gguf::File& file);
    // Same from an explicit vocabulary (tests, other container formats).
    static assistant::Result<std::unique_ptr<Tokenizer>> fromSpec(VocabSpec spec);
    virtual ~Tokenizer() = default;

    // addSpecial: BOS/EOS (or CLS/SEP) as the vocabulary's add_bos/add_eos say.
    // parseSpecial: control/user-defined token texts in `text` map to their ids.
    virtual std::vector<int32_t> encode(std::string_view text, bool addSpecial, bool parseSpecial) const = 0;

    // The bytes a token stands for (byte tokens -> that byte; "▁" -> ' '; control
    // tokens -> "" unless renderSpecial). May be an incomplete UTF-8 sequence.
    virtual std::string tokenToPiece(int32_t id, bool renderSpecial = false) const = 0;
    // Whole-sequence decode (handles the leading-space rule of the vocab).
    virtual std::string decode(const std::vector<int32_t>& ids, bool renderSpecial = false) const = 0;

    int32_t vocabSize() const { return static_cast<int32_t>(m_texts.size()); }
    const std::string& tokenText(int32_t id) const { return m_texts.at(id); }
    TokenAttr attr(int32_t id) const { return m_attrs.at(id); }
    int32_t bos() const { return m_bos; }
    int32_t eos() const { return m_eos; }
    int32_t eot() const { return m_eot; }   // end-of-turn (e.g. <|im_end|>, <|eot_id|>); -1 if none
    bool addBos() const { return m_addBos; }
    bool addEos() const { return m_addEos; }
    // True for ids that end generation (EOS, EOT and other end-of-generation tokens).
    bool isEndOfGeneration(int32_t id) const;
    const std::string& model() const { return m_model; }  // "llama", "gpt2", "bert"
    const std::string& pre() const { return m_pre; }
    int32_t unk() const { return m_unk; }
    int32_t pad() const { return m_pad; }
    bool addSpacePrefix() const { return m_addSpacePrefix; }
    // Whether decoding drops the leading space of the first piece (the SPM dummy
    // prefix, WordPiece's word marks).
    bool removesLeadingSpace() const { return m_removeLeadingSpace; }
    // Id of the token whose text is exactly `text`, or -1.
    int32_t find(std::string_view text) const;

protected:
    // A piece of the input: raw text to run through the model's algorithm, or a
    // special token matched verbatim (token >= 0).
    struct Fragment {
        std::string_view text;
        int32_t token = -1;
    };
    // Copies the common fields of the spec (texts, attributes, special ids).
    void initCommon(VocabSpec& spec);
    // Splits `text` at occurrences of special-token texts, longest first. User-defined
    // tokens always match; control and unknown ones only when parseSpecial.
    std::vector<Fragment> splitSpecial(std::string_view text, bool parseSpecial) const;
    // decode() of the vocabularies whose pieces simply concatenate: the pieces joined,
    // and the leading space dropped when stripLeadingSpace (the one the space prefix
    // put before the first word).
    std::string joinPieces(const std::vector<int32_t>& ids, bool renderSpecial, bool stripLeadingSpace) const;

    std::unordered_map<std::string, int32_t> m_textToId;
    std::vector<int32_t> m_specialByLength;  // control/user-defined/unknown ids, longest text first
    int32_t m_unk = -1, m_pad = -1, m_eom = -1;
    bool m_addSpacePrefix = false;
    bool m_removeLeadingSpace = false;

    std::vector<std::string> m_texts;
    std::vector<TokenAttr> m_attrs;
    std::vector<int32_t> m_endOfGeneration;
    int32_t m_bos = -1, m_eos = -1, m_eot = -1;
    bool m_addBos = false, m_addEos = false;
    std::string m_model, m_pre;
};

// Turns a stream of token ids into text pieces that never split a UTF-8 character:
// bytes of an incomplete sequence are held back until the sequence completes.
class StreamingDecoder {
public:
    // atTextStart: the first token begins the text, so the vocabulary's dummy-prefix
    // space is dropped; false when continuing a prompt (generation).
    explicit StreamingDecoder(const Tokenizer& tokenizer, bool atTextStart = true)
        : m_tokenizer(tokenizer), m_first(atTextStart) {}
    // Returns the complete UTF-8 text that token `id` finishes (possibly empty).
    std::string push(int32_t id);
    // Whatever is held back at the end (invalid sequences come out as U+FFFD).
    std::string flush();

private:
    const Tokenizer& m_tokenizer;
    bool m_first = true;
    std::string m_pending;
};

}  // namespace tokenizer
