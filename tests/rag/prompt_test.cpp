#include <gtest/gtest.h>

#include "rag/prompt.h"

namespace {

std::vector<rag::SearchHit> hits(int n, size_t textBytes) {
    std::vector<rag::SearchHit> out;
    for (int i = 0; i < n; ++i) {
        rag::SearchHit h;
        h.chunkId = 100 + i;
        h.path = "/docs/report-" + std::to_string(i) + ".pdf";
        h.pageFrom = i + 1;
        h.pageTo = i % 2 ? i + 2 : i + 1;
        h.text = std::string(textBytes, 'x');
        out.push_back(h);
    }
    return out;
}

}  // namespace

TEST(RagPrompt, LabelsSourcesWithFileAndPageAndAsksForCitations) {
    const auto prompt = rag::assemblePrompt("What is it?", hits(3, 40));
    ASSERT_EQ(prompt.messages.size(), 2u);
    EXPECT_EQ(prompt.messages[0].role, "system");
    EXPECT_EQ(prompt.messages[1].content, "What is it?");
    const std::string& sys = prompt.messages[0].content;
    EXPECT_NE(sys.find("[1] (report-0.pdf, p. 1)"), std::string::npos) << sys;
    EXPECT_NE(sys.find("[2] (report-1.pdf, pp. 2-3)"), std::string::npos) << sys;
    EXPECT_NE(sys.find("cite"), std::string::npos);
    ASSERT_EQ(prompt.sources.size(), 3u);
    EXPECT_EQ(prompt.sources[2].n, 3);
    EXPECT_EQ(prompt.sources[2].chunkId, 102);
}

TEST(RagPrompt, TakesAtMostEightAndStaysWithinTheBudget) {
    rag::PromptOptions options;
    options.contextTokens = 100000;
    EXPECT_EQ(rag::assemblePrompt("q", hits(20, 400), options).sources.size(), 8u);
    // 2048-token context, 512 for the answer, chunks of ~250 tokens: 5 fit fully.
    options.contextTokens = 2048;
    const auto p = rag::assemblePrompt("q", hits(20, 1000), options);
    EXPECT_GE(p.sources.size(), 5u);
    int tokens = 0;
    for (const auto& m : p.messages) tokens += rag::estimateTokens(m.content);
    EXPECT_LE(tokens, options.contextTokens - options.answerTokens);
}

TEST(RagPrompt, EstimatesCjkTextAtATokenPerCharacter) {
    EXPECT_EQ(rag::estimateTokens(""), 0);
    EXPECT_EQ(rag::estimateTokens("abcdefgh"), 2);               // 4 ASCII bytes a token
    EXPECT_EQ(rag::estimateTokens("西湖在杭州"), 5);              // 15 bytes, 5 characters
    EXPECT_EQ(rag::estimateTokens("Mieterhöhung"), 3 + 1);        // 11 ASCII, one ö
    EXPECT_EQ(rag::estimateTokens("東京 Tokyo"), 2 + 2);
    // A Chinese source in the prompt is budgeted at its characters, not bytes / 4.
    std::string chinese;
    for (int i = 0; i < 300; ++i) chinese += "文";
    EXPECT_EQ(rag::estimateTokens(chinese), 300);
}

TEST(RagPrompt, TruncatesTheLastChunkToReachFiveSources) {
    rag::PromptOptions options;
    options.contextTokens = 1400;
    options.answerTokens = 200;
    const auto p = rag::assemblePrompt("q", hits(10, 1000), options);  // ~250 tokens each
    ASSERT_EQ(p.sources.size(), 5u);
    EXPECT_LT(p.sources.back().excerpt.size(), 1000u);
    EXPECT_EQ(p.sources.back().excerpt.substr(p.sources.back().excerpt.size() - 4), " ...");
}

TEST(RagPrompt, CitationNumbersUnderstandListsAndRanges) {
    EXPECT_EQ(rag::citationNumbers("A [2]. B [1, 3]. C [2][4]. D [5-7]. E [x] [12a] [ ]"),
              (std::vector<int>{2, 1, 3, 4, 5, 6, 7}));
    EXPECT_TRUE(rag::citationNumbers("no citations [here]").empty());
    EXPECT_TRUE(rag::citationNumbers("unclosed [1").empty());
    // Answers in Chinese or Japanese: full-width brackets, commas and digits.
    EXPECT_EQ(rag::citationNumbers("西湖在杭州【2】。龙井茶最贵［1，3］。还有［４］和[5、6]。"),
              (std::vector<int>{2, 1, 3, 4, 5, 6}));
}

TEST(RagPrompt, ChineseSourcesAreCutOnCharacterBoundaries) {
    std::vector<rag::SearchHit> hits;
    for (int i = 0; i < 10; ++i) {
        std::string text;
        for (int k = 0; k < 250; ++k) text += std::string("西湖龙井").substr(static_cast<size_t>(k % 4) * 3, 3);
        hits.push_back({i + 1, i + 1, "/d/" + std::to_string(i) + ".md", 1, 1, 1.0f, text});
    }
    rag::PromptOptions options;
    options.contextTokens = 1400;  // 250 characters = 250 tokens each: the fifth is cut
    options.answerTokens = 200;
    const auto p = rag::assemblePrompt("西湖在哪里？", hits, options);
    ASSERT_EQ(p.sources.size(), 5u);
    for (const auto& s : p.sources) {
        const std::string body = s.excerpt.size() >= 4 && s.excerpt.substr(s.excerpt.size() - 4) == " ..."
                                     ? s.excerpt.substr(0, s.excerpt.size() - 4) : s.excerpt;
        EXPECT_EQ(body.size() % 3, 0u) << s.n;  // whole characters only
    }
    EXPECT_LT(p.sources.back().excerpt.size(), hits[4].text.size());
}

TEST(RagPrompt, CitedSourcesMapBackToFilePageAndExcerpt) {
    const auto prompt = rag::assemblePrompt("q", hits(4, 30));
    const auto cited = rag::citedSources("First [3], then [1] and an unknown [9].", prompt.sources);
    ASSERT_EQ(cited.size(), 2u);
    EXPECT_EQ(cited[0].n, 3);
    EXPECT_EQ(cited[0].path, "/docs/report-2.pdf");
    EXPECT_EQ(cited[0].pageFrom, 3);
    EXPECT_EQ(cited[0].excerpt, std::string(30, 'x'));
    EXPECT_EQ(cited[1].n, 1);
    EXPECT_EQ(rag::sourceLabel(cited[1]), "report-0.pdf, p. 1");
}
