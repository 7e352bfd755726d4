// Tool calls end to end through the HTTP server on the demo model (a story model with
// no chat template: the Generic syntax). tool_choice "required" and a named function
// force a valid call (greedy and seeded, streamed and not); "auto" passes the text
// through when the model writes none; a conversation carrying calls and results
// renders; bad tools are 400s; Ollama's /api/chat answers message.tool_calls.
#include <gtest/gtest.h>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "api_server.h"

using njson = nlohmann::json;

namespace {

const std::string kModel = ASSISTANT_SOURCE_DIR "/resources/models/stories260K.gguf";

const njson kTools = njson::parse(R"([
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

    static njson body(const njson& toolChoice, double temperature, int64_t seed) {
        return njson{{"messages", njson::array({{{"role", "user"}, {"content", "What is the weather in Paris?"}}})},
                    {"tools", kTools}, {"tool_choice", toolChoice}, {"temperature", temperature}, {"seed", seed},
                    {"max_tokens", 200}, {"parallel_tool_calls", false}};
    }
    // A call of one of kTools with arguments valid for it.
    static void expectValidCall(const std::string& name, const std::string& arguments, const std::string& what) {
        const njson args = njson::parse(arguments, nullptr, false);
        ASSERT_TRUE(args.is_object()) << what << ": arguments are not a JSON object: " << arguments;
        if (name == "get_weather") {
            ASSERT_TRUE(args["city"].is_string()) << what << ": " << arguments;
            EXPECT_GE(args["city"].get<std::string>().size(), 1u) << what;
            EXPECT_TRUE(args["unit"] == "celsius" || args["unit"] == "fahrenheit") << what << ": " << arguments;
            EXPECT_EQ(args.size(), 2u) << what << ": " << arguments;
        } else {
            ASSERT_EQ(name, "count_sheep") << what;
            ASSERT_TRUE(args["n"].is_number_integer()) << what << ": " << arguments;
            EXPECT_GE(args["n"].get<int>(), 1) << what;
            EXPECT_LE(args["n"].get<int>(), 99) << what;
        }
    }
    // The SSE events' JSON payloads, [DONE] excluded.
    static std::vector<njson> events(const std::string& sse) {
        std::vector<njson> out;
        size_t pos = 0;
        while ((pos = sse.find("data: ", pos)) != std::string::npos) {
            const size_t end = sse.find("\n\n", pos);
            const std::string data = sse.substr(pos + 6, end - pos - 6);
            pos = end;
            if (data != "[DONE]") out.push_back(njson::parse(data));
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
            const njson choice = njson::parse(r->body)["choices"][0];
            EXPECT_EQ(choice["finish_reason"], "tool_calls") << what << ": " << r->body;
            const njson& message = choice["message"];
            EXPECT_TRUE(message["content"].is_null()) << what << ": " << r->body;
            ASSERT_EQ(message["tool_calls"].size(), 1u) << what << ": " << r->body;  // parallel_tool_calls false
            const njson& call = message["tool_calls"][0];
            EXPECT_TRUE(call["id"].get<std::string>().starts_with("call_"));
            EXPECT_EQ(call["type"], "function");
            expectValidCall(call["function"]["name"], call["function"]["arguments"], what);
            if (t == 0.0) break;
        }
    }
}

TEST_F(ToolCallsApi, NamedFunctionIsTheOneCalled) {
    const njson choice{{"type", "function"}, {"function", {{"name", "count_sheep"}}}};
    auto r = client().Post("/v1/chat/completions", body(choice, 0.0, 1).dump(), "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    const njson call = njson::parse(r->body)["choices"][0]["message"]["tool_calls"][0];
    EXPECT_EQ(call["function"]["name"], "count_sheep") << r->body;
    expectValidCall("count_sheep", call["function"]["arguments"], "named");
}

TEST_F(ToolCallsApi, StreamedCallHasIdNameThenArgumentPieces) {
    njson b = body("required", 0.0, 1);
    b["stream"] = true;
    auto r = client().Post("/v1/chat/completions", b.dump(), "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    std::string name, arguments, finish;
    int starts = 0, argumentPieces = 0;
    for (const njson& e : events(r->body)) {
        const njson& choice = e["choices"][0];
        if (!choice["finish_reason"].is_null()) finish = choice["finish_reason"];
        const njson& delta = choice["delta"];
        if (delta.contains("content")) {
            EXPECT_EQ(delta["content"], "") << "text outside the call: " << e.dump();
        }
        if (!delta.contains("tool_calls")) continue;
        const njson& call = delta["tool_calls"][0];
        EXPECT_EQ(call["index"], 0);
        if (call.contains("id")) {
            ++starts;
            EXPECT_TRUE(call["id"].get<std::string>().starts_with("call_"));
            EXPECT_EQ(call["type"], "function");
            name = call["function"]["name"];
        } else {
            ++argumentPieces;
        }
        arguments += call["function"]["arguments"].get<std::string>();
    }
    EXPECT_EQ(starts, 1) << r->body;
    EXPECT_GT(argumentPieces, 1) << "arguments should stream in pieces: " << r->body;
    EXPECT_EQ(finish, "tool_calls");
    expectValidCall(name, arguments, "streamed");
    // The same call as the non-streamed answer (greedy).
    auto whole = client().Post("/v1/chat/completions", body("required", 0.0, 1).dump(), "application/json");
    ASSERT_TRUE(whole);
    const njson call = njson::parse(whole->body)["choices"][0]["message"]["tool_calls"][0];
    EXPECT_EQ(call["function"]["name"], name);
    EXPECT_EQ(njson::parse(call["function"]["arguments"].get<std::string>()), njson::parse(arguments));
}

TEST_F(ToolCallsApi, AutoLeavesAStoryAsText) {
    // The story model writes no <tool_call> unprompted: its text comes back as content.
    auto r = client().Post("/v1/chat/completions", body("auto", 0.0, 1).dump(), "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    const njson choice = njson::parse(r->body)["choices"][0];
    EXPECT_NE(choice["finish_reason"], "tool_calls") << r->body;
    EXPECT_FALSE(choice["message"].contains("tool_calls")) << r->body;
    EXPECT_FALSE(choice["message"]["content"].get<std::string>().empty());
}

TEST_F(ToolCallsApi, ConversationWithCallsAndResultsRenders) {
    njson b{{"messages", njson::parse(R"([
        {"role": "user", "content": "What is the weather in Paris?"},
        {"role": "assistant", "content": null, "tool_calls": [{"id": "call_abc", "type": "function",
          "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\", \"unit\": \"celsius\"}"}}]},
        {"role": "tool", "tool_call_id": "call_abc", "content": "18 degrees and sunny"}])")},
            {"tools", kTools}, {"temperature", 0}, {"max_tokens", 16}};
    auto r = client().Post("/v1/chat/completions", b.dump(), "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_GT(njson::parse(r->body)["usage"]["prompt_tokens"].get<int>(), 100) << "tools and results are in the prompt";
}

TEST_F(ToolCallsApi, BadToolsAre400s) {
    njson b = body("required", 0.0, 1);
    b["tool_choice"] = {{"type", "function"}, {"function", {{"name", "fly"}}}};
    auto r = client().Post("/v1/chat/completions", b.dump(), "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << r->body;
    EXPECT_EQ(njson::parse(r->body)["error"]["param"], "tool_choice");
    b = body("required", 0.0, 1);
    b["tools"][0]["function"]["parameters"] = {{"type", "int"}};
    r = client().Post("/v1/chat/completions", b.dump(), "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << r->body;
    EXPECT_NE(njson::parse(r->body)["error"]["message"].get<std::string>().find("get_weather"), std::string::npos) << r->body;
}

TEST_F(ToolCallsApi, OllamaChatGivesToolCallsWithObjectArguments) {
    // Ollama has no tool_choice; ours is accepted on /api/chat too, so the demo model calls.
    njson b{{"model", "stories260K"}, {"messages", njson::array({{{"role", "user"}, {"content", "Weather in Paris?"}}})},
            {"tools", kTools}, {"tool_choice", "required"}, {"parallel_tool_calls", false},
            {"options", {{"temperature", 0}, {"num_predict", 200}}}};
    for (bool stream : {false, true}) {
        b["stream"] = stream;
        auto r = client().Post("/api/chat", b.dump(), "application/json");
        ASSERT_TRUE(r);
        ASSERT_EQ(r->status, 200) << r->body;
        njson calls = njson::array();
        std::string content;
        size_t start = 0;
        while (start < r->body.size()) {  // NDJSON (or one JSON object)
            size_t end = r->body.find('\n', start);
            if (end == std::string::npos) end = r->body.size();
            const njson line = njson::parse(r->body.substr(start, end - start));
            start = end + 1;
            content += line["message"]["content"].get<std::string>();
            for (const njson& c : line["message"].value("tool_calls", njson::array())) calls.push_back(c);
        }
        ASSERT_EQ(calls.size(), 1u) << r->body;
        EXPECT_EQ(content, "") << r->body;
        const njson& f = calls[0]["function"];
        ASSERT_TRUE(f["arguments"].is_object()) << r->body;
        expectValidCall(f["name"], f["arguments"].dump(), stream ? "ollama streamed" : "ollama");
    }
}

}  // namespace
