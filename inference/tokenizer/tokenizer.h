// Text <-> token ids for every vocabulary type the engine supports, loaded from a
// GGUF's tokenizer.* metadata:
//   "llama" -> SentencePiece-style (scores, byte fallback, dummy-prefix space)
//   "gpt2"  -> byte-level BPE (merges) with the pre-tokenizer rules named by
//              tokenizer.ggml.pre
//   "bert"  -> WordPiece
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "assistant/engine.h"

namespace gguf {
class File;
}

namespace tokenizer {

enum class TokenAttr : uint8_t { Normal, Unknown, Control, UserDefined, Unused, Byte };

class Tokenizer {
public:
    // Reads tokenizer.* from the file. UnsupportedTokenizer names the model/pre it lacks.
    static assistant::Result<std::unique_ptr<Tokenizer>> fromGguf(const gguf::File& file);
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

protected:
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
    explicit StreamingDecoder(const Tokenizer& tokenizer) : m_tokenizer(tokenizer) {}
    // Returns the complete UTF-8 text that token `id` finishes (possibly empty).
    std::string push(int32_t id);
    // Whatever is held back at the end (invalid sequences come out as U+FFFD).
    std::string flush();

private:
    const Tokenizer& m_tokenizer;
    std::string m_pending;
    bool m_first = true;
};

}  // namespace tokenizer
