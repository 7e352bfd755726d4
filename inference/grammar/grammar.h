// A compiled GBNF grammar (llama.cpp's grammar format, see parseGbnf) in the flat
// form the matcher runs: every rule is a list of alternatives, every alternative a
// run of elements ended by End, all alternatives back to back in one array. Groups
// and repetitions (( ) * + ? {m,n}) are already rewritten into generated rules, and
// negated character classes into positive ones, so an element is one of
//   Chars  one code point from a sorted, merged set of ranges
//   Rule   a reference to another rule
//   End    the end of an alternative
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace grammar {

struct CharRange {
    char32_t lo = 0, hi = 0;  // inclusive
};

// Code points as sorted, non-overlapping, non-adjacent ranges.
struct CharSet {
    std::vector<CharRange> ranges;
    bool contains(char32_t cp) const;
    // Whether any code point of [lo, hi] is in the set.
    bool intersects(char32_t lo, char32_t hi) const;
};

enum class ElementKind : uint8_t { Chars, Rule, End };

struct Element {
    ElementKind kind = ElementKind::End;
    uint32_t index = 0;  // Chars: into Grammar::charSets; Rule: the rule id
};

struct Grammar {
    std::vector<Element> elements;              // every alternative, each ended by End
    std::vector<CharSet> charSets;
    std::vector<std::vector<uint32_t>> alternatives;  // per rule: start offsets in elements
    std::vector<std::string> ruleNames;         // generated rules: "name-3" after their user rule
    uint32_t root = 0;
};

// A grammar error: what is wrong and where (1-based line and column of the text,
// 0 when it concerns the grammar as a whole, e.g. a missing root rule).
struct GrammarError {
    std::string message;
    int line = 0;
    int column = 0;
    // "line 3, column 14: expected '::='" (or the bare message without a position).
    std::string describe() const;
};

// Parses GBNF text:
//   name ::= alternative | alternative ...     rules; "root" is the start rule
//   "text" with \n \r \t \\ \" \' \[ \] \- \/ \xNN \uNNNN \UNNNNNNNN escapes
//   [a-z0-9_] [^"\\]  character classes (negated with ^), .  any code point
//   ( ... )  grouping;  x*  x+  x?  x{m}  x{m,}  x{m,n}  x{,n}  repetition
//   # comment to the end of the line
// Rules may span lines; a rule ends where the next "name ::=" begins. Rejects
// undefined and duplicate rules, a missing root, and left recursion (a rule that can
// reach itself without consuming a character), which the matcher cannot run.
std::expected<Grammar, GrammarError> parseGbnf(std::string_view text);

}  // namespace grammar
