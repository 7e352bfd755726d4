// The <think> splitter: tags split anywhere across pieces, never emitted.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/reasoning_splitter.h"

namespace {

using assistant::ReasoningSplitter;
using assistant::StreamChannel;

struct Split {
    std::string content, reasoning;
    std::vector<StreamChannel> order;  // channel of each emitted piece
};

Split run(const std::vector<std::string>& pieces, bool startInReasoning = false) {
    ReasoningSplitter s(startInReasoning);
    Split out;
    auto take = [&](const std::vector<ReasoningSplitter::Piece>& ps) {
        for (const auto& p : ps) {
            EXPECT_FALSE(p.text.empty());
            (p.channel == StreamChannel::Reasoning ? out.reasoning : out.content) += p.text;
            out.order.push_back(p.channel);
        }
    };
    for (const std::string& p : pieces) take(s.push(p));
    take(s.flush());
    return out;
}

TEST(ReasoningSplitter, PlainAnswerIsContent) {
    Split s = run({"Hello", " world", "!"});
    EXPECT_EQ(s.content, "Hello world!");
    EXPECT_EQ(s.reasoning, "");
}

TEST(ReasoningSplitter, ThinkBlockGoesToReasoning) {
    Split s = run({"<think>", "Let me think.", "</think>", "\n\nParis."});
    EXPECT_EQ(s.reasoning, "Let me think.");
    EXPECT_EQ(s.content, "Paris.");
    ASSERT_EQ(s.order.size(), 2u);
    EXPECT_EQ(s.order[0], StreamChannel::Reasoning);
    EXPECT_EQ(s.order[1], StreamChannel::Content);
}

TEST(ReasoningSplitter, TagsSplitAtEveryByte) {
    const std::string text = "\n<think>\nstep 1 < step 2</think>\n\nThe answer is 4 </thi";
    for (size_t cut = 0; cut <= text.size(); ++cut) {
        for (size_t cut2 = cut; cut2 <= text.size(); cut2 += 3) {
            Split s = run({text.substr(0, cut), text.substr(cut, cut2 - cut), text.substr(cut2)});
            EXPECT_EQ(s.reasoning, "\nstep 1 < step 2") << cut << "," << cut2;
            EXPECT_EQ(s.content, "The answer is 4 </thi") << cut << "," << cut2;
        }
    }
}

TEST(ReasoningSplitter, OneByteAtATime) {
    const std::string text = "<think>a</think>b";
    std::vector<std::string> bytes;
    for (char c : text) bytes.emplace_back(1, c);
    Split s = run(bytes);
    EXPECT_EQ(s.reasoning, "a");
    EXPECT_EQ(s.content, "b");
}

TEST(ReasoningSplitter, PromptThatOpenedThinkStartsInReasoning) {
    EXPECT_TRUE(assistant::promptOpensReasoning("<|Assistant|><think>\n"));
    EXPECT_FALSE(assistant::promptOpensReasoning("<think>x</think>answer<|Assistant|>"));
    EXPECT_FALSE(assistant::promptOpensReasoning("<|im_start|>assistant\n"));
    Split s = run({"hmm, 2+2", "</th", "ink>4"}, true);
    EXPECT_EQ(s.reasoning, "hmm, 2+2");
    EXPECT_EQ(s.content, "4");
}

TEST(ReasoningSplitter, LateOpeningTagIsLiteral) {
    Split s = run({"Use the <think> tag", " like <think>this</think>."});
    EXPECT_EQ(s.content, "Use the <think> tag like <think>this</think>.");
    EXPECT_EQ(s.reasoning, "");
}

TEST(ReasoningSplitter, UnclosedThinkFlushesAsReasoning) {
    Split s = run({"<think>still thinking </thi"});
    EXPECT_EQ(s.reasoning, "still thinking </thi");
    EXPECT_EQ(s.content, "");
}

TEST(ReasoningSplitter, WhitespaceOnlyAnswerIsContent) {
    Split s = run({"  ", "\n"});
    EXPECT_EQ(s.content, "  \n");
}

}  // namespace
