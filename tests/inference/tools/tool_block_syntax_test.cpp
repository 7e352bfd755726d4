// The block tool-call syntaxes (DeepSeek, Granite, Command-R, functionary, Kimi,
// harmony) and the tagged XML ones (GLM, Qwen3-Coder): detection from the template,
// several calls with text before them, streamed a character at a time the same as
// whole, a malformed call kept as text, and the forcing grammar's shape.
#include <gtest/gtest.h>

#include "assistant/tools.h"
#include "grammar/grammar.h"
#include "json/json.h"

using assistant::ToolCallSyntax;

namespace {

struct Case {
    ToolCallSyntax syntax;
    std::string text;  // "Sure." then calls of get_weather {"city": "Paris"} and get_time {"zone": "UTC"}
};

const std::vector<Case>& cases() {
    static const std::vector<Case> all = {
        {ToolCallSyntax::DeepSeek,
         "Sure.<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{\"city\": \"Paris\"}<｜tool▁call▁end｜>"
         "<｜tool▁call▁begin｜>get_time<｜tool▁sep｜>{\"zone\": \"UTC\"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>"},
        {ToolCallSyntax::Granite,
         "Sure.<|tool_call|>[{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}, {\"name\": \"get_time\", "
         "\"arguments\": {\"zone\": \"UTC\"}}]"},
        {ToolCallSyntax::CommandR,
         "Sure.\nAction: ```json\n[{\"tool_name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}, {\"tool_name\": "
         "\"get_time\", \"parameters\": {\"zone\": \"UTC\"}}]\n```"},
        {ToolCallSyntax::Functionary, "all\nSure.>>>get_weather\n{\"city\": \"Paris\"}>>>get_time\n{\"zone\": \"UTC\"}"},
        {ToolCallSyntax::Kimi,
         "Sure.<|tool_calls_section_begin|><|tool_call_begin|>functions.get_weather:0<|tool_call_argument_begin|>"
         "{\"city\": \"Paris\"}<|tool_call_end|><|tool_call_begin|>functions.get_time:1<|tool_call_argument_begin|>"
         "{\"zone\": \"UTC\"}<|tool_call_end|><|tool_calls_section_end|>"},
        {ToolCallSyntax::Harmony,
         "Sure.<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{\"city\": \"Paris\"}<|call|>"
         "<|channel|>commentary to=functions.get_time json<|message|>{\"zone\": \"UTC\"}<|call|>"},
        {ToolCallSyntax::Glm,
         "Sure.<tool_call>get_weather\n<arg_key>city</arg_key>\n<arg_value>Paris</arg_value>\n</tool_call>"
         "<tool_call>get_time\n<arg_key>zone</arg_key>\n<arg_value>UTC</arg_value>\n</tool_call>"},
        {ToolCallSyntax::Qwen3Coder,
         "Sure.<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n</function>\n</tool_call>"
         "<tool_call>\n<function=get_time>\n<parameter=zone>\nUTC\n</parameter>\n</function>\n</tool_call>"},
    };
    return all;
}

void expectTwoCalls(const assistant::ParsedToolCalls& p, const std::string& what) {
    ASSERT_EQ(p.calls.size(), 2u) << what;
    EXPECT_EQ(p.calls[0].name, "get_weather") << what;
    EXPECT_EQ(p.calls[1].name, "get_time") << what;
    EXPECT_EQ(json::Value::parse(p.calls[0].arguments)->dump(), R"({"city":"Paris"})") << what;
    EXPECT_EQ(json::Value::parse(p.calls[1].arguments)->dump(), R"({"zone":"UTC"})") << what;
    EXPECT_EQ(p.content, "Sure.") << what;
}

}  // namespace

TEST(ToolBlockSyntax, DetectedFromTheTemplateText) {
    EXPECT_EQ(assistant::toolCallSyntaxOf("{{'<｜tool▁calls▁begin｜>'}}"), ToolCallSyntax::DeepSeek);
    EXPECT_EQ(assistant::toolCallSyntaxOf("{{'<|tool_call|>'}}"), ToolCallSyntax::Granite);
    EXPECT_EQ(assistant::toolCallSyntaxOf("Action:```json tool_name"), ToolCallSyntax::CommandR);
    EXPECT_EQ(assistant::toolCallSyntaxOf("to:recipient==all >>>"), ToolCallSyntax::Functionary);
    EXPECT_EQ(assistant::toolCallSyntaxOf("<|tool_calls_section_begin|>"), ToolCallSyntax::Kimi);
    EXPECT_EQ(assistant::toolCallSyntaxOf("<tool_call>{{name}}<arg_key>"), ToolCallSyntax::Glm);
    EXPECT_EQ(assistant::toolCallSyntaxOf("<tool_call>\n<function="), ToolCallSyntax::Qwen3Coder);
    EXPECT_EQ(assistant::toolCallSyntaxOf("to=functions.{{name}}<|channel|>"), ToolCallSyntax::Harmony);
    EXPECT_EQ(assistant::toolCallSyntaxOf("<tool_call>{\"name\": ..}</tool_call>"), ToolCallSyntax::Hermes);
    EXPECT_EQ(assistant::toolCallSyntaxName(ToolCallSyntax::Qwen3Coder), "qwen3-coder");
}

TEST(ToolBlockSyntax, SeveralCallsAfterText) {
    for (const Case& c : cases()) expectTwoCalls(assistant::parseToolCalls(c.syntax, c.text), std::string(assistant::toolCallSyntaxName(c.syntax)));
}

TEST(ToolBlockSyntax, StreamedACharacterAtATimeAsWhole) {
    for (const Case& c : cases()) {
        assistant::ToolCallParser parser(c.syntax);
        std::vector<assistant::ToolCallEvent> events;
        for (char ch : c.text)
            for (auto& e : parser.feed(std::string_view(&ch, 1))) events.push_back(std::move(e));
        for (auto& e : parser.finish()) events.push_back(std::move(e));
        std::string text;
        std::vector<std::string> names;
        for (const auto& e : events) {
            if (e.kind == assistant::ToolCallEvent::Kind::Text) text += e.text;
            if (e.kind == assistant::ToolCallEvent::Kind::CallStart) names.push_back(e.text);
        }
        const std::string what(assistant::toolCallSyntaxName(c.syntax));
        EXPECT_EQ(names, (std::vector<std::string>{"get_weather", "get_time"})) << what;
        EXPECT_EQ(parser.calls(), 2) << what;
        EXPECT_NE(text.find("Sure."), std::string::npos) << what << ": " << text;
    }
}

TEST(ToolBlockSyntax, MalformedCallStaysText) {
    const std::vector<std::pair<ToolCallSyntax, std::string>> bad = {
        {ToolCallSyntax::DeepSeek, "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{\"city\": <｜tool▁call▁end｜><｜tool▁calls▁end｜>"},
        {ToolCallSyntax::Granite, "<|tool_call|>[{\"name\": \"get_weather\", \"arguments\": 3}]"},
        {ToolCallSyntax::CommandR, "Action: I will think about it."},
        {ToolCallSyntax::Functionary, "get weather now\n{\"city\": 1}"},
        {ToolCallSyntax::Kimi, "<|tool_calls_section_begin|><|tool_call_begin|>functions.get_weather:0<|tool_call_argument_begin|>{oops}<|tool_call_end|><|tool_calls_section_end|>"},
        {ToolCallSyntax::Harmony, "<|channel|>commentary to=functions.get_weather json<|message|>{\"city\": \"Par"},
        {ToolCallSyntax::Glm, "<tool_call>get_weather\n<arg_key>city</arg_key></tool_call>"},
        {ToolCallSyntax::Qwen3Coder, "<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</tool_call>"},
    };
    for (const auto& [syntax, text] : bad) {
        const assistant::ParsedToolCalls p = assistant::parseToolCalls(syntax, text);
        const std::string what(assistant::toolCallSyntaxName(syntax));
        EXPECT_TRUE(p.calls.empty()) << what;
        EXPECT_EQ(p.content, text) << what;
    }
}

TEST(ToolBlockSyntax, ForcingGrammarsParseAndCarryTheMarkers) {
    const std::vector<assistant::ToolDefinition> tools = {
        {"get_weather", "", R"({"type": "object", "required": ["city"], "properties": {"city": {"type": "string"}}})"},
        {"get_time", "", R"({"type": "object", "properties": {"zone": {"type": "string"}}})"}};
    const std::vector<std::pair<ToolCallSyntax, std::string>> marks = {
        {ToolCallSyntax::DeepSeek, "<｜tool▁sep｜>"}, {ToolCallSyntax::Granite, "<|tool_call|>"},
        {ToolCallSyntax::CommandR, "tool_name"},    {ToolCallSyntax::Functionary, ">>>"},
        {ToolCallSyntax::Kimi, "functions.get_time"}, {ToolCallSyntax::Harmony, "to=functions.get_weather"},
        {ToolCallSyntax::Glm, "<tool_call>"},       {ToolCallSyntax::Qwen3Coder, "<tool_call>"}};
    for (const auto& [syntax, mark] : marks) {
        const std::string what(assistant::toolCallSyntaxName(syntax));
        auto g = assistant::toolCallGrammar(syntax, tools, "", true);
        ASSERT_TRUE(g.has_value()) << what << ": " << g.error().message;
        EXPECT_NE(g->find(mark), std::string::npos) << what << "\n" << *g;
        EXPECT_TRUE(grammar::parseGbnf(*g).has_value()) << what << "\n" << *g;
        auto named = assistant::toolCallGrammar(syntax, tools, "get_time", false);
        ASSERT_TRUE(named.has_value()) << what;
        EXPECT_EQ(named->find("get_weather"), std::string::npos) << what << "\n" << *named;
        EXPECT_FALSE(assistant::toolCallGrammar(syntax, tools, "nope", false).has_value()) << what;
    }
}

// Qwen3-Coder and GLM parameters are text: the tool's schema decides their JSON type.
TEST(ToolBlockSyntax, XmlParametersTakeTheSchemaTypes) {
    const std::vector<assistant::ToolDefinition> tools = {
        {"order", "", R"({"type": "object", "properties": {"code": {"type": "string"}, "count": {"type": "integer"},
                          "gift": {"type": "boolean"}, "items": {"type": "array"}}})"}};
    const std::string qwen =
        "<tool_call>\n<function=order>\n<parameter=code>\n007\n</parameter>\n<parameter=count>\n3\n</parameter>\n"
        "<parameter=gift>\ntrue\n</parameter>\n<parameter=items>\n[\"a\", \"b\"]\n</parameter>\n</function>\n</tool_call>";
    const std::string glm =
        "<tool_call>order\n<arg_key>code</arg_key>\n<arg_value>007</arg_value>\n<arg_key>count</arg_key>\n<arg_value>3</arg_value>\n"
        "<arg_key>gift</arg_key>\n<arg_value>true</arg_value>\n<arg_key>items</arg_key>\n<arg_value>[\"a\", \"b\"]</arg_value>\n</tool_call>";
    for (const auto& [syntax, text] : {std::pair{ToolCallSyntax::Qwen3Coder, qwen}, std::pair{ToolCallSyntax::Glm, glm}}) {
        const assistant::ParsedToolCalls p = assistant::parseToolCalls(syntax, text, tools);
        ASSERT_EQ(p.calls.size(), 1u) << text;
        EXPECT_EQ(json::Value::parse(p.calls[0].arguments)->dump(), R"({"code":"007","count":3,"gift":true,"items":["a","b"]})");
        // Without the schema, "007" is not JSON and stays text; "3" becomes a number.
        const assistant::ParsedToolCalls bare = assistant::parseToolCalls(syntax, text);
        ASSERT_EQ(bare.calls.size(), 1u);
        EXPECT_EQ((*json::Value::parse(bare.calls[0].arguments))["count"].asNumber(), 3);
    }
}
