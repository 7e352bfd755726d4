// rag::Answerer with real models: the prompt budget counted by a chat model's own
// tokenizer (TinyStories-656K from ../shared), whole documents and collections, hybrid
// retrieval with the shipped USE-Lite embedder and its BM25 fallback, citations.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include "rag/answerer.h"
#include "rag/indexer.h"
#include "shared_data.h"
#include "temp_dir.h"

namespace fs = std::filesystem;

namespace {

const std::string kEmbedder = ASSISTANT_SOURCE_DIR "/resources/models/use-lite.gguf";

using rag_test::freshDir;

// Commits a document of `pages` chunked like the indexer does (small chunks, so they overlap).
void addDocument(rag::Store& store, const std::string& path, const std::vector<std::string>& pages,
                 const std::string& collection = "default") {
    rag::DocumentRecord doc;
    doc.path = path;
    doc.sha256 = std::string(64, 'a');
    doc.status = "indexed";
    doc.pages = static_cast<int>(pages.size());
    rag::ChunkerOptions chunker;
    chunker.targetChars = 200;
    chunker.overlapChars = 60;
    auto id = store.commitDocument(doc, rag::chunkDocument(pages, chunker), collection);
    ASSERT_TRUE(id.has_value()) << id.error();
}

// One chunk per page, with the offsets the chunker would give: one source per page.
void addPages(rag::Store& store, const std::string& path, const std::vector<std::string>& pages) {
    rag::DocumentRecord doc;
    doc.path = path;
    doc.sha256 = std::string(64, 'b');
    doc.status = "indexed";
    doc.pages = static_cast<int>(pages.size());
    std::vector<rag::Chunk> chunks;
    int64_t at = 0;
    for (size_t i = 0; i < pages.size(); ++i) {
        rag::Chunk c;
        c.ordinal = static_cast<int>(i);
        c.pageFrom = c.pageTo = static_cast<int>(i) + 1;
        c.charStart = at;
        c.charEnd = at + static_cast<int64_t>(pages[i].size());
        c.text = pages[i];
        at = c.charEnd + 2;  // "\n\n" between pages
        chunks.push_back(c);
    }
    auto id = store.commitDocument(doc, chunks);
    ASSERT_TRUE(id.has_value()) << id.error();
}

std::string sentences(const std::string& topic, int count) {
    std::string text;
    for (int i = 0; i < count; ++i) text += "Sentence " + std::to_string(i) + " is about " + topic + ". ";
    return text;
}

std::shared_ptr<const assistant::Model> chatModel() {
    auto model = assistant::Model::load(testdata::sharedPath("models/llm/TinyStories-656K-Q8_0.gguf"));
    return model ? *model : nullptr;
}

std::vector<assistant::Message> ask(const std::string& question) { return {{"user", question}}; }

}  // namespace

TEST(Answerer, ChunksStayWithinTheBudgetCountedByTheModelsTokenizer) {
    REQUIRE_SHARED(testdata::sharedPath("models/llm/TinyStories-656K-Q8_0.gguf"));
    auto model = chatModel();
    ASSERT_TRUE(model);
    const fs::path dir = freshDir("budget");
    const std::string db = (dir / "index.db").string();
    {
        auto store = rag::Store::open(db);
        ASSERT_TRUE(store.has_value()) << store.error();
        for (int d = 0; d < 6; ++d)
            addDocument(*store, "/docs/d" + std::to_string(d) + ".txt",
                        {sentences("the red fox " + std::to_string(d), 20), sentences("the lazy dog", 20)});
    }
    auto answerer = rag::Answerer::open(db);
    ASSERT_TRUE(answerer.has_value()) << answerer.error();
    const std::vector<assistant::Message> conversation = {
        {"system", "Be brief."}, {"user", "Who is quick?"}, {"assistant", "The fox."}, {"user", "What does the red fox do?"}};
    rag::AnswerOptions options;
    options.contextTokens = 512;
    options.answerTokens = 64;
    options.countTokens = rag::modelTokenCounter(model);
    auto prepared = answerer->prepare(conversation, options);
    ASSERT_TRUE(prepared.has_value()) << prepared.error();
    EXPECT_EQ(prepared->basis, rag::AnswerBasis::Chunks);
    ASSERT_FALSE(prepared->sources.empty());
    EXPECT_LE(prepared->promptTokens + options.answerTokens, options.contextTokens);
    // The rendered prompt, template included, still leaves the answer its room.
    auto rendered = model->applyChatTemplate(prepared->messages);
    ASSERT_TRUE(rendered.has_value());
    auto tokens = model->tokenize(*rendered);
    ASSERT_TRUE(tokens.has_value());
    EXPECT_LE(static_cast<int>(tokens->size()) + options.answerTokens, options.contextTokens);
    EXPECT_GT(static_cast<int>(tokens->size()), options.contextTokens / 2);  // and it used the room
    // system (own text first, then the sources), the earlier turns, the question.
    ASSERT_EQ(prepared->messages.size(), 4u);
    EXPECT_EQ(prepared->messages[0].role, "system");
    EXPECT_EQ(prepared->messages[0].content.rfind("Be brief.", 0), 0u);
    EXPECT_NE(prepared->messages[0].content.find("[1] (d"), std::string::npos);
    EXPECT_EQ(prepared->messages[1].content, "Who is quick?");
    EXPECT_EQ(prepared->messages[2].content, "The fox.");
    EXPECT_EQ(prepared->messages[3].content, "What does the red fox do?");
}

TEST(Answerer, ASmallCollectionGoesInWholeWithPagesAndNoRepeatedText) {
    const fs::path dir = freshDir("whole");
    const std::string db = (dir / "index.db").string();
    const std::vector<std::string> pages = {sentences("zebras", 12), sentences("giraffes", 12)};
    {
        auto store = rag::Store::open(db);
        ASSERT_TRUE(store.has_value()) << store.error();
        addDocument(*store, "/docs/animals.pdf", pages);
    }
    auto answerer = rag::Answerer::open(db);
    ASSERT_TRUE(answerer.has_value()) << answerer.error();
    rag::AnswerOptions options;  // 4096 tokens, counted as bytes
    auto prepared = answerer->prepare(ask("qwzx"), options);  // no word matches: no retrieval needed
    ASSERT_TRUE(prepared.has_value()) << prepared.error();
    EXPECT_EQ(prepared->basis, rag::AnswerBasis::WholeCollection);
    EXPECT_FALSE(prepared->searched);
    EXPECT_EQ(prepared->wholeDocuments, std::vector<std::string>{"/docs/animals.pdf"});
    EXPECT_EQ(rag::describeAnswer(*prepared), "whole document used: animals.pdf");
    ASSERT_FALSE(prepared->sources.empty());  // chunks of the same pages joined: [n] names pages
    EXPECT_EQ(prepared->sources.front().pageFrom, 1);
    EXPECT_EQ(prepared->sources.back().pageTo, 2);
    EXPECT_LT(prepared->sources.size(), rag::chunkDocument(pages, {200, 60}).size());
    std::string all;
    for (const rag::Source& s : prepared->sources) all += s.excerpt + "\n";
    for (const char* topic : {"zebras", "giraffes"})
        for (int i = 0; i < 12; ++i) {
            const std::string sentence = "Sentence " + std::to_string(i) + " is about " + std::string(topic) + ".";
            const size_t at = all.find(sentence);
            ASSERT_NE(at, std::string::npos) << sentence;
            EXPECT_EQ(all.find(sentence, at + 1), std::string::npos) << "repeated: " << sentence;
        }
}

TEST(Answerer, TheTopHitsDocumentGoesInWholeWhenTheCollectionDoesNot) {
    const fs::path dir = freshDir("top");
    const std::string db = (dir / "index.db").string();
    {
        auto store = rag::Store::open(db);
        ASSERT_TRUE(store.has_value()) << store.error();
        addDocument(*store, "/docs/zebra.txt", {"Zebras sleep standing up in the grass at night."});
        for (int d = 0; d < 5; ++d)
            addDocument(*store, "/docs/long" + std::to_string(d) + ".txt", {sentences("trains", 40)});
    }
    auto answerer = rag::Answerer::open(db);
    ASSERT_TRUE(answerer.has_value()) << answerer.error();
    rag::AnswerOptions options;
    options.contextTokens = 2048;  // bytes: the five long documents do not fit
    auto prepared = answerer->prepare(ask("How do zebras sleep?"), options);
    ASSERT_TRUE(prepared.has_value()) << prepared.error();
    EXPECT_EQ(prepared->basis, rag::AnswerBasis::WholeDocument);
    EXPECT_EQ(prepared->wholeDocuments, std::vector<std::string>{"/docs/zebra.txt"});
    ASSERT_FALSE(prepared->sources.empty());
    EXPECT_EQ(prepared->sources[0].path, "/docs/zebra.txt");
    EXPECT_EQ(prepared->sources[0].excerpt, "Zebras sleep standing up in the grass at night.");
    EXPECT_LE(prepared->promptTokens + options.answerTokens, options.contextTokens);

    options.wholeDocuments = false;
    prepared = answerer->prepare(ask("How do zebras sleep?"), options);
    ASSERT_TRUE(prepared.has_value()) << prepared.error();
    EXPECT_EQ(prepared->basis, rag::AnswerBasis::Chunks);
    EXPECT_TRUE(prepared->wholeDocuments.empty());
}

TEST(Answerer, HybridWithTheEmbeddersVectorsElseBm25WithAReason) {
    ASSERT_TRUE(fs::exists(kEmbedder)) << kEmbedder;
    auto embedder = rag::Embedder::load(kEmbedder);
    ASSERT_TRUE(embedder.has_value()) << embedder.error();
    const fs::path dir = freshDir("hybrid");
    std::ofstream(dir / "zebra.txt") << "Zebras have black and white stripes and sleep standing up.";
    std::ofstream(dir / "train.txt") << "The first train to the harbour leaves at six in the morning.";
    const std::string withVectors = (dir / "vectors.db").string(), bm25Only = (dir / "plain.db").string();
    rag::IndexOptions byPath;  // as the app indexes: the embedder loaded on the indexing thread
    byPath.embedderPath = kEmbedder;
    ASSERT_TRUE(rag::Indexer(withVectors, byPath).run({dir.string()}).error.empty());
    rag::IndexOptions io;
    io.embedder = &*embedder;
    ASSERT_TRUE(rag::Indexer(bm25Only, {}).run({dir.string()}).error.empty());

    rag::AnswerOptions options;
    options.wholeDocuments = false;
    const auto question = ask("qwzx vbnq");  // no word in common: only dense search finds anything

    auto hybrid = rag::Answerer::open(withVectors, *embedder);
    ASSERT_TRUE(hybrid.has_value()) << hybrid.error();
    EXPECT_TRUE(hybrid->hasEmbedder());
    auto prepared = hybrid->prepare(question, options);
    ASSERT_TRUE(prepared.has_value()) << prepared.error();
    EXPECT_TRUE(prepared->searched);
    EXPECT_EQ(prepared->search, rag::SearchMode::Hybrid);
    EXPECT_TRUE(prepared->searchNote.empty());
    EXPECT_EQ(prepared->sources.size(), 2u);
    EXPECT_EQ(rag::describeAnswer(*prepared), "hybrid search (BM25 + dense)");

    // Indexed by another connection after the answerer loaded its vectors: found too.
    std::ofstream(dir / "later.txt") << "Volcanoes erupt with hot lava.";
    ASSERT_TRUE(rag::Indexer(withVectors, io).run({(dir / "later.txt").string()}).error.empty());
    prepared = hybrid->prepare(question, options);
    ASSERT_TRUE(prepared.has_value()) << prepared.error();
    EXPECT_EQ(prepared->sources.size(), 3u);

    auto noEmbedder = rag::Answerer::open(withVectors);
    ASSERT_TRUE(noEmbedder.has_value()) << noEmbedder.error();
    prepared = noEmbedder->prepare(question, options);
    ASSERT_TRUE(prepared.has_value()) << prepared.error();
    EXPECT_EQ(prepared->search, rag::SearchMode::Bm25);
    EXPECT_EQ(prepared->searchNote, "no embedder");
    EXPECT_TRUE(prepared->sources.empty());

    auto noVectors = rag::Answerer::open(bm25Only, *embedder);
    ASSERT_TRUE(noVectors.has_value()) << noVectors.error();
    prepared = noVectors->prepare(ask("Which stripes do zebras have?"), options);
    ASSERT_TRUE(prepared.has_value()) << prepared.error();
    EXPECT_EQ(prepared->search, rag::SearchMode::Bm25);
    EXPECT_NE(prepared->searchNote.find("no vectors"), std::string::npos) << prepared->searchNote;
    ASSERT_FALSE(prepared->sources.empty());
    EXPECT_EQ(fs::path(prepared->sources[0].path).filename(), "zebra.txt");
}

TEST(Answerer, CitationsMapToTheirSourcesOrAllWhenNoneIsCited) {
    const fs::path dir = freshDir("cite");
    const std::string db = (dir / "index.db").string();
    {
        auto store = rag::Store::open(db);
        ASSERT_TRUE(store.has_value()) << store.error();
        addPages(*store, "/docs/animals.pdf", {sentences("zebras", 3), sentences("giraffes", 3), sentences("lions", 3)});
    }
    auto answerer = rag::Answerer::open(db);
    ASSERT_TRUE(answerer.has_value()) << answerer.error();
    auto prepared = answerer->prepare(ask("What about giraffes?"), {});
    ASSERT_TRUE(prepared.has_value()) << prepared.error();
    ASSERT_EQ(prepared->sources.size(), 3u);
    const auto cited = rag::Answerer::citations("Giraffes are tall [2], unlike lions [3][9].", prepared->sources);
    ASSERT_EQ(cited.size(), 2u);
    EXPECT_EQ(cited[0].n, 2);
    EXPECT_EQ(cited[0].pageFrom, 2);
    EXPECT_NE(cited[0].excerpt.find("giraffes"), std::string::npos);
    EXPECT_EQ(rag::sourceLabel(cited[1]), "animals.pdf, p. 3");
    EXPECT_EQ(rag::Answerer::citations("No markers.", prepared->sources).size(), 3u);
}

TEST(Answerer, ConversationWithoutAQuestionIsAnError) {
    const fs::path dir = freshDir("none");
    auto answerer = rag::Answerer::open((dir / "index.db").string());
    ASSERT_TRUE(answerer.has_value()) << answerer.error();
    const std::vector<assistant::Message> conversation = {{"system", "Be brief."}};
    EXPECT_FALSE(answerer->prepare(conversation, {}).has_value());
    auto names = answerer->collections();
    ASSERT_TRUE(names.has_value()) << names.error();
    EXPECT_EQ(*names, std::vector<std::string>{"default"});
}
