// The grammar that forces tool calls: it takes exactly the calls of the offered tools
// with schema-valid arguments, in each syntax, and the parser reads what it takes.
#include <gtest/gtest.h>

#include "assistant/tools.h"
#include "grammar/grammar.h"
#include "grammar/grammar_matcher.h"

using assistant::ToolCallSyntax;
using assistant::ToolDefinition;

namespace {

const std::vector<ToolDefinition> kTools = {
    {"get_weather", "Weather now", R"({"type": "object", "properties": {"city": {"type": "string"},
      "unit": {"enum": ["celsius", "fahrenheit"]}}, "required": ["city"], "additionalProperties": false})"},
    {"add", "", R"({"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
      "required": ["a", "b"], "additionalProperties": false})"},
};

bool matches(const std::string& gbnf, const std::string& text) {
    auto g = grammar::parseGbnf(gbnf);
    EXPECT_TRUE(g.has_value()) << gbnf;
    if (!g) return false;
    grammar::GrammarMatcher m(std::make_shared<const grammar::Grammar>(std::move(*g)));
    return m.complete(m.advance(m.start(), text));
}

std::string grammarFor(ToolCallSyntax syntax, std::string_view only, bool parallel) {
    auto g = assistant::toolCallGrammar(syntax, kTools, only, parallel);
    EXPECT_TRUE(g.has_value()) << (g ? "" : g.error().message);
    return g ? *g : std::string();
}

}  // namespace

TEST(ToolCallGrammar, HermesTakesValidCallsOnly) {
    const std::string g = grammarFor(ToolCallSyntax::Hermes, "", true);
    const std::string one = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>";
    const std::string two = "<tool_call>\n{\"name\": \"add\", \"arguments\": {\"a\": 1, \"b\": 2}}\n</tool_call>";
    EXPECT_TRUE(matches(g, one));
    EXPECT_TRUE(matches(g, one + "\n" + two));
    EXPECT_FALSE(matches(g, "Sure! " + one));                                                        // no text
    EXPECT_FALSE(matches(g, "<tool_call>\n{\"name\": \"nope\", \"arguments\": {}}\n</tool_call>"));  // unknown tool
    EXPECT_FALSE(matches(g, "<tool_call>\n{\"name\": \"add\", \"arguments\": {\"a\": 1}}\n</tool_call>"));  // b required
    EXPECT_FALSE(matches(g, "<tool_call>\n{\"name\": \"add\", \"arguments\": {\"a\": \"1\", \"b\": 2}}\n</tool_call>"));
    const std::string single = grammarFor(ToolCallSyntax::Generic, "", false);
    EXPECT_TRUE(matches(single, one));
    EXPECT_FALSE(matches(single, one + "\n" + two));
    // The parser reads what the grammar takes.
    auto parsed = assistant::parseToolCalls(ToolCallSyntax::Hermes, one + "\n" + two);
    ASSERT_EQ(parsed.calls.size(), 2u);
    EXPECT_EQ(parsed.calls[1].name, "add");
}

TEST(ToolCallGrammar, NamedFunctionOnly) {
    const std::string g = grammarFor(ToolCallSyntax::Hermes, "add", false);
    EXPECT_TRUE(matches(g, "<tool_call>\n{\"name\": \"add\", \"arguments\": {\"a\": 1, \"b\": 2}}\n</tool_call>"));
    EXPECT_FALSE(matches(g, "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"x\"}}\n</tool_call>"));
    auto missing = assistant::toolCallGrammar(ToolCallSyntax::Hermes, kTools, "nope", false);
    ASSERT_FALSE(missing.has_value());
    EXPECT_NE(missing.error().message.find("nope"), std::string::npos);
}

TEST(ToolCallGrammar, Llama3AndMistralShapes) {
    const std::string llama = grammarFor(ToolCallSyntax::Llama3, "", true);
    EXPECT_TRUE(matches(llama, R"({"name": "add", "parameters": {"a": 1, "b": 2}})"));
    EXPECT_FALSE(matches(llama, R"({"name": "add", "arguments": {"a": 1, "b": 2}})"));
    const std::string mistral = grammarFor(ToolCallSyntax::Mistral, "", true);
    EXPECT_TRUE(matches(mistral, R"([{"name": "add", "arguments": {"a": 1, "b": 2}}, {"name": "get_weather", "arguments": {"city": "Oslo"}}])"));
    EXPECT_FALSE(matches(mistral, "[]"));
    const std::string phi = grammarFor(ToolCallSyntax::Phi4, "", true);
    EXPECT_TRUE(matches(phi, R"(functools[{"name": "add", "arguments": {"a": 1, "b": 2}}])"));
    EXPECT_FALSE(matches(phi, R"([{"name": "add", "arguments": {"a": 1, "b": 2}}])"));
    const std::string mistralOne = grammarFor(ToolCallSyntax::Mistral, "", false);
    EXPECT_FALSE(matches(mistralOne, R"([{"name": "add", "arguments": {"a": 1, "b": 2}}, {"name": "add", "arguments": {"a": 1, "b": 2}}])"));
}

TEST(ToolCallGrammar, BadSchemaNamesTheTool) {
    const std::vector<ToolDefinition> bad = {{"broken", "", R"({"type": "int"})"}};
    auto g = assistant::toolCallGrammar(ToolCallSyntax::Hermes, bad, "", true);
    ASSERT_FALSE(g.has_value());
    const std::vector<ToolDefinition> notJson = {{"broken", "", "{nope"}};
    auto g2 = assistant::toolCallGrammar(ToolCallSyntax::Hermes, notJson, "", true);
    ASSERT_FALSE(g2.has_value());
    EXPECT_NE(g2.error().message.find("broken"), std::string::npos);
    const std::vector<ToolDefinition> anyArgs = {{"ping", "", ""}};
    EXPECT_TRUE(matches(grammarFor(ToolCallSyntax::Hermes, "", false).empty() ? "" : *assistant::toolCallGrammar(ToolCallSyntax::Hermes, anyArgs, "", false),
                        "<tool_call>\n{\"name\": \"ping\", \"arguments\": {\"x\": [1]}}\n</tool_call>"));
}
