// The OpenAI wire format: request validation (types, ranges, defaults) and the shape
// of responses and SSE chunks that clients parse.
#include <gtest/gtest.h>

#include <cmath>

#include "json_test_util.h"
#include "openai_protocol.h"

using json::Array;
using json::Object;
using json::Value;
using server_test::parseJson;
using namespace server;

namespace {

ApiResult<GenerationRequest> chat(const std::string& text) {
    auto body = parseBody(text);
    if (!body) return std::unexpected(body.error());
    return parseChatRequest(*body);
}

ApiResult<GenerationRequest> completion(const std::string& text) {
    auto body = parseBody(text);
    if (!body) return std::unexpected(body.error());
    return parseCompletionRequest(*body);
}

}  // namespace

TEST(ServerProtocol, MalformedBodiesAre400WithoutThrowing) {
    for (const char* text : {"", "{", "{\"a\":}", "nul", "[1,2]", "\"text\"", "42", "{\"a\":1}}", "\xff\xfe"}) {
        auto r = chat(text);
        ASSERT_FALSE(r) << text;
        EXPECT_EQ(r.error().status, 400) << text;
    }
}

TEST(ServerProtocol, ChatDefaultsAndFields) {
    auto r = chat(R"({"model":"m","messages":[{"role":"developer","content":"be brief"},
        {"role":"user","content":[{"type":"text","text":"he"},{"type":"text","text":"llo"}]},
        {"role":"assistant","content":null}],
        "temperature":0,"top_p":0.5,"seed":7,"stop":"END","max_completion_tokens":12,"n":1,
        "stream":true,"stream_options":{"include_usage":true},"logit_bias":{"5":-100,"7":2.5}})");
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->messages.size(), 3u);
    EXPECT_EQ(r->messages[0].role, "system");
    EXPECT_EQ(r->messages[1].content, "hello");
    EXPECT_EQ(r->messages[2].content, "");
    EXPECT_EQ(r->model, "m");
    EXPECT_EQ(r->params.sampling.temperature, 0.0f);
    EXPECT_EQ(r->params.sampling.topP, 0.5f);
    EXPECT_EQ(r->params.sampling.seed, 7u);
    EXPECT_EQ(r->params.stop, std::vector<std::string>{"END"});
    EXPECT_EQ(r->params.maxTokens, 12);
    EXPECT_TRUE(r->stream);
    EXPECT_TRUE(r->includeUsage);
    ASSERT_EQ(r->params.sampling.logitBias.size(), 2u);
    EXPECT_TRUE(std::isinf(r->params.sampling.logitBias[0].second));

    auto d = chat(R"({"messages":[{"role":"user","content":"hi"}]})");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->params.maxTokens, 0);  // until EOS or the context is full
    EXPECT_FALSE(d->stream);
    EXPECT_EQ(d->params.sampling.temperature, assistant::SamplingParams{}.temperature);
}

TEST(ServerProtocol, ChatRejectsWrongTypesAndRanges) {
    struct Case {
        const char* body;
        const char* param;
    };
    const Case cases[] = {
        {R"({})", "messages"},
        {R"({"messages":[]})", "messages"},
        {R"({"messages":"hi"})", "messages"},
        {R"({"messages":[42]})", "messages[0]"},
        {R"({"messages":[{"content":"x"}]})", "messages[0].role"},
        {R"({"messages":[{"role":"robot","content":"x"}]})", "messages[0].role"},
        {R"({"messages":[{"role":"user","content":5}]})", "messages[0].content"},
        {R"({"messages":[{"role":"user","content":[{"type":"image_url"}]}]})", "messages[0].content"},
        {R"({"messages":[{"role":"user","content":"x"}],"temperature":"hot"})", "temperature"},
        {R"({"messages":[{"role":"user","content":"x"}],"temperature":3})", "temperature"},
        {R"({"messages":[{"role":"user","content":"x"}],"top_p":1.5})", "top_p"},
        {R"({"messages":[{"role":"user","content":"x"}],"max_tokens":0})", "max_tokens"},
        {R"({"messages":[{"role":"user","content":"x"}],"max_tokens":1.5})", "max_tokens"},
        {R"({"messages":[{"role":"user","content":"x"}],"n":2})", "n"},
        {R"({"messages":[{"role":"user","content":"x"}],"stop":[1]})", "stop"},
        {R"({"messages":[{"role":"user","content":"x"}],"stop":["a","b","c","d","e"]})", "stop"},
        {R"({"messages":[{"role":"user","content":"x"}],"stream":"yes"})", "stream"},
        {R"({"messages":[{"role":"user","content":"x"}],"stream_options":{"include_usage":1}})", "stream_options.include_usage"},
        {R"({"messages":[{"role":"user","content":"x"}],"model":7})", "model"},
        {R"({"messages":[{"role":"user","content":"x"}],"seed":"s"})", "seed"},
        {R"({"messages":[{"role":"user","content":"x"}],"logit_bias":{"x":1}})", "logit_bias"},
        {R"({"messages":[{"role":"user","content":"x"}],"max_tokens":99999999999999999999})", "max_tokens"},
        {R"({"messages":[{"role":"user","content":"x"}],"speculative":true})", "speculative"},
        {R"({"messages":[{"role":"user","content":"x"}],"speculative":{"draft":""}})", "speculative.draft"},
        {R"({"messages":[{"role":"user","content":"x"}],"speculative":{"min_draft_probability":2}})", "speculative.min_draft_probability"},
        {R"({"messages":[{"role":"user","content":"x"}],"speculative":{"max_draft_tokens":0}})", "speculative.max_draft_tokens"},
    };
    for (const Case& c : cases) {
        auto r = chat(c.body);
        ASSERT_FALSE(r) << c.body;
        EXPECT_EQ(r.error().status, 400) << c.body;
        EXPECT_EQ(r.error().param, c.param) << c.body << ": " << r.error().message;
    }
}

TEST(ServerProtocol, ResponseFormatBecomesAGrammar) {
    auto text = chat(R"({"messages":[{"role":"user","content":"x"}],"response_format":{"type":"text"}})");
    ASSERT_TRUE(text);
    EXPECT_TRUE(text->params.grammar.empty());
    auto object = chat(R"({"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}})");
    ASSERT_TRUE(object);
    EXPECT_EQ(object->params.grammar, assistant::jsonObjectGrammar());
    auto schema = completion(R"({"prompt":"x","response_format":{"type":"json_schema","json_schema":{"name":"p","strict":true,
        "schema":{"type":"object","properties":{"n":{"type":"integer","minimum":1,"maximum":9}},"required":["n"],"additionalProperties":false}}}})");
    ASSERT_TRUE(schema) << schema.error().message;
    EXPECT_TRUE(assistant::checkGrammar(schema->params.grammar).has_value());
    auto grammar = chat(R"({"messages":[{"role":"user","content":"x"}],"grammar":"root ::= \"yes\" | \"no\""})");
    ASSERT_TRUE(grammar) << grammar.error().message;
    EXPECT_EQ(grammar->params.grammar, "root ::= \"yes\" | \"no\"");
}

TEST(ServerProtocol, BadResponseFormatsAre400s) {
    struct Case {
        const char* body;
        const char* param;
        const char* messagePart;
    };
    const Case cases[] = {
        {R"({"prompt":"x","response_format":"json"})", "response_format", "must be an object"},
        {R"({"prompt":"x","response_format":{"type":"xml"}})", "response_format.type", "must be"},
        {R"({"prompt":"x","response_format":{"type":"json_schema"}})", "response_format.json_schema", "must be an object"},
        {R"({"prompt":"x","response_format":{"type":"json_schema","json_schema":{"schema":{}}}})",
         "response_format.json_schema.name", "name"},
        {R"({"prompt":"x","response_format":{"type":"json_schema","json_schema":{"name":"a","schema":{"type":"integer","minimum":3,"maximum":1}}}})",
         "response_format.json_schema.schema", "no integer lies between"},
        {R"({"prompt":"x","response_format":{"type":"json_schema","json_schema":{"name":"a","schema":{"$ref":"#/$defs/x"}}}})",
         "response_format.json_schema.schema", "'#/$defs/x' is not defined"},
        {R"({"prompt":"x","grammar":"root ::= nothing"})", "grammar", "line 1, column 10: undefined rule 'nothing'"},
        {R"({"prompt":"x","grammar":"root ::= \"a\"","response_format":{"type":"json_object"}})", "grammar", "exclude"},
    };
    for (const Case& c : cases) {
        auto r = completion(c.body);
        ASSERT_FALSE(r) << c.body;
        EXPECT_EQ(r.error().status, 400) << c.body;
        EXPECT_EQ(r.error().type, "invalid_request_error");
        EXPECT_EQ(r.error().param, c.param) << c.body;
        EXPECT_NE(r.error().message.find(c.messagePart), std::string::npos) << r.error().message;
    }
}

TEST(ServerProtocol, SpeculativeExtension) {
    auto plain = chat(R"({"messages":[{"role":"user","content":"x"}]})");
    ASSERT_TRUE(plain);
    EXPECT_FALSE(plain->speculativeGiven);
    auto on = chat(R"({"messages":[{"role":"user","content":"x"}],"speculative":{"draft":"prompt-lookup","max_draft_tokens":6}})");
    ASSERT_TRUE(on);
    EXPECT_TRUE(on->speculativeGiven);
    EXPECT_EQ(on->params.speculative.draft, assistant::SpeculativeParams::Draft::PromptLookup);
    EXPECT_EQ(on->params.speculative.maxDraftTokens, 6);
    auto off = completion(R"({"prompt":"x","speculative":{"draft":"none"}})");
    ASSERT_TRUE(off);
    EXPECT_TRUE(off->speculativeGiven);
    EXPECT_EQ(off->params.speculative.draft, assistant::SpeculativeParams::Draft::None);
    auto named = completion(R"({"prompt":"x","speculative":{"draft":"self:q4_0","min_draft_probability":0.25}})");
    ASSERT_TRUE(named);  // a draft model by name: the server checks it is the one it loaded
    EXPECT_EQ(named->params.speculative.draft, assistant::SpeculativeParams::Draft::Model);
    EXPECT_EQ(named->draftName, "self:q4_0");
    EXPECT_FLOAT_EQ(named->params.speculative.minDraftProbability, 0.25f);

    assistant::GenerateStats st;
    st.promptTokens = 3;
    st.generatedTokens = 10;
    EXPECT_FALSE(ResponseBuilder::usage(st).find("completion_tokens_details") != nullptr);
    st.draftedTokens = 12;
    st.acceptedDraftTokens = 5;
    const Value u = ResponseBuilder::usage(st);
    EXPECT_EQ(u["completion_tokens_details"]["accepted_prediction_tokens"], 5);
    EXPECT_EQ(u["completion_tokens_details"]["rejected_prediction_tokens"], 7);
}

TEST(ServerProtocol, CompletionPromptForms) {
    auto r = completion(R"({"prompt":["Zoo"],"echo":true})");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->prompt, "Zoo");
    EXPECT_TRUE(r->echo);
    EXPECT_EQ(r->params.maxTokens, 16);  // OpenAI's legacy default
    EXPECT_FALSE(completion(R"({"prompt":["a","b"]})"));
    EXPECT_FALSE(completion(R"({"prompt":""})"));
    EXPECT_FALSE(completion(R"({"prompt":[1,2]})"));
    EXPECT_FALSE(completion(R"({})"));
}

TEST(ServerProtocol, EmbeddingInputs) {
    auto one = parseEmbeddingRequest(parseJson(R"({"input":"a"})"));
    ASSERT_TRUE(one);
    EXPECT_EQ(one->inputs, std::vector<std::string>{"a"});
    EXPECT_FALSE(one->base64);
    auto two = parseEmbeddingRequest(parseJson(R"({"input":["a","b"],"encoding_format":"base64","model":"e"})"));
    ASSERT_TRUE(two);
    EXPECT_EQ(two->inputs.size(), 2u);
    EXPECT_TRUE(two->base64);
    EXPECT_EQ(two->model, "e");
    for (const char* bad : {R"({})", R"({"input":[]})", R"({"input":[1]})", R"({"input":5})",
                            R"({"input":"a","encoding_format":"hex"})", R"({"input":"a","dimensions":8})"}) {
        auto r = parseEmbeddingRequest(parseJson(bad));
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().status, 400);
    }
}

TEST(ServerProtocol, ErrorBodyShape) {
    const Value e = errorBody({404, "no such model", "invalid_request_error", "model", "model_not_found"});
    EXPECT_EQ(e["error"]["message"], "no such model");
    EXPECT_EQ(e["error"]["type"], "invalid_request_error");
    EXPECT_EQ(e["error"]["param"], "model");
    EXPECT_EQ(e["error"]["code"], "model_not_found");
    const Value n = errorBody({500, "x", "server_error", "", ""});
    EXPECT_TRUE(n["error"]["param"].isNull());
    EXPECT_TRUE(n["error"]["code"].isNull());
}

TEST(ServerProtocol, Base64MatchesRfc4648) {
    EXPECT_EQ(base64Encode("", 0), "");
    EXPECT_EQ(base64Encode("f", 1), "Zg==");
    EXPECT_EQ(base64Encode("fo", 2), "Zm8=");
    EXPECT_EQ(base64Encode("foo", 3), "Zm9v");
    EXPECT_EQ(base64Encode("foobar", 6), "Zm9vYmFy");
    const float one = 1.0f;  // 0x3f800000 little-endian: 00 00 80 3f
    EXPECT_EQ(base64Encode(&one, 4), "AACAPw==");
}

TEST(ServerProtocol, ChunksAndFullAnswers) {
    ResponseBuilder chatB(true, "m", "chatcmpl-1", 100);
    Value role = chatB.roleChunk();
    EXPECT_EQ(role["object"], "chat.completion.chunk");
    EXPECT_EQ(role["choices"][0]["delta"]["role"], "assistant");
    EXPECT_EQ(chatB.deltaChunk("hi", false)["choices"][0]["delta"]["content"], "hi");
    EXPECT_EQ(chatB.deltaChunk("hmm", true)["choices"][0]["delta"]["reasoning_content"], "hmm");
    EXPECT_EQ(chatB.finishChunk(assistant::StopReason::MaxTokens)["choices"][0]["finish_reason"], "length");
    EXPECT_EQ(chatB.finishChunk(assistant::StopReason::StopString)["choices"][0]["finish_reason"], "stop");
    assistant::GenerateStats st;
    st.promptTokens = 3;
    st.generatedTokens = 4;
    Value usage = chatB.usageChunk(st);
    EXPECT_TRUE(usage["choices"].size() == 0u);
    EXPECT_EQ(usage["usage"]["total_tokens"], 7);

    assistant::GenerateResult r;
    r.text = "answer";
    r.reasoning = "thought";
    r.stopReason = assistant::StopReason::EndOfText;
    r.stats = st;
    Value full = chatB.full(r);
    EXPECT_EQ(full["object"], "chat.completion");
    EXPECT_EQ(full["choices"][0]["message"]["content"], "answer");
    EXPECT_EQ(full["choices"][0]["message"]["reasoning_content"], "thought");
    EXPECT_EQ(full["choices"][0]["finish_reason"], "stop");

    ResponseBuilder text(false, "m", "cmpl-1", 100);
    EXPECT_EQ(text.full(r, "Q:")["choices"][0]["text"], "Q:answer");
    EXPECT_EQ(text.deltaChunk("x", false)["object"], "text_completion");
    EXPECT_EQ(text.deltaChunk("x", false)["choices"][0]["text"], "x");

    const std::string event = sseEvent(Object{{"a", "line1\nline2"}});
    EXPECT_EQ(event, "data: {\"a\":\"line1\\nline2\"}\n\n");
    EXPECT_EQ(sseEvent(Object{{"a", std::string("\xff")}}), "data: {\"a\":\"\xEF\xBF\xBD\"}\n\n");  // never throws
}
