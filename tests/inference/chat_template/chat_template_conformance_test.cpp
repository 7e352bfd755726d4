// Every template in ../shared/conformance/chat_templates renders each of its cases
// (cases/<name>.json) exactly, through renderChat(): the path `assistant-cli
// template` takes. One test per case: ChatTemplateConformance/Case.Renders/<template>__<case>.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "chat_template/chat_template.h"
#include "json/json.h"
#include "shared_data.h"

namespace {

const std::string kDir = "conformance/chat_templates";

std::string readFile(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

constexpr size_t kNoCase = static_cast<size_t>(-1);  // CaseRef::index of a case file that cannot be read

struct CaseRef {
    std::string caseFile;  // cases/<template>.json
    size_t index = 0;      // into its "cases"
    std::string name;      // test name
};

std::vector<CaseRef> listCases() {
    std::vector<CaseRef> out;
    const std::string dir = testdata::sharedPath(kDir + "/cases");
    std::error_code ec;
    std::vector<std::string> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
        if (entry.path().extension() == ".json") files.push_back(entry.path().string());
    std::sort(files.begin(), files.end());
    for (const std::string& file : files) {
        // A case file that does not parse, or has no "cases" array, becomes a case of its
        // own that fails (Renders reports why) instead of vanishing from the suite.
        auto doc = json::Value::parse(readFile(file));
        const std::string stem = std::filesystem::path(file).stem().string();
        if (!doc || !(*doc)["cases"].isArray() || (*doc)["cases"].size() == 0) {
            std::string name = stem + "__unreadable_case_file";
            for (char& c : name)
                if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
            out.push_back({file, kNoCase, name});
            continue;
        }
        const json::Value& cases = (*doc)["cases"];
        for (size_t i = 0; i < cases.size(); ++i) {
            if (!cases[i].find("expected") && !cases[i].find("expected_error")) continue;  // render_failed
            std::string name = stem + "__" + cases[i]["name"].asString();
            for (char& c : name)
                if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
            out.push_back({file, i, name});
        }
    }
    if (out.empty()) out.push_back({"", 0, "missing_shared_data"});
    return out;
}

class Case : public testing::TestWithParam<CaseRef> {};

TEST_P(Case, Renders) {
    const CaseRef& ref = GetParam();
    REQUIRE_SHARED(testdata::sharedPath(kDir + "/cases"));
    ASSERT_FALSE(ref.caseFile.empty()) << "no cases found under " << testdata::sharedPath(kDir + "/cases");
    auto doc = json::Value::parse(readFile(ref.caseFile));
    ASSERT_TRUE(doc.has_value()) << ref.caseFile << ": " << doc.error();
    ASSERT_NE(ref.index, kNoCase) << ref.caseFile << ": no \"cases\" array, or an empty one";
    const std::string templatePath = testdata::sharedPath(kDir + "/" + (*doc)["template_file"].asString());
    const json::Value& c = (*doc)["cases"][ref.index];

    chat_template::RenderOptions options;
    options.now = chat_template::parseIsoTime((*doc)["strftime_now_fixed_clock"].asString());
    ASSERT_TRUE(options.now.has_value());
    auto out = chat_template::renderChat(readFile(templatePath), c["messages"], c["variables"], options);

    if (const json::Value* expectedError = c.find("expected_error")) {
        ASSERT_FALSE(out.has_value()) << "rendered instead of raising:\n" << *out;
        EXPECT_EQ(out.error().kind, chat_template::TemplateError::Kind::Raised) << out.error().describe();
        EXPECT_EQ(out.error().message, expectedError->asString());
        return;
    }
    ASSERT_TRUE(out.has_value()) << out.error().describe();
    EXPECT_EQ(*out, c["expected"].asString());
}

INSTANTIATE_TEST_SUITE_P(ChatTemplateConformance, Case, testing::ValuesIn(listCases()),
                         [](const testing::TestParamInfo<CaseRef>& info) { return info.param.name; });

// The summary's rendered templates all have a case file here: none silently dropped.
TEST(ChatTemplateConformanceSummary, EveryRenderedTemplateHasCases) {
    const std::string summaryPath = testdata::sharedPath(kDir + "/render_summary.json");
    REQUIRE_SHARED(summaryPath);
    auto summary = json::Value::parse(readFile(summaryPath));
    ASSERT_TRUE(summary.has_value());
    const json::Value& rendered = (*summary)["rendered"];
    EXPECT_GE(rendered.size(), 24u);
    for (const json::Value& name : rendered.asArray()) {
        EXPECT_TRUE(std::filesystem::exists(testdata::sharedPath(kDir + "/cases/" + name.asString() + ".json")))
            << name.asString();
        EXPECT_TRUE(std::filesystem::exists(testdata::sharedPath(kDir + "/" + name.asString() + ".jinja")))
            << name.asString();
    }
}

}  // namespace
