// Constrained output through the engine API on the embedded demo model (a story
// model that never writes JSON by itself): grammars hold greedy and seeded sampling,
// bad grammars fail cleanly, speculative drafting does not change the output.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "assistant/engine.h"
#include "grammar/grammar_matcher.h"
#include "json/json.h"
#include "json_schema_check.h"

namespace {

const std::string kDemo = std::string(ASSISTANT_SOURCE_DIR) + "/resources/models/stories260K.gguf";

std::shared_ptr<const assistant::Model> demoModel() {
    static auto model = assistant::Model::load(kDemo);
    EXPECT_TRUE(model.has_value()) << model.error().message;
    return model ? *model : nullptr;
}

assistant::Result<assistant::GenerateResult> run(const std::string& prompt, const assistant::GenerateParams& p) {
    auto s = assistant::Session::create(demoModel());
    if (!s) return std::unexpected(s.error());
    return (*s)->generate(std::string_view(prompt), p, nullptr);
}

assistant::GenerateParams params(const std::string& grammar, float temperature, uint64_t seed = 42, int maxTokens = 200) {
    assistant::GenerateParams p;
    p.grammar = grammar;
    p.sampling.temperature = temperature;
    p.sampling.seed = seed;
    p.maxTokens = maxTokens;
    return p;
}

bool matchesGrammar(const std::string& grammarText, const std::string& text) {
    auto g = grammar::parseGbnf(grammarText);
    if (!g) return false;
    grammar::GrammarMatcher m(std::make_shared<const grammar::Grammar>(std::move(*g)));
    return m.complete(m.advance(m.start(), text));
}

// A small JSON object grammar: short keys, numbers, strings, booleans.
const char* kObject = R"GBNF(
root   ::= "{" ws pair ("," ws pair){0,3} "}"
pair   ::= "\"" [a-z]{1,8} "\"" ws ":" ws value ws
value  ::= "\"" [a-zA-Z ]{0,20} "\"" | "-"? [1-9] [0-9]{0,5} | "true" | "false"
ws     ::= " "?
)GBNF";

TEST(Constrained, BadGrammarIsAnErrorNotACrash) {
    auto r = run("Once", params("root ::= \"a\" | bogus", 0.0f));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, assistant::ErrorCode::InvalidArgument);
    EXPECT_NE(r.error().message.find("grammar: line 1, column 16: undefined rule 'bogus'"), std::string::npos)
        << r.error().message;
}

TEST(Constrained, ChoiceEndsTheTextWhenComplete) {
    const std::string g = R"(root ::= "yes" | "no" | "maybe so")";
    for (float t : {0.0f, 1.0f}) {
        auto r = run("Lily asked her mom", params(g, t));
        ASSERT_TRUE(r.has_value()) << r.error().message;
        EXPECT_TRUE(r->text == "yes" || r->text == "no" || r->text == "maybe so") << r->text;
        EXPECT_EQ(r->stopReason, assistant::StopReason::EndOfText);
    }
}

TEST(Constrained, UnconstrainedDemoOutputIsNotJson) {
    // The check below can fail: without the grammar the model tells a story.
    auto r = run("Once upon a time", params("", 0.0f, 42, 40));
    ASSERT_TRUE(r.has_value());
    EXPECT_FALSE(matchesGrammar(kObject, r->text)) << r->text;
    EXPECT_FALSE(json::Value::parse(r->text).has_value());
}

TEST(Constrained, GreedyAndSeededOutputFollowTheGrammar) {
    for (float t : {0.0f, 0.8f, 1.5f}) {
        for (uint64_t seed : {1ull, 2ull, 3ull}) {
            auto r = run("Once upon a time", params(kObject, t, seed));
            ASSERT_TRUE(r.has_value()) << r.error().message;
            EXPECT_EQ(r->stopReason, assistant::StopReason::EndOfText) << r->text;
            EXPECT_TRUE(matchesGrammar(kObject, r->text)) << "T=" << t << " seed " << seed << ": " << r->text;
            auto parsed = json::Value::parse(r->text);
            ASSERT_TRUE(parsed.has_value()) << r->text;
            EXPECT_TRUE(parsed->isObject());
            if (t == 0.0f) break;  // greedy ignores the seed
        }
    }
}

TEST(Constrained, SameSeedSameConstrainedOutput) {
    auto a = run("Tom", params(kObject, 1.0f, 77));
    auto b = run("Tom", params(kObject, 1.0f, 77));
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->tokens, b->tokens);
}

TEST(Constrained, SpeculativeDraftingKeepsTheOutput) {
    // A prompt full of the JSON the grammar wants gives prompt lookup something to guess.
    const std::string prompt = R"({"name": "tom", "age": 12} {"name": "lily", "age": 7} {"name": )";
    for (float t : {0.0f, 0.9f}) {
        assistant::GenerateParams plain = params(kObject, t, 5);
        assistant::GenerateParams drafted = plain;
        drafted.speculative.draft = assistant::SpeculativeParams::Draft::PromptLookup;
        auto a = run(prompt, plain);
        auto b = run(prompt, drafted);
        ASSERT_TRUE(a && b);
        EXPECT_EQ(a->tokens, b->tokens) << a->text << " vs " << b->text;
        EXPECT_TRUE(matchesGrammar(kObject, b->text)) << b->text;
    }
}

TEST(Constrained, JsonSchemaAnswersValidate) {
    const char* schemaText = R"({"type": "object", "additionalProperties": false,
        "required": ["title", "year", "tags", "rating"],
        "properties": {"title": {"type": "string", "minLength": 3, "maxLength": 24},
                       "year": {"type": "integer", "minimum": 1990, "maximum": 2030},
                       "tags": {"type": "array", "items": {"enum": ["fun", "sad", "long"]}, "minItems": 1, "maxItems": 3},
                       "rating": {"type": "number", "minimum": 0},
                       "draft": {"type": "boolean"},
                       "when": {"type": "string", "format": "date"}}})";
    auto schema = json::Value::parse(schemaText);
    ASSERT_TRUE(schema.has_value());
    auto gbnf = assistant::jsonSchemaToGrammar(schemaText);
    ASSERT_TRUE(gbnf.has_value()) << gbnf.error().message;
    const assistant::Message messages[] = {{"user", "Describe a story as JSON."}};
    for (float t : {0.0f, 0.7f, 1.3f}) {
        for (uint64_t seed : {4ull, 5ull, 6ull}) {
            auto session = assistant::Session::create(demoModel());
            ASSERT_TRUE(session.has_value());
            auto r = (*session)->generate(std::span<const assistant::Message>(messages), params(*gbnf, t, seed, 300), nullptr);
            ASSERT_TRUE(r.has_value()) << r.error().message;
            EXPECT_EQ(r->stopReason, assistant::StopReason::EndOfText) << r->text;
            auto value = json::Value::parse(r->text);
            ASSERT_TRUE(value.has_value()) << r->text;
            EXPECT_EQ(testing_json::checkSchema(*value, *schema, *schema), "") << r->text;
            if (t == 0.0f) break;
        }
    }
}

TEST(Constrained, MaxTokensCanCutTheTextShort) {
    auto r = run("Once", params(kObject, 0.0f, 1, 3));
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->stopReason, assistant::StopReason::MaxTokens);
    EXPECT_TRUE(r->text.starts_with("{")) << r->text;
}

}  // namespace
