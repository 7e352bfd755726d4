// The parts that run a model: embeddings through Model::embed (the conformance BERT
// model bert-a), dense and hybrid retrieval over them, and map-reduce summaries
// through Session::generate (the embedded demo model).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

#include "rag/indexer.h"
#include "rag/retrieve.h"
#include "rag/summarize.h"
#include "shared_data.h"
#include "temp_dir.h"

namespace fs = std::filesystem;

namespace {

using rag_test::freshDir;

const char* kTopics[] = {
    "The volcano erupted and lava flowed down the mountain into the valley.",
    "Bake the bread in a hot oven until the crust is golden brown.",
    "The football team won the championship after a penalty shootout.",
    "Photosynthesis turns sunlight, water and carbon dioxide into sugar.",
};

}  // namespace

TEST(RagModel, EmbedsChunksAndSearchesDenseAndHybrid) {
    const std::string modelPath = testdata::sharedPath("conformance/models/bert-a.gguf");
    REQUIRE_SHARED(modelPath);
    auto embedder = rag::Embedder::load(modelPath);
    ASSERT_TRUE(embedder.has_value()) << embedder.error();
    ASSERT_GT(embedder->dims(), 0);
    EXPECT_EQ(embedder->fileHash().size(), 64u);

    const fs::path dir = freshDir("dense");
    fs::create_directories(dir / "docs");
    for (int i = 0; i < 4; ++i) std::ofstream(dir / "docs" / ("t" + std::to_string(i) + ".txt")) << kTopics[i] << "\n";
    const std::string db = (dir / "index.db").string();
    rag::IndexOptions options;
    options.embedder = &*embedder;
    options.embedBatch = 3;  // two batches, two transactions
    int64_t embedded = 0, toEmbed = 0;
    options.onProgress = [&](const rag::IndexProgress& p) {
        embedded = std::max(embedded, p.chunksEmbedded);
        toEmbed = std::max(toEmbed, p.chunksToEmbed);
    };
    rag::Indexer indexer(db, options);
    auto summary = indexer.run({(dir / "docs").string()});
    ASSERT_TRUE(summary.error.empty()) << summary.error;
    EXPECT_EQ(embedded, 4);
    EXPECT_EQ(toEmbed, 4);

    auto store = rag::Store::open(db);
    ASSERT_TRUE(store.has_value());
    auto index = rag::loadDenseIndex(*store, *embedder);
    ASSERT_TRUE(index.has_value()) << index.error();
    ASSERT_EQ(index->size(), 4u);
    rag::Retriever retriever(*store, &*embedder, &*index);
    rag::SearchOptions options2;
    options2.k = 4;
    for (int i = 0; i < 4; ++i) {
        // The exact text of a chunk is its own nearest neighbour (cosine 1).
        options2.mode = rag::SearchMode::Dense;
        auto hits = retriever.search(kTopics[i], options2);
        ASSERT_TRUE(hits.has_value()) << hits.error();
        ASSERT_EQ(hits->size(), 4u);
        EXPECT_EQ(fs::path((*hits)[0].path).filename().string(), "t" + std::to_string(i) + ".txt");
        EXPECT_NEAR((*hits)[0].score, 1.0f, 1e-3);
        options2.mode = rag::SearchMode::Hybrid;
        hits = retriever.search(kTopics[i], options2);
        ASSERT_TRUE(hits.has_value()) << hits.error();
        EXPECT_EQ(fs::path((*hits)[0].path).filename().string(), "t" + std::to_string(i) + ".txt");
    }
    // A second run embeds nothing new; int8 storage round-trips within quantization error.
    embedded = 0;
    ASSERT_TRUE(indexer.run({(dir / "docs").string()}).error.empty());
    EXPECT_EQ(embedded, 0);
    auto id = store->embedderId(embedder->name(), embedder->fileHash(), embedder->dims());
    ASSERT_TRUE(id.has_value());
    auto vec = embedder->embed({kTopics[0]});
    ASSERT_TRUE(vec.has_value());
    auto chunks = store->chunksWithoutEmbedding(*id, 10);
    ASSERT_TRUE(chunks.has_value());
    EXPECT_TRUE(chunks->empty());
    auto m = store->loadEmbeddings(*id);
    ASSERT_TRUE(m.has_value());
    ASSERT_TRUE(store->putEmbeddings(*id, {m->chunkIds[0]}, {(*vec)[0]}, /*int8=*/true).has_value());
    auto q = store->loadEmbeddings(*id);
    float maxError = 0;
    for (int d = 0; d < q->dims; ++d) maxError = std::max(maxError, std::fabs(q->values[static_cast<size_t>(d)] - (*vec)[0][static_cast<size_t>(d)]));
    EXPECT_LT(maxError, 0.01f);
}

TEST(RagModel, SummarizesByMapReduceWithCachedSectionsAndCancel) {
    const std::string modelPath = std::string(ASSISTANT_SOURCE_DIR) + "/resources/models/stories260K.gguf";
    ASSERT_TRUE(fs::exists(modelPath)) << modelPath;
    auto model = assistant::Model::load(modelPath);
    ASSERT_TRUE(model.has_value()) << model.error().message;
    assistant::SessionParams sp;
    sp.contextLength = 512;
    auto session = assistant::Session::create(*model, sp);
    ASSERT_TRUE(session.has_value()) << session.error().message;

    const fs::path dir = freshDir("summary");
    std::string story;
    for (int i = 0; i < 40; ++i)
        story += "Lily went to the park with her dog number " + std::to_string(i) +
                 ". They played with a big red ball and laughed in the sun.\n\n";
    std::ofstream(dir / "story.txt") << story;
    const std::string db = (dir / "index.db").string();
    rag::Indexer indexer(db, {});
    ASSERT_TRUE(indexer.run({(dir / "story.txt").string()}).error.empty());
    auto store = rag::Store::open(db);
    ASSERT_TRUE(store.has_value());
    auto doc = store->findDocument((dir / "story.txt").string());
    ASSERT_TRUE(doc.has_value() && doc->has_value());

    rag::SummarizeOptions options;
    options.mapTokens = 32;
    options.reduceTokens = 48;
    int mapEvents = 0, reduceEvents = 0;
    options.onProgress = [&](std::string_view stage, int, int) { (stage == "map" ? mapEvents : reduceEvents)++; };
    std::string streamed;
    options.onFinalPiece = [&](std::string_view piece) {
        streamed += piece;
        return true;
    };
    auto first = rag::summarizeDocument(*store, (*doc)->id, **session, options);
    ASSERT_TRUE(first.has_value()) << first.error();
    EXPECT_GT(first->sections, 1) << "a 4 KB text does not fit a 512-token context in one section";
    EXPECT_EQ(first->cachedSections, 0);
    EXPECT_EQ(mapEvents, first->sections);
    EXPECT_GE(first->reduceSteps, 1);
    EXPECT_EQ(streamed, first->text);

    auto second = rag::summarizeDocument(*store, (*doc)->id, **session, options);
    ASSERT_TRUE(second.has_value()) << second.error();
    EXPECT_EQ(second->cachedSections, second->sections) << "map summaries were not cached";
    EXPECT_EQ(second->text, first->text) << "greedy reduce over the same cached summaries";

    std::atomic<bool> cancel{true};
    options.cancel = &cancel;
    auto cancelled = rag::summarizeDocument(*store, (*doc)->id, **session, options);
    ASSERT_TRUE(cancelled.has_value());
    EXPECT_TRUE(cancelled->cancelled);
}

namespace {

struct SummaryFixture {
    std::shared_ptr<const assistant::Model> model;
    std::unique_ptr<assistant::Session> session;
    std::optional<rag::Store> store;
    int64_t documentId = 0;
};

// stories260K with a `context`-token session over an indexed story of `paragraphs` paragraphs.
void makeSummaryFixture(SummaryFixture& f, int context, int paragraphs, const std::string& name) {
    auto model = assistant::Model::load(std::string(ASSISTANT_SOURCE_DIR) + "/resources/models/stories260K.gguf");
    ASSERT_TRUE(model.has_value()) << model.error().message;
    f.model = *model;
    assistant::SessionParams sp;
    sp.contextLength = context;
    auto session = assistant::Session::create(f.model, sp);
    ASSERT_TRUE(session.has_value()) << session.error().message;
    f.session = std::move(*session);
    const fs::path dir = freshDir(name);
    std::string story;
    for (int i = 0; i < paragraphs; ++i)
        story += "Tom and his cat number " + std::to_string(i) +
                 " found a shiny key under the old tree. They opened the red door and saw a garden.\n\n";
    std::ofstream(dir / "story.txt") << story;
    const std::string db = (dir / "index.db").string();
    ASSERT_TRUE(rag::Indexer(db, {}).run({(dir / "story.txt").string()}).error.empty());
    auto store = rag::Store::open(db);
    ASSERT_TRUE(store.has_value());
    auto doc = store->findDocument((dir / "story.txt").string());
    ASSERT_TRUE(doc.has_value() && doc->has_value());
    f.documentId = (*doc)->id;
    f.store.emplace(std::move(*store));
}

}  // namespace

// Sections and reduce groups are sized from the context the steps really have (template,
// instructions and summary included): at 256 tokens a 12 KB story needs many sections
// and several reduce levels, and every step fits (no "the conversation needs N tokens").
TEST(RagModel, SummarizesAtASmallContextThroughSeveralReduceLevels) {
    SummaryFixture f;
    makeSummaryFixture(f, 256, 120, "summary_small");
    if (HasFatalFailure()) return;
    int reduceLevels = 0;  // each level reports its steps from 1; the final one is (1, 1)
    rag::SummarizeOptions options;
    options.onProgress = [&](std::string_view stage, int done, int) { reduceLevels += stage == "reduce" && done == 1; };
    auto result = rag::summarizeDocument(*f.store, f.documentId, *f.session, options);
    ASSERT_TRUE(result.has_value()) << result.error();
    EXPECT_GT(result->sections, 20);
    EXPECT_GE(reduceLevels, 3) << "two combining levels and the final summary were expected";
    EXPECT_NE(result->text.find_first_not_of(" \n"), std::string::npos) << "empty summary";
}

// Lengths that cannot fit the context are errors that say so, before any work.
TEST(RagModel, SummaryLengthsAreCheckedAgainstTheContext) {
    SummaryFixture f;
    makeSummaryFixture(f, 512, 4, "summary_budget");
    if (HasFatalFailure()) return;
    auto fits = rag::summaryBudget(*f.session, "story.txt");
    ASSERT_TRUE(fits.has_value()) << fits.error();
    EXPECT_GT(fits->promptTokens, 0);
    EXPECT_LE(fits->promptTokens + fits->mapTokens + 64, 512);

    rag::SummarizeOptions tooLong;
    tooLong.reduceTokens = 600;
    auto error = rag::summaryBudget(*f.session, "story.txt", tooLong);
    ASSERT_FALSE(error.has_value());
    EXPECT_NE(error.error().find("600 tokens (-n) does not fit a 512-token context"), std::string::npos) << error.error();
    auto summary = rag::summarizeDocument(*f.store, f.documentId, *f.session, tooLong);
    ASSERT_FALSE(summary.has_value()) << "summarized with a summary longer than the context";
    EXPECT_EQ(summary.error(), error.error());

    rag::SummarizeOptions wideParts;
    wideParts.mapTokens = 200;
    EXPECT_FALSE(rag::summaryBudget(*f.session, "story.txt", wideParts).has_value());

    assistant::SessionParams tiny;
    tiny.contextLength = 96;
    auto small = assistant::Session::create(f.model, tiny);
    ASSERT_TRUE(small.has_value());
    auto tooSmall = rag::summaryBudget(**small, "story.txt");
    ASSERT_FALSE(tooSmall.has_value());
    EXPECT_NE(tooSmall.error().find("too small to summarize"), std::string::npos) << tooSmall.error();
}
