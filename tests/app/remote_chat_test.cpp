// remote::streamChat against servers that misbehave, each a real HTTP server on
// loopback: one that answers properly, one that stalls, one that fails with 500, one
// that drops the stream midway, one that wants another key, one that is not there.
// Every failure is a clear error, and what streamed before it reached the sink.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include <httplib.h>

#include "fake_http_server.h"
#include "remote_chat.h"

using namespace std::chrono_literals;

namespace {

std::string sse(const std::string& json) { return "data: " + json + "\n\n"; }

std::string delta(const std::string& text) {
    return sse(R"({"choices":[{"index":0,"delta":{"content":")" + text + R"("},"finish_reason":null}]})");
}

struct Collected {
    std::string text;
    assistant::TokenSink sink() {
        return [this](std::string_view piece, const assistant::GenerateStats&) {
            text += piece;
            return true;
        };
    }
};

const std::vector<assistant::Message> kMessages = {{"user", "Hi"}};

}  // namespace

TEST(RemoteChat, StreamsAnAnswerWithReasoningAndUsage) {
    FakeServer s;
    std::string seenAuth, seenBody;
    s.http.Post("/v1/chat/completions", [&](const httplib::Request& req, httplib::Response& res) {
        seenAuth = req.get_header_value("Authorization");
        seenBody = req.body;
        res.set_content(sse(R"({"choices":[{"index":0,"delta":{"role":"assistant","reasoning_content":"hmm"}}]})") +
                            delta("Hel") + "data: " + R"({"choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]})" +
                            "\r\n\r\n" + sse(R"({"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2}})") +
                            "data: [DONE]\n\n",
                        "text/event-stream");
    });
    remote::Endpoint e{s.url(), "k1", "m1"};
    assistant::GenerateParams p;
    p.maxTokens = 9;
    p.stop = {"END"};
    std::string reasoningSeen;
    auto r = remote::streamChat(e, kMessages, p, [&](std::string_view piece, const assistant::GenerateStats& st) {
        if (st.channel == assistant::StreamChannel::Reasoning) reasoningSeen += piece;
        return true;
    });
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->text, "Hello");
    EXPECT_EQ(r->reasoning, "hmm");
    EXPECT_EQ(reasoningSeen, "hmm");
    EXPECT_EQ(r->finishReason, "stop");
    EXPECT_EQ(r->promptTokens, 5);
    EXPECT_EQ(r->completionTokens, 2);
    EXPECT_EQ(seenAuth, "Bearer k1");
    for (const char* field : {R"("model":"m1")", R"("max_tokens":9)", R"("stop":["END"])", R"("stream":true)"})
        EXPECT_NE(seenBody.find(field), std::string::npos) << field << " in " << seenBody;
}

TEST(RemoteChat, AServerThatStallsIsGivenUp) {
    FakeServer s;
    s.http.Post("/v1/chat/completions", [](const httplib::Request&, httplib::Response& res) {
        res.set_chunked_content_provider("text/event-stream", [](size_t, httplib::DataSink& sink) {
            const std::string first = delta("Once");
            sink.write(first.data(), first.size());
            std::this_thread::sleep_for(2500ms);  // longer than the client's read timeout
            return false;
        });
    });
    remote::Endpoint e{s.url(), "", ""};
    e.readTimeoutSeconds = 1;
    Collected got;
    auto r = remote::streamChat(e, kMessages, {}, got.sink());
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("stopped answering"), std::string::npos) << r.error();
    EXPECT_EQ(got.text, "Once");  // what came before the stall was shown
}

TEST(RemoteChat, A500SaysWhatTheServerSaid) {
    FakeServer s;
    s.http.Post("/v1/chat/completions", [](const httplib::Request&, httplib::Response& res) {
        res.status = 500;
        res.set_content(R"({"error":{"message":"CUDA out of memory","type":"server_error"}})", "application/json");
    });
    auto r = remote::streamChat({s.url(), "", ""}, kMessages, {}, {});
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("HTTP 500: CUDA out of memory"), std::string::npos) << r.error();
}

TEST(RemoteChat, AStreamThatDropsMidwayIsAnError) {
    FakeServer s;
    s.http.Post("/v1/chat/completions", [](const httplib::Request&, httplib::Response& res) {
        res.set_chunked_content_provider("text/event-stream", [](size_t, httplib::DataSink& sink) {
            const std::string part = delta("Once") + delta(" upon");
            sink.write(part.data(), part.size());
            sink.done();  // ends cleanly, but with neither a finish_reason nor [DONE]
            return true;
        });
    });
    Collected got;
    auto r = remote::streamChat({s.url(), "", ""}, kMessages, {}, got.sink());
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("stopped before its end"), std::string::npos) << r.error();
    EXPECT_EQ(got.text, "Once upon");
}

TEST(RemoteChat, AWrongKeyAndAMissingServerAreClear) {
    FakeServer s;
    s.http.Get("/v1/models", [](const httplib::Request& req, httplib::Response& res) {
        if (req.get_header_value("Authorization") != "Bearer right") {
            res.status = 401;
            res.set_content(R"({"error":{"message":"invalid API key"}})", "application/json");
            return;
        }
        res.set_content(R"({"object":"list","data":[{"id":"a"},{"id":"b"}]})", "application/json");
    });
    auto wrong = remote::listModels({s.url(), "wrong", ""});
    ASSERT_FALSE(wrong);
    EXPECT_NE(wrong.error().find("HTTP 401: invalid API key (check the API key)"), std::string::npos) << wrong.error();
    auto right = remote::listModels({s.url(), "right", ""});
    ASSERT_TRUE(right) << right.error();
    EXPECT_EQ(*right, (std::vector<std::string>{"a", "b"}));

    const std::string gone = "http://127.0.0.1:" + std::to_string(s.port) + "9/v1";  // nothing listens there
    auto missing = remote::streamChat({gone, "", ""}, kMessages, {}, {});
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().find("cannot reach"), std::string::npos) << missing.error();
    auto bad = remote::listModels({"ftp://example.org/v1", "", ""});
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().find("not an http"), std::string::npos);
}

TEST(RemoteChat, TheSinkCanStopTheAnswer) {
    FakeServer s;
    s.http.Post("/v1/chat/completions", [](const httplib::Request&, httplib::Response& res) {
        res.set_content(delta("a") + delta("b") + delta("c") + "data: [DONE]\n\n", "text/event-stream");
    });
    std::string got;
    auto r = remote::streamChat({s.url(), "", ""}, kMessages, {}, [&](std::string_view piece, const assistant::GenerateStats&) {
        got += piece;
        return got.size() < 2;
    });
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->finishReason, "cancelled");
    EXPECT_EQ(got, "ab");
}
