// The Ollama API on a live ApiServer (the demo model, the shipped embedder): listing,
// NDJSON streaming that adds up to the non-streaming answer and to the OpenAI route's
// greedy answer, raw generate, embeddings, and errors in Ollama's {"error": "..."} shape.
#include <gtest/gtest.h>

#include <sstream>

#include <httplib.h>

#include "api_server.h"
#include "json_test_util.h"

using json::Array;
using json::Object;
using json::Value;
using server_test::parseJson;

namespace {

const std::string kModel = ASSISTANT_SOURCE_DIR "/resources/models/stories260K.gguf";
const std::string kEmbedder = ASSISTANT_SOURCE_DIR "/resources/models/use-lite.gguf";

class OllamaApi : public ::testing::Test {
protected:
    void SetUp() override {
        server::ServerOptions o;
        o.port = 0;
        o.modelPath = kModel;
        o.embedderPath = kEmbedder;
        o.apiKey = "sk-test";
        api = std::make_unique<server::ApiServer>(o);
        ASSERT_TRUE(api->start());
        ASSERT_EQ(api->waitForModels(), server::ModelState::Ready) << api->modelError();
        client = std::make_unique<httplib::Client>("127.0.0.1", api->port());
        client->set_bearer_token_auth("sk-test");
        client->set_read_timeout(60);
    }
    httplib::Result post(const std::string& path, const Object& body) {
        return client->Post(path, Value(body).dump(), "application/json");
    }
    std::unique_ptr<server::ApiServer> api;
    std::unique_ptr<httplib::Client> client;
};

std::vector<Value> ndjsonLines(const std::string& body) {
    std::vector<Value> lines;
    std::istringstream in(body);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) lines.push_back(parseJson(line));
    return lines;
}

const Value kGreedy = Object{{"temperature", 0}, {"num_predict", 12}};

}  // namespace

TEST_F(OllamaApi, ListsTheModelsWithTheirDetails) {
    auto tags = client->Get("/api/tags");
    ASSERT_TRUE(tags);
    ASSERT_EQ(tags->status, 200) << tags->body;
    const Value models = parseJson(tags->body)["models"];
    ASSERT_EQ(models.size(), 2u);
    EXPECT_EQ(models[0]["name"], "stories260K:latest");
    EXPECT_EQ(models[0]["details"]["family"], "llama");
    EXPECT_EQ(models[1]["name"], "use-lite:latest");
    auto version = client->Get("/api/version");
    ASSERT_TRUE(version);
    EXPECT_FALSE(parseJson(version->body)["version"].asString().empty());
    auto show = post("/api/show", {{"model", "stories260K:latest"}});
    ASSERT_TRUE(show);
    EXPECT_EQ(show->status, 200) << show->body;
    EXPECT_EQ(parseJson(show->body)["model_info"]["general.architecture"], "llama");
    auto ps = client->Get("/api/ps");
    ASSERT_TRUE(ps);
    EXPECT_EQ(parseJson(ps->body)["models"].size(), 2u);
}

TEST_F(OllamaApi, StreamedChatAddsUpToTheWholeAnswerAndToTheOpenAiOne) {
    const Value messages = Array{Object{{"role", "user"}, {"content", "Once upon a time"}}};
    auto streamed = post("/api/chat", {{"model", "stories260K:latest"}, {"messages", messages}, {"options", kGreedy}});
    ASSERT_TRUE(streamed);
    ASSERT_EQ(streamed->status, 200) << streamed->body;
    EXPECT_EQ(streamed->get_header_value("Content-Type"), "application/x-ndjson");
    const std::vector<Value> lines = ndjsonLines(streamed->body);
    ASSERT_GE(lines.size(), 2u);
    std::string text;
    for (size_t i = 0; i + 1 < lines.size(); ++i) {
        EXPECT_EQ(lines[i]["done"], false);
        EXPECT_EQ(lines[i]["model"], "stories260K:latest");
        text += lines[i]["message"]["content"].asString();
    }
    const Value& last = lines.back();
    EXPECT_EQ(last["done"], true);
    EXPECT_EQ(last["done_reason"], "length");
    EXPECT_EQ(last["eval_count"], 12);
    EXPECT_GT(last["prompt_eval_count"].asInt(), 0);
    EXPECT_GT(last["total_duration"].asInt(), 0);

    auto whole = post("/api/chat", {{"model", "stories260K"}, {"messages", messages}, {"options", kGreedy}, {"stream", false}});
    ASSERT_TRUE(whole);
    ASSERT_EQ(whole->status, 200) << whole->body;
    EXPECT_EQ(parseJson(whole->body)["message"]["content"], text);

    auto openai = post("/v1/chat/completions", {{"messages", messages}, {"temperature", 0}, {"max_tokens", 12}});
    ASSERT_TRUE(openai);
    EXPECT_EQ(parseJson(openai->body)["choices"][0]["message"]["content"], text);
}

TEST_F(OllamaApi, RawGenerateContinuesThePromptAndEmptyPromptOnlyLoads) {
    auto raw = post("/api/generate", {{"model", "stories260K"}, {"prompt", "Once upon a time"}, {"raw", true},
                                      {"stream", false}, {"options", kGreedy}});
    ASSERT_TRUE(raw);
    ASSERT_EQ(raw->status, 200) << raw->body;
    const Value body = parseJson(raw->body);
    auto completion = post("/v1/completions", {{"prompt", "Once upon a time"}, {"temperature", 0}, {"max_tokens", 12}});
    ASSERT_TRUE(completion);
    EXPECT_EQ(body["response"], parseJson(completion->body)["choices"][0]["text"]);
    EXPECT_EQ(body["done"], true);

    auto load = post("/api/generate", {{"model", "stories260K"}});
    ASSERT_TRUE(load);
    EXPECT_EQ(load->status, 200);
    EXPECT_EQ(parseJson(load->body)["done_reason"], "load");
}

TEST_F(OllamaApi, EmbedsLikeTheOpenAiRoute) {
    auto embed = post("/api/embed", {{"model", "use-lite"}, {"input", Array{"a cat", "a dog"}}});
    ASSERT_TRUE(embed);
    ASSERT_EQ(embed->status, 200) << embed->body;
    const Value vectors = parseJson(embed->body)["embeddings"];
    ASSERT_EQ(vectors.size(), 2u);
    auto openai = post("/v1/embeddings", {{"model", "use-lite"}, {"input", "a cat"}});
    ASSERT_TRUE(openai);
    EXPECT_EQ(vectors[0], parseJson(openai->body)["data"][0]["embedding"]);
    auto legacy = post("/api/embeddings", {{"model", "use-lite"}, {"prompt", "a cat"}});
    ASSERT_TRUE(legacy);
    EXPECT_EQ(parseJson(legacy->body)["embedding"], vectors[0]);
}

TEST_F(OllamaApi, ErrorsComeInOllamasShape) {
    auto unknown = post("/api/chat", {{"model", "llama3"}, {"messages", Array{Object{{"role", "user"}, {"content", "x"}}}}});
    ASSERT_TRUE(unknown);
    EXPECT_EQ(unknown->status, 404);
    EXPECT_TRUE(parseJson(unknown->body)["error"].isString()) << unknown->body;
    auto bad = post("/api/chat", {{"model", "stories260K"}, {"messages", "hi"}});
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 400);
    EXPECT_EQ(parseJson(bad->body)["error"], "'messages' must be an array");

    httplib::Client anonymous("127.0.0.1", api->port());
    auto denied = anonymous.Get("/api/tags");
    ASSERT_TRUE(denied);
    EXPECT_EQ(denied->status, 401);
    EXPECT_TRUE(parseJson(denied->body)["error"].isString()) << denied->body;
    // The OpenAI routes keep OpenAI's shape.
    auto openai = anonymous.Get("/v1/models");
    ASSERT_TRUE(openai);
    EXPECT_TRUE(parseJson(openai->body)["error"].isObject());
}
