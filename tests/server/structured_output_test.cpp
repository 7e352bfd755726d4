// Structured output end to end through the HTTP server on the demo model (a story
// model with no chat template that never writes JSON unprompted): response_format
// json_schema and json_object on /v1/chat/completions (greedy and seeded, streamed
// and not), Ollama's format on /api/chat, and bad schemas as OpenAI-style 400s.
#include <gtest/gtest.h>

#include <httplib.h>

#include "api_server.h"
#include "grammar/grammar_matcher.h"
#include "grammar/json_schema.h"
#include "json/json.h"
#include "json_schema_check.h"
#include "json_test_util.h"

using json::Array;
using json::Object;
using json::Value;
using server_test::parseJson;

namespace {

const std::string kModel = ASSISTANT_SOURCE_DIR "/resources/models/stories260K.gguf";

const char* kSchema = R"({
  "type": "object", "additionalProperties": false, "required": ["name", "age", "mood", "friends"],
  "properties": {
    "name": {"type": "string", "minLength": 1, "maxLength": 12},
    "age": {"type": "integer", "minimum": 1, "maximum": 99},
    "mood": {"enum": ["happy", "sad", "sleepy"]},
    "friends": {"type": "array", "items": {"type": "string", "maxLength": 10}, "minItems": 1, "maxItems": 3},
    "pet": {"type": ["string", "null"], "maxLength": 8}
  }})";

class StructuredOutput : public testing::Test {
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

    static Value chatBody(const Value& format, double temperature, int64_t seed) {
        return Object{{"messages", Array{Object{{"role", "user"}, {"content", "Tell me about Lily as JSON."}}}},
                      {"temperature", temperature}, {"seed", seed}, {"max_tokens", 200}, {"response_format", format}};
    }
    static void expectValid(const std::string& content, const std::string& what) {
        auto value = ::json::Value::parse(content);
        ASSERT_TRUE(value.has_value()) << what << ": not JSON: " << content;
        auto schema = ::json::Value::parse(kSchema);
        ASSERT_TRUE(schema.has_value());
        EXPECT_EQ(testing_json::checkSchema(*value, *schema, *schema), "") << what << ": " << content;
    }

    static server::ApiServer* s_api;
};

server::ApiServer* StructuredOutput::s_api = nullptr;

TEST_F(StructuredOutput, JsonSchemaAnswersValidateGreedyAndSeeded) {
    const Value format = Object{{"type", "json_schema"},
                                {"json_schema", Object{{"name", "person"}, {"strict", true}, {"schema", parseJson(kSchema)}}}};
    auto c = client();
    for (double t : {0.0, 0.7, 1.2}) {
        for (int64_t seed : {1, 2, 3}) {
            auto r = c.Post("/v1/chat/completions", chatBody(format, t, seed).dump(), "application/json");
            ASSERT_TRUE(r);
            ASSERT_EQ(r->status, 200) << r->body;
            const Value body = parseJson(r->body);
            EXPECT_EQ(body["choices"][0]["finish_reason"], "stop") << r->body;
            expectValid(body["choices"][0]["message"]["content"].asString(),
                        "T=" + std::to_string(t) + " seed " + std::to_string(seed));
            if (t == 0.0) break;
        }
    }
}

TEST_F(StructuredOutput, StreamedChunksAddUpToValidJson) {
    const Value format = Object{{"type", "json_schema"}, {"json_schema", Object{{"name", "person"}, {"schema", parseJson(kSchema)}}}};
    Value body = chatBody(format, 0.9, 11);
    body.set("stream", true);
    std::string sse;
    auto r = client().Post("/v1/chat/completions", body.dump(), "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
    std::string content;
    size_t pos = 0;
    while ((pos = r->body.find("data: ", pos)) != std::string::npos) {
        const size_t end = r->body.find("\n\n", pos);
        const std::string data = r->body.substr(pos + 6, end - pos - 6);
        pos = end;
        if (data == "[DONE]") break;
        const Value chunk = parseJson(data);
        if (chunk["choices"].size() > 0 && chunk["choices"][0]["delta"].find("content") != nullptr)
            content += chunk["choices"][0]["delta"]["content"].asString();
    }
    expectValid(content, "streamed");
}

TEST_F(StructuredOutput, JsonObjectGivesAnObject) {
    // The demo model writes key after key, past any max_tokens: what ends ("stop") must
    // parse as an object, what is cut ("length") must be the start of one.
    auto g = grammar::parseGbnf(grammar::jsonObjectGbnf());
    ASSERT_TRUE(g.has_value());
    grammar::GrammarMatcher matcher(std::make_shared<const grammar::Grammar>(std::move(*g)));
    auto c = client();
    for (int64_t seed = 1; seed <= 3; ++seed) {
        Value body = chatBody(Object{{"type", "json_object"}}, 0.8, seed);
        body.set("max_tokens", 120);
        auto r = c.Post("/v1/chat/completions", body.dump(), "application/json");
        ASSERT_TRUE(r);
        ASSERT_EQ(r->status, 200) << r->body;
        const Value answer = parseJson(r->body)["choices"][0];
        const std::string content = answer["message"]["content"].asString();
        if (answer["finish_reason"] == "stop") {
            auto value = ::json::Value::parse(content);
            ASSERT_TRUE(value.has_value()) << content;
            EXPECT_TRUE(value->isObject()) << content;
        } else {
            EXPECT_FALSE(matcher.advance(matcher.start(), content).dead()) << content;
            EXPECT_FALSE(::json::Value::parse(content).has_value()) << content;
        }
    }
}

TEST_F(StructuredOutput, OllamaFormatSchema) {
    const Value body = Object{{"model", "stories260K"},
                              {"messages", Array{Object{{"role", "user"}, {"content", "Lily?"}}}},
                              {"stream", false},
                              {"format", parseJson(kSchema)},
                              {"options", Object{{"temperature", 0.8}, {"seed", 5}, {"num_predict", 200}}}};
    auto r = client().Post("/api/chat", body.dump(), "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    expectValid(parseJson(r->body)["message"]["content"].asString(), "ollama");
}

TEST_F(StructuredOutput, BadSchemaIsA400) {
    const Value format = Object{
        {"type", "json_schema"},
        {"json_schema", Object{{"name", "bad"},
                               {"schema", Object{{"type", "object"},
                                                 {"properties", Object{{"a", Object{{"type", "strang"}}}}}}}}}};
    auto r = client().Post("/v1/chat/completions", chatBody(format, 0.0, 1).dump(), "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    const Value error = parseJson(r->body)["error"];
    EXPECT_EQ(error["type"], "invalid_request_error");
    EXPECT_EQ(error["param"], "response_format.json_schema.schema");
    EXPECT_NE(error["message"].asString().find("/properties/a/type: unknown type 'strang'"), std::string::npos)
        << error.dump();
}

}  // namespace
