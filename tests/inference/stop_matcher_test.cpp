#include <gtest/gtest.h>

#include "engine/stop_matcher.h"

namespace {

struct Case {
    std::vector<std::string> stops;
    std::vector<std::string> pieces;
    std::string emitted;  // everything returned by push() and flush()
    bool stopped;
};

TEST(StopMatcher, Table) {
    const Case cases[] = {
        {{}, {"a", "b"}, "ab", false},
        {{"END"}, {"hello ", "EN", "D more"}, "hello ", true},
        {{"END"}, {"hello ", "EN", "d"}, "hello ENd", false},      // a held-back prefix is released
        {{"END"}, {"xEND"}, "x", true},
        {{"\n\n", "User:"}, {"Hi", "\n", "Us", "er:"}, "Hi\n", true},
        {{"abc"}, {"ab", "ab", "c"}, "ab", true},                   // overlapping restart
        {{"abc"}, {"a"}, "a", false},                               // flushed at the end
    };
    for (const Case& c : cases) {
        assistant::StopMatcher m(c.stops);
        std::string out;
        for (const std::string& p : c.pieces) out += m.push(p);
        out += m.flush();
        EXPECT_EQ(out, c.emitted) << c.pieces.size();
        EXPECT_EQ(m.stopped(), c.stopped);
    }
}

}  // namespace
