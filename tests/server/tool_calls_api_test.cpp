// Tool calls end to end through the HTTP server on the demo model (a story model with
// no chat template: the Generic syntax). tool_choice "required" and a named function
// force a valid call (greedy and seeded, streamed and not); "auto" passes the text
// through when the model writes none; a conversation carrying calls and results
// renders; bad tools are 400s; Ollama's /api/chat answers message.tool_calls.
#include <gtest/gtest.h>

#include <httplib.h>

#include "api_server.h"
#include "json_test_util.h"

using json::Array;
using json::Object;
using json::Value;
using server_test::parseJson;

namespace {

const std::string kModel = ASSISTANT_SOURCE_DIR "/resources/models/stories260K.gguf";

const Value kTools = parseJson(R"([
  {"type": "function", "function": {"name": "get_weather", "description": "The weather in a city now",
   "parameters": {"type": "object", "additionalProperties": false, "required": ["city", "unit"],
     "properties": {"city": {"type": "string", "minLength": 1, "maxLength": 12},
                    "unit": {"enum": ["celsius", "fahrenheit"]}}}}},
  {"type": "function", "function": {"name": "count_sheep", "description": "Count sheep",
   "parameters": {"type": "object", "additionalProperties": false, "required": ["n"],
     "properties": {"n": {"type": "integer", "minimum": 1, "maximum": 99}}}}}])");

class ToolCallsApi : public testing::Test {
protected:
    static void SetUpTestSuite() {
        server::ServerOptions o;
        o.port = 0;
        o.modelPath = kModel;
        s_api = new server::ApiServer(o);
        ASSERT_TRUE(s_api->start());
        ASSERT_EQ(s_api->waitForModels(), server::ModelState::Ready);
    }
    static void TearDownTestSuite() {
        s_api->stop();
        delete s_api;
    }
    static httplib::Client client() { return httplib::Client("127.0.0.1", s_api->port()); }

    static Value body(const Value& toolChoice, double temperature, int64_t seed) {
        return Object{{"messages", Array{Object{{"role", "user"}, {"content", "What is the weather in Paris?"}}}},
                      {"tools", kTools}, {"tool_choice", toolChoice}, {"temperature", temperature}, {"seed", seed},
                      {"max_tokens", 200}, {"parallel_tool_calls", false}};
    }
    // A call of one of kTools with arguments valid for it.
    static void expectValidCall(const std::string& name, const std::string& arguments, const std::string& what) {
        const Value args = Value::parse(arguments).value_or(Value());
        ASSERT_TRUE(args.isObject()) << what << ": arguments are not a JSON object: " << arguments;
        if (name == "get_weather") {
            ASSERT_TRUE(args["city"].isString()) << what << ": " << arguments;
            EXPECT_GE(args["city"].asString().size(), 1u) << what;
            EXPECT_TRUE(args["unit"] == "celsius" || args["unit"] == "fahrenheit") << what << ": " << arguments;
            EXPECT_EQ(args.size(), 2u) << what << ": " << arguments;
        } else {
            ASSERT_EQ(name, "count_sheep") << what;
            ASSERT_TRUE(args["n"].isInteger()) << what << ": " << arguments;
            EXPECT_GE(args["n"].asInt(), 1) << what;
            EXPECT_LE(args["n"].asInt(), 99) << what;
        }
    }
    // The SSE events' JSON payloads, [DONE] excluded.
    static std::vector<Value> events(const std::string& sse) {
        std::vector<Value> out;
        size_t pos = 0;
        while ((pos = sse.find("data: ", pos)) != std::string::npos) {
            const size_t end = sse.find("\n\n", pos);
            const std::string data = sse.substr(pos + 6, end - pos - 6);
            pos = end;
            if (data != "[DONE]") out.push_back(parseJson(data));
        }
        return out;
    }

    static server::ApiServer* s_api;
};

server::ApiServer* ToolCallsApi::s_api = nullptr;

TEST_F(ToolCallsApi, RequiredGivesAValidCallGreedyAndSeeded) {
    auto c = client();
    for (double t : {0.0, 0.8, 1.2}) {
        for (int64_t seed : {1, 2, 3}) {
            const std::string what = "T=" + std::to_string(t) + " seed " + std::to_string(seed);
            auto r = c.Post("/v1/chat/completions", body("required", t, seed).dump(), "application/json");
            ASSERT_TRUE(r);
            ASSERT_EQ(r->status, 200) << r->body;
            const Value choice = parseJson(r->body)["choices"][0];
            EXPECT_EQ(choice["finish_reason"], "tool_calls") << what << ": " << r->body;
            const Value& message = choice["message"];
            EXPECT_TRUE(message["content"].isNull()) << what << ": " << r->body;
            ASSERT_EQ(message["tool_calls"].size(), 1u) << what << ": " << r->body;  // parallel_tool_calls false
            const Value& call = message["tool_calls"][0];
            EXPECT_TRUE(call["id"].asString().starts_with("call_"));
            EXPECT_EQ(call["type"], "function");
            expectValidCall(call["function"]["name"].asString(), call["function"]["arguments"].asString(), what);
            if (t == 0.0) break;
        }
    }
}

TEST_F(ToolCallsApi, NamedFunctionIsTheOneCalled) {
    const Value choice = Object{{"type", "function"}, {"function", Object{{"name", "count_sheep"}}}};
    auto r = client().Post("/v1/chat/completions", body(choice, 0.0, 1).dump(), "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    const Value call = parseJson(r->body)["choices"][0]["message"]["tool_calls"][0];
    EXPECT_EQ(call["function"]["name"], "count_sheep") << r->body;
    expectValidCall("count_sheep", call["function"]["arguments"].asString(), "named");
}

TEST_F(ToolCallsApi, StreamedCallHasIdNameThenArgumentPieces) {
    Value b = body("required", 0.0, 1);
    b.set("stream", true);
    auto r = client().Post("/v1/chat/completions", b.dump(), "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    std::string name, arguments, finish;
    int starts = 0, argumentPieces = 0;
    for (const Value& e : events(r->body)) {
        const Value& choice = e["choices"][0];
        if (!choice["finish_reason"].isNull()) finish = choice["finish_reason"].asString();
        const Value& delta = choice["delta"];
        if (delta.find("content") != nullptr) {
            EXPECT_EQ(delta["content"], "") << "text outside the call: " << e.dump();
        }
        if (delta.find("tool_calls") == nullptr) continue;
        const Value& call = delta["tool_calls"][0];
        EXPECT_EQ(call["index"], 0);
        if (call.find("id") != nullptr) {
            ++starts;
            EXPECT_TRUE(call["id"].asString().starts_with("call_"));
            EXPECT_EQ(call["type"], "function");
            name = call["function"]["name"].asString();
        } else {
            ++argumentPieces;
        }
        arguments += call["function"]["arguments"].asString();
    }
    EXPECT_EQ(starts, 1) << r->body;
    EXPECT_GT(argumentPieces, 1) << "arguments should stream in pieces: " << r->body;
    EXPECT_EQ(finish, "tool_calls");
    expectValidCall(name, arguments, "streamed");
    // The same call as the non-streamed answer (greedy).
    auto whole = client().Post("/v1/chat/completions", body("required", 0.0, 1).dump(), "application/json");
    ASSERT_TRUE(whole);
    const Value call = parseJson(whole->body)["choices"][0]["message"]["tool_calls"][0];
    EXPECT_EQ(call["function"]["name"], name);
    EXPECT_EQ(parseJson(call["function"]["arguments"].asString()), parseJson(arguments));
}

TEST_F(ToolCallsApi, AutoLeavesAStoryAsText) {
    // The story model writes no <tool_call> unprompted: its text comes back as content.
    auto r = client().Post("/v1/chat/completions", body("auto", 0.0, 1).dump(), "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    const Value choice = parseJson(r->body)["choices"][0];
    EXPECT_NE(choice["finish_reason"], "tool_calls") << r->body;
    EXPECT_FALSE(choice["message"].find("tool_calls") != nullptr) << r->body;
    EXPECT_FALSE(choice["message"]["content"].asString().empty());
}

TEST_F(ToolCallsApi, ConversationWithCallsAndResultsRenders) {
    Value b = Object{{"messages", parseJson(R"([
        {"role": "user", "content": "What is the weather in Paris?"},
        {"role": "assistant", "content": null, "tool_calls": [{"id": "call_abc", "type": "function",
          "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\", \"unit\": \"celsius\"}"}}]},
        {"role": "tool", "tool_call_id": "call_abc", "content": "18 degrees and sunny"}])")},
            {"tools", kTools}, {"temperature", 0}, {"max_tokens", 16}};
    auto r = client().Post("/v1/chat/completions", b.dump(), "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_GT(parseJson(r->body)["usage"]["prompt_tokens"].asInt(), 100) << "tools and results are in the prompt";
}

TEST_F(ToolCallsApi, BadToolsAre400s) {
    Value b = body("required", 0.0, 1);
    b.set("tool_choice", Object{{"type", "function"}, {"function", Object{{"name", "fly"}}}});
    auto r = client().Post("/v1/chat/completions", b.dump(), "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << r->body;
    EXPECT_EQ(parseJson(r->body)["error"]["param"], "tool_choice");
    b = body("required", 0.0, 1);
    b.find("tools")->mutableArray()[0].find("function")->set("parameters", Object{{"type", "int"}});
    r = client().Post("/v1/chat/completions", b.dump(), "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << r->body;
    EXPECT_NE(parseJson(r->body)["error"]["message"].asString().find("get_weather"), std::string::npos) << r->body;
}

TEST_F(ToolCallsApi, OllamaChatGivesToolCallsWithObjectArguments) {
    // Ollama has no tool_choice; ours is accepted on /api/chat too, so the demo model calls.
    Value b = Object{{"model", "stories260K"}, {"messages", Array{Object{{"role", "user"}, {"content", "Weather in Paris?"}}}},
                     {"tools", kTools}, {"tool_choice", "required"}, {"parallel_tool_calls", false},
                     {"options", Object{{"temperature", 0}, {"num_predict", 200}}}};
    for (bool stream : {false, true}) {
        b.set("stream", stream);
        auto r = client().Post("/api/chat", b.dump(), "application/json");
        ASSERT_TRUE(r);
        ASSERT_EQ(r->status, 200) << r->body;
        Array calls;
        std::string content;
        size_t start = 0;
        while (start < r->body.size()) {  // NDJSON (or one JSON object)
            size_t end = r->body.find('\n', start);
            if (end == std::string::npos) end = r->body.size();
            const Value line = parseJson(r->body.substr(start, end - start));
            start = end + 1;
            content += line["message"]["content"].asString();
            for (const Value& c : line["message"]["tool_calls"].asArray()) calls.push_back(c);
        }
        ASSERT_EQ(calls.size(), 1u) << r->body;
        EXPECT_EQ(content, "") << r->body;
        const Value& f = calls[0]["function"];
        ASSERT_TRUE(f["arguments"].isObject()) << r->body;
        expectValidCall(f["name"].asString(), f["arguments"].dump(), stream ? "ollama streamed" : "ollama");
    }
}

}  // namespace
