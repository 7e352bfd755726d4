// `assistant-cli template` as a user runs it: the exact bytes of a conformance case
// on stdout, exit status 3 with the message on stderr when the template raises.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "json/json.h"
#include "shared_data.h"

namespace {

struct CliRun {
    int status = -1;
    std::string out, err;
};

std::string readFile(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

void writeFile(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

std::string tempDir() {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("cli_template_test_" + std::to_string(::getpid()) + "_" +
                      testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir);
    return dir.string();
}

CliRun runCli(const std::string& dir, const std::string& args) {
    const std::string errPath = dir + "/stderr.txt";
    const std::string command = std::string("'") + ASSISTANT_CLI_PATH + "' template " + args + " 2>'" + errPath + "'";
    CliRun r;
    FILE* p = ::popen(command.c_str(), "r");
    if (!p) return r;
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) r.out.append(buf, n);
    const int status = ::pclose(p);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.err = readFile(errPath);
    return r;
}

// Writes the messages and variables of one case; returns the CLI arguments.
std::string caseArgs(const std::string& dir, const json::Value& c, const std::string& templatePath) {
    writeFile(dir + "/messages.json", c["messages"].dump(2));
    writeFile(dir + "/vars.json", c["variables"].dump(2));
    return "--template-file '" + templatePath + "' --messages '" + dir + "/messages.json' --vars '" + dir +
           "/vars.json' --now 2025-07-26T14:05:09";
}

TEST(CliTemplate, RendersAConformanceCaseByteForByte) {
    const std::string casePath = testdata::sharedPath("conformance/chat_templates/cases/Qwen-Qwen3-0.6B.json");
    REQUIRE_SHARED(casePath);
    auto doc = json::Value::parse(readFile(casePath));
    ASSERT_TRUE(doc.has_value()) << doc.error();
    const json::Value& c = (*doc)["cases"][2];  // tool_call: tools, tool_calls, tojson
    ASSERT_EQ(c["name"].asString(), "tool_call");
    const std::string dir = tempDir();
    CliRun r = runCli(dir, caseArgs(dir, c, testdata::sharedPath("conformance/chat_templates/Qwen-Qwen3-0.6B.jinja")));
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, c["expected"].asString());
    std::filesystem::remove_all(dir);
}

TEST(CliTemplate, RaiseExceptionExitsWithStatus3) {
    const std::string casePath = testdata::sharedPath("conformance/chat_templates/cases/google-gemma-2-2b-it.json");
    REQUIRE_SHARED(casePath);
    auto doc = json::Value::parse(readFile(casePath));
    ASSERT_TRUE(doc.has_value()) << doc.error();
    const json::Value& c = (*doc)["cases"][0];
    ASSERT_TRUE(c.find("expected_error"));
    const std::string dir = tempDir();
    CliRun r = runCli(dir, caseArgs(dir, c, testdata::sharedPath("conformance/chat_templates/google-gemma-2-2b-it.jinja")));
    EXPECT_EQ(r.status, 3);
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find(c["expected_error"].asString()), std::string::npos) << r.err;
    std::filesystem::remove_all(dir);
}

// Our own template (no shared data): strftime_now on the fixed clock, no newline added,
// and a syntax error reported with its line and column.
TEST(CliTemplate, OwnTemplateFileClockAndSyntaxError) {
    const std::string dir = tempDir();
    writeFile(dir + "/t.jinja", "{% for m in messages %}[{{ m.role }}]{{ m.content | trim }}\n{% endfor %}"
                                "{{ strftime_now('%d %B %Y') }}\n");
    writeFile(dir + "/m.json", R"([{"role": "user", "content": "  hi  "}])");
    CliRun r = runCli(dir, "--template-file '" + dir + "/t.jinja' --messages '" + dir + "/m.json' --now 2025-07-26T14:05:09");
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "[user]hi\n26 July 2025");

    writeFile(dir + "/bad.jinja", "ok\n{% if messages %}\n  {{ messages | frobnicate( }}\n{% endif %}");
    r = runCli(dir, "--template-file '" + dir + "/bad.jinja' --messages '" + dir + "/m.json'");
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("line 3, column"), std::string::npos) << r.err;

    r = runCli(dir, "--messages '" + dir + "/m.json'");  // neither -m nor --template-file
    EXPECT_EQ(r.status, 2);
    std::filesystem::remove_all(dir);
}

}  // namespace
