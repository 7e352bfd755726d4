// Factories of the concrete tokenizers (one file each); fromSpec dispatches to them.
#pragma once

#include <memory>

#include "tokenizer/tokenizer.h"

namespace tokenizer::detail {

// Each takes a spec whose model matches and whose arrays are consistent in size.
assistant::Result<std::unique_ptr<Tokenizer>> makeSpm(VocabSpec& spec);        // spm_tokenizer.cpp
assistant::Result<std::unique_ptr<Tokenizer>> makeWordPiece(VocabSpec& spec);  // wordpiece_tokenizer.cpp
assistant::Result<std::unique_ptr<Tokenizer>> makeBpe(VocabSpec& spec);        // bpe_tokenizer.cpp
assistant::Result<std::unique_ptr<Tokenizer>> makeUnigram(VocabSpec& spec);    // unigram_tokenizer.cpp (TF.js USE)
assistant::Result<std::unique_ptr<Tokenizer>> makeUgm(VocabSpec& spec);        // ugm_tokenizer.cpp (t5, XLM-R)

// "▁" (U+2581), SentencePiece's stand-in for a space.
inline constexpr std::string_view kSpaceMark = "\xE2\x96\x81";

// Replaces every occurrence of `from` in `text` with `to`.
std::string replaceAll(std::string_view text, std::string_view from, std::string_view to);

}  // namespace tokenizer::detail
