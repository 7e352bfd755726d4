// SentencePiece's precompiled normalizer (tokenizer.ggml.precompiled_charsmap), the
// table behind the nmt_nfkc / nfkc rules of T5 and XLM-RoBERTa vocabularies.
//
// Blob layout (little-endian):
//   uint32 trieBytes | trie: trieBytes / 4 uint32 units | pool: NUL-terminated strings
// The trie is a Darts-clone double array over UTF-8 byte strings; a key's value is the
// offset of its replacement in the pool. Each unit packs
//   bits 0-7  label (bit 31 too, so that a unit with a value never matches a label)
//   bit  8    has a leaf: the unit at (position ^ offset) holds a value
//   bit  9    offset is shifted left by 8
//   bits 10-31 offset to the children
//   value units: bits 0-30.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "assistant/engine.h"

namespace tokenizer {

class PrecompiledCharsmap {
public:
    // The longest key that starts the text: `consumed` input bytes (0 = none) become
    // `replacement` (a view into the pool, valid while the map lives).
    struct Match {
        size_t consumed = 0;
        std::string_view replacement;
    };

    PrecompiledCharsmap() = default;
    // Validates the header sizes; an empty blob gives an empty map (no rules).
    static assistant::Result<PrecompiledCharsmap> parse(std::string_view blob);

    bool empty() const { return m_units.empty(); }
    size_t trieUnits() const { return m_units.size(); }
    size_t poolBytes() const { return m_pool.size(); }

    // Longest prefix of `text` that is a key (a NUL byte ends the search).
    Match longestPrefix(std::string_view text) const;

    // SentencePiece's normalization of one position: the longest key's replacement,
    // else one UTF-8 character copied (a malformed byte becomes U+FFFD). The replacement
    // views into the map or, for a copied character, into `text`.
    Match normalizePrefix(std::string_view text) const;

private:
    std::vector<uint32_t> m_units;
    std::string m_pool;
};

}  // namespace tokenizer
