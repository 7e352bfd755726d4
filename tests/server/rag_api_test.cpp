// rag:<collection> models over a real document index: listed in /v1/models, answered
// from the retrieved chunks with a `citations` field (JSON) or a final citations chunk
// (SSE) naming file, pages and excerpt; an unknown collection is 404.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <unistd.h>

#include <httplib.h>

#include "api_server.h"
#include "rag/document.h"
#include "rag/embedder.h"
#include "rag/indexer.h"
#include "rag/store.h"
#include "json_test_util.h"

using json::Array;
using json::Object;
using json::Value;
using server_test::parseJson;

namespace {

const std::string kModel = ASSISTANT_SOURCE_DIR "/resources/models/stories260K.gguf";
const std::string kEmbedder = ASSISTANT_SOURCE_DIR "/resources/models/use-lite.gguf";

// A two-document index: "notes" holds zebra.txt, "other" holds the train timetable.
std::string makeIndex(const std::filesystem::path& dir) {
    const std::string db = (dir / "rag.db").string();
    auto store = rag::Store::open(db);
    EXPECT_TRUE(store) << store.error();
    auto add = [&](const std::string& name, const std::string& collection, const std::vector<std::string>& texts) {
        rag::DocumentRecord doc;
        doc.path = (dir / name).string();
        doc.size = 100;
        doc.sha256 = std::string(64, 'a' + static_cast<char>(name.size() % 6));
        doc.status = std::string(rag::statusName(rag::DocumentStatus::Indexed));
        doc.pages = static_cast<int>(texts.size());
        std::vector<rag::Chunk> chunks;
        for (size_t i = 0; i < texts.size(); ++i) {
            rag::Chunk c;
            c.ordinal = static_cast<int>(i);
            c.pageFrom = c.pageTo = static_cast<int>(i) + 1;
            c.text = texts[i];
            chunks.push_back(c);
        }
        auto id = store->commitDocument(doc, chunks, collection);
        EXPECT_TRUE(id) << id.error();
    };
    add("zebra.txt", "notes", {"Zebras have black and white stripes.", "A zebra sleeps standing up in the grass."});
    add("trains.txt", "other", {"The first train leaves at six in the morning."});
    return db;
}

class ServerRag : public ::testing::Test {
protected:
    void SetUp() override {
        m_dir = std::filesystem::temp_directory_path() / ("server_rag_" + std::to_string(getpid()));
        std::filesystem::create_directories(m_dir);
        server::ServerOptions o;
        o.port = 0;
        o.modelPath = kModel;
        o.ragDbPath = makeIndex(m_dir);
        m_api = std::make_unique<server::ApiServer>(o);
        ASSERT_TRUE(m_api->start());
        ASSERT_EQ(m_api->waitForModels(), server::ModelState::Ready) << m_api->modelError();
        m_client = std::make_unique<httplib::Client>("127.0.0.1", m_api->port());
    }
    void TearDown() override {
        m_client.reset();
        m_api.reset();
        std::filesystem::remove_all(m_dir);
    }
    std::filesystem::path m_dir;
    std::unique_ptr<server::ApiServer> m_api;
    std::unique_ptr<httplib::Client> m_client;
};

}  // namespace

TEST_F(ServerRag, ListsCollectionsAsModels) {
    auto r = m_client->Get("/v1/models");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    std::vector<std::string> ids;
    const Value models = parseJson(r->body);  // a named value: a temporary would die before the loop
    for (const Value& m : models["data"].asArray()) ids.push_back(m["id"].asString());
    EXPECT_NE(std::find(ids.begin(), ids.end(), "rag:notes"), ids.end());
    EXPECT_NE(std::find(ids.begin(), ids.end(), "rag:other"), ids.end());
    EXPECT_EQ(m_client->Get("/v1/models/rag:notes")->status, 200);
}

TEST_F(ServerRag, AnswersWithCitationsOfTheRetrievedChunks) {
    const std::string body = R"({"model":"rag:notes","max_tokens":16,"temperature":0,
        "messages":[{"role":"user","content":"How does a zebra sleep?"}]})";
    auto r = m_client->Post("/v1/chat/completions", body, "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    const Value j = parseJson(r->body);
    EXPECT_EQ(j["model"], "rag:notes");
    ASSERT_TRUE(j["citations"].isArray());
    ASSERT_FALSE(j["citations"].size() == 0u);
    for (const Value& c : j["citations"].asArray()) {
        EXPECT_EQ(c["file"], "zebra.txt");  // never the other collection's document
        EXPECT_GE(c["page_from"].asInt(), 1);
        EXPECT_NE(c["excerpt"].asString().find("ebra"), std::string::npos);
        EXPECT_NE(c["label"].asString().find("zebra.txt, p. "), std::string::npos);
    }
    // The prompt carried the sources: far more prompt tokens than the question alone.
    EXPECT_GT(j["usage"]["prompt_tokens"].asInt(), 40);
}

TEST_F(ServerRag, StreamEndsWithACitationsChunk) {
    const std::string body = R"({"model":"rag:notes","max_tokens":8,"stream":true,
        "messages":[{"role":"user","content":"stripes"}]})";
    auto r = m_client->Post("/v1/chat/completions", body, "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
    const std::string& text = r->body;
    const size_t at = text.find("\"citations\"");
    ASSERT_NE(at, std::string::npos) << text;
    EXPECT_LT(at, text.find("data: [DONE]"));
    EXPECT_NE(text.find("Zebras have black and white stripes."), std::string::npos);
}

TEST_F(ServerRag, UnknownCollectionIs404) {
    auto r = m_client->Post("/v1/chat/completions", R"({"model":"rag:nope","messages":[{"role":"user","content":"x"}]})",
                            "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404);
    EXPECT_EQ(parseJson(r->body)["error"]["code"], "model_not_found");
}

// Documents indexed (with vectors) by another connection while the server runs must
// reach dense search: the server's cached per-collection dense index is reloaded.
TEST(ServerRagLive, DenseSearchSeesDocumentsIndexedAfterStart) {
    const auto dir = std::filesystem::temp_directory_path() / ("server_rag_live_" + std::to_string(getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const std::string db = (dir / "rag.db").string();
    auto embedder = rag::Embedder::load(kEmbedder);
    ASSERT_TRUE(embedder) << embedder.error();
    rag::IndexOptions io;
    io.collection = "live";
    io.embedder = &*embedder;
    auto index = [&](const std::string& name, const std::string& text) {
        std::ofstream(dir / name) << text;
        const rag::IndexSummary s = rag::Indexer(db, io).run({(dir / name).string()});
        ASSERT_TRUE(s.error.empty()) << s.error;
    };
    index("zebra.txt", "Zebras have black and white stripes and sleep standing up.");

    server::ServerOptions o;
    o.port = 0;
    o.modelPath = kModel;
    o.embedderPath = kEmbedder;
    o.ragDbPath = db;
    server::ApiServer api(o);
    ASSERT_TRUE(api.start());
    ASSERT_EQ(api.waitForModels(), server::ModelState::Ready) << api.modelError();
    httplib::Client client("127.0.0.1", api.port());
    // A question no document shares a word with: BM25 finds nothing, so every source
    // in the answer comes from dense search.
    const std::string body = R"({"model":"rag:live","max_tokens":2,"temperature":0,
        "messages":[{"role":"user","content":"qwzx vbnq"}]})";
    auto files = [&] {
        std::set<std::string> names;
        auto r = client.Post("/v1/chat/completions", body, "application/json");
        EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
        if (!r || r->status != 200) return names;
        const Value answer = parseJson(r->body);  // a temporary's member would dangle in the range-for
        for (const Value& c : answer["citations"].asArray()) names.insert(c["file"].asString());
        return names;
    };
    EXPECT_EQ(files(), std::set<std::string>{"zebra.txt"});
    index("trains.txt", "The first train to the harbour leaves at six in the morning.");
    EXPECT_EQ(files(), (std::set<std::string>{"trains.txt", "zebra.txt"}));
    api.stop();
    std::filesystem::remove_all(dir);
}
