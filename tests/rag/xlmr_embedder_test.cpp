// A multilingual embedder end to end through rag: the XLM-RoBERTa-shaped test encoder
// (bert architecture, t5/UGM vocabulary; random weights, see make_xlmr_gguf.py) loads
// as an Embedder, indexes German, Chinese, Japanese and English files from its path
// (IndexOptions::embedderPath), and dense and hybrid search run over the vectors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "rag/indexer.h"
#include "rag/retrieve.h"
#include "shared_data.h"
#include "temp_dir.h"
#include "xlmr_test_model.h"

namespace fs = std::filesystem;

namespace {

const char* kDocs[][2] = {
    {"berg.txt", "Die Zugspitze ist mit 2962 Metern der höchste Berg Deutschlands."},
    {"beijing.txt", "北京是中华人民共和国的首都，也是全国的政治和文化中心。"},
    {"tokyo.txt", "東京は日本の首都であり、世界最大級の都市圏を持つ。"},
    {"bread.txt", "Bake the bread in a hot oven until the crust is golden brown."},
};

TEST(RagXlmrEmbedder, IndexesMultilingualFilesAndSearchesHybrid) {
    REQUIRE_SHARED(testdata::xlmrVocabPath());
    std::string why;
    const std::string modelPath = testdata::makeXlmrTestModel(&why);
    ASSERT_FALSE(modelPath.empty()) << why;
    auto embedder = rag::Embedder::load(modelPath);
    ASSERT_TRUE(embedder.has_value()) << embedder.error();
    EXPECT_EQ(embedder->dims(), 64);
    EXPECT_TRUE(embedder->covers("de"));  // no general.languages: every language
    EXPECT_TRUE(embedder->covers("zh"));

    const fs::path dir = rag_test::freshDir("xlmr");
    fs::create_directories(dir / "docs");
    for (const auto& doc : kDocs) std::ofstream(dir / "docs" / doc[0]) << doc[1] << "\n";
    const std::string db = (dir / "index.db").string();
    rag::IndexOptions options;
    options.embedderPath = modelPath;  // loaded on the indexing thread
    int64_t embedded = 0;
    options.onProgress = [&](const rag::IndexProgress& p) { embedded = std::max(embedded, p.chunksEmbedded); };
    rag::Indexer indexer(db, options);
    auto summary = indexer.run({(dir / "docs").string()});
    ASSERT_TRUE(summary.error.empty()) << summary.error;
    EXPECT_EQ(embedded, 4);

    auto store = rag::Store::open(db);
    ASSERT_TRUE(store.has_value());
    auto index = rag::loadDenseIndex(*store, *embedder);
    ASSERT_TRUE(index.has_value()) << index.error();
    ASSERT_EQ(index->size(), 4u);
    rag::Retriever retriever(*store, &*embedder, &*index);
    rag::SearchOptions search;
    search.k = 4;
    for (const auto& doc : kDocs) {
        // A chunk's exact text is its own nearest neighbour, whatever the weights.
        search.mode = rag::SearchMode::Dense;
        auto hits = retriever.search(doc[1], search);
        ASSERT_TRUE(hits.has_value()) << hits.error();
        ASSERT_FALSE(hits->empty());
        EXPECT_EQ(fs::path((*hits)[0].path).filename().string(), doc[0]);
        EXPECT_NEAR((*hits)[0].score, 1.0f, 1e-3);
        search.mode = rag::SearchMode::Hybrid;
        hits = retriever.search(doc[1], search);
        ASSERT_TRUE(hits.has_value()) << hits.error();
        ASSERT_FALSE(hits->empty());
        EXPECT_EQ(fs::path((*hits)[0].path).filename().string(), doc[0]);
    }
}

}  // namespace
