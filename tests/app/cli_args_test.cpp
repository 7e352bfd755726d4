#include <gtest/gtest.h>

#include "args.h"

TEST(CliArgs, OptionsFlagsAndPositionals) {
    cli::Args a({"-m", "model.gguf", "--ids", "-n=60", "--temp", "0.5", "hello", "world"});
    EXPECT_EQ(a.value("-m", "--model"), "model.gguf");
    EXPECT_TRUE(a.flag("--ids"));
    EXPECT_FALSE(a.flag("--no-bos"));
    EXPECT_EQ(a.integer("-n"), 60);
    EXPECT_DOUBLE_EQ(*a.number("--temp"), 0.5);
    EXPECT_EQ(a.positional(), (std::vector<std::string>{"hello", "world"}));
    EXPECT_EQ(a.error(), "");
}

TEST(CliArgs, ErrorsAreReported) {
    cli::Args missing({"-m"});
    EXPECT_FALSE(missing.value("-m").has_value());
    EXPECT_NE(missing.error().find("-m"), std::string::npos);

    cli::Args bad({"-n", "sixty"});
    EXPECT_FALSE(bad.integer("-n").has_value());
    EXPECT_NE(bad.error().find("sixty"), std::string::npos);

    cli::Args unknown({"--frobnicate", "x"});
    unknown.positional();
    EXPECT_NE(unknown.error().find("--frobnicate"), std::string::npos);
}
