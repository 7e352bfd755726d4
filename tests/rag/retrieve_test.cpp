#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "rag/retrieve.h"
#include "rag/store.h"
#include "temp_dir.h"

namespace fs = std::filesystem;

namespace {

using rag_test::tempDb;

rag::EmbeddingMatrix randomMatrix(size_t rows, int dims, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal;
    rag::EmbeddingMatrix m;
    m.dims = dims;
    for (size_t r = 0; r < rows; ++r) {
        m.chunkIds.push_back(static_cast<int64_t>(r) + 1);
        float norm = 0;
        std::vector<float> v(static_cast<size_t>(dims));
        for (float& x : v) {
            x = normal(rng);
            norm += x * x;
        }
        for (float x : v) m.values.push_back(x / std::sqrt(norm));
    }
    return m;
}

std::vector<rag::ScoredChunk> bruteForce(const rag::EmbeddingMatrix& m, const std::vector<float>& q, int k) {
    std::vector<rag::ScoredChunk> all;
    for (size_t r = 0; r < m.chunkIds.size(); ++r) {
        double s = 0;
        for (int d = 0; d < m.dims; ++d) s += double(m.values[r * m.dims + d]) * q[d];
        all.push_back({m.chunkIds[r], static_cast<float>(s)});
    }
    std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.score > b.score; });
    all.resize(static_cast<size_t>(k));
    return all;
}

}  // namespace

TEST(RagRetrieve, DenseExactSearchMatchesBruteForce) {
    const auto m = randomMatrix(3000, 64, 1);
    const auto copy = m;
    rag::DenseIndex index(copy);
    EXPECT_FALSE(index.prefiltered());
    std::vector<float> q(m.values.begin() + 64 * 17, m.values.begin() + 64 * 18);  // row 17 itself
    const auto got = index.search(q, 10);
    const auto want = bruteForce(m, q, 10);
    ASSERT_EQ(got.size(), 10u);
    EXPECT_EQ(got[0].chunkId, 18);
    EXPECT_NEAR(got[0].score, 1.0f, 1e-4);
    for (size_t i = 0; i < 10; ++i) {
        EXPECT_EQ(got[i].chunkId, want[i].chunkId) << i;
        EXPECT_NEAR(got[i].score, want[i].score, 1e-4);
    }
    EXPECT_TRUE(index.search(std::vector<float>(63), 5).empty()) << "dims mismatch";
}

TEST(RagRetrieve, Int8PrefilterThenFloatRescoreKeepsTheExactTopK) {
    const auto m = randomMatrix(5000, 96, 2);
    rag::DenseIndex index(m, /*forcePrefilter=*/true);
    EXPECT_TRUE(index.prefiltered());
    std::mt19937 rng(3);
    std::normal_distribution<float> normal;
    for (int trial = 0; trial < 5; ++trial) {
        std::vector<float> q(96);
        for (float& x : q) x = normal(rng);
        const auto got = index.search(q, 10);
        const auto want = bruteForce(m, q, 10);
        for (size_t i = 0; i < 10; ++i) EXPECT_EQ(got[i].chunkId, want[i].chunkId) << trial << " " << i;
    }
}

TEST(RagRetrieve, ReciprocalRankFusionSumsOneOverKPlusRank) {
    const std::vector<rag::ScoredChunk> a = {{1, 9}, {2, 8}, {3, 7}};
    const std::vector<rag::ScoredChunk> b = {{3, 0.9f}, {4, 0.8f}, {1, 0.7f}};
    const auto fused = rag::reciprocalRankFusion({a, b}, 10, 60);
    ASSERT_EQ(fused.size(), 4u);
    EXPECT_EQ(fused[0].chunkId, 1);  // 1/61 + 1/63
    EXPECT_NEAR(fused[0].score, 1.0f / 61 + 1.0f / 63, 1e-7);
    EXPECT_EQ(fused[1].chunkId, 3);  // 1/63 + 1/61 ties with 1; 1 came first
    EXPECT_EQ(fused[2].chunkId, 2);
    EXPECT_EQ(fused[3].chunkId, 4);
    EXPECT_EQ(rag::reciprocalRankFusion({a, b}, 2).size(), 2u);
}

TEST(RagRetrieve, Bm25FindsTheRightChunkWithPagesAndCollections) {
    auto store = rag::Store::open(tempDb("bm25.db").string());
    ASSERT_TRUE(store.has_value()) << store.error();
    auto add = [&](const std::string& path, const std::vector<std::string>& pages, const std::string& collection) {
        rag::DocumentRecord d;
        d.path = path;
        d.sha256 = "x";
        d.status = "indexed";
        d.pages = static_cast<int>(pages.size());
        auto id = store->commitDocument(d, rag::chunkDocument(pages, {200, 30}), collection);
        ASSERT_TRUE(id.has_value()) << id.error();
    };
    add("/a/volcano.txt", {"Mountains are tall.", "The volcano erupted with lava and ash in 1980."}, "geo");
    add("/a/cooking.txt", {"Boil the pasta for nine minutes, then add the sauce."}, "food");
    add("/a/more.txt", {"Erupting volcanoes produce lava flows; lava cools into basalt."}, "geo");
    rag::Retriever retriever(*store);
    rag::SearchOptions options;
    options.mode = rag::SearchMode::Bm25;
    auto hits = retriever.search("volcanic eruption lava", options);  // porter: erupted ~ eruption
    ASSERT_TRUE(hits.has_value()) << hits.error();
    ASSERT_GE(hits->size(), 2u);
    EXPECT_NE((*hits)[0].path, "/a/cooking.txt");
    for (const auto& h : *hits) EXPECT_EQ(h.path.find("cooking"), std::string::npos);
    bool pages = false;  // both short pages share one chunk: pages 1-2
    for (const auto& h : *hits)
        if (h.path == "/a/volcano.txt" && h.text.find("1980") != std::string::npos)
            pages = h.pageFrom == 1 && h.pageTo == 2;
    EXPECT_TRUE(pages);
    options.collection = "food";
    hits = retriever.search("lava pasta", options);
    ASSERT_TRUE(hits.has_value());
    ASSERT_EQ(hits->size(), 1u);
    EXPECT_EQ((*hits)[0].path, "/a/cooking.txt");
    // FTS syntax in a query is only text.
    hits = retriever.search("\"lava\" AND NOT (* NEAR:", options);
    ASSERT_TRUE(hits.has_value()) << hits.error();
    options.mode = rag::SearchMode::Dense;
    EXPECT_FALSE(retriever.search("lava", options).has_value()) << "dense without an embedder is an error";
}
