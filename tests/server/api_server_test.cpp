// ApiServer as the GUI drives it: 503 while the model loads (load held on its progress
// callback), a model handed over with setChatModel, a non-streaming client that hangs
// up (its generation is cancelled), and a port that is already taken.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <netinet/in.h>
#include <sys/socket.h>
#include <string>
#include <thread>
#include <vector>
#include <unistd.h>

#include <httplib.h>

#include "api_server.h"
#include "json_test_util.h"

using namespace std::chrono_literals;
using json::Array;
using json::Object;
using json::Value;
using server_test::parseJson;

namespace {

const std::string kModel = ASSISTANT_SOURCE_DIR "/resources/models/stories260K.gguf";
const std::string kChat = R"({"messages":[{"role":"user","content":"Hi"}],"max_tokens":4})";

template <class Pred>
bool waitFor(Pred pred, std::chrono::milliseconds limit = 20s) {
    for (auto end = std::chrono::steady_clock::now() + limit; std::chrono::steady_clock::now() < end;) {
        if (pred()) return true;
        std::this_thread::sleep_for(5ms);
    }
    return pred();
}

std::string errorCode(const httplib::Result& r) {
    return parseJson(r->body)["error"]["code"].asString();
}

}  // namespace

TEST(ServerApi, AnswersLoadingWith503UntilTheModelIsReady) {
    std::atomic<bool> release{false}, loading{false};
    server::ServerOptions o;
    o.port = 0;
    o.modelPath = kModel;
    o.modelParams.progress = [&](float) {
        loading = true;
        waitFor([&] { return release.load(); });
        return true;
    };
    server::ApiServer api(o);
    ASSERT_TRUE(api.start());
    ASSERT_TRUE(waitFor([&] { return loading.load(); }));
    httplib::Client client("127.0.0.1", api.port());
    auto health = client.Get("/health");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 503);
    EXPECT_EQ(parseJson(health->body)["status"], "loading");
    auto chat = client.Post("/v1/chat/completions", kChat, "application/json");
    ASSERT_TRUE(chat);
    EXPECT_EQ(chat->status, 503);
    EXPECT_EQ(errorCode(chat), "model_loading");
    EXPECT_EQ(api.modelState(), server::ModelState::Loading);

    release = true;
    EXPECT_EQ(api.waitForModels(), server::ModelState::Ready);
    EXPECT_EQ(client.Get("/health")->status, 200);
    chat = client.Post("/v1/chat/completions", kChat, "application/json");
    ASSERT_TRUE(chat);
    EXPECT_EQ(chat->status, 200) << chat->body;
    api.stop();
    EXPECT_FALSE(api.isRunning());
}

TEST(ServerApi, GuiHandsOverItsModelAndShowsUrlAndToken) {
    server::ServerOptions o;
    o.port = 0;
    o.apiKey = server::generateApiKey();
    EXPECT_EQ(o.apiKey.size(), 41u);
    EXPECT_NE(o.apiKey, server::generateApiKey());
    server::ApiServer api(o);
    ASSERT_TRUE(api.start());
    EXPECT_EQ(api.url(), "http://127.0.0.1:" + std::to_string(api.port()));
    EXPECT_EQ(api.apiKey(), o.apiKey);

    httplib::Client client("127.0.0.1", api.port());
    client.set_bearer_token_auth(o.apiKey.c_str());
    auto r = client.Post("/v1/chat/completions", kChat, "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503);
    EXPECT_EQ(errorCode(r), "model_not_loaded");

    auto model = assistant::Model::load(kModel);
    ASSERT_TRUE(model);
    api.setChatModel(*model);
    r = client.Post("/v1/chat/completions", kChat, "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(parseJson(r->body)["model"], "stories260K");
    EXPECT_EQ(api.stats().completions, 1u);
}

// A raw connection that sent one request and can hang up at any moment.
int sendRaw(int port, const std::string& body) {
    const std::string request = "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return -1;
    if (send(fd, request.data(), request.size(), 0) != static_cast<ssize_t>(request.size())) return -1;
    return fd;
}

TEST(ServerApi, AQueuedClientThatHangsUpLeavesTheQueue) {
    server::ServerOptions o;
    o.port = 0;
    o.modelPath = kModel;
    o.parallel = 1;
    server::ApiServer api(o);
    ASSERT_TRUE(api.start());
    ASSERT_EQ(api.waitForModels(), server::ModelState::Ready);
    const std::string longBody = R"({"prompt":"Once upon a time","max_tokens":1900,"ignore_eos":true})";
    const int running = sendRaw(api.port(), longBody);
    ASSERT_GE(running, 0);
    ASSERT_TRUE(waitFor([&] { return api.stats().busySlots == 1; }));
    const int queued = sendRaw(api.port(), longBody);
    ASSERT_GE(queued, 0);
    ASSERT_TRUE(waitFor([&] { return api.stats().queued == 1; }));
    close(queued);
    EXPECT_TRUE(waitFor([&] { return api.stats().queued == 0; }, 5s));
    // The handler counts the hang-up just after the queue lets it go: wait for the count too.
    EXPECT_TRUE(waitFor([&] { return api.stats().cancelled == 1u; }, 5s)) << api.stats().cancelled;
    close(running);
    EXPECT_TRUE(waitFor([&] { return api.stats().busySlots == 0; }));
    EXPECT_TRUE(waitFor([&] { return api.stats().cancelled == 2u; }, 5s)) << api.stats().cancelled;
}

TEST(ServerApi, NonStreamingClientThatHangsUpCancelsItsGeneration) {
    server::ServerOptions o;
    o.port = 0;
    o.modelPath = kModel;
    o.parallel = 1;
    server::ApiServer api(o);
    ASSERT_TRUE(api.start());
    ASSERT_EQ(api.waitForModels(), server::ModelState::Ready);

    const std::string body = R"({"prompt":"Once upon a time","max_tokens":1900,"ignore_eos":true})";
    const std::string request = "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(api.port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(send(fd, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
    ASSERT_TRUE(waitFor([&] { return api.stats().busySlots == 1; }));
    close(fd);
    ASSERT_TRUE(waitFor([&] { return api.stats().busySlots == 0; }));
    const server::ServerStats s = api.stats();
    EXPECT_EQ(s.cancelled, 1u);
    EXPECT_EQ(s.completions, 0u);
    EXPECT_LT(s.generatedTokens, 1900u);
}

TEST(ServerApi, ATakenPortIsAClearError) {
    server::ServerOptions o;
    o.port = 0;
    server::ApiServer first(o);
    ASSERT_TRUE(first.start());
    o.port = first.port();
    server::ApiServer second(o);
    auto started = second.start();
    ASSERT_FALSE(started);
    EXPECT_EQ(started.error().code, assistant::ErrorCode::IoError);
    EXPECT_NE(started.error().message.find(std::to_string(o.port)), std::string::npos);
}

// README: --cors-origin adds an add-in's host; localhost and the Office hosts stay allowed.
TEST(ServerApi, CorsOriginsAddToTheDefaults) {
    server::ServerOptions o;
    o.port = 0;
    o.corsOrigins = {"https://addin.example.com"};
    server::ApiServer api(o);
    ASSERT_TRUE(api.start());
    httplib::Client client("127.0.0.1", api.port());
    auto preflight = [&](const std::string& origin) {
        auto r = client.Options("/v1/chat/completions",
                                {{"Origin", origin}, {"Access-Control-Request-Method", "POST"}});
        return r ? r->status : -1;
    };
    EXPECT_EQ(preflight("https://addin.example.com"), 204);
    EXPECT_EQ(preflight("http://localhost:3000"), 204);
    EXPECT_EQ(preflight("https://contoso.officeapps.live.com"), 204);
    EXPECT_EQ(preflight("https://evil.example"), 403);
}

// Level Zero only lists devices: choosing one must not silently run on the CPU.
TEST(ServerApi, ALevelZeroDeviceIsAnErrorThatSaysWhy) {
    server::ServerOptions o;
    o.port = 0;
    o.modelPath = kModel;
    o.modelParams.device = "level_zero:0.0";
    server::ApiServer api(o);
    auto started = api.start();
    ASSERT_FALSE(started);
    EXPECT_EQ(started.error().code, assistant::ErrorCode::InvalidArgument);
    EXPECT_NE(started.error().message.find("Level Zero backend only lists devices"), std::string::npos)
        << started.error().message;
}

// A request with "speculative" gives the same greedy text as one without and reports
// its drafts in usage.completion_tokens_details; serve --draft is the default for the rest.
TEST(ServerApi, SpeculativeRequestsGiveTheSameText) {
    server::ServerOptions o;
    o.port = 0;
    o.modelPath = kModel;
    o.speculative.draft = assistant::SpeculativeParams::Draft::PromptLookup;  // the server's default
    server::ApiServer api(o);
    ASSERT_TRUE(api.start());
    ASSERT_EQ(api.waitForModels(), server::ModelState::Ready);
    httplib::Client client("127.0.0.1", api.port());
    const Value messages = Array{Object{{"role", "user"}, {"content", "Once upon a time"}}};
    const Value plain = Object{{"messages", messages}, {"temperature", 0}, {"max_tokens", 60}, {"speculative", Object{{"draft", "none"}}}};
    Value fast = plain;
    fast.set("speculative", Object{{"draft", "prompt-lookup"}, {"max_draft_tokens", 4}});
    Value byDefault = plain;
    byDefault.erase("speculative");
    auto a = client.Post("/v1/chat/completions", plain.dump(), "application/json");
    auto b = client.Post("/v1/chat/completions", fast.dump(), "application/json");
    auto c = client.Post("/v1/chat/completions", byDefault.dump(), "application/json");
    ASSERT_TRUE(a && b && c);
    ASSERT_EQ(b->status, 200) << b->body;
    const Value ja = parseJson(a->body), jb = parseJson(b->body), jc = parseJson(c->body);
    EXPECT_EQ(jb["choices"][0]["message"]["content"], ja["choices"][0]["message"]["content"]);
    EXPECT_EQ(jc["choices"][0]["message"]["content"], ja["choices"][0]["message"]["content"]);
    EXPECT_FALSE(ja["usage"].find("completion_tokens_details") != nullptr);
    for (const Value* j : {&jb, &jc}) {
        const Value& d = (*j)["usage"]["completion_tokens_details"];
        EXPECT_GT(d["accepted_prediction_tokens"].asInt() + d["rejected_prediction_tokens"].asInt(), 0);
    }
}

TEST(ServerApi, ConcurrentRequestsBatchedGiveWhatEachGetsAlone) {
    // Four clients at once share the slots' forward passes (continuous batching); each
    // gets the greedy text it gets when it is the only client.
    server::ServerOptions o;
    o.port = 0;
    o.modelPath = kModel;
    o.parallel = 4;
    server::ApiServer api(o);
    ASSERT_TRUE(api.start());
    ASSERT_EQ(api.waitForModels(), server::ModelState::Ready);
    const std::vector<std::string> prompts = {"Once upon a time", "Lily had a red ball. One day",
                                              "The dog", "Tom and Sue went to the park to play with"};
    auto body = [](const std::string& prompt) {
        return Value(Object{{"messages", Array{Object{{"role", "user"}, {"content", prompt}}}},
                            {"temperature", 0}, {"max_tokens", 40}, {"ignore_eos", true}}).dump();
    };
    auto ask = [&](const std::string& prompt) {
        httplib::Client client("127.0.0.1", api.port());
        client.set_read_timeout(60, 0);
        auto r = client.Post("/v1/chat/completions", body(prompt), "application/json");
        EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
        return r && r->status == 200 ? parseJson(r->body)["choices"][0]["message"]["content"].asString()
                                     : std::string("(failed)");
    };
    std::vector<std::string> alone;
    for (const std::string& p : prompts) alone.push_back(ask(p));
    std::vector<std::string> together(prompts.size());
    std::vector<std::thread> clients;
    for (size_t i = 0; i < prompts.size(); ++i) clients.emplace_back([&, i] { together[i] = ask(prompts[i]); });
    for (std::thread& t : clients) t.join();
    for (size_t i = 0; i < prompts.size(); ++i) EXPECT_EQ(together[i], alone[i]) << prompts[i];
    httplib::Client client("127.0.0.1", api.port());
    auto stats = client.Get("/stats");
    ASSERT_TRUE(stats && stats->status == 200);
    const Value batch = parseJson(stats->body)["batch"];
    EXPECT_GE(batch["sequences"].asInt(), batch["passes"].asInt());
    EXPECT_GT(batch["tokens"].asInt(), 8 * 40) << batch.dump();  // every request went through the batcher
}

// serve --draft self:q4_0: requests that name the draft (or take it by default) give the
// greedy text of plain decoding; another draft name is refused with what is loaded.
TEST(ServerApi, ADraftModelServesRequestsThatNameIt) {
    server::ServerOptions o;
    o.port = 0;
    o.modelPath = kModel;
    o.draft = "self:q4_0";
    o.speculative.draft = assistant::SpeculativeParams::Draft::Model;  // the server's default
    server::ApiServer api(o);
    ASSERT_TRUE(api.start());
    ASSERT_EQ(api.waitForModels(), server::ModelState::Ready) << api.modelError();
    httplib::Client client("127.0.0.1", api.port());
    const Value plain = Object{{"prompt", "Once upon a time"}, {"temperature", 0}, {"max_tokens", 60},
                               {"speculative", Object{{"draft", "none"}}}};
    Value named = plain, byDefault = plain, other = plain;
    named.set("speculative", Object{{"draft", "self:q4_0"}, {"max_draft_tokens", 4}});
    byDefault.erase("speculative");
    other.set("speculative", Object{{"draft", "other.gguf"}});
    auto a = client.Post("/v1/completions", plain.dump(), "application/json");
    auto b = client.Post("/v1/completions", named.dump(), "application/json");
    auto c = client.Post("/v1/completions", byDefault.dump(), "application/json");
    auto d = client.Post("/v1/completions", other.dump(), "application/json");
    ASSERT_TRUE(a && b && c && d);
    ASSERT_EQ(b->status, 200) << b->body;
    ASSERT_EQ(c->status, 200) << c->body;
    const Value ja = parseJson(a->body), jb = parseJson(b->body), jc = parseJson(c->body);
    EXPECT_EQ(jb["choices"][0]["text"], ja["choices"][0]["text"]);
    EXPECT_EQ(jc["choices"][0]["text"], ja["choices"][0]["text"]);
    for (const Value* j : {&jb, &jc}) {
        const Value& details = (*j)["usage"]["completion_tokens_details"];
        EXPECT_GT(details["accepted_prediction_tokens"].asInt(), 0) << j->dump();
    }
    EXPECT_EQ(d->status, 400);
    EXPECT_NE(d->body.find("this server's draft model ('self:q4_0')"), std::string::npos) << d->body;
}
