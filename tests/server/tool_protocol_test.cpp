// Tool calls on the wire: tools, tool_choice and parallel_tool_calls validated;
// assistant tool_calls and tool messages read into the engine's types; the answer's
// calls as message.tool_calls and as streamed delta.tool_calls.
#include <gtest/gtest.h>

#include "ollama_protocol.h"
#include "openai_protocol.h"
#include "tool_protocol.h"
#include "json_test_util.h"

using json::Array;
using json::Object;
using json::Value;
using server_test::parseJson;
using namespace server;

namespace {

const char* kTools = R"("tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather now",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}},
    {"type": "function", "function": {"name": "noop"}}])";

ApiResult<GenerationRequest> chat(const std::string& extra) {
    auto body = parseBody(R"({"messages": [{"role": "user", "content": "hi"}])" + extra + "}");
    if (!body) return std::unexpected(body.error());
    return parseChatRequest(*body);
}

}  // namespace

TEST(ToolProtocol, ToolsAndToolChoice) {
    auto r = chat(std::string(", ") + kTools);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->params.tools.size(), 2u);
    EXPECT_EQ(r->params.tools[0].name, "get_weather");
    EXPECT_EQ(r->params.tools[0].description, "Weather now");
    EXPECT_EQ(parseJson(r->params.tools[0].parameters)["required"][0], "city");
    EXPECT_EQ(r->params.tools[1].parameters, "");
    EXPECT_EQ(r->toolChoice.mode, ToolChoice::Mode::Auto);
    EXPECT_TRUE(r->toolChoice.parallel);
    EXPECT_TRUE(r->params.grammar.empty());  // auto: the model decides, nothing forced

    r = chat(std::string(", ") + kTools + R"(, "tool_choice": "none")");
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->params.tools.empty());  // none: no tools offered at all

    r = chat(std::string(", ") + kTools + R"(, "tool_choice": {"type": "function", "function": {"name": "noop"}},
             "parallel_tool_calls": false)");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->toolChoice.mode, ToolChoice::Mode::Function);
    EXPECT_EQ(r->toolChoice.function, "noop");
    EXPECT_FALSE(r->toolChoice.parallel);
    ASSERT_FALSE(applyToolChoice(*r, assistant::ToolCallSyntax::Hermes));
    EXPECT_NE(r->params.grammar.find("<tool_call>"), std::string::npos);
    EXPECT_NE(r->params.grammar.find("noop"), std::string::npos);
    EXPECT_EQ(r->params.grammar.find("get_weather"), std::string::npos);

    r = chat(std::string(", ") + kTools + R"(, "tool_choice": "required")");
    ASSERT_TRUE(r);
    ASSERT_FALSE(applyToolChoice(*r, assistant::ToolCallSyntax::Llama3));
    EXPECT_NE(r->params.grammar.find("parameters"), std::string::npos);
}

TEST(ToolProtocol, BadToolsAre400s) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {R"(, "tools": {})", "tools"},
        {R"(, "tools": [{"type": "retrieval"}])", "tools[0]"},
        {R"(, "tools": [{"type": "function"}])", "tools[0].function"},
        {R"(, "tools": [{"type": "function", "function": {"name": ""}}])", "tools[0].function.name"},
        {R"(, "tools": [{"type": "function", "function": {"name": "f", "parameters": "x"}}])", "tools[0].function.parameters"},
        {R"(, "tool_choice": "sometimes")", "tool_choice"},
        {R"(, "tool_choice": "required")", "tool_choice"},
        {std::string(", ") + kTools + R"(, "tool_choice": {"type": "function", "function": {"name": "other"}})", "tool_choice"},
        {std::string(", ") + kTools + R"(, "parallel_tool_calls": "yes")", "parallel_tool_calls"},
    };
    for (const auto& [extra, param] : cases) {
        auto r = chat(extra);
        ASSERT_FALSE(r) << extra;
        EXPECT_EQ(r.error().status, 400) << extra;
        EXPECT_EQ(r.error().param, param) << extra;
    }
    // A forced call and a response format cannot both shape the answer.
    auto r = chat(std::string(", ") + kTools + R"(, "tool_choice": "required", "response_format": {"type": "json_object"})");
    ASSERT_TRUE(r);
    auto e = applyToolChoice(*r, assistant::ToolCallSyntax::Hermes);
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->param, "tool_choice");
}

TEST(ToolProtocol, ConversationWithCallsAndResults) {
    auto body = parseBody(R"({"messages": [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": null, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
            {"id": "call_2", "type": "function", "function": {"name": "noop", "arguments": {"x": 1}}}]},
        {"role": "tool", "tool_call_id": "call_1", "name": "get_weather", "content": "18 C"},
        {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "ok"}]}]})");
    ASSERT_TRUE(body);
    auto r = parseChatRequest(*body);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->messages.size(), 4u);
    const assistant::Message& call = r->messages[1];
    EXPECT_EQ(call.content, "");
    ASSERT_EQ(call.toolCalls.size(), 2u);
    EXPECT_EQ(call.toolCalls[0].id, "call_1");
    EXPECT_EQ(call.toolCalls[0].name, "get_weather");
    EXPECT_EQ(call.toolCalls[0].arguments, R"({"city":"Paris"})");
    EXPECT_EQ(parseJson(call.toolCalls[1].arguments), Value(Object{{"x", 1}}));
    EXPECT_EQ(r->messages[2].toolCallId, "call_1");
    EXPECT_EQ(r->messages[2].name, "get_weather");
    EXPECT_EQ(r->messages[3].content, "ok");

    auto bad = parseBody(R"({"messages": [{"role": "assistant", "tool_calls": [{"id": "x", "function": {"arguments": "{}"}}]}]})");
    ASSERT_TRUE(bad);
    auto e = parseChatRequest(*bad);
    ASSERT_FALSE(e);
    EXPECT_EQ(e.error().param, "messages[0].tool_calls[0]");
}

TEST(ToolProtocol, AnswerWithCalls) {
    GenerationRequest req;
    req.params.tools.push_back({"get_weather", "", ""});
    assistant::GenerateResult result;
    result.text = "Checking.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>";
    const assistant::ParsedToolCalls calls = toolCallsOf(req, assistant::ToolCallSyntax::Hermes, result.text);
    const ResponseBuilder b(true, "m", "chatcmpl-1", 1);
    Value full = b.full(result, {}, &calls);
    const Value& choice = full["choices"][0];
    EXPECT_EQ(choice["finish_reason"], "tool_calls");
    EXPECT_EQ(choice["message"]["content"], "Checking.");
    const Value& call = choice["message"]["tool_calls"][0];
    EXPECT_TRUE(call["id"].asString().starts_with("call_"));
    EXPECT_EQ(call["id"].asString().size(), 29u);
    EXPECT_EQ(call["type"], "function");
    EXPECT_EQ(call["function"]["name"], "get_weather");
    EXPECT_EQ(parseJson(call["function"]["arguments"].asString()), Value(Object{{"city", "Paris"}}));
    // Only a call: content is null. Cut short: "length" even with calls.
    result.text = "<tool_call>{\"name\": \"get_weather\", \"arguments\": {}}</tool_call>";
    const assistant::ParsedToolCalls only = toolCallsOf(req, assistant::ToolCallSyntax::Hermes, result.text);
    EXPECT_TRUE(b.full(result, {}, &only)["choices"][0]["message"]["content"].isNull());
    result.stopReason = assistant::StopReason::MaxTokens;
    EXPECT_EQ(b.full(result, {}, &only)["choices"][0]["finish_reason"], "length");
    // No call in the text: a plain answer.
    result.stopReason = assistant::StopReason::EndOfText;
    result.text = "It is sunny.";
    const assistant::ParsedToolCalls none = toolCallsOf(req, assistant::ToolCallSyntax::Hermes, result.text);
    Value plain = b.full(result, {}, &none);
    EXPECT_EQ(plain["choices"][0]["finish_reason"], "stop");
    EXPECT_EQ(plain["choices"][0]["message"]["content"], "It is sunny.");
    EXPECT_FALSE(plain["choices"][0]["message"].find("tool_calls") != nullptr);
    // Ollama's shape: arguments as an object.
    EXPECT_EQ(ollamaToolCalls(only.calls)[0]["function"]["arguments"], Value(Object{}));
}

TEST(ToolProtocol, StreamedDeltas) {
    ToolCallDeltas d(assistant::ToolCallSyntax::Hermes);
    std::vector<Value> all;
    for (const char* piece : {"Sure", ". <tool", "_call>\n{\"name\": \"get_weather\", ", "\"arguments\": {\"ci", "ty\": \"Paris\"}}\n</tool_call>"})
        for (Value& j : d.feed(piece)) all.push_back(std::move(j));
    for (Value& j : d.finish()) all.push_back(std::move(j));
    EXPECT_TRUE(d.calledTools());
    std::string content, arguments;
    int starts = 0;
    for (const Value& delta : all) {
        if (delta.find("content") != nullptr) {
            EXPECT_EQ(starts, 0) << "content after the call: " << delta.dump();
            content += delta["content"].asString();
            continue;
        }
        const Value& call = delta["tool_calls"][0];
        EXPECT_EQ(call["index"], 0);
        if (call.find("id") != nullptr) {
            ++starts;
            EXPECT_EQ(call["type"], "function");
            EXPECT_EQ(call["function"]["name"], "get_weather");
            EXPECT_EQ(call["function"]["arguments"], "");
        } else {
            EXPECT_FALSE(call["function"].find("name") != nullptr);
        }
        arguments += call["function"]["arguments"].asString();
    }
    EXPECT_EQ(content, "Sure. ");
    EXPECT_EQ(starts, 1);
    EXPECT_EQ(parseJson(arguments), Value(Object{{"city", "Paris"}}));
    const ResponseBuilder b(true, "m", "chatcmpl-1", 1);
    EXPECT_EQ(b.finishChunk(assistant::StopReason::EndOfText, true)["choices"][0]["finish_reason"], "tool_calls");
    EXPECT_EQ(b.chatChunk(all.back())["choices"][0]["delta"], all.back());
}

TEST(ToolProtocol, OllamaChatWithTools) {
    auto r = ollama::parseChat(parseJson(std::string(R"({"model": "m", "messages": [
        {"role": "user", "content": "Weather?"},
        {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Oslo"}}}]},
        {"role": "tool", "tool_name": "get_weather", "content": "-3 C"}], )") + kTools + "}"));
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->params.tools.size(), 2u);
    ASSERT_EQ(r->messages[1].toolCalls.size(), 1u);
    EXPECT_EQ(parseJson(r->messages[1].toolCalls[0].arguments), Value(Object{{"city", "Oslo"}}));
    EXPECT_EQ(r->messages[2].name, "get_weather");
    // The answer: message.tool_calls with arguments as an object, content the rest.
    assistant::GenerateResult result;
    result.text = "<tool_call>{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}</tool_call>";
    const assistant::ParsedToolCalls calls = toolCallsOf(*r, assistant::ToolCallSyntax::Generic, result.text);
    const Value answer = ollama::final(true, "m", result, std::chrono::nanoseconds(1), true, &calls);
    EXPECT_EQ(answer["message"]["content"], "");
    EXPECT_EQ(answer["message"]["tool_calls"][0]["function"]["name"], "get_weather");
    EXPECT_EQ(answer["message"]["tool_calls"][0]["function"]["arguments"], Value(Object{{"city", "Oslo"}}));
    // Streamed: whole calls only; a malformed one comes back as the text it was.
    WholeToolCalls whole(assistant::ToolCallSyntax::Generic);
    std::vector<WholeToolCalls::Item> items = whole.feed("Hi <tool_call>{\"name\": \"f\", \"arguments\": {\"a\"");
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(items[0].text, "Hi ");
    items = whole.feed(": 1}}</tool_call><tool_call>{\"name\": \"g\", \"arguments\": {oops}}</tool_call>");
    ASSERT_EQ(items.size(), 2u);
    ASSERT_TRUE(items[0].call.has_value());
    EXPECT_EQ(items[0].call->name, "f");
    EXPECT_EQ(parseJson(items[0].call->arguments), Value(Object{{"a", 1}}));
    EXPECT_FALSE(items[1].call.has_value());
    EXPECT_EQ(items[1].text, "<tool_call>{\"name\": \"g\", \"arguments\": {oops}}</tool_call>");
}
