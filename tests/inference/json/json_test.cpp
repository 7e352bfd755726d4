// Tests of inference/json: parser (valid / invalid tables, unicode, depth, hostile
// input), serializer formats, value semantics, accessors and equality.
#include <gtest/gtest.h>

#include <chrono>
#include <climits>
#include <cstring>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#if defined(__unix__)
#include <pthread.h>
#endif

#include "json/json.h"

namespace {

using json::Array;
using json::Object;
using json::Type;
using json::Value;

Value mustParse(std::string_view text) {
    auto r = Value::parse(text);
    EXPECT_TRUE(r.has_value()) << "input: " << text << "\nerror: " << (r ? "" : r.error());
    return r ? *r : Value();
}

// ---------------------------------------------------------------------------
// Valid documents: parse, compact dump, and re-parse to an equal value.
// ---------------------------------------------------------------------------

struct RoundTripCase {
    std::string input;
    std::string compact;  // expected dump()
};

class JsonRoundTrip : public ::testing::TestWithParam<RoundTripCase> {};

TEST_P(JsonRoundTrip, ParsesDumpsAndReparses) {
    const auto& c = GetParam();
    auto parsed = Value::parse(c.input);
    ASSERT_TRUE(parsed.has_value()) << parsed.error();
    EXPECT_EQ(parsed->dump(), c.compact);
    // The dump is itself valid JSON that parses back to an equal value, and is a
    // fixed point of parse + dump (compact and pretty).
    auto again = Value::parse(parsed->dump());
    ASSERT_TRUE(again.has_value()) << again.error();
    EXPECT_EQ(*again, *parsed);
    EXPECT_EQ(again->dump(), c.compact);
    auto pretty = Value::parse(parsed->dump(2));
    ASSERT_TRUE(pretty.has_value()) << pretty.error();
    EXPECT_EQ(*pretty, *parsed);
}

INSTANTIATE_TEST_SUITE_P(
    Valid, JsonRoundTrip,
    ::testing::Values(
        RoundTripCase{"null", "null"}, RoundTripCase{" true ", "true"},
        RoundTripCase{"false", "false"}, RoundTripCase{"\t\r\n 0 \n", "0"},
        RoundTripCase{"-0", "-0"}, RoundTripCase{"-0.0", "-0"}, RoundTripCase{"1.5", "1.5"},
        RoundTripCase{"1e2", "100"}, RoundTripCase{"1E-2", "0.01"},
        RoundTripCase{"-12.5e+3", "-12500"}, RoundTripCase{"0.1", "0.1"},
        RoundTripCase{"123456789012345", "123456789012345"},
        RoundTripCase{"-9007199254740991", "-9007199254740991"},
        RoundTripCase{"9007199254740993", "9007199254740993"},  // integers are exact to int64
        RoundTripCase{"-9223372036854775808", "-9223372036854775808"},
        RoundTripCase{"9223372036854775808", "9223372036854775808"},  // beyond int64: the double 2^63
        RoundTripCase{"1e21", "1e+21"}, RoundTripCase{"1e-7", "1e-07"},
        RoundTripCase{"1.7976931348623157e308", "1.7976931348623157e+308"},
        RoundTripCase{"5e-324", "5e-324"}, RoundTripCase{"1e-400", "0"},
        RoundTripCase{"-1e-400", "-0"}, RoundTripCase{"0.000e999999999999", "0"},
        RoundTripCase{"3.14159", "3.14159"}, RoundTripCase{"1E+0", "1"},
        RoundTripCase{"\"\"", "\"\""}, RoundTripCase{"\"a\\/b\"", "\"a/b\""},
        RoundTripCase{"\"\\u0041\\u00e9\"", "\"A\xC3\xA9\""},
        RoundTripCase{"\"\\ud83d\\ude00\"", "\"\xF0\x9F\x98\x80\""},
        RoundTripCase{"\"\\u0000\"", "\"\\u0000\""},
        RoundTripCase{"\"\\b\\f\\n\\r\\t\\\"\\\\\"", "\"\\b\\f\\n\\r\\t\\\"\\\\\""},
        RoundTripCase{"\"\\u001F\\u007f\"", "\"\\u001f\x7F\""},
        RoundTripCase{"\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9D\x84\x9E\"",
                      "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9D\x84\x9E\""},
        RoundTripCase{"[]", "[]"}, RoundTripCase{"{}", "{}"},
        RoundTripCase{" [ 1 , 2 , [ 3 , { } ] , [ ] ] ", "[1,2,[3,{}],[]]"},
        RoundTripCase{"{\"b\":1,\"a\":[true,false,null]}", "{\"b\":1,\"a\":[true,false,null]}"},
        RoundTripCase{"{\"a\":1,\"b\":2,\"a\":3}", "{\"a\":3,\"b\":2}"},
        RoundTripCase{"{\"\":{\"\":[]}}", "{\"\":{\"\":[]}}"},
        RoundTripCase{"[\"\\u2028\",\"</script>\"]", "[\"\xE2\x80\xA8\",\"</script>\"]"}));

// ---------------------------------------------------------------------------
// Invalid documents: each rejected, with the byte offset of the problem.
// ---------------------------------------------------------------------------

struct InvalidCase {
    std::string input;
    size_t offset;
};

void PrintTo(const InvalidCase& c, std::ostream* os) {
    *os << "input=" << ::testing::PrintToString(c.input) << " offset=" << c.offset;
}

class JsonInvalid : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(JsonInvalid, RejectedWithOffset) {
    const auto& c = GetParam();
    auto r = Value::parse(c.input);
    ASSERT_FALSE(r.has_value()) << "accepted: " << r->dump();
    const std::string prefix = "offset " + std::to_string(c.offset) + ": ";
    EXPECT_EQ(r.error().rfind(prefix, 0), 0u) << "error: " << r.error();
    EXPECT_GT(r.error().size(), prefix.size());
}

using namespace std::string_literals;

INSTANTIATE_TEST_SUITE_P(
    Invalid, JsonInvalid,
    ::testing::Values(
        // structure
        InvalidCase{"", 0}, InvalidCase{"   ", 3}, InvalidCase{"[", 1}, InvalidCase{"{", 1},
        InvalidCase{"[1,2", 4}, InvalidCase{"[1,]", 3}, InvalidCase{"[,1]", 1},
        InvalidCase{"[1 2]", 3}, InvalidCase{"[1]]", 3}, InvalidCase{"[1] x", 4},
        InvalidCase{"{} {}", 3}, InvalidCase{"1 2", 2}, InvalidCase{"{\"a\" 1}", 5},
        InvalidCase{"{\"a\":}", 5}, InvalidCase{"{\"a\":1,}", 7}, InvalidCase{"{\"a\":1 \"b\":2}", 7},
        InvalidCase{"{a:1}", 1}, InvalidCase{"{'a':1}", 1}, InvalidCase{"{1:1}", 1},
        InvalidCase{"['a']", 1}, InvalidCase{"[1,2,]", 5}, InvalidCase{"{\"a\":1}}", 7},
        // literals
        InvalidCase{"nul", 3}, InvalidCase{"nulx", 3}, InvalidCase{"tRUE", 1},
        InvalidCase{"True", 0}, InvalidCase{"falsey", 5}, InvalidCase{"undefined", 0},
        InvalidCase{"NaN", 0}, InvalidCase{"Infinity", 0}, InvalidCase{"-Infinity", 1},
        // whitespace other than space/tab/LF/CR, BOM, NUL
        InvalidCase{"\v1", 0}, InvalidCase{"\f1", 0}, InvalidCase{"\xEF\xBB\xBF{}", 0},
        InvalidCase{"\0"s, 0}, InvalidCase{"[\0]"s, 1}, InvalidCase{"1\0"s, 1},
        InvalidCase{"\xC2\xA0" "1", 0},
        // numbers
        InvalidCase{"01", 1}, InvalidCase{"-01", 2}, InvalidCase{"00", 1}, InvalidCase{"+1", 0},
        InvalidCase{".5", 0}, InvalidCase{"1.", 2}, InvalidCase{"1.e5", 2}, InvalidCase{"1e", 2},
        InvalidCase{"1e+", 3}, InvalidCase{"-", 1}, InvalidCase{"- 1", 1}, InvalidCase{"0x10", 1},
        InvalidCase{"1e400", 0}, InvalidCase{"[-1e400]", 1}, InvalidCase{"1_000", 1},
        InvalidCase{"1.5.2", 3},
        // strings
        InvalidCase{"\"abc", 4}, InvalidCase{"\"", 1}, InvalidCase{"\"a\x01\"", 2},
        InvalidCase{"\"\t\"", 1}, InvalidCase{"\"a\nb\"", 2}, InvalidCase{"\"\\x\"", 1},
        InvalidCase{"\"\\'\"", 1}, InvalidCase{"\"\\", 2}, InvalidCase{"\"\\u12\"", 5},
        InvalidCase{"\"\\u12G4\"", 5}, InvalidCase{"\"\\u", 3}, InvalidCase{"\"\\u-123\"", 3},
        // surrogates
        InvalidCase{"\"\\ud800\"", 1}, InvalidCase{"\"\\udc00\"", 1},
        InvalidCase{"\"\\ud800\\u0041\"", 7}, InvalidCase{"\"\\ud800x\"", 1},
        InvalidCase{"\"\\ud800\\ud800\"", 7}, InvalidCase{"\"ab\\uDFFF\"", 3},
        InvalidCase{"\"\\ud800\\n\"", 1}, InvalidCase{"\"\\ud800\\u00", 11},
        // invalid UTF-8 inside strings
        InvalidCase{"\"\xFF\"", 1}, InvalidCase{"\"ok\x80\"", 3}, InvalidCase{"\"\xC0\xAF\"", 1},
        InvalidCase{"\"\xC1\xBF\"", 1}, InvalidCase{"\"\xE0\x80\xAF\"", 1},
        InvalidCase{"\"\xED\xA0\x80\"", 1}, InvalidCase{"\"\xF0\x80\x80\xAF\"", 1},
        InvalidCase{"\"\xF4\x90\x80\x80\"", 1}, InvalidCase{"\"\xF5\x80\x80\x80\"", 1},
        InvalidCase{"\"\xE2\x82\"", 1}, InvalidCase{"\"\xE2\x82", 1}, InvalidCase{"\"\xC3\"", 1},
        InvalidCase{"\"\xC3", 1}));

// ---------------------------------------------------------------------------
// Unicode escapes
// ---------------------------------------------------------------------------

TEST(JsonUnicode, EscapesDecodeToUtf8) {
    struct Case {
        const char* escaped;
        const char* utf8;
    };
    const Case cases[] = {
        {"\\u0041", "A"},
        {"\\u007F", "\x7F"},
        {"\\u0080", "\xC2\x80"},
        {"\\u00e9", "\xC3\xA9"},
        {"\\u00E9", "\xC3\xA9"},
        {"\\u07FF", "\xDF\xBF"},
        {"\\u0800", "\xE0\xA0\x80"},
        {"\\u20AC", "\xE2\x82\xAC"},
        {"\\uD7FF", "\xED\x9F\xBF"},
        {"\\uE000", "\xEE\x80\x80"},
        {"\\uFFFF", "\xEF\xBF\xBF"},
        {"\\uD800\\uDC00", "\xF0\x90\x80\x80"},
        {"\\uD834\\uDD1E", "\xF0\x9D\x84\x9E"},
        {"\\ud83d\\ude00", "\xF0\x9F\x98\x80"},
        {"\\uDBFF\\uDFFF", "\xF4\x8F\xBF\xBF"},
        {"a\\u0000b", "a\0b"},
    };
    for (const auto& c : cases) {
        const std::string doc = std::string("\"") + c.escaped + "\"";
        auto v = Value::parse(doc);
        ASSERT_TRUE(v.has_value()) << doc << ": " << v.error();
        const std::string expected = std::string(c.utf8) == "a" ? std::string("a\0b", 3) : c.utf8;
        EXPECT_EQ(v->asString(), expected) << doc;
        // Serialized raw (ensure_ascii=false), and reparses to the same bytes.
        auto back = Value::parse(v->dump());
        ASSERT_TRUE(back.has_value());
        EXPECT_EQ(back->asString(), expected);
    }
}

TEST(JsonUnicode, RawUtf8IsKeptAndWrittenRaw) {
    const std::string s = "\"\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 \xE4\xB8\x96\xE7\x95\x8C \xF0\x9F\x91\x8B\"";
    Value v = mustParse(s);
    EXPECT_EQ(v.dump(), s);
    EXPECT_EQ(json::quote(v.asString()), s);
}

// ---------------------------------------------------------------------------
// Serializer
// ---------------------------------------------------------------------------

TEST(JsonDump, CompactAndPrettyMatchPython) {
    Value v = mustParse("{\"a\":[1,2,{}],\"b\":{\"c\":\"d\",\"e\":[]},\"f\":null}");
    EXPECT_EQ(v.dump(), "{\"a\":[1,2,{}],\"b\":{\"c\":\"d\",\"e\":[]},\"f\":null}");
    EXPECT_EQ(v.dump(-5), v.dump());
    // Expected strings from Python: json.dumps(v, indent=N, ensure_ascii=False).
    EXPECT_EQ(v.dump(2),
              "{\n  \"a\": [\n    1,\n    2,\n    {}\n  ],\n  \"b\": {\n    \"c\": \"d\",\n"
              "    \"e\": []\n  },\n  \"f\": null\n}");
    EXPECT_EQ(v.dump(0),
              "{\n\"a\": [\n1,\n2,\n{}\n],\n\"b\": {\n\"c\": \"d\",\n\"e\": []\n},\n\"f\": null\n}");
    EXPECT_EQ(mustParse("[[]]").dump(1), "[\n []\n]");
    EXPECT_EQ(Value(Array{}).dump(4), "[]");
    EXPECT_EQ(Value(Object{}).dump(4), "{}");
    EXPECT_EQ(Value("x").dump(4), "\"x\"");
}

TEST(JsonDump, Numbers) {
    struct Case {
        double d;
        const char* text;
    };
    const double inf = std::numeric_limits<double>::infinity();
    const Case cases[] = {
        {0.0, "0"},
        {-0.0, "-0"},
        {3.0, "3"},
        {-42.0, "-42"},
        {1e15, "1000000000000000"},
        {9007199254740991.0, "9007199254740991"},
        {-9007199254740991.0, "-9007199254740991"},
        {9007199254740992.0, "9007199254740992"},
        {1e300, "1e+300"},
        {0.5, "0.5"},
        {-2.5, "-2.5"},
        {0.1 + 0.2, "0.30000000000000004"},
        {1.0 / 3.0, "0.3333333333333333"},
        {1e-5, "1e-05"},
        {123.456, "123.456"},
        {std::numeric_limits<double>::denorm_min(), "5e-324"},
        {std::numeric_limits<double>::quiet_NaN(), "null"},
        {inf, "null"},
        {-inf, "null"},
    };
    for (const auto& c : cases) EXPECT_EQ(Value(c.d).dump(), c.text) << c.d;
    EXPECT_EQ(Value(7).dump(), "7");
    EXPECT_EQ(Value(int64_t{-1234567890123}).dump(), "-1234567890123");
    EXPECT_EQ(Value(uint64_t{42}).dump(), "42");
    // Shortest round trip: the printed text parses back to the same double.
    std::mt19937_64 rng(7);
    for (int i = 0; i < 2000; ++i) {
        uint64_t bits = rng();
        double d;
        std::memcpy(&d, &bits, sizeof d);
        if (!std::isfinite(d)) continue;
        auto back = Value::parse(Value(d).dump());
        ASSERT_TRUE(back.has_value()) << Value(d).dump();
        EXPECT_EQ(back->asNumber(), d) << Value(d).dump();
    }
}

TEST(JsonDump, QuoteEscapes) {
    EXPECT_EQ(json::quote(""), "\"\"");
    EXPECT_EQ(json::quote("plain"), "\"plain\"");
    EXPECT_EQ(json::quote("a\"b\\c/d"), "\"a\\\"b\\\\c/d\"");
    EXPECT_EQ(json::quote("\n\t\r\b\f"), "\"\\n\\t\\r\\b\\f\"");
    EXPECT_EQ(json::quote(std::string("\x00\x01\x1f\x7f", 4)), "\"\\u0000\\u0001\\u001f\x7f\"");
    EXPECT_EQ(json::quote("\xC3\xA9\xE2\x82\xAC"), "\"\xC3\xA9\xE2\x82\xAC\"");
    // Invalid UTF-8 becomes U+FFFD, so the output is always valid JSON.
    EXPECT_EQ(json::quote("a\xFF" "b"), "\"a\xEF\xBF\xBD" "b\"");
    EXPECT_EQ(json::quote("\xE2\x82"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
    EXPECT_EQ(json::quote("\xED\xA0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
    EXPECT_TRUE(Value::parse(json::quote("x\xC0\xAFy\xF8")).has_value());
    // dump() of a string is quote() of it; object keys are escaped the same way.
    Value o;
    o.set("k\"\n", "v\x01");
    EXPECT_EQ(o.dump(), "{\"k\\\"\\n\":\"v\\u0001\"}");
    EXPECT_EQ(Value("\t").dump(), json::quote("\t"));
}

// ---------------------------------------------------------------------------
// Value semantics
// ---------------------------------------------------------------------------

TEST(JsonValue, CopyIsIndependent) {
    Value original = mustParse("{\"list\":[1,2,{\"deep\":\"x\"}],\"name\":\"a\",\"obj\":{\"k\":1}}");
    const std::string before = original.dump();

    Value copy = original;  // copy constructor
    EXPECT_EQ(copy, original);
    copy.set("name", "b");
    Value& list = const_cast<Value&>(copy["list"]);  // mutate nested containers of the copy
    list.push(3);
    const_cast<Value&>(list[2]).set("deep", "y");
    const_cast<Value&>(copy["obj"]).mutableObject().clear();
    EXPECT_EQ(original.dump(), before);
    EXPECT_NE(copy, original);

    Value assigned;
    assigned = original;  // copy assignment
    assigned.mutableObject().pop_back();
    EXPECT_EQ(original.dump(), before);
    EXPECT_EQ(assigned.size(), 2u);

    // Strings and arrays.
    Value s = "hello";
    Value s2 = s;
    s2 = Value("bye");
    EXPECT_EQ(s.asString(), "hello");
    Value a = Array{1, 2};
    Value a2 = a;
    a2.mutableArray()[0] = "changed";
    EXPECT_EQ(a.dump(), "[1,2]");
    EXPECT_EQ(a2.dump(), "[\"changed\",2]");

    // Copies held inside containers are independent too.
    Value inner = Array{1};
    Value holder = Array{inner, inner};
    holder.mutableArray()[0].push(2);
    EXPECT_EQ(holder.dump(), "[[1,2],[1]]");
    EXPECT_EQ(inner.dump(), "[1]");
}

TEST(JsonValue, MoveAndSelfAssignment) {
    Value v = mustParse("[1,[2,3]]");
    Value moved = std::move(v);
    EXPECT_TRUE(v.isNull());  // NOLINT(bugprone-use-after-move): moved-from is null
    EXPECT_EQ(moved.dump(), "[1,[2,3]]");

    Value& self = moved;
    moved = self;
    EXPECT_EQ(moved.dump(), "[1,[2,3]]");
    moved = std::move(self);
    EXPECT_EQ(moved.dump(), "[1,[2,3]]");

    // Assigning a value its own child (copy and move) must not read freed memory.
    Value tree = mustParse("{\"a\":{\"b\":[1,2]}}");
    tree = tree["a"];
    EXPECT_EQ(tree.dump(), "{\"b\":[1,2]}");
    tree = std::move(tree.mutableObject()[0].second);
    EXPECT_EQ(tree.dump(), "[1,2]");
    tree = tree[1];
    EXPECT_EQ(tree.dump(), "2");
}

// ---------------------------------------------------------------------------
// Accessors
// ---------------------------------------------------------------------------

TEST(JsonValue, TypesAndDefaults) {
    EXPECT_EQ(Value().type(), Type::Null);
    EXPECT_EQ(Value(nullptr).type(), Type::Null);
    EXPECT_EQ(Value(true).type(), Type::Bool);
    EXPECT_EQ(Value(1.5).type(), Type::Number);
    EXPECT_EQ(Value(3).type(), Type::Number);
    EXPECT_EQ(Value("s").type(), Type::String);
    EXPECT_EQ(Value(std::string("s")).type(), Type::String);
    EXPECT_EQ(Value(std::string_view("s")).type(), Type::String);
    EXPECT_EQ(Value(Array{}).type(), Type::Array);
    EXPECT_EQ(Value(Object{}).type(), Type::Object);
    EXPECT_TRUE(Value(static_cast<const char*>(nullptr)).isNull());

    const Value n = 5;
    EXPECT_FALSE(n.asBool());
    EXPECT_EQ(n.asString(), "");
    EXPECT_TRUE(n.asArray().empty());
    EXPECT_TRUE(n.asObject().empty());
    EXPECT_EQ(n.size(), 0u);
    EXPECT_EQ(n.find("x"), nullptr);
    EXPECT_TRUE(n["x"].isNull());
    EXPECT_TRUE(n[0].isNull());
    EXPECT_EQ(Value("str").asNumber(), 0.0);
    EXPECT_EQ(Value("str").asInt(), 0);
    EXPECT_EQ(Value("str").size(), 0u);
}

TEST(JsonValue, AsIntTruncatesAndSaturates) {
    EXPECT_EQ(Value(2.9).asInt(), 2);
    EXPECT_EQ(Value(-2.9).asInt(), -2);
    EXPECT_EQ(Value(9007199254740991.0).asInt(), 9007199254740991LL);
    EXPECT_EQ(Value(1e30).asInt(), std::numeric_limits<int64_t>::max());
    EXPECT_EQ(Value(-1e30).asInt(), std::numeric_limits<int64_t>::min());
    EXPECT_EQ(Value(std::numeric_limits<double>::quiet_NaN()).asInt(), 0);
    EXPECT_EQ(Value(std::numeric_limits<double>::infinity()).asInt(),
              std::numeric_limits<int64_t>::max());
}

TEST(JsonValue, FindSetPushSize) {
    Value v = mustParse("{\"a\":1,\"b\":[10,20,30],\"c\":{\"d\":\"e\"}}");
    ASSERT_NE(v.find("a"), nullptr);
    EXPECT_EQ(v.find("a")->asInt(), 1);
    EXPECT_EQ(v.find("zz"), nullptr);
    EXPECT_EQ(v["b"][1].asInt(), 20);
    EXPECT_TRUE(v["b"][3].isNull());
    EXPECT_EQ(v["c"]["d"].asString(), "e");
    EXPECT_TRUE(v["c"]["missing"]["deeper"][7].isNull());
    EXPECT_EQ(v.size(), 3u);
    EXPECT_EQ(v["b"].size(), 3u);

    Value& stored = v.set("a", "replaced");  // replaced in place, order kept
    EXPECT_EQ(stored.asString(), "replaced");
    v.set("new", true);
    EXPECT_EQ(v.dump(), "{\"a\":\"replaced\",\"b\":[10,20,30],\"c\":{\"d\":\"e\"},\"new\":true}");

    Value built;  // null converts to object / array
    built.set("messages", Array{}).push(Object{{"role", "user"}}).set("content", "hi");
    EXPECT_EQ(built.dump(), "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    Value arr;
    arr.push(1);
    arr.push("two");
    arr.push(nullptr);
    EXPECT_EQ(arr.dump(), "[1,\"two\",null]");
    EXPECT_EQ(arr.size(), 3u);

    Value num = 3;
    num.mutableArray().push_back(1);  // a non-array becomes an empty array first
    EXPECT_EQ(num.dump(), "[1]");
    num.mutableObject();
    EXPECT_EQ(num.dump(), "{}");
}

TEST(JsonValue, Equality) {
    EXPECT_EQ(Value(), Value(nullptr));
    EXPECT_NE(Value(), Value(false));
    EXPECT_NE(Value(0), Value(false));
    EXPECT_NE(Value(0), Value("0"));
    EXPECT_EQ(Value(1), Value(1.0));
    EXPECT_NE(Value(1), Value(1.0000001));
    EXPECT_EQ(Value(Array{}), mustParse("[]"));
    EXPECT_NE(Value(Array{}), Value(Object{}));
    EXPECT_EQ(mustParse("[1,[2,{\"a\":null}]]"), mustParse("[1,[2,{\"a\":null}]]"));
    EXPECT_NE(mustParse("[1,[2,{\"a\":null}]]"), mustParse("[1,[2,{\"a\":false}]]"));
    EXPECT_NE(mustParse("[1,2]"), mustParse("[2,1]"));
    EXPECT_NE(mustParse("[1,2]"), mustParse("[1,2,3]"));
    // Objects compare as maps.
    EXPECT_EQ(mustParse("{\"a\":1,\"b\":2}"), mustParse("{\"b\":2,\"a\":1}"));
    EXPECT_NE(mustParse("{\"a\":1,\"b\":2}"), mustParse("{\"a\":1,\"c\":2}"));
    EXPECT_NE(mustParse("{\"a\":1}"), mustParse("{\"a\":1,\"b\":2}"));
    EXPECT_EQ(mustParse("{\"a\":1,\"b\":2,\"a\":3}"), mustParse("{\"b\":2,\"a\":3}"));
}

// ---------------------------------------------------------------------------
// Depth limit and hostile input
// ---------------------------------------------------------------------------

TEST(JsonDepth, LimitIsEnforcedWithoutStackOverflow) {
    auto nested = [](int depth, const std::string& open, const std::string& close,
                     const std::string& core = "") {
        std::string s;
        for (int i = 0; i < depth; ++i) s += open;
        s += core;
        for (int i = 0; i < depth; ++i) s += close;
        return s;
    };
    EXPECT_TRUE(Value::parse(nested(256, "[", "]")).has_value());
    auto tooDeep = Value::parse(nested(257, "[", "]"));
    ASSERT_FALSE(tooDeep.has_value());
    EXPECT_EQ(tooDeep.error().rfind("offset 256: ", 0), 0u) << tooDeep.error();

    EXPECT_TRUE(Value::parse(nested(256, "{\"k\":", "}", "null")).has_value());
    auto objTooDeep = Value::parse(nested(257, "{\"k\":", "}", "null"));
    ASSERT_FALSE(objTooDeep.has_value());
    EXPECT_EQ(objTooDeep.error().rfind("offset 1280: ", 0), 0u) << objTooDeep.error();
    EXPECT_TRUE(Value::parse(nested(128, "[{\"\":", "}]", "0")).has_value());
    EXPECT_FALSE(Value::parse(nested(129, "[{\"\":", "}]", "0")).has_value());

    // A million open brackets (never closed) of either kind: rejected at the limit.
    for (const char* open : {"[", "{\"a\":", "[{\"\":"}) {
        std::string hostile;
        for (int i = 0; i < 1000000; ++i) hostile += open;
        auto r = Value::parse(hostile);
        ASSERT_FALSE(r.has_value());
        EXPECT_NE(r.error().find("nesting"), std::string::npos) << r.error();
        // Even a caller asking for no limit gets the internal cap.
        EXPECT_FALSE(Value::parse(hostile, INT_MAX).has_value());
    }

    // Custom limits.
    EXPECT_TRUE(Value::parse(nested(10, "[", "]"), 10).has_value());
    EXPECT_FALSE(Value::parse(nested(11, "[", "]"), 10).has_value());
    EXPECT_TRUE(Value::parse("7", 0).has_value());
    EXPECT_FALSE(Value::parse("[]", 0).has_value());
    EXPECT_TRUE(Value::parse(nested(1000, "[", "]"), 5000).has_value());   // capped at 1000
    EXPECT_FALSE(Value::parse(nested(1001, "[", "]"), 5000).has_value());
}

#if defined(__unix__)
// The parser keeps open containers on the heap, not the call stack: hostile
// nesting is rejected even on a thread with a small stack.
TEST(JsonDepth, ParserDoesNotRecurse) {
    struct Job {
        bool hostileRejected = false;
        bool validAccepted = false;
    } job;
    auto body = [](void* arg) -> void* {
        auto* j = static_cast<Job*>(arg);
        std::string hostile(2000000, '[');
        j->hostileRejected = !Value::parse(hostile, INT_MAX).has_value();
        std::string valid = std::string(256, '[') + std::string(256, ']');
        j->validAccepted = Value::parse(valid).has_value();
        return nullptr;
    };
    pthread_attr_t attr;
    ASSERT_EQ(pthread_attr_init(&attr), 0);
    ASSERT_EQ(pthread_attr_setstacksize(&attr, 256 * 1024), 0);
    pthread_t thread;
    ASSERT_EQ(pthread_create(&thread, &attr, body, &job), 0);
    ASSERT_EQ(pthread_join(thread, nullptr), 0);
    pthread_attr_destroy(&attr);
    EXPECT_TRUE(job.hostileRejected);
    EXPECT_TRUE(job.validAccepted);
}
#endif

TEST(JsonHostile, LargeInputsStayLinear) {
    const auto start = std::chrono::steady_clock::now();
    // 200k members with the same key: one member, last value wins.
    std::string dup = "{";
    for (int i = 0; i < 200000; ++i) dup += (i ? ",\"k\":" : "\"k\":") + std::to_string(i);
    dup += "}";
    Value d = mustParse(dup);
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d["k"].asInt(), 199999);

    // 100k distinct keys, then each repeated: 100k members, second values kept, order of first.
    std::string many = "{";
    for (int pass = 0; pass < 2; ++pass)
        for (int i = 0; i < 100000; ++i)
            many += (pass || i ? ",\"" : "\"") + std::to_string(i) + "\":" + std::to_string(i + pass);
    many += "}";
    Value m = mustParse(many);
    ASSERT_EQ(m.size(), 100000u);
    EXPECT_EQ(m.asObject()[0].first, "0");
    EXPECT_EQ(m.asObject()[0].second.asInt(), 1);
    EXPECT_EQ(m["99999"].asInt(), 100000);

    // Long strings, long numbers, wide arrays.
    std::string longString = "\"" + std::string(1 << 22, 'x') + "\"";
    EXPECT_EQ(mustParse(longString).asString().size(), size_t{1} << 22);
    std::string longNumber = "1" + std::string(100000, '0') + "e-100000";
    EXPECT_EQ(mustParse(longNumber).asNumber(), 1.0);
    EXPECT_FALSE(Value::parse("1" + std::string(100000, '0')).has_value());  // overflow
    std::string wide = "[";
    for (int i = 0; i < 500000; ++i) wide += i ? ",0" : "0";
    wide += "]";
    EXPECT_EQ(mustParse(wide).size(), 500000u);

    const auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_LT(std::chrono::duration_cast<std::chrono::seconds>(elapsed).count(), 20);
}

TEST(JsonHostile, RandomMutationsNeverCrash) {
    const std::vector<std::string> seeds = {
        "{\"a\":[1,2.5e-3,true,null,\"s\\u00e9\\ud83d\\ude00\"],\"b\":{\"c\":-0}}",
        "[\"\xE2\x82\xAC\",{\"\":[[[]]]},1e10,\"\\\\\\\"\"]",
        "  {\"k\" : \"v\" , \"n\" : 123 }  ",
    };
    const std::string alphabet = "{}[]\":,\\u0123456789eE+-.tfnrlasd \t\n\x80\xC3\xA9\xED\xF0\xFF";
    std::mt19937 rng(12345);
    int accepted = 0;
    for (int iter = 0; iter < 30000; ++iter) {
        std::string doc = seeds[iter % seeds.size()];
        const int edits = 1 + static_cast<int>(rng() % 4);
        for (int e = 0; e < edits && !doc.empty(); ++e) {
            const size_t pos = rng() % doc.size();
            const char c = alphabet[rng() % alphabet.size()];
            switch (rng() % 3) {
            case 0: doc[pos] = c; break;
            case 1: doc.insert(doc.begin() + static_cast<long>(pos), c); break;
            default: doc.erase(pos, 1); break;
            }
        }
        auto r = Value::parse(doc);
        if (r) {
            ++accepted;
            // Anything accepted serializes to JSON that parses back equal.
            auto back = Value::parse(r->dump());
            ASSERT_TRUE(back.has_value()) << "doc: " << doc << " dump: " << r->dump();
            EXPECT_EQ(*back, *r);
        } else {
            EXPECT_EQ(r.error().rfind("offset ", 0), 0u);
        }
    }
    EXPECT_GT(accepted, 0);
    // Pure random bytes.
    for (int iter = 0; iter < 5000; ++iter) {
        std::string doc(rng() % 64, '\0');
        for (auto& ch : doc) ch = static_cast<char>(rng());
        (void)Value::parse(doc);
    }
}

// Integers keep their form: the local API server tells 5 (an integer) from 5.0.
TEST(Json, IntegersAreExactAndKnowTheirForm) {
    struct Case {
        const char* text;
        bool integer;
    };
    for (const Case& c : {Case{"5", true}, Case{"-7", true}, Case{"0", true}, Case{"-0", false}, Case{"5.0", false},
                          Case{"1e2", false}, Case{"9223372036854775807", true}, Case{"9223372036854775808", false}}) {
        auto v = Value::parse(c.text);
        ASSERT_TRUE(v) << c.text;
        EXPECT_EQ(v->isInteger(), c.integer) << c.text;
    }
    EXPECT_EQ(Value::parse("9007199254740993")->asInt(), 9007199254740993LL);
    EXPECT_TRUE(Value(int64_t{3}).isInteger());
    EXPECT_TRUE(Value(uint64_t{3}).isInteger());
    EXPECT_FALSE(Value(std::numeric_limits<uint64_t>::max()).isInteger());
    EXPECT_FALSE(Value(3.0).isInteger());
    EXPECT_EQ(Value(3), Value(3.0));  // numbers compare by value
    EXPECT_FALSE(Value("3").isInteger());
}

TEST(Json, SortedKeysEraseAndMutableFind) {
    Value v = Object{{"b", 1}, {"a", Object{{"d", 2}, {"c", 3}}}};
    EXPECT_EQ(v.dump(), R"({"b":1,"a":{"d":2,"c":3}})");
    EXPECT_EQ(v.dump(-1, true), R"({"a":{"c":3,"d":2},"b":1})");
    v.find("a")->set("e", true);
    EXPECT_TRUE(v.erase("b"));
    EXPECT_FALSE(v.erase("b"));
    EXPECT_FALSE(Value(1).erase("b"));
    EXPECT_EQ(v.dump(), R"({"a":{"d":2,"c":3,"e":true}})");
    EXPECT_EQ(Value(1).find("a"), nullptr);
}

}  // namespace
