#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rag/chunker.h"

namespace {

std::string sentence(int i) {
    return "Sentence number " + std::to_string(i) + " talks about topic " + std::to_string(i % 7) +
           " with a few extra words to give it some length.";
}

std::vector<std::string> makePages(int pages, int paragraphsPerPage, int sentencesPerParagraph) {
    std::vector<std::string> out;
    int n = 0;
    for (int p = 0; p < pages; ++p) {
        std::string page;
        for (int q = 0; q < paragraphsPerPage; ++q) {
            if (q) page += "\n\n";
            for (int s = 0; s < sentencesPerParagraph; ++s) page += (s ? " " : "") + sentence(n++);
        }
        out.push_back(page);
    }
    return out;
}

}  // namespace

TEST(RagChunker, ChunksFitTheTargetAndPointIntoTheDocumentText) {
    const auto pages = makePages(6, 3, 5);
    const std::string text = rag::documentText(pages);
    rag::ChunkerOptions options;
    const auto chunks = rag::chunkDocument(pages, options);
    ASSERT_GT(chunks.size(), 5u);
    for (size_t i = 0; i < chunks.size(); ++i) {
        const rag::Chunk& c = chunks[i];
        EXPECT_EQ(c.ordinal, static_cast<int>(i));
        EXPECT_LE(c.text.size(), static_cast<size_t>(options.targetChars));
        EXPECT_GE(c.text.size(), static_cast<size_t>(options.targetChars / 4)) << i;
        EXPECT_EQ(text.substr(static_cast<size_t>(c.charStart), static_cast<size_t>(c.charEnd - c.charStart)), c.text);
        EXPECT_LE(c.pageFrom, c.pageTo);
        EXPECT_GE(c.pageFrom, 1);
        EXPECT_LE(c.pageTo, 6);
    }
    EXPECT_EQ(chunks.front().charStart, 0);
    EXPECT_EQ(static_cast<size_t>(chunks.back().charEnd), text.size());
}

TEST(RagChunker, ConsecutiveChunksOverlapByAboutFifteenPercent) {
    const auto pages = makePages(4, 4, 6);
    const auto chunks = rag::chunkDocument(pages);
    ASSERT_GT(chunks.size(), 3u);
    int overlapping = 0;
    for (size_t i = 1; i < chunks.size(); ++i) {
        const int64_t overlap = chunks[i - 1].charEnd - chunks[i].charStart;
        EXPECT_GE(chunks[i].charStart, chunks[i - 1].charStart);
        EXPECT_LE(overlap, 250) << i;  // 1.5 x 150 plus slack
        if (overlap >= 50) ++overlapping;
    }
    EXPECT_GE(overlapping * 2, static_cast<int>(chunks.size() - 1));
}

TEST(RagChunker, EndsAtParagraphThenSentenceBoundaries) {
    // Paragraphs of ~600 bytes: two do not fit 1000, so every chunk should end at a
    // paragraph end rather than mid-paragraph.
    const auto pages = makePages(1, 8, 6);
    const auto chunks = rag::chunkDocument(pages);
    for (const auto& c : chunks) {
        const char last = c.text.back();
        EXPECT_EQ(last, '.') << c.text.substr(c.text.size() > 40 ? c.text.size() - 40 : 0);
    }
}

TEST(RagChunker, PageSpansFollowPageBreaks) {
    std::vector<std::string> pages = {std::string(300, 'a'), "Short second page.", std::string(900, 'b')};
    for (auto& p : pages)
        if (p[0] != 'S') p = [&] { std::string s; for (size_t i = 0; i < p.size() / 10; ++i) s += p.substr(0, 9) + " "; return s; }();
    const auto chunks = rag::chunkDocument(pages, {500, 50});
    ASSERT_FALSE(chunks.empty());
    EXPECT_EQ(chunks.front().pageFrom, 1);
    EXPECT_EQ(chunks.back().pageTo, 3);
    bool sawPage2 = false;
    for (const auto& c : chunks)
        if (c.text.find("Short second page.") != std::string::npos) {
            sawPage2 = true;
            EXPECT_LE(c.pageFrom, 2);
            EXPECT_GE(c.pageTo, 2);
        }
    EXPECT_TRUE(sawPage2);
}

TEST(RagChunker, CutsOverlongWordsOnCharacterBoundaries) {
    std::string word;
    for (int i = 0; i < 400; ++i) word += "\xC3\xA9";  // 'é' x 400 = 800 bytes, no spaces
    const auto chunks = rag::chunkDocument({word}, {300, 30});
    ASSERT_GE(chunks.size(), 3u);
    std::string joined;
    for (const auto& c : chunks) {
        EXPECT_LE(c.text.size(), 300u);
        EXPECT_EQ(c.text.size() % 2, 0u) << "split inside a UTF-8 sequence";
    }
}

TEST(RagChunker, EmptyAndBlankDocumentsGiveNoChunks) {
    EXPECT_TRUE(rag::chunkDocument({}).empty());
    EXPECT_TRUE(rag::chunkDocument({"", "   \n\n  "}).empty());
    const auto one = rag::chunkDocument({"Just one line."});
    ASSERT_EQ(one.size(), 1u);
    EXPECT_EQ(one[0].text, "Just one line.");
}

// CJK text has no spaces: chunks end at 。！？； (after NFKC: 。 ! ? ;), never inside a
// character, and still overlap.
TEST(RagChunker, CjkTextEndsAtCjkSentencePunctuation) {
    const std::string sentences[] = {"西湖是杭州最著名的景点之一。", "春天的时候，苏堤上的柳树发芽了!",
                                     "你去过三潭印月吗?", "龙井茶产自附近的山上;", "每年清明以前采摘的茶最贵。"};
    std::string page;
    for (int i = 0; i < 40; ++i) page += sentences[i % 5];
    rag::ChunkerOptions options;
    options.targetChars = 200;
    options.overlapChars = 30;
    const auto chunks = rag::chunkDocument({page}, options);
    ASSERT_GT(chunks.size(), 5u);
    const std::string ends[] = {"。", "!", "?", ";"};
    for (size_t k = 0; k + 1 < chunks.size(); ++k) {
        const std::string& t = chunks[k].text;
        EXPECT_LE(t.size(), 200u);
        bool endsAtSentence = false;
        for (const std::string& e : ends) endsAtSentence |= t.size() >= e.size() && t.compare(t.size() - e.size(), e.size(), e) == 0;
        EXPECT_TRUE(endsAtSentence) << "chunk " << k << ": " << t;
        // Starts on a character boundary and overlaps the previous chunk.
        EXPECT_NE(static_cast<unsigned char>(t[0]) & 0xC0, 0x80) << k;
        if (k > 0) EXPECT_LT(chunks[k].charStart, chunks[k - 1].charEnd) << k;
    }
}

TEST(RagChunker, LongCjkSentenceIsCutAfterACommaOrACharacter) {
    std::string page;
    for (int i = 0; i < 30; ++i) page += "这是一个没有句号的很长的句子，";
    rag::ChunkerOptions options;
    options.targetChars = 100;
    options.overlapChars = 0;
    const auto chunks = rag::chunkDocument({page}, options);
    ASSERT_GT(chunks.size(), 3u);
    for (const auto& c : chunks) {
        EXPECT_LE(c.text.size(), 100u);
        EXPECT_NE(static_cast<unsigned char>(c.text[0]) & 0xC0, 0x80);
    }
    const std::string& first = chunks[0].text;
    EXPECT_EQ(first.substr(first.size() - 3), "，") << first;
}
