// The vocabulary as a byte trie, built once per model, to find every token a
// grammar state allows in one walk: a subtree is skipped as soon as its prefix is
// dead, so a state that allows little (a digit, a quote) costs little, and a state
// that allows much (inside a string) costs one cached matcher step per trie node.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "grammar/grammar_matcher.h"

namespace grammar {

class TokenTrie {
public:
    // pieces[id]: the bytes token `id` decodes to. Empty pieces (control tokens) are
    // never allowed by a grammar; the caller decides about end-of-generation tokens.
    explicit TokenTrie(const std::vector<std::string>& pieces);

    // allowed[id] = 1 for every token whose whole piece keeps `state` alive, else 0;
    // allowed is resized to the vocabulary. Returns how many are allowed.
    size_t allowed(GrammarMatcher& matcher, MatchState state, std::vector<uint8_t>& allowed) const;

    size_t vocabSize() const { return m_vocabSize; }
    size_t nodeCount() const { return m_nodes.size(); }

private:
    // Preorder: a node's subtree is [its index, subtreeEnd).
    struct Node {
        uint8_t byte;
        uint16_t depth;       // 1 = the first byte of a piece
        uint32_t subtreeEnd;
        uint32_t tokenBegin, tokenEnd;  // into m_tokens: the tokens whose piece ends here
    };
    std::vector<Node> m_nodes;
    std::vector<int32_t> m_tokens;
    size_t m_vocabSize = 0;
    size_t m_maxDepth = 0;
};

}  // namespace grammar
