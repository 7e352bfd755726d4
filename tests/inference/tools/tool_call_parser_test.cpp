// The tool-call parser: each syntax whole and streamed in every split, text around
// calls, markers held back until decided, malformed calls kept as text.
#include <gtest/gtest.h>

#include "assistant/tools.h"

using assistant::ToolCallEvent;
using assistant::ToolCallParser;
using assistant::ToolCallSyntax;
using assistant::parseToolCalls;

namespace {

struct Case {
    const char* name;
    ToolCallSyntax syntax;
    std::string text;
    std::string content;                                     // expected content
    std::vector<std::pair<std::string, std::string>> calls;  // name, arguments text
};

const std::vector<Case> kCases = {
    {"hermes_one", ToolCallSyntax::Hermes,
     "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>", "",
     {{"get_weather", R"({"city": "Paris"})"}}},
    {"hermes_two_with_text", ToolCallSyntax::Hermes,
     "Let me check.\n<tool_call>\n{\"name\": \"a\", \"arguments\": {\"x\": [1, {\"y\": \"}\"}]}}\n</tool_call>\n"
     "<tool_call>{\"name\": \"b\", \"arguments\": {}}</tool_call>",
     "Let me check.", {{"a", R"({"x": [1, {"y": "}"}]})"}, {"b", "{}"}}},
    {"hermes_arguments_first", ToolCallSyntax::Hermes,
     "<tool_call>{\"arguments\": {\"q\": \"cats\"}, \"name\": \"search\"}</tool_call>", "", {{"search", R"({"q":"cats"})"}}},
    {"hermes_arguments_as_string", ToolCallSyntax::Hermes,
     "<tool_call>{\"name\": \"search\", \"arguments\": \"{\\\"q\\\": 1}\"}</tool_call>", "", {{"search", R"({"q": 1})"}}},
    {"hermes_no_close_tag", ToolCallSyntax::Generic, "<tool_call>{\"name\": \"f\", \"arguments\": {\"a\": 1}}", "",
     {{"f", R"({"a": 1})"}}},
    {"hermes_malformed_is_text", ToolCallSyntax::Hermes, "<tool_call>{\"name\": \"f\", oops}</tool_call> done",
     "<tool_call>{\"name\": \"f\", oops}</tool_call> done", {}},
    {"hermes_no_name_is_text", ToolCallSyntax::Hermes, "<tool_call>{\"x\": 1}</tool_call>", "<tool_call>{\"x\": 1}</tool_call>", {}},
    {"hermes_bad_arguments_is_text", ToolCallSyntax::Hermes, "<tool_call>{\"name\": \"f\", \"arguments\": {\"a\": tru}}</tool_call>",
     "<tool_call>{\"name\": \"f\", \"arguments\": {\"a\": tru}}</tool_call>", {}},
    {"hermes_cut_short_is_text", ToolCallSyntax::Hermes, "<tool_call>{\"name\": \"f\", \"arguments\": {\"a\": ",
     "<tool_call>{\"name\": \"f\", \"arguments\": {\"a\": ", {}},
    {"hermes_lookalike_text", ToolCallSyntax::Hermes, "a <tool_cal b <tool_call", "a <tool_cal b <tool_call", {}},
    {"plain_text", ToolCallSyntax::Hermes, "Hello, world.", "Hello, world.", {}},
    {"llama3_json", ToolCallSyntax::Llama3, " {\"name\": \"get_weather\", \"parameters\": {\"city\": \"Oslo\"}}", "",
     {{"get_weather", R"({"city": "Oslo"})"}}},
    {"llama3_python_tag", ToolCallSyntax::Llama3, "<|python_tag|>{\"name\": \"f\", \"parameters\": {}}", "", {{"f", "{}"}}},
    {"llama3_text", ToolCallSyntax::Llama3, "The weather is {fine}.", "The weather is {fine}.", {}},
    {"llama3_json_not_a_call", ToolCallSyntax::Llama3, "{\"answer\": 42}", "{\"answer\": 42}", {}},
    {"llama3_brace_later_is_text", ToolCallSyntax::Llama3, "Call: {\"name\": \"f\", \"parameters\": {}}",
     "Call: {\"name\": \"f\", \"parameters\": {}}", {}},
    {"mistral_marker", ToolCallSyntax::Mistral,
     "[TOOL_CALLS][{\"name\": \"a\", \"arguments\": {\"n\": 1}}, {\"name\": \"b\", \"arguments\": {\"m\": \"]\"}}]", "",
     {{"a", R"({"n": 1})"}, {"b", R"({"m": "]"})"}}},
    {"mistral_bare_array", ToolCallSyntax::Mistral, "[{\"name\": \"a\", \"arguments\": {}}]", "", {{"a", "{}"}}},
    {"mistral_text_in_brackets", ToolCallSyntax::Mistral, "[1] is a citation", "[1] is a citation", {}},
    {"mistral_empty_array_is_text", ToolCallSyntax::Mistral, "[] nothing", "[] nothing", {}},
    {"phi4_functools", ToolCallSyntax::Phi4,
     "Let me look. functools[{\"name\": \"a\", \"arguments\": {\"n\": 1}}, {\"name\": \"b\", \"arguments\": {}}]",
     "Let me look.", {{"a", R"({"n": 1})"}, {"b", "{}"}}},
    {"phi4_word_is_text", ToolCallSyntax::Phi4, "functools are handy", "functools are handy", {}},
    {"qwen3_coder_xml", ToolCallSyntax::Hermes,
     "<tool_call>\n<function=get_weather>\n<parameter=city>\nNew York\n</parameter>\n<parameter=days>\n3\n</parameter>\n"
     "</function>\n</tool_call>",
     "", {{"get_weather", R"({"city":"New York","days":3})"}}},
    {"glm_xml", ToolCallSyntax::Hermes,
     "Sure.<tool_call>get_weather\n<arg_key>city</arg_key>\n<arg_value>Paris</arg_value>\n</tool_call>", "Sure.",
     {{"get_weather", R"({"city":"Paris"})"}}},
    {"xml_malformed_is_text", ToolCallSyntax::Hermes, "<tool_call><function=f><parameter=a>1</tool_call>",
     "<tool_call><function=f><parameter=a>1</tool_call>", {}},
};

std::string describe(const assistant::ParsedToolCalls& p) {
    std::string out = "content='" + p.content + "' calls:";
    for (const auto& c : p.calls) out += " " + c.name + c.arguments;
    return out;
}

void expectCase(const Case& c, const assistant::ParsedToolCalls& got, const std::string& how) {
    ASSERT_EQ(got.calls.size(), c.calls.size()) << c.name << " " << how << ": " << describe(got);
    EXPECT_EQ(got.content, c.content) << c.name << " " << how;
    for (size_t i = 0; i < c.calls.size(); ++i) {
        EXPECT_EQ(got.calls[i].name, c.calls[i].first) << c.name << " " << how;
        EXPECT_EQ(got.calls[i].arguments, c.calls[i].second) << c.name << " " << how;
    }
}

// Streams `text` in pieces of `size` bytes and assembles the events as a client does.
assistant::ParsedToolCalls streamed(ToolCallSyntax syntax, const std::string& text, size_t size) {
    ToolCallParser parser(syntax);
    std::vector<ToolCallEvent> events;
    for (size_t i = 0; i < text.size(); i += size)
        for (ToolCallEvent& e : parser.feed(std::string_view(text).substr(i, size))) events.push_back(std::move(e));
    for (ToolCallEvent& e : parser.finish()) events.push_back(std::move(e));
    assistant::ParsedToolCalls out;
    for (const ToolCallEvent& e : events) {
        if (e.kind == ToolCallEvent::Kind::Text) out.content += e.text;
        if (e.kind == ToolCallEvent::Kind::CallStart) out.calls.push_back({"", e.text, ""});
        if (e.kind == ToolCallEvent::Kind::Arguments) out.calls.at(static_cast<size_t>(e.index)).arguments += e.text;
        if (e.kind == ToolCallEvent::Kind::CallEnd && !e.valid) {
            out.calls.pop_back();
            out.content += e.text;
        }
    }
    if (!out.calls.empty()) {
        while (!out.content.empty() && std::isspace(static_cast<unsigned char>(out.content.back()))) out.content.pop_back();
        while (!out.content.empty() && std::isspace(static_cast<unsigned char>(out.content.front()))) out.content.erase(0, 1);
    }
    return out;
}

}  // namespace

TEST(ToolCallParser, WholeAnswers) {
    for (const Case& c : kCases) expectCase(c, parseToolCalls(c.syntax, c.text), "whole");
}

TEST(ToolCallParser, StreamedInEveryPieceSize) {
    for (const Case& c : kCases)
        for (size_t size = 1; size <= 7; ++size) expectCase(c, streamed(c.syntax, c.text, size), "pieces of " + std::to_string(size));
}

TEST(ToolCallParser, ArgumentsStreamIncrementallyWhenTheNameComesFirst) {
    ToolCallParser p(ToolCallSyntax::Hermes);
    std::vector<ToolCallEvent> e = p.feed("Sure. <tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"ci");
    ASSERT_EQ(e.size(), 3u);
    EXPECT_EQ(e[0].kind, ToolCallEvent::Kind::Text);
    EXPECT_EQ(e[0].text, "Sure. ");
    EXPECT_EQ(e[1].kind, ToolCallEvent::Kind::CallStart);
    EXPECT_EQ(e[1].text, "get_weather");
    EXPECT_EQ(e[2].kind, ToolCallEvent::Kind::Arguments);
    EXPECT_EQ(e[2].text, "{\"ci");
    e = p.feed("ty\": \"Paris\"}");
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].text, "ty\": \"Paris\"}");
    e = p.feed("}\n</tool_call> Done.");
    ASSERT_EQ(e.size(), 2u);
    EXPECT_EQ(e[0].kind, ToolCallEvent::Kind::CallEnd);
    EXPECT_TRUE(e[0].valid);
    EXPECT_EQ(e[1].kind, ToolCallEvent::Kind::Text);
    EXPECT_EQ(e[1].text, " Done.");
    EXPECT_EQ(p.calls(), 1);
}

TEST(ToolCallParser, HoldsBackAPossibleMarkerUntilDecided) {
    ToolCallParser p(ToolCallSyntax::Hermes);
    std::vector<ToolCallEvent> e = p.feed("Hi <tool_");
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].text, "Hi ");
    e = p.feed("x>");
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].text, "<tool_x>");
    ToolCallParser llama(ToolCallSyntax::Llama3);
    EXPECT_TRUE(llama.feed("  {\"name\"").empty());  // a JSON answer might be a call: wait
    e = llama.finish();
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].text, "  {\"name\"");
}

TEST(ToolCallParser, CutShortCallEndsInvalid) {
    ToolCallParser p(ToolCallSyntax::Hermes);
    p.feed("<tool_call>{\"name\": \"f\", \"arguments\": {\"a\": 1");
    std::vector<ToolCallEvent> e = p.finish();
    ASSERT_FALSE(e.empty());
    EXPECT_EQ(e.back().kind, ToolCallEvent::Kind::CallEnd);
    EXPECT_FALSE(e.back().valid);
}
