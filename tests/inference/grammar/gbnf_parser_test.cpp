// GBNF parsing: grammars that parse (checked through what they match, in
// grammar_matcher_test.cpp) and grammars that fail, with the error's position.
#include <gtest/gtest.h>

#include <string>

#include "grammar/grammar.h"

namespace {

struct BadGrammar {
    const char* text;
    const char* messagePart;
    int line, column;
};

class GbnfErrors : public testing::TestWithParam<BadGrammar> {};

TEST_P(GbnfErrors, NameTheProblemAndWhere) {
    const BadGrammar& c = GetParam();
    auto g = grammar::parseGbnf(c.text);
    ASSERT_FALSE(g.has_value()) << c.text;
    EXPECT_NE(g.error().message.find(c.messagePart), std::string::npos) << g.error().describe();
    EXPECT_EQ(g.error().line, c.line) << g.error().describe();
    EXPECT_EQ(g.error().column, c.column) << g.error().describe();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, GbnfErrors,
    testing::Values(BadGrammar{"root ::= foo", "undefined rule 'foo'", 1, 10},
                    BadGrammar{"start ::= \"a\"", "no 'root' rule", 0, 0},
                    BadGrammar{"root ::= \"a\"\nroot ::= \"b\"", "defined twice", 2, 1},
                    BadGrammar{"root ::= \"abc", "unterminated string", 1, 10},
                    BadGrammar{"root ::= [a-z", "unterminated character class", 1, 10},
                    BadGrammar{"root ::= [z-a]", "end is below its start", 1, 13},
                    BadGrammar{"root ::= (\"a\" | \"b\"", "expected ')'", 1, 20},
                    BadGrammar{"root ::= \"a\" )", "without a matching '('", 1, 14},
                    BadGrammar{"root ::= \"\\q\"", "unknown escape", 1, 11},
                    BadGrammar{"root ::= \"\\x4\"", "2 hex digits", 1, 11},
                    BadGrammar{"root ::= \"a\"{3,1}", "out of order", 1, 13},
                    BadGrammar{"root ::= * \"a\"", "nothing to repeat", 1, 10},
                    BadGrammar{"root ::= \"a\" ! \"b\"", "unexpected character '!'", 1, 14},
                    BadGrammar{"root = \"a\"", "expected '::='", 1, 6},
                    BadGrammar{"# expr\nroot ::= expr\nexpr ::= expr \"+\" term | term\nterm ::= [0-9]",
                               "left recursion", 3, 1},
                    BadGrammar{"root ::= a\na ::= b? a \"x\"\nb ::= \"y\"", "left recursion", 2, 1},
                    BadGrammar{"root ::= (\"a\"?)*", "left recursion", 1, 1}));

TEST(Gbnf, ErrorDescriptionCarriesThePosition) {
    auto g = grammar::parseGbnf("root ::= \"a\"\n  | missing");
    ASSERT_FALSE(g.has_value());
    EXPECT_EQ(g.error().describe(), "line 2, column 5: undefined rule 'missing'");
}

TEST(Gbnf, GroupsAndRepetitionsBecomeRules) {
    auto g = grammar::parseGbnf("root ::= (\"a\" | \"b\")+ x{2,4}\nx ::= [0-9]  # digit\n");
    ASSERT_TRUE(g.has_value()) << g.error().describe();
    EXPECT_EQ(g->ruleNames[g->root], "root");
    EXPECT_GT(g->ruleNames.size(), 3u);  // root, the group, its star, x, the optionals
    for (const std::string& name : g->ruleNames)
        if (name != "root" && name != "x") EXPECT_TRUE(name.starts_with("root-")) << name;
}

TEST(Gbnf, NegatedClassesAreComplemented) {
    auto g = grammar::parseGbnf("root ::= [^a-c\\x00]");
    ASSERT_TRUE(g.has_value());
    ASSERT_EQ(g->charSets.size(), 1u);
    const grammar::CharSet& set = g->charSets[0];
    EXPECT_FALSE(set.contains(U'a'));
    EXPECT_FALSE(set.contains(U'c'));
    EXPECT_FALSE(set.contains(0));
    EXPECT_TRUE(set.contains(U'd'));
    EXPECT_TRUE(set.contains(U'`'));
    EXPECT_TRUE(set.contains(0x10FFFF));
}

}  // namespace
