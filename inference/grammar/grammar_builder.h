// The parser's output before checking and flattening: rules by id, each a list of
// alternatives of elements (a Chars element holds its set inline). Shared by
// gbnf_parser.cpp (which fills it) and grammar.cpp (which checks and flattens it).
#pragma once

#include <expected>
#include <string>
#include <unordered_map>
#include <vector>

#include "grammar/grammar.h"

namespace grammar::detail {

struct RawElement {
    ElementKind kind = ElementKind::Chars;  // Chars or Rule
    uint32_t rule = 0;
    CharSet chars;
};
using RawSequence = std::vector<RawElement>;

struct RawRule {
    std::string name;
    std::vector<RawSequence> alternatives;
    bool defined = false;
    int line = 0, column = 0;  // definition, or the first reference while undefined
};

struct RawGrammar {
    std::vector<RawRule> rules;
    std::unordered_map<std::string, uint32_t> ids;

    // The id of a named rule, creating an undefined entry on first sight.
    uint32_t idOf(const std::string& name, int line, int column);
    // A fresh rule for a group or repetition inside `parent`, named "parent-N".
    uint32_t generated(uint32_t parent);
};

// Checks (undefined rules, root, left recursion) and flattens into a Grammar.
std::expected<Grammar, GrammarError> finish(RawGrammar raw);

// Sorts and merges ranges; with negate, the complement within [0, 0x10FFFF].
CharSet normalizeSet(std::vector<CharRange> ranges, bool negate);

}  // namespace grammar::detail
