// The Ollama wire format (app/server/ollama_protocol): requests -> engine parameters
// with Ollama's defaults and clear 400s, results -> Ollama's objects.
#include <gtest/gtest.h>


#include "ollama_protocol.h"
#include "json_test_util.h"

using json::Array;
using json::Object;
using json::Value;
using server_test::parseJson;
namespace ollama = server::ollama;

TEST(OllamaProtocol, ChatMapsOptionsAndStreamsByDefault) {
    auto r = ollama::parseChat(parseJson(R"({"model":"tiny:latest","messages":[{"role":"system","content":"Be brief."},
        {"role":"user","content":"Hi"}],"options":{"temperature":0,"top_k":5,"top_p":0.5,"min_p":0.1,"seed":42,
        "num_predict":12,"stop":["\n\n",""],"repeat_penalty":1.1,"repeat_last_n":32,"num_ctx":4096}})"));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->model, "tiny");  // ":latest" is the same model
    EXPECT_TRUE(r->stream);
    ASSERT_EQ(r->messages.size(), 2u);
    EXPECT_EQ(r->messages[0].role, "system");
    EXPECT_EQ(r->messages[1].content, "Hi");
    const assistant::SamplingParams& s = r->params.sampling;
    EXPECT_EQ(s.temperature, 0.0f);
    EXPECT_EQ(s.topK, 5);
    EXPECT_FLOAT_EQ(s.topP, 0.5f);
    EXPECT_FLOAT_EQ(s.minP, 0.1f);
    EXPECT_EQ(s.seed, 42u);
    EXPECT_FLOAT_EQ(s.repeatPenalty, 1.1f);
    EXPECT_EQ(s.repeatLastN, 32);
    EXPECT_EQ(r->params.maxTokens, 12);
    EXPECT_EQ(r->params.stop, std::vector<std::string>{"\n\n"});
}

TEST(OllamaProtocol, NumPredictDefaultsToNoLimit) {
    for (const char* body : {R"({"model":"m","messages":[{"role":"user","content":"x"}]})",
                             R"({"model":"m","messages":[{"role":"user","content":"x"}],"options":{"num_predict":-1}})",
                             R"({"model":"m","messages":[{"role":"user","content":"x"}],"options":{"num_predict":-2}})"}) {
        auto r = ollama::parseChat(parseJson(body));
        ASSERT_TRUE(r) << body;
        EXPECT_EQ(r->params.maxTokens, 0) << body;
    }
}

TEST(OllamaProtocol, BadRequestsNameTheField) {
    struct Case {
        const char* body;
        const char* param;
    } cases[] = {
        {R"({"messages":[{"role":"user","content":"x"}]})", "model"},
        {R"({"model":"m"})", "messages"},
        {R"({"model":"m","messages":[]})", "messages"},
        {R"({"model":"m","messages":[{"role":"robot","content":"x"}]})", "messages[0].role"},
        {R"({"model":"m","messages":[{"role":"user","content":3}]})", "messages[0].content"},
        {R"({"model":"m","messages":[{"role":"user","content":"x","images":["AAAA"]}]})", "messages[0].images"},
        {R"({"model":"m","messages":[{"role":"user","content":"x"}],"stream":"yes"})", "stream"},
        {R"({"model":"m","messages":[{"role":"user","content":"x"}],"options":{"temperature":"hot"}})", "options.temperature"},
        {R"({"model":"m","messages":[{"role":"user","content":"x"}],"options":{"num_predict":0}})", "options.num_predict"},
        {R"({"model":"m","messages":[{"role":"user","content":"x"}],"options":{"stop":"\n"}})", "options.stop"},
        {R"({"model":"m","messages":[{"role":"user","content":"x"}],"options":[]})", "options"},
        {R"({"model":"m","messages":[{"role":"user","content":"x"}],"format":"yaml"})", "format"},
        {R"({"model":"m","messages":[{"role":"user","content":"x"}],"format":{"type":"strang"}})", "format"},
        {R"({"model":"m","messages":[{"role":"user","content":"x"}],"tools":{}})", "tools"},
    };
    for (const Case& c : cases) {
        auto r = ollama::parseChat(parseJson(c.body));
        ASSERT_FALSE(r) << c.body;
        EXPECT_EQ(r.error().status, 400) << c.body;
        EXPECT_EQ(r.error().param, c.param) << c.body;
        EXPECT_FALSE(r.error().message.empty());
    }
}

TEST(OllamaProtocol, FormatConstrainsTheOutput) {
    auto plain = ollama::parseChat(parseJson(R"({"model":"m","messages":[{"role":"user","content":"x"}]})"));
    ASSERT_TRUE(plain);
    EXPECT_TRUE(plain->params.grammar.empty());
    auto any = ollama::parseChat(parseJson(R"({"model":"m","messages":[{"role":"user","content":"x"}],"format":"json"})"));
    ASSERT_TRUE(any);
    EXPECT_EQ(any->params.grammar, assistant::jsonObjectGrammar());
    auto schema = ollama::parseGenerate(parseJson(
        R"({"model":"m","prompt":"x","format":{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]}})"));
    ASSERT_TRUE(schema);
    EXPECT_NE(schema->request.params.grammar.find("root ::="), std::string::npos);
    EXPECT_TRUE(assistant::checkGrammar(schema->request.params.grammar).has_value());
}

TEST(OllamaProtocol, GenerateUsesTheTemplateUnlessRaw) {
    auto templated = ollama::parseGenerate(parseJson(R"({"model":"m","prompt":"Why?","system":"Short answers.","stream":false})"));
    ASSERT_TRUE(templated);
    EXPECT_FALSE(templated->raw);
    EXPECT_FALSE(templated->request.stream);
    ASSERT_EQ(templated->request.messages.size(), 2u);
    EXPECT_EQ(templated->request.messages[0].content, "Short answers.");
    EXPECT_EQ(templated->request.messages[1].role, "user");

    auto raw = ollama::parseGenerate(parseJson(R"({"model":"m","prompt":"Once upon","raw":true})"));
    ASSERT_TRUE(raw);
    EXPECT_TRUE(raw->raw);
    EXPECT_TRUE(raw->request.messages.empty());
    EXPECT_EQ(raw->request.prompt, "Once upon");

    auto load = ollama::parseGenerate(parseJson(R"({"model":"m"})"));
    ASSERT_TRUE(load);
    EXPECT_TRUE(load->loadOnly);

    for (const char* body : {R"({"model":"m","prompt":"x","suffix":"y"})", R"({"model":"m","prompt":"x","context":[1,2]})",
                             R"({"model":"m","prompt":"x","template":"{{ .Prompt }}"})", R"({"model":"m","prompt":7})"})
        EXPECT_FALSE(ollama::parseGenerate(parseJson(body))) << body;
}

TEST(OllamaProtocol, EmbedTakesOneOrManyInputs) {
    auto many = ollama::parseEmbed(parseJson(R"({"model":"e:latest","input":["a","b"]})"), false);
    ASSERT_TRUE(many);
    EXPECT_EQ(many->model, "e");
    EXPECT_EQ(many->inputs, (std::vector<std::string>{"a", "b"}));
    auto one = ollama::parseEmbed(parseJson(R"({"model":"e","input":"a"})"), false);
    ASSERT_TRUE(one);
    EXPECT_EQ(one->inputs.size(), 1u);
    auto legacy = ollama::parseEmbed(parseJson(R"({"model":"e","prompt":"a"})"), true);
    ASSERT_TRUE(legacy);
    EXPECT_EQ(legacy->inputs, std::vector<std::string>{"a"});
    EXPECT_FALSE(ollama::parseEmbed(parseJson(R"({"model":"e","input":[]})"), false));
    EXPECT_FALSE(ollama::parseEmbed(parseJson(R"({"model":"e","input":[1]})"), false));
    EXPECT_FALSE(ollama::parseEmbed(parseJson(R"({"model":"e","prompt":["a"]})"), true));
}

TEST(OllamaProtocol, ModelNamesDropOnlyTheLatestTag) {
    EXPECT_EQ(ollama::modelName("tiny:latest"), "tiny");
    EXPECT_EQ(ollama::modelName("tiny"), "tiny");
    EXPECT_EQ(ollama::modelName("tiny:q4"), "tiny:q4");
    EXPECT_EQ(ollama::modelName("rag:docs"), "rag:docs");
    EXPECT_EQ(ollama::modelName(":latest"), ":latest");
}

TEST(OllamaProtocol, ChunksAndTheFinalObjectHaveOllamasFields) {
    const Value c = ollama::chunk(true, "m:latest", "Hel", false);
    EXPECT_EQ(c["model"], "m:latest");
    EXPECT_EQ(c["message"]["role"], "assistant");
    EXPECT_EQ(c["message"]["content"], "Hel");
    EXPECT_EQ(c["done"], false);
    const Value t = ollama::chunk(false, "m", "hmm", true);
    EXPECT_EQ(t["response"], "");
    EXPECT_EQ(t["thinking"], "hmm");

    assistant::GenerateResult r;
    r.text = "Hello";
    r.stopReason = assistant::StopReason::MaxTokens;
    r.stats.promptTokens = 7;
    r.stats.generatedTokens = 10;
    r.stats.generatedTokensPerSecond = 20;
    r.stats.timeToFirstTokenMs = 3;
    const Value f = ollama::final(false, "m", r, std::chrono::milliseconds(600), true);
    EXPECT_EQ(f["done"], true);
    EXPECT_EQ(f["done_reason"], "length");
    EXPECT_EQ(f["response"], "Hello");
    EXPECT_EQ(f["prompt_eval_count"], 7);
    EXPECT_EQ(f["eval_count"], 10);
    EXPECT_EQ(f["eval_duration"].asInt(), 500'000'000);  // 10 tokens at 20/s, in ns
    EXPECT_EQ(f["prompt_eval_duration"].asInt(), 3'000'000);
    EXPECT_EQ(f["total_duration"].asInt(), 600'000'000);
    EXPECT_EQ(ollama::final(true, "m", r, {}, false)["message"]["content"], "");  // streamed: the text came before
}

TEST(OllamaProtocol, TimestampsAreRfc3339WithNanoseconds) {
    const auto t = std::chrono::system_clock::time_point(std::chrono::nanoseconds(1'700'000'000'123'456'789LL));
    EXPECT_EQ(ollama::timestamp(t), "2023-11-14T22:13:20.123456789Z");
}

TEST(OllamaProtocol, ModelDescriptionsCarryDetails) {
    assistant::ModelInfo info;
    info.path = "/m/tiny.gguf";
    info.name = "Tiny";
    info.architecture = "qwen3";
    info.fileType = "Q4_K_M";
    info.parameterCount = 1'540'000'000;
    info.fileSize = 1234;
    info.contextLength = 4096;
    const Value tag = ollama::tagEntry("tiny:latest", info);
    EXPECT_EQ(tag["name"], "tiny:latest");
    EXPECT_EQ(tag["size"], 1234);
    EXPECT_EQ(tag["details"]["family"], "qwen3");
    EXPECT_EQ(tag["details"]["parameter_size"], "1.5B");
    EXPECT_EQ(tag["details"]["quantization_level"], "Q4_K_M");
    EXPECT_EQ(tag["digest"].asString().size(), 16u);
    const Value show = ollama::show(info);
    EXPECT_EQ(show["model_info"]["qwen3.context_length"], 4096);
    EXPECT_EQ(show["capabilities"], Value(Array{"completion", "tools"}));
    info.isEmbeddingModel = true;
    EXPECT_EQ(ollama::show(info)["capabilities"], Value(Array{"embedding"}));
}
