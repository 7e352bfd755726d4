// Runs a Grammar over UTF-8 bytes: a pushdown matcher whose state is the set of
// stacks the text so far can be in (every parse at once, like an Earley parser
// without left recursion).
//
// A stack is a list of element positions: the top is the next element to match, the
// ones below are where each enclosing rule continues. Stacks are hash-consed nodes
// (position, parent node), so equal stacks are equal ids and a set of stacks is a
// sorted vector of node ids, itself interned: the whole parse state is one number,
// and "state x code point -> state" is a cached table lookup after the first time.
// Every stack in a set is normalized: its top is a Chars element, or it is empty
// (node 0), meaning the text so far is a complete match.
//
// MatchState is a small value: callers keep as many as they like (a speculative draft,
// a vocabulary walk); the GrammarMatcher holds the caches they index into. Not
// thread-safe: one matcher per generation.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "grammar/grammar.h"

namespace grammar {

struct MatchState {
    uint32_t stacks = 0;    // interned set of stacks; 0 = no parse left (dead)
    uint32_t partial = 0;   // bits of a code point whose UTF-8 bytes are still arriving
    uint8_t pending = 0;    // continuation bytes still expected for it
    uint8_t length = 0;     // that character's UTF-8 length (2-4): overlong forms are refused
    bool dead() const { return stacks == 0; }
    bool operator==(const MatchState&) const = default;
};

class GrammarMatcher {
public:
    explicit GrammarMatcher(std::shared_ptr<const Grammar> grammar);

    // The state before any text: the root rule's alternatives.
    MatchState start() const { return m_start; }

    // One byte more. A dead result means no text that starts this way can match;
    // a byte inside a multi-byte character is dead as soon as no code point it
    // could begin is allowed.
    MatchState advanceByte(MatchState state, uint8_t byte);
    // Several bytes (a token's piece, possibly ending inside a character).
    MatchState advance(MatchState state, std::string_view bytes);
    // Whether the text so far is a complete match (end of text allowed here).
    bool complete(MatchState state) const;
    // Whether more text may follow (some stack still expects a character).
    bool canContinue(MatchState state) const;

    const Grammar& grammar() const { return *m_grammar; }
    size_t stackNodes() const { return m_nodes.size(); }  // cache size, for tests and logs

private:
    struct Node {
        uint32_t pos;     // element index of the top
        uint32_t parent;  // node below; 0 = none
    };
    uint32_t node(uint32_t pos, uint32_t parent);
    // Appends the normalized stacks of (pos, parent) to out.
    void normalize(uint32_t pos, uint32_t parent, std::vector<uint32_t>& out);
    uint32_t intern(std::vector<uint32_t>& stacks);
    uint32_t step(uint32_t stacks, char32_t cp);
    bool anyAllows(uint32_t stacks, char32_t lo, char32_t hi) const;

    std::shared_ptr<const Grammar> m_grammar;
    std::vector<Node> m_nodes;                       // [0] = the empty stack
    std::unordered_map<uint64_t, uint32_t> m_nodeIds;
    std::vector<std::vector<uint32_t>> m_sets;       // [0] = no stacks
    std::unordered_map<std::string, uint32_t> m_setIds;  // key: the set's ids as bytes
    std::unordered_map<uint64_t, uint32_t> m_steps;  // (set << 21 | code point) -> set
    std::vector<std::vector<uint32_t>> m_asciiSteps;  // per set: [128] next sets, lazily; ~0 unknown
    MatchState m_start;
};

}  // namespace grammar
