// remote::connectEmbedder / EmbeddingClient against servers that misbehave, each a real
// HTTP server on loopback: one that answers (in batches, out of order), one that fails
// with 500, one that stalls, one that wants another key, one whose vectors change size
// under an existing index. Every failure is a clear error; an index refuses vectors of
// another size or another embedder. (Against our own server: cli_remote_embeddings_test.sh.)
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <thread>


#include "fake_http_server.h"
#include "json/json.h"
#include "rag/answerer.h"
#include "rag/embedder_check.h"
#include "rag/indexer.h"
#include "remote_embedder.h"

using namespace std::chrono_literals;
using json::Array;
using json::Object;
using json::Value;
namespace fs = std::filesystem;

namespace {

// Answers each input with a `dims`-long vector [len(text), 1, 0, ...], listed in reverse
// order with their indexes (the client must sort them back); records the requests.
struct EmbeddingServer {
    FakeServer server;
    int dims = 4;
    std::string model = "fake-embed";
    std::vector<size_t> batchSizes;
    std::string lastAuth, lastModel;

    EmbeddingServer() {
        server.http.Post("/v1/embeddings", [this](const httplib::Request& req, httplib::Response& res) {
            const Value body = Value::parse(req.body).value_or(Value());
            lastAuth = req.get_header_value("Authorization");
            lastModel = body["model"].isString() ? body["model"].asString() : "";
            const Array& input = body["input"].isArray() ? body["input"].asArray() : Array{};
            batchSizes.push_back(input.size());
            Array data;
            for (size_t i = input.size(); i-- > 0;) {
                Array v(static_cast<size_t>(dims), Value(0.0));
                v[0] = static_cast<double>(input[i].asString().size());
                v[1] = 1.0;
                data.push_back(Object{{"object", "embedding"}, {"index", static_cast<int64_t>(i)}, {"embedding", std::move(v)}});
            }
            res.set_content(Value(Object{{"object", "list"}, {"data", std::move(data)}, {"model", model}}).dump(),
                            "application/json");
        });
    }
    remote::Endpoint endpoint() const { return {server.url(), "k1", ""}; }
};

fs::path freshDir(const std::string& name) {
    const fs::path dir = fs::temp_directory_path() / ("remote_embedder_test_" + name + "_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

}  // namespace

TEST(RemoteEmbedder, ConnectsBatchesAndKeepsTheInputOrder) {
    EmbeddingServer s;
    auto e = remote::connectEmbedder(s.endpoint());
    ASSERT_TRUE(e) << e.error();
    EXPECT_TRUE(e->isRemote());
    EXPECT_EQ(e->dims(), 4);
    EXPECT_EQ(e->name(), "fake-embed");  // the server named its default model
    EXPECT_EQ(e->fileHash(), "remote:" + s.server.url() + "#fake-embed");
    EXPECT_EQ(e->describe(), "the remote model fake-embed at " + s.server.url());
    EXPECT_EQ(s.lastAuth, "Bearer k1");

    std::vector<std::string> texts;
    for (int i = 0; i < 150; ++i) texts.push_back(std::string(static_cast<size_t>(i + 1), 'x'));
    s.batchSizes.clear();
    auto vectors = e->embed(texts, 100);  // rag's batch of 100 -> requests of at most 64
    ASSERT_TRUE(vectors) << vectors.error();
    EXPECT_EQ(s.batchSizes, (std::vector<size_t>{64, 36, 50}));
    EXPECT_EQ(s.lastModel, "fake-embed");  // later requests name the model the probe found
    ASSERT_EQ(vectors->size(), 150u);
    for (size_t i = 0; i < texts.size(); ++i) {
        const auto& v = (*vectors)[i];
        const float n = std::sqrt(static_cast<float>((i + 1) * (i + 1) + 1));  // normalized here
        EXPECT_NEAR(v[0], (i + 1) / n, 1e-5) << i;
        EXPECT_NEAR(v[1], 1 / n, 1e-5) << i;
    }
}

TEST(RemoteEmbedder, A500AStallAndAWrongKeyAreClearErrors) {
    FakeServer failing;
    failing.http.Post("/v1/embeddings", [](const httplib::Request&, httplib::Response& res) {
        res.status = 500;
        res.set_content(R"({"error":{"message":"CUDA out of memory","type":"server_error"}})", "application/json");
    });
    auto e = remote::connectEmbedder({failing.url(), "", "m"});
    ASSERT_FALSE(e);
    EXPECT_NE(e.error().find("/v1/embeddings: HTTP 500: CUDA out of memory"), std::string::npos) << e.error();

    FakeServer stalling;
    stalling.http.Post("/v1/embeddings", [](const httplib::Request&, httplib::Response& res) {
        std::this_thread::sleep_for(2500ms);  // longer than the client's read timeout
        res.set_content("{}", "application/json");
    });
    remote::Endpoint slow{stalling.url(), "", "m"};
    slow.readTimeoutSeconds = 1;
    e = remote::connectEmbedder(slow);
    ASSERT_FALSE(e);
    EXPECT_NE(e.error().find("stopped answering"), std::string::npos) << e.error();

    EmbeddingServer keyed;
    keyed.server.http.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
        if (req.get_header_value("Authorization") == "Bearer right") return httplib::Server::HandlerResponse::Unhandled;
        res.status = 401;
        res.set_content(R"({"error":{"message":"invalid API key"}})", "application/json");
        return httplib::Server::HandlerResponse::Handled;
    });
    e = remote::connectEmbedder({keyed.server.url(), "wrong", ""});
    ASSERT_FALSE(e);
    EXPECT_NE(e.error().find("HTTP 401: invalid API key (check the API key)"), std::string::npos) << e.error();
    EXPECT_TRUE(remote::connectEmbedder({keyed.server.url(), "right", ""}));

    e = remote::connectEmbedder({"http://127.0.0.1:" + std::to_string(keyed.server.port) + "9/v1", "", ""});
    ASSERT_FALSE(e);
    EXPECT_NE(e.error().find("cannot reach"), std::string::npos) << e.error();
}

TEST(RemoteEmbedder, AnswersThatAreNotEmbeddingListsAreRefused) {
    FakeServer s;
    std::string answer;
    s.http.Post("/v1/embeddings", [&](const httplib::Request&, httplib::Response& res) { res.set_content(answer, "application/json"); });
    const std::pair<std::string, std::string> cases[] = {
        {"<html>proxy error</html>", "not an embedding list"},
        {R"({"data":[]})", "0 vectors came back for 1 texts"},
        {R"({"data":[{"index":0,"embedding":"AAAA"}],"model":"m"})", "base64 answers are not read"},
        {R"({"data":[{"index":0,"embedding":[1,"x"]}],"model":"m"})", "not a number"},
        {R"({"data":[{"index":0,"embedding":[0,0]}],"model":"m"})", "zero or non-finite"},
        {R"({"data":[{"index":0,"embedding":[1,0]}]})", "names no model"},
    };
    for (const auto& [body, want] : cases) {
        answer = body;
        auto e = remote::connectEmbedder({s.url(), "", ""});
        std::expected<std::vector<std::vector<float>>, std::string> v = std::unexpected(e ? "" : e.error());
        if (e) v = e->embed({"some text"});
        ASSERT_FALSE(v) << body;
        EXPECT_NE(v.error().find(want), std::string::npos) << body << " -> " << v.error();
    }
}

TEST(RemoteEmbedder, AnIndexRefusesAnotherSizeAndAnotherEmbedder) {
    const fs::path dir = freshDir("index");
    std::ofstream(dir / "a.txt") << "Zebras have black and white stripes.";
    std::ofstream(dir / "b.txt") << "The first train leaves at six.";
    const std::string db = (dir / "index.db").string();
    EmbeddingServer s;
    auto four = remote::connectEmbedder(s.endpoint());
    ASSERT_TRUE(four) << four.error();
    rag::IndexOptions options;
    options.embedder = &*four;
    auto summary = rag::Indexer(db, options).run({(dir / "a.txt").string()});
    ASSERT_TRUE(summary.error.empty()) << summary.error;

    s.dims = 8;  // the same model id now answers with 8 values: an existing index says no
    auto eight = remote::connectEmbedder(s.endpoint());
    ASSERT_TRUE(eight) << eight.error();
    options.embedder = &*eight;
    summary = rag::Indexer(db, options).run({(dir / "b.txt").string()});
    EXPECT_NE(summary.error.find("stored with 4 dimensions, not 8"), std::string::npos) << summary.error;
    s.dims = 5;  // and mid-run, against the size the probe learned
    auto v = eight->embed({"x"});
    ASSERT_FALSE(v);
    EXPECT_NE(v.error().find("a vector of 5 dimensions, not 8"), std::string::npos) << v.error();

    s.dims = 4;
    s.model = "other-embed";  // another model: refused, naming the one that built the index
    auto other = remote::connectEmbedder(s.endpoint());
    ASSERT_TRUE(other) << other.error();
    options.embedder = &*other;
    summary = rag::Indexer(db, options).run({(dir / "b.txt").string()});
    EXPECT_NE(summary.error.find("holds 1 vectors from the remote model fake-embed at " + s.server.url()),
              std::string::npos) << summary.error;
    EXPECT_NE(summary.error.find("cannot be mixed"), std::string::npos);
    EXPECT_TRUE(summary.files.empty());  // refused before reading any file

    options.replaceEmbeddings = true;  // unless asked to re-embed the index with it
    summary = rag::Indexer(db, options).run({dir.string()});
    ASSERT_TRUE(summary.error.empty()) << summary.error;
    auto store = rag::Store::open(db);
    ASSERT_TRUE(store) << store.error();
    auto stored = store->embeddersWithVectors();
    ASSERT_TRUE(stored) << stored.error();
    ASSERT_EQ(stored->size(), 1u);
    EXPECT_EQ(stored->front().name, "other-embed");
    EXPECT_EQ(stored->front().vectors, 2);
    EXPECT_TRUE(rag::checkIndexEmbedder(*store, *other));

    // Answering with the old embedder searches by keyword only, and says whose vectors the index has.
    auto answerer = rag::Answerer::open(db, *four);
    ASSERT_TRUE(answerer) << answerer.error();
    rag::AnswerOptions answerOptions;
    answerOptions.wholeDocuments = false;
    const std::vector<assistant::Message> question = {{"user", "stripes?"}};
    auto prepared = answerer->prepare(question, answerOptions);
    ASSERT_TRUE(prepared) << prepared.error();
    EXPECT_EQ(prepared->search, rag::SearchMode::Bm25);
    EXPECT_NE(prepared->searchNote.find("holds 2 vectors from the remote model other-embed"), std::string::npos)
        << prepared->searchNote;
    fs::remove_all(dir);
}
