// Pre-tokenizers of byte-level BPE vocabularies: the text is cut into words by the
// split regexes named by tokenizer.ggml.pre, before BPE runs on each word.
//
// The regexes are those of the models' tokenizer.json files (as llama.cpp lists
// them per pre-tokenizer type). They run on a small backtracking matcher written
// for them: alternation, (?:...), (?!...), classes with \p{L} \p{N} \p{P} \p{M}
// \p{S} \s \S and ranges, quantifiers ? * + {n,m}, and $. Several regexes apply in
// turn: each splits the pieces of the previous one, and the parts no match covers
// stay pieces of their own.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tokenizer {

namespace regex {
struct Pattern;  // compiled pattern, pre_tokenizer.cpp
}

class PreTokenizer {
public:
    // nullopt when `pre` is not a known tokenizer.ggml.pre value. "" means "default".
    static std::optional<PreTokenizer> forName(std::string_view pre);
    // From explicit patterns (tests); nullopt if one does not compile.
    static std::optional<PreTokenizer> fromPatterns(const std::vector<std::string>& patterns);

    // Words of `text`, in order; their concatenation is `text`.
    std::vector<std::string> split(std::string_view text) const;
    // Llama-3 style vocabularies look a whole word up before merging.
    bool ignoreMerges() const { return m_ignoreMerges; }

private:
    std::vector<std::shared_ptr<const regex::Pattern>> m_patterns;
    bool m_ignoreMerges = false;
};

}  // namespace tokenizer
