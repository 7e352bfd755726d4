// The matcher: whole strings accepted or rejected (table-driven), prefixes that stay
// alive, completion, partial UTF-8, and repetition bounds.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "grammar/grammar_matcher.h"

namespace {

using grammar::GrammarMatcher;
using grammar::MatchState;

std::shared_ptr<const grammar::Grammar> compile(const std::string& text) {
    auto g = grammar::parseGbnf(text);
    EXPECT_TRUE(g.has_value()) << text << ": " << (g ? "" : g.error().describe());
    if (!g) return nullptr;
    return std::make_shared<const grammar::Grammar>(std::move(*g));
}

// Whether the whole string is a complete match.
bool matches(const std::string& grammarText, const std::string& text) {
    auto g = compile(grammarText);
    if (!g) return false;
    GrammarMatcher m(g);
    return m.complete(m.advance(m.start(), text));
}

// Whether the string is a prefix of some match.
bool alive(const std::string& grammarText, const std::string& text) {
    auto g = compile(grammarText);
    if (!g) return false;
    GrammarMatcher m(g);
    return !m.advance(m.start(), text).dead();
}

struct MatchCase {
    const char* grammar;
    const char* text;
    bool complete;
};

class GrammarMatches : public testing::TestWithParam<MatchCase> {};

TEST_P(GrammarMatches, WholeStrings) {
    const MatchCase& c = GetParam();
    EXPECT_EQ(matches(c.grammar, c.text), c.complete) << c.grammar << "  <-  '" << c.text << "'";
}

const char* kArith = R"GBNF(
root ::= expr
expr ::= term (("+" | "-") term)*
term ::= factor ("*" factor)*
factor ::= [0-9]+ | "(" expr ")"
)GBNF";

INSTANTIATE_TEST_SUITE_P(
    Cases, GrammarMatches,
    testing::Values(
        MatchCase{R"(root ::= "yes" | "no")", "yes", true}, MatchCase{R"(root ::= "yes" | "no")", "no", true},
        MatchCase{R"(root ::= "yes" | "no")", "ye", false}, MatchCase{R"(root ::= "yes" | "no")", "yess", false},
        MatchCase{R"(root ::= "a"* "b")", "b", true}, MatchCase{R"(root ::= "a"* "b")", "aaab", true},
        MatchCase{R"(root ::= "a"+ "b")", "b", false}, MatchCase{R"(root ::= "a"+ "b")", "ab", true},
        MatchCase{R"(root ::= "a"? "b")", "aab", false}, MatchCase{R"(root ::= "ab"* )", "ababab", true},
        MatchCase{R"(root ::= "ab"* )", "aba", false}, MatchCase{R"(root ::= "" )", "", true},
        MatchCase{"root ::= [a-c]{2}", "ab", true}, MatchCase{"root ::= [a-c]{2}", "a", false},
        MatchCase{"root ::= [a-c]{2}", "abc", false}, MatchCase{"root ::= [a-c]{2,}", "abcabc", true},
        MatchCase{"root ::= [a-c]{2,}", "a", false}, MatchCase{"root ::= [a-c]{1,3}", "", false},
        MatchCase{"root ::= [a-c]{1,3}", "c", true}, MatchCase{"root ::= [a-c]{1,3}", "cba", true},
        MatchCase{"root ::= [a-c]{1,3}", "cbab", false}, MatchCase{"root ::= [a-c]{,2}", "", true},
        MatchCase{"root ::= [a-c]{,2}", "aaa", false}, MatchCase{"root ::= [a-c]{0}", "", true},
        MatchCase{"root ::= [^\"\\\\]*", "plain text", true}, MatchCase{"root ::= [^\"\\\\]*", "a\"b", false},
        MatchCase{"root ::= .+", "any thing ü", true}, MatchCase{"root ::= \"\\x41\\u00e9\\U0001F600\"", "Aé😀", true},
        MatchCase{"root ::= \"\\n\\t\\\\\\\"\"", "\n\t\\\"", true}, MatchCase{"root ::= [α-ω]+", "λόγος", false},
        MatchCase{"root ::= [α-ω]+", "λογος", true}, MatchCase{"root ::= [\\[\\]\\-]+", "[-]", true},
        MatchCase{"root ::= [a-]+", "a-a", true}, MatchCase{kArith, "1+2*(3-45)", true},
        MatchCase{kArith, "1+", false}, MatchCase{kArith, "(1+2", false}, MatchCase{kArith, "((7))", true},
        MatchCase{"root ::= x x\nx ::= \"a\" | \"aa\"", "aaa", true},  // ambiguous: both parses kept
        MatchCase{"root ::= x x\nx ::= \"a\" | \"aa\"", "aaaaa", false},
        MatchCase{"root ::= \"a\" # comment\n   \"b\" # more\n", "ab", true}));

TEST(GrammarMatcher, PrefixesStayAliveAndDeadEndsDie) {
    EXPECT_TRUE(alive(kArith, "1+("));
    EXPECT_FALSE(alive(kArith, "1+)"));
    EXPECT_TRUE(alive(R"(root ::= "hello" " world"?)", "hello wo"));
    EXPECT_FALSE(alive(R"(root ::= "hello")", "help"));
}

TEST(GrammarMatcher, CompleteAndCanContinue) {
    auto g = compile(R"(root ::= "a" "b"?)");
    GrammarMatcher m(g);
    MatchState s = m.start();
    EXPECT_FALSE(m.complete(s));
    s = m.advance(s, "a");
    EXPECT_TRUE(m.complete(s));  // EOS allowed here ...
    EXPECT_TRUE(m.canContinue(s));  // ... and so is "b"
    s = m.advance(s, "b");
    EXPECT_TRUE(m.complete(s));
    EXPECT_FALSE(m.canContinue(s));
    EXPECT_TRUE(m.advance(s, "b").dead());
}

TEST(GrammarMatcher, PartialUtf8IsCheckedByTheCharactersItCanBecome) {
    auto g = compile("root ::= \"é\" | \"ab\"");  // é = C3 A9
    GrammarMatcher m(g);
    MatchState s = m.advance(m.start(), "\xC3");
    EXPECT_FALSE(s.dead());
    EXPECT_FALSE(m.complete(s));  // half a character is never a complete match
    EXPECT_TRUE(m.complete(m.advance(s, "\xA9")));
    EXPECT_TRUE(m.advance(s, "\xA8").dead());  // è
    // A lead byte of a 3-byte sequence: no 3-byte character is allowed.
    EXPECT_TRUE(m.advance(m.start(), "\xE2").dead());
    // A continuation byte where a character should start, and an invalid lead byte.
    EXPECT_TRUE(m.advance(m.start(), "\xA9").dead());
    EXPECT_TRUE(m.advance(m.start(), "\xFF").dead());
}

TEST(GrammarMatcher, FourByteCharactersAcrossPieces) {
    auto g = compile("root ::= [\\U0001F600-\\U0001F64F]+");  // emoticons
    GrammarMatcher m(g);
    MatchState s = m.advance(m.start(), "\xF0\x9F");
    ASSERT_FALSE(s.dead());
    s = m.advance(s, "\x98");
    ASSERT_FALSE(s.dead());
    s = m.advance(s, "\x80");  // U+1F600
    EXPECT_TRUE(m.complete(s));
    EXPECT_TRUE(m.advance(s, "\xF0\x9F\x90").dead());  // U+1F4xx: animals, not emoticons
}

TEST(GrammarMatcher, StatesAreValuesAndStepsAreCached) {
    auto g = compile("root ::= [a-z]+");
    GrammarMatcher m(g);
    const MatchState a = m.advance(m.start(), "abc");
    const size_t nodes = m.stackNodes();
    const MatchState b = m.advance(m.start(), "xyzzy");
    EXPECT_EQ(a, b);  // same parse state, same interned value
    EXPECT_EQ(m.stackNodes(), nodes);
}

TEST(GrammarMatcher, DeepNestingIsFine) {
    std::string text(200, '(');
    text += "1";
    text += std::string(200, ')');
    EXPECT_TRUE(matches(kArith, text));
    EXPECT_FALSE(matches(kArith, text + ")"));
}

}  // namespace

namespace {

TEST(GrammarMatcher, OverlongAndSurrogateEncodingsAreRefused) {
    auto g = compile("root ::= .*");
    GrammarMatcher m(g);
    EXPECT_TRUE(m.advance(m.start(), "\xC0\xBB").dead());          // '{' in two bytes
    EXPECT_TRUE(m.advance(m.start(), "\xE0\x81\xBB").dead());      // '{' in three
    EXPECT_TRUE(m.advance(m.start(), "\xF0\x80\x81\xBB").dead());  // '{' in four
    EXPECT_TRUE(m.advance(m.start(), "\xF0\x80").dead());          // can only become overlong
    EXPECT_TRUE(m.advance(m.start(), "\xED\xA0\x80").dead());      // U+D800
    EXPECT_TRUE(m.complete(m.advance(m.start(), "\xF0\x90\x80\x80")));  // U+10000
    // A lead byte that could only begin characters the grammar does not allow.
    auto ascii = compile("root ::= [{]");
    GrammarMatcher a(ascii);
    EXPECT_TRUE(a.advance(a.start(), "\xF0").dead());
    EXPECT_TRUE(a.advance(a.start(), "\xC3").dead());
}

}  // namespace

namespace {

// A JSON grammar laid out the way llama.cpp's documentation writes them: rules over
// several lines, groups opened at a line's end, an empty first alternative, comments.
const char* kLlamaStyleJson = R"GBNF(
root   ::= object
value  ::= object | array | string | number | ("true" | "false" | "null") ws

object ::=
  "{" ws (
            string ":" ws value
    ("," ws string ":" ws value)*
  )? "}" ws

array  ::=
  "[" ws (
            value
    ("," ws value)*
  )? "]" ws

string ::=
  "\"" (
    [^"\\\x7F\x00-\x1F] |
    "\\" (["\\bfnrt] | "u" [0-9a-fA-F]{4}) # escapes
  )* "\"" ws

number ::= ("-"? ([0-9] | [1-9] [0-9]{0,15})) ("." [0-9]+)? ([eE] [-+]? [0-9]{1,3})? ws

# optional whitespace
ws ::= | " " | "\n" [ \t]{0,20}
)GBNF";

TEST(GrammarMatcher, LlamaStyleJsonGrammar) {
    EXPECT_TRUE(matches(kLlamaStyleJson, R"({"a": [1, 2.5e3, "x\u00e9"], "b": {"c": null}})"));
    EXPECT_TRUE(matches(kLlamaStyleJson, "{\n  \"k\": true\n}\n"));
    EXPECT_FALSE(matches(kLlamaStyleJson, R"({"a": [1, 2,]})"));
    EXPECT_FALSE(matches(kLlamaStyleJson, "{\"a\": \"\x7F\"}"));
    EXPECT_FALSE(matches(kLlamaStyleJson, R"([1])"));
}

}  // namespace
