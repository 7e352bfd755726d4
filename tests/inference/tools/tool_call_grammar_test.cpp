// The grammar that forces tool calls: it takes exactly the calls of the offered tools
// with schema-valid arguments, in each syntax, and the parser reads what it takes.
#include <gtest/gtest.h>

#include "assistant/tools.h"
#include "grammar/grammar.h"
#include "grammar/grammar_matcher.h"
#include "json/json.h"

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

// GLM and Qwen3-Coder: the forced call is written in their own XML form (as their
// templates write a call), a string parameter as plain text and others as JSON of their
// schema, and their parser reads it back with the schema's types.
TEST(ToolCallGrammar, GlmAndQwen3CoderInTheirXmlForm) {
    const std::vector<ToolDefinition> tools = {
        kTools[0], kTools[1],
        {"note", "", R"({"type": "object", "properties": {"title": {"type": "string", "maxLength": 5},
          "tags": {"type": "array", "items": {"type": "string"}}}, "required": ["title"]})"},
        {"ping", "", ""}};
    struct Form {
        ToolCallSyntax syntax;
        std::string (*call)(const std::string& name, const std::vector<std::pair<std::string, std::string>>& params);
    };
    const Form forms[] = {
        {ToolCallSyntax::Qwen3Coder,
         [](const std::string& name, const std::vector<std::pair<std::string, std::string>>& params) {
             std::string out = "<tool_call>\n<function=" + name + ">\n";
             for (const auto& [k, v] : params) out += "<parameter=" + k + ">\n" + v + "\n</parameter>\n";
             return out + "</function>\n</tool_call>";
         }},
        {ToolCallSyntax::Glm,
         [](const std::string& name, const std::vector<std::pair<std::string, std::string>>& params) {
             std::string out = "<tool_call>" + name + "\n";
             for (const auto& [k, v] : params) out += "<arg_key>" + k + "</arg_key>\n<arg_value>" + v + "</arg_value>\n";
             return out + "</tool_call>";
         }},
    };
    for (const Form& f : forms) {
        const std::string what(assistant::toolCallSyntaxName(f.syntax));
        auto g = assistant::toolCallGrammar(f.syntax, tools, "", true);
        ASSERT_TRUE(g.has_value()) << what << ": " << g.error().message;
        const std::string weather = f.call("get_weather", {{"city", "New York <3"}, {"unit", "celsius"}});
        const std::string add = f.call("add", {{"a", "1"}, {"b", "-2"}});
        EXPECT_TRUE(matches(*g, weather)) << what << "\n" << weather << "\n" << *g;
        EXPECT_TRUE(matches(*g, weather + "\n" + add)) << what;
        EXPECT_TRUE(matches(*g, f.call("note", {{"title", "Memo"}, {"tags", R"(["a", "b"])"}}))) << what;
        EXPECT_TRUE(matches(*g, f.call("ping", {{"anything", "goes"}}))) << what;  // no schema: any parameter
        EXPECT_FALSE(matches(*g, f.call("add", {{"a", "1"}}))) << what;                       // b is required
        EXPECT_FALSE(matches(*g, f.call("add", {{"a", "one"}, {"b", "2"}}))) << what;         // an integer
        EXPECT_FALSE(matches(*g, f.call("add", {{"b", "2"}, {"a", "1"}}))) << what;           // the schema's order
        EXPECT_FALSE(matches(*g, f.call("get_weather", {{"city", "Oslo"}, {"unit", "kelvin"}}))) << what;  // enum
        EXPECT_FALSE(matches(*g, f.call("get_weather", {{"city", "Oslo"}, {"zip", "0150"}}))) << what;   // closed
        EXPECT_FALSE(matches(*g, f.call("note", {{"title", "Too long"}}))) << what;           // maxLength 5
        EXPECT_FALSE(matches(*g, f.call("nope", {}))) << what;
        EXPECT_FALSE(matches(*g, "<tool_call>\n{\"name\": \"add\", \"arguments\": {\"a\": 1, \"b\": 2}}\n</tool_call>")) << what;
        const std::string one = *assistant::toolCallGrammar(f.syntax, tools, "add", false);
        EXPECT_TRUE(matches(one, add)) << what;
        EXPECT_FALSE(matches(one, add + "\n" + add)) << what;
        EXPECT_FALSE(matches(one, weather)) << what;

        const assistant::ParsedToolCalls parsed = assistant::parseToolCalls(f.syntax, weather + "\n" + add, tools);
        ASSERT_EQ(parsed.calls.size(), 2u) << what;
        EXPECT_EQ(json::Value::parse(parsed.calls[0].arguments)->dump(), R"({"city":"New York <3","unit":"celsius"})") << what;
        EXPECT_EQ(json::Value::parse(parsed.calls[1].arguments)->dump(), R"({"a":1,"b":-2})") << what;
    }
}
