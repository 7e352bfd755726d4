// Jinja2 as the oracle: every template and context below is rendered by Debian's
// python3-jinja2 (jinja_oracle.py, set up as transformers' apply_chat_template sets
// it up) and by our interpreter through renderChat(), and the outputs must match
// byte for byte. When Jinja2 raises, we must fail too; when the template itself
// calls raise_exception, with the same message.
//
//   FocusedCases:   oracle_cases.txt, small templates for one feature each
//   Corpus:         corpus/*.jinja (sources.json names each one's origin) x oracle_contexts/*.json
//   SharedCorpus:   ../shared/conformance/chat_templates, each with its own cases and our contexts
//
// Needs /usr/bin/python3 with jinja2 (scripts/install-deps.sh installs
// python3-jinja2): skipped without it, failed without it when CI=true.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "chat_template/chat_template.h"
#include "json/json.h"
#include "shared_data.h"

namespace {

namespace fs = std::filesystem;

const std::string kTestDir = std::string(ASSISTANT_SOURCE_DIR) + "/tests/inference/chat_template";
const std::string kPython = "/usr/bin/python3";  // Debian's, with python3-jinja2; not a pyenv python on PATH
const std::string kNow = "2025-07-26T14:05:09";

std::string readFile(const fs::path& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

json::Value readJson(const fs::path& path) {
    auto v = json::Value::parse(readFile(path));
    if (!v) ADD_FAILURE() << path << ": " << v.error();
    return v ? std::move(*v) : json::Value();
}

std::vector<fs::path> filesIn(const fs::path& dir, const std::string& extension) {
    std::vector<fs::path> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec))
        if (e.path().extension() == extension) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

struct Job {
    std::string name;          // "<template>__<context>", for failure messages
    size_t templateIndex = 0;  // into Batch::templates
    json::Value context;       // messages + the other variables
};

struct Batch {
    std::vector<std::string> templates;
    std::vector<Job> jobs;
    size_t addTemplate(std::string text) {
        templates.push_back(std::move(text));
        return templates.size() - 1;
    }
};

// Runs the oracle over the whole batch in one python process. nullopt (with the
// test skipped or failed) when python3-jinja2 is not there.
std::optional<json::Value> runOracle(const Batch& batch) {
    json::Value request = json::Value(json::Object{});
    request.set("now", kNow);
    json::Value templates = json::Value(json::Array{});
    for (const std::string& t : batch.templates) templates.push(t);
    request.set("templates", std::move(templates));
    json::Value jobs = json::Value(json::Array{});
    for (const Job& j : batch.jobs) {
        json::Value job = json::Value(json::Object{});
        job.set("template", static_cast<int64_t>(j.templateIndex));
        job.set("context", j.context);
        jobs.push(std::move(job));
    }
    request.set("jobs", std::move(jobs));

    const fs::path dir = fs::temp_directory_path() / ("jinja_oracle_" + std::to_string(::getpid()) + "_" +
                                                      testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir);
    std::ofstream(dir / "jobs.json", std::ios::binary) << request.dump();
    const std::string cmd = "'" + kPython + "' '" + kTestDir + "/jinja_oracle.py' '" + (dir / "jobs.json").string() +
                            "' '" + (dir / "results.json").string() + "' 2>'" + (dir / "stderr.txt").string() + "'";
    const bool havePython = fs::exists(kPython);
    const int status = havePython ? std::system(cmd.c_str()) : -1;
    const int rc = status == -1 ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    const std::string stderrText = readFile(dir / "stderr.txt");
    std::optional<json::Value> results;
    if (rc == 0) results = readJson(dir / "results.json");
    fs::remove_all(dir);
    if (!havePython || rc == 3) {
        const std::string why = !havePython ? kPython + " is missing" : stderrText;
        if (testdata::inCi()) ADD_FAILURE() << "the Jinja2 oracle is not available under CI: " << why;
        else [] { GTEST_SKIP() << "the Jinja2 oracle is not available (apt-get install python3-jinja2)"; }();
        return std::nullopt;
    }
    if (rc != 0 || !results || (*results)["results"].size() != batch.jobs.size()) {
        ADD_FAILURE() << "jinja_oracle.py failed (exit " << rc << "): " << stderrText;
        return std::nullopt;
    }
    return results;
}

// "expected ... got ..." around the first differing byte.
std::string firstDifference(const std::string& want, const std::string& got) {
    size_t i = 0;
    while (i < want.size() && i < got.size() && want[i] == got[i]) ++i;
    const size_t from = i > 60 ? i - 60 : 0;
    std::ostringstream o;
    o << "first difference at byte " << i << " (lengths " << want.size() << " vs " << got.size() << ")\n"
      << "  jinja2: " << json::quote(want.substr(from, 140)) << "\n"
      << "  ours:   " << json::quote(got.substr(from, 140));
    return o.str();
}

// Renders every job with our interpreter and compares it with the oracle's result.
// Returns the number of jobs compared.
size_t compareAll(const Batch& batch) {
    auto oracle = runOracle(batch);
    if (!oracle) return 0;
    chat_template::RenderOptions options;
    options.now = chat_template::parseIsoTime(kNow);
    size_t rendered = 0, raised = 0;
    for (size_t i = 0; i < batch.jobs.size(); ++i) {
        const Job& job = batch.jobs[i];
        const json::Value& want = (*oracle)["results"][i];
        json::Value vars = job.context;
        const json::Value messages = job.context["messages"];
        vars.mutableObject().erase(std::remove_if(vars.mutableObject().begin(), vars.mutableObject().end(),
                                                  [](const auto& m) { return m.first == "messages"; }),
                                   vars.mutableObject().end());
        auto got = chat_template::renderChat(batch.templates[job.templateIndex], messages, vars, options);
        if (want["ok"].asBool()) {
            ++rendered;
            if (!got) {
                ADD_FAILURE() << job.name << ": Jinja2 renders, we fail: " << got.error().describe();
                continue;
            }
            const std::string& text = want["text"].asString();
            if (*got != text) ADD_FAILURE() << job.name << ": " << firstDifference(text, *got);
            continue;
        }
        const std::string kind = want["kind"].asString();
        const std::string& message = want["message"].asString();
        if (got) {
            ADD_FAILURE() << job.name << ": Jinja2 fails (" << kind << ": " << message << "), we render:\n"
                          << got->substr(0, 300);
            continue;
        }
        // A template Jinja2 cannot compile must not parse here either (the caller falls
        // back to a built-in format), and one that compiles must parse.
        if (kind == "syntax")
            EXPECT_EQ(got.error().kind, chat_template::TemplateError::Kind::Syntax)
                << job.name << ": Jinja2 rejects the template (" << message << "), we fail at run time: "
                << got.error().describe();
        else
            EXPECT_NE(got.error().kind, chat_template::TemplateError::Kind::Syntax)
                << job.name << ": Jinja2 compiles the template (then fails: " << message
                << "), we reject it: " << got.error().describe();
        if (kind == "raised") {
            ++raised;
            EXPECT_EQ(got.error().kind, chat_template::TemplateError::Kind::Raised)
                << job.name << ": Jinja2 raised '" << message << "', we failed with " << got.error().describe();
            EXPECT_EQ(got.error().message, message) << job.name;
        }
    }
    std::printf("[ oracle   ] %zu jobs over %zu templates: %zu rendered, %zu raised, %zu other errors\n",
                batch.jobs.size(), batch.templates.size(), rendered, raised, batch.jobs.size() - rendered - raised);
    return batch.jobs.size();
}

// The contexts every corpus template is rendered with: oracle_contexts/*.json.
std::vector<std::pair<std::string, json::Value>> contexts() {
    std::vector<std::pair<std::string, json::Value>> out;
    for (const fs::path& p : filesIn(kTestDir + "/oracle_contexts", ".json")) out.emplace_back(p.stem().string(), readJson(p));
    return out;
}

json::Value merged(json::Value base, const json::Value& extra) {
    if (extra.isObject())
        for (const auto& [k, v] : extra.asObject()) base.set(k, v);
    return base;
}

// oracle_cases.txt: "=== name" starts a case; an optional "--- vars: {json}" line
// after it adds variables; the lines up to the next "===" are the template.
struct FocusedCase {
    std::string name, text;
    json::Value vars;
};

std::vector<FocusedCase> focusedCases() {
    std::vector<FocusedCase> out;
    std::istringstream in(readFile(kTestDir + "/oracle_cases.txt"));
    std::string line;
    while (std::getline(in, line)) {
        if (line.starts_with("=== ")) {
            out.push_back({line.substr(4), "", json::Value(json::Object{})});
        } else if (!out.empty() && out.back().text.empty() && line.starts_with("--- vars: ")) {
            auto v = json::Value::parse(line.substr(10));
            if (!v) ADD_FAILURE() << out.back().name << ": bad vars: " << v.error();
            else out.back().vars = merged(std::move(out.back().vars), *v);
        } else if (!out.empty()) {
            out.back().text += (out.back().text.empty() ? "" : "\n") + line;
        }
    }
    return out;
}

TEST(JinjaOracle, FocusedCases) {
    const json::Value base = readJson(kTestDir + "/oracle_contexts/tool_calls.json");
    Batch batch;
    for (FocusedCase& c : focusedCases())
        batch.jobs.push_back({c.name, batch.addTemplate(std::move(c.text)), merged(base, c.vars)});
    ASSERT_GE(batch.jobs.size(), 80u);
    compareAll(batch);
}

TEST(JinjaOracle, Corpus) {
    const json::Value sources = readJson(kTestDir + "/corpus/sources.json");
    const auto ctxs = contexts();
    ASSERT_GE(ctxs.size(), 5u);
    Batch batch;
    for (const fs::path& p : filesIn(kTestDir + "/corpus", ".jinja")) {
        const std::string name = p.stem().string();
        EXPECT_TRUE(sources.find(name) && sources[name].find("repo") && sources[name].find("path"))
            << name << " has no source (repo and path) in corpus/sources.json";
        const size_t t = batch.addTemplate(readFile(p));
        for (const auto& [ctxName, ctx] : ctxs) batch.jobs.push_back({name + "__" + ctxName, t, ctx});
    }
    ASSERT_GE(batch.templates.size(), 15u);
    compareAll(batch);
}

TEST(JinjaOracle, SharedCorpus) {
    const std::string dir = testdata::sharedPath("conformance/chat_templates");
    REQUIRE_SHARED(dir + "/cases");
    const auto ctxs = contexts();
    Batch batch;
    for (const fs::path& caseFile : filesIn(dir + "/cases", ".json")) {
        const json::Value doc = readJson(caseFile);
        const std::string name = caseFile.stem().string();
        const size_t t = batch.addTemplate(readFile(dir + "/" + doc["template_file"].asString()));
        for (const json::Value& c : doc["cases"].asArray()) {
            json::Value ctx = merged(json::Value(json::Object{}), c["variables"]);
            ctx.set("messages", c["messages"]);
            batch.jobs.push_back({name + "__" + c["name"].asString(), t, std::move(ctx)});
        }
        for (const auto& [ctxName, ctx] : ctxs) batch.jobs.push_back({name + "__" + ctxName, t, ctx});
    }
    ASSERT_GE(batch.templates.size(), 24u);
    compareAll(batch);
}

// The comparison can fail: a template whose output differs between Jinja2's
// and a deliberately wrong expectation is reported.
TEST(JinjaOracle, DetectsADifference) {
    Batch batch;
    batch.jobs.push_back({"division", batch.addTemplate("{{ 7 / 2 }}|{{ 7 // 2 }}|{{ [1, 'a'] }}"),
                          json::Value(json::Object{{"messages", json::Value(json::Array{})}})});
    auto oracle = runOracle(batch);
    if (!oracle) return;
    EXPECT_EQ((*oracle)["results"][0]["text"].asString(), "3.5|3|[1, 'a']");
}

}  // namespace
