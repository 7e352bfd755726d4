// JSON Schema -> GBNF: for each schema, hand-written documents the grammar must
// accept or reject, then random walks through the grammar whose every completed
// text must parse as JSON and pass the test validator (tests/common/json_schema_check.h).
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "grammar/grammar_matcher.h"
#include "grammar/json_schema.h"
#include "json_schema_check.h"

namespace {

struct SchemaCase {
    const char* name;
    const char* schema;
    std::vector<const char*> valid;
    std::vector<const char*> invalid;
};

std::shared_ptr<const grammar::Grammar> compileSchema(const json::Value& schema) {
    auto gbnf = grammar::jsonSchemaToGbnf(schema);
    EXPECT_TRUE(gbnf.has_value()) << (gbnf ? "" : gbnf.error());
    if (!gbnf) return nullptr;
    auto g = grammar::parseGbnf(*gbnf);
    EXPECT_TRUE(g.has_value()) << (g ? "" : g.error().describe()) << "\n" << *gbnf;
    if (!g) return nullptr;
    return std::make_shared<const grammar::Grammar>(std::move(*g));
}

// A random text of the grammar (closing characters favoured so walks end), or "" if
// the walk ran past `limit` characters.
std::string randomText(grammar::GrammarMatcher& m, std::mt19937& rng, size_t limit = 3000) {
    std::string text;
    grammar::MatchState s = m.start();
    while (text.size() < limit) {
        if (m.complete(s) && (!m.canContinue(s) || rng() % 4 == 0)) return text;
        std::vector<std::pair<char, int>> options;
        int total = 0;
        for (int c = 0x20; c <= 0x7E; ++c) {
            if (m.advanceByte(s, static_cast<uint8_t>(c)).dead()) continue;
            const int weight = (c == '"' || c == '}' || c == ']') ? 40 : (c == '\\' || c == ' ') ? 1 : 3;
            options.emplace_back(static_cast<char>(c), weight);
            total += weight;
        }
        if (options.empty()) {
            if (!m.advanceByte(s, '\n').dead()) options.emplace_back('\n', total = 1);
            else return m.complete(s) ? text : "<stuck: " + text + ">";
        }
        int pick = static_cast<int>(rng() % static_cast<unsigned>(total));
        for (auto [c, w] : options) {
            if ((pick -= w) < 0) {
                text += c;
                s = m.advanceByte(s, static_cast<uint8_t>(c));
                break;
            }
        }
    }
    return "";
}

const SchemaCase kCases[] = {
    {"object with required and optional",
     R"({"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},"ok":{"type":"boolean"}},
        "required":["name","age"],"additionalProperties":false})",
     {R"({"name":"Tom","age":12})", R"({"name":"Tom","age":12,"ok":true})", R"({ "name": "A\"b", "age": -3 })",
      "{\n  \"name\": \"x\",\n  \"age\": 0\n}"},
     {R"({"age":12})", R"({"name":"Tom"})", R"({"name":"Tom","age":1.5})", R"({"name":"Tom","age":1,"x":1})",
      R"({"age":1,"name":"Tom"})", R"({"name":"Tom","age":012})", "{\"name\":\"a\nb\",\"age\":1}"}},
    {"all optional", R"({"type":"object","properties":{"a":{"type":"null"},"b":{"type":"number"}},"additionalProperties":false})",
     {"{}", R"({"a":null})", R"({"b":1e5})", R"({"a":null,"b":-0.5})"}, {R"({,"b":1})", R"({"a":null,})", R"({"b":1,"a":null})"}},
    {"extra properties", R"({"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]})",
     {R"({"a":1})", R"({"a":1,"zz":[1,{"q":null}]})"}, {R"({"zz":1})", R"({"a":1,})"}},
    {"additional schema", R"({"type":"object","additionalProperties":{"type":"integer"}})",
     {"{}", R"({"x":1,"y":2})"}, {R"({"x":"1"})"}},
    {"array bounds", R"({"type":"array","items":{"type":"integer","minimum":1,"maximum":3},"minItems":2,"maxItems":3})",
     {"[1,2]", "[3, 2, 1]"}, {"[]", "[1]", "[1,2,3,1]", "[0,1]", "[1,4]"}},
    {"empty array allowed", R"({"type":"array","maxItems":2})", {"[]", "[1,\"a\"]"}, {"[1,2,3]"}},
    {"tuple", R"({"type":"array","prefixItems":[{"type":"string"},{"type":"integer"}],"items":false})",
     {R"(["a",1])"}, {R"(["a"])", R"([1,"a"])", R"(["a",1,2])"}},
    {"enum and const", R"({"type":"object","properties":{"c":{"enum":["red","green",3,null]},"k":{"const":"v"}},
        "required":["c","k"],"additionalProperties":false})",
     {R"({"c":"red","k":"v"})", R"({"c":3,"k":"v"})", R"({"c":null,"k":"v"})"}, {R"({"c":"blue","k":"v"})", R"({"c":"red","k":"w"})"}},
    {"string lengths", R"({"type":"string","minLength":2,"maxLength":4})", {R"("ab")", R"("abcd")", R"("é\n")"},
     {R"("a")", R"("abcde")"}},
    {"formats", R"({"type":"array","prefixItems":[{"type":"string","format":"date"},{"type":"string","format":"date-time"},
        {"type":"string","format":"uuid"},{"type":"string","format":"email"},{"type":"string","format":"time"}],"items":false})",
     {R"(["2024-02-29","2024-02-29T13:45:00Z","123e4567-e89b-12d3-a456-426614174000","a.b@example.org","08:30:00+02:00"])"},
     {R"(["2024-13-01","2024-02-29T13:45:00Z","123e4567-e89b-12d3-a456-426614174000","a.b@example.org","08:30:00"])",
      R"(["2024-01-01","2024-02-29 13:45:00","123e4567-e89b-12d3-a456-426614174000","a.b@example.org","08:30:00"])",
      R"(["2024-01-01","2024-02-29T13:45:00Z","123e4567","a.b@example.org","08:30:00"])",
      R"(["2024-01-01","2024-02-29T13:45:00Z","123e4567-e89b-12d3-a456-426614174000","nobody","08:30:00"])"}},
    {"integer ranges", R"({"type":"array","prefixItems":[{"type":"integer","minimum":-15,"maximum":240},
        {"type":"integer","minimum":100},{"type":"integer","maximum":-7},{"type":"integer","exclusiveMinimum":0,"exclusiveMaximum":10}],"items":false})",
     {"[-15,100,-7,1]", "[240,12345,-100,9]", "[0,999,-8,5]", "[-9,100,-7,1]"},
     {"[-16,100,-7,1]", "[241,100,-7,1]", "[0,99,-7,1]", "[0,100,-6,1]", "[0,100,-7,0]", "[0,100,-7,10]", "[-0,100,-7,1]"}},
    {"number minimum", R"({"type":"number","minimum":0})", {"0", "1.5", "2e3"}, {"-1", "-0.5"}},
    {"anyOf and type lists", R"({"anyOf":[{"type":"integer"},{"type":"object","properties":{"x":{"type":["string","null"]}},"additionalProperties":false}]})",
     {"5", R"({"x":"s"})", R"({"x":null})", "{}"}, {R"("s")", R"({"x":1})"}},
    {"refs and recursion", R"({"$defs":{"node":{"type":"object","properties":{"v":{"type":"integer"},"kids":{"type":"array","items":{"$ref":"#/$defs/node"}}},
        "required":["v"],"additionalProperties":false}},"$ref":"#/$defs/node"})",
     {R"({"v":1})", R"({"v":1,"kids":[{"v":2},{"v":3,"kids":[]}]})"}, {R"({"v":1,"kids":[{}]})"}},
    {"definitions", R"({"definitions":{"color":{"enum":["r","g"]}},"type":"array","items":{"$ref":"#/definitions/color"}})",
     {R"(["r","g","r"])"}, {R"(["b"])"}},
};

class JsonSchemaGrammar : public testing::TestWithParam<SchemaCase> {};

TEST_P(JsonSchemaGrammar, AcceptsValidAndRejectsInvalidDocuments) {
    const SchemaCase& c = GetParam();
    auto schema = json::Value::parse(c.schema);
    ASSERT_TRUE(schema.has_value()) << schema.error();
    auto g = compileSchema(*schema);
    ASSERT_TRUE(g);
    grammar::GrammarMatcher m(g);
    for (const char* doc : c.valid) {
        EXPECT_TRUE(m.complete(m.advance(m.start(), doc))) << c.name << ": should accept " << doc;
        auto parsed = json::Value::parse(doc);
        ASSERT_TRUE(parsed.has_value()) << doc;
        EXPECT_EQ(testing_json::checkSchema(*parsed, *schema, *schema), "") << doc;  // the test data itself
    }
    for (const char* doc : c.invalid) EXPECT_FALSE(m.complete(m.advance(m.start(), doc))) << c.name << ": should reject " << doc;
}

TEST_P(JsonSchemaGrammar, RandomTextsAreValidJson) {
    const SchemaCase& c = GetParam();
    auto schema = json::Value::parse(c.schema);
    ASSERT_TRUE(schema.has_value());
    auto g = compileSchema(*schema);
    ASSERT_TRUE(g);
    grammar::GrammarMatcher m(g);
    std::mt19937 rng(11);
    int checked = 0;
    for (int i = 0; i < 40; ++i) {
        const std::string text = randomText(m, rng);
        if (text.empty()) continue;  // a walk that went on too long
        ASSERT_FALSE(text.starts_with("<stuck")) << text;
        auto parsed = json::Value::parse(text);
        ASSERT_TRUE(parsed.has_value()) << c.name << ": " << text << ": " << parsed.error();
        EXPECT_EQ(testing_json::checkSchema(*parsed, *schema, *schema), "") << c.name << ": " << text;
        ++checked;
    }
    EXPECT_GT(checked, 20) << c.name;
}

INSTANTIATE_TEST_SUITE_P(Schemas, JsonSchemaGrammar, testing::ValuesIn(kCases));

TEST(JsonSchema, BadSchemasNameThePath) {
    const std::pair<const char*, const char*> bad[] = {
        {R"({"type":"object","properties":{"a":{"type":"strang"}}})", "/properties/a/type: unknown type 'strang'"},
        {R"({"$ref":"#/$defs/missing"})", "/$ref: '#/$defs/missing' is not defined"},
        {R"({"$ref":"http://example.com/s.json"})", "only references to #/$defs"},
        {R"({"type":"integer","minimum":5,"maximum":4})", "no integer lies between"},
        {R"({"type":"array","minItems":3,"maxItems":2})", "minItems/maxItems out of order"},
        {R"({"not":{"type":"string"}})", "'not' is not supported"},
        {R"({"enum":[]})", "non-empty array"},
        {R"([1,2])", "a schema must be an object or a boolean"},
    };
    for (const auto& [text, message] : bad) {
        auto schema = json::Value::parse(text);
        ASSERT_TRUE(schema.has_value());
        auto gbnf = grammar::jsonSchemaToGbnf(*schema);
        ASSERT_FALSE(gbnf.has_value()) << text;
        EXPECT_NE(gbnf.error().find(message), std::string::npos) << gbnf.error();
    }
}

TEST(JsonSchema, JsonObjectGrammarTakesAnyObjectOnly) {
    auto g = grammar::parseGbnf(grammar::jsonObjectGbnf());
    ASSERT_TRUE(g.has_value()) << g.error().describe();
    grammar::GrammarMatcher m(std::make_shared<const grammar::Grammar>(std::move(*g)));
    for (const char* ok : {"{}", R"({"a":[1,2,{"b":null}],"c":"\u00e9"})", "{ \"x\" : true }"})
        EXPECT_TRUE(m.complete(m.advance(m.start(), ok))) << ok;
    for (const char* no : {"[]", "1", R"({"a":})", R"({"a":1,})", "{'a':1}"})
        EXPECT_FALSE(m.complete(m.advance(m.start(), no))) << no;
}

}  // namespace
