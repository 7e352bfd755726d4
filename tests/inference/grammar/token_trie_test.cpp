// The vocabulary trie's masks agree with checking every token on its own.
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "grammar/token_trie.h"

namespace {

std::vector<std::string> testVocabulary() {
    std::vector<std::string> pieces = {"", "{", "}", "\"", ":", ",", " ", "true", "false", "null", "\"a", "\":",
                                       "\xC3", "\xA9", "é", "\xE2\x82", "\xAC", "€", "12", "3", "-", ".5", "{\"",
                                       "\"}", "ab", "abc", "a", "b", "c", "}\n", "  ", "\n"};
    std::mt19937 rng(7);
    const std::string alphabet = "ab{}\":, 0123456789tfnul.\\-e";
    for (int i = 0; i < 400; ++i) {  // random pieces, duplicates included
        std::string p;
        const int len = 1 + static_cast<int>(rng() % 5);
        for (int j = 0; j < len; ++j) p += alphabet[rng() % alphabet.size()];
        pieces.push_back(p);
    }
    return pieces;
}

TEST(TokenTrie, MasksAgreeWithCheckingEachToken) {
    auto parsed = grammar::parseGbnf(R"(
root ::= "{" ws (pair ("," ws pair)*)? "}"
pair ::= "\"" [a-c]* "\"" ws ":" ws value ws
value ::= "true" | "false" | "null" | "-"? [0-9]+ ("." [0-9]+)? | "\"" [^"\\]* "\""
ws ::= [ \n]*
)");
    ASSERT_TRUE(parsed.has_value()) << parsed.error().describe();
    auto g = std::make_shared<const grammar::Grammar>(std::move(*parsed));
    const auto pieces = testVocabulary();
    grammar::TokenTrie trie(pieces);
    grammar::GrammarMatcher m(g);

    const std::vector<std::string> prefixes = {"", "{", "{\"a", "{\"ab\": ", "{\"ab\": 12", "{\"ab\": \"x",
                                               "{\"ab\": \"\xE2\x82", "{\"ab\": true, \"c\":-"};
    for (const std::string& prefix : prefixes) {
        const grammar::MatchState s = m.advance(m.start(), prefix);
        ASSERT_FALSE(s.dead()) << prefix;
        std::vector<uint8_t> mask;
        const size_t count = trie.allowed(m, s, mask);
        size_t expected = 0;
        for (size_t id = 0; id < pieces.size(); ++id) {
            const bool ok = !pieces[id].empty() && !m.advance(s, pieces[id]).dead();
            expected += ok;
            EXPECT_EQ(mask[id] != 0, ok) << "prefix '" << prefix << "' piece '" << pieces[id] << "'";
        }
        EXPECT_EQ(count, expected);
        EXPECT_GT(count, 0u) << prefix;
    }
}

}  // namespace
