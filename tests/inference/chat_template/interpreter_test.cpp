// The Jinja subset, feature by feature: each row is a template, its variables (JSON)
// and the exact output Python's jinja2 gives with Hugging Face's settings.
#include <gtest/gtest.h>

#include <string>

#include "chat_template/chat_template.h"
#include "json/json.h"

namespace {

using chat_template::TemplateError;

struct Row {
    const char* name;
    const char* tmpl;
    const char* vars;  // JSON object
    const char* expected;
};

std::expected<std::string, TemplateError> render(const std::string& tmpl, const std::string& vars) {
    auto v = json::Value::parse(vars);
    if (!v) return std::unexpected(TemplateError{TemplateError::Kind::Runtime, "bad test JSON: " + v.error(), 0, 0});
    chat_template::RenderOptions o;
    o.now = chat_template::parseIsoTime("2025-07-26T14:05:09");
    o.maxSteps = 20'000;  // keeps the runaway-loop row fast (also under ASan)
    return chat_template::renderChat(tmpl, (*v)["messages"], *v, o);
}

const Row kRows[] = {
    // Whitespace: trim_blocks, lstrip_blocks, "-" and "+" markers, comments, trailing newline.
    {"trim_blocks", "{% if true %}\nyes\n{% endif %}\nend\n", "{}", "yes\nend"},
    {"lstrip_blocks", "a\n    {% if true %}\n    b\n    {% endif %}\nc", "{}", "a\n    b\nc"},
    {"minus_markers", "a   {%- if true -%}   b   {%- endif -%}   c", "{}", "abc"},
    {"var_minus", "a \n {{- 'x' -}} \n b", "{}", "axb"},
    {"plus_disables_lstrip", "a\n  {%+ if true %}b{% endif %}", "{}", "a\n  b"},
    {"comment_trimmed", "a\n{# note #}\nb", "{}", "a\nb"},
    {"var_no_trim", "{{ 'x' }}\ny", "{}", "x\ny"},
    {"block_mid_line_keeps_indent", "x  {% if true %}y{% endif %}", "{}", "x  y"},
    // Expressions.
    {"arith", "{{ 1 + 2 * 3 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 7 / 2 }}", "{}",
     "7 3 -4 1 2 1024 3.5"},
    {"float_repr", "{{ 1.0 }} {{ 0.1 + 0.2 }} {{ 1e-5 }} {{ 1e16 }} {{ 2.5 * 2 }}", "{}",
     "1.0 0.30000000000000004 1e-05 1e+16 5.0"},
    {"concat_tilde", "{{ 'a' ~ 1 ~ none ~ true }}", "{}", "a1NoneTrue"},
    {"compare_chain", "{{ 1 < 2 and 'b' > 'a' and not (3 == 4) and 1 == 1.0 and true == 1 }}", "{}", "True"},
    {"and_or_values", "{{ 0 or 'x' }} {{ 'a' and 'b' }} {{ '' or [] }}", "{}", "x b []"},
    {"in_operator", "{{ 'ell' in 'hello' }} {{ 2 in [1, 2] }} {{ 'k' in {'k': 1} }} {{ 'z' not in 'abc' }}", "{}",
     "True True True True"},
    {"ternary", "{{ 'yes' if x else 'no' }} {{ 'yes' if y else 'no' }}", R"({"x": 1, "y": 0})", "yes no"},
    {"ternary_no_else", "[{{ 'a' if false }}]", "{}", "[]"},
    {"slicing", "{{ [1,2,3,4][1:3] }} {{ 'hello'[::-1] }} {{ [1,2,3][-1] }} {{ 'abc'[:-1] }}", "{}",
     "[2, 3] olleh 3 ab"},
    {"literals_repr", "{{ {'a': [1, 'x', none, true]} }} {{ ('t', 1) }} {{ \"it's\" ~ '' }}", "{}",
     "{'a': [1, 'x', None, True]} ('t', 1) it's"},
    {"string_escapes", "{{ 'a\\tb\\n' ~ \"\\u00e9\" }}", "{}", "a\tb\né"},
    {"attr_and_item", "{{ m.role }} {{ m['content'] }} {{ m.missing is defined }} {{ xs.0 }}",
     R"({"m": {"role": "user", "content": "hi"}, "xs": ["z"]})", "user hi False z"},
    // Statements.
    {"if_elif_else", "{% for n in [1, 2, 3] %}{% if n == 1 %}a{% elif n == 2 %}b{% else %}c{% endif %}{% endfor %}",
     "{}", "abc"},
    {"loop_vars",
     "{% for x in 'abc' %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}"
     "{{ loop.first|int }}{{ loop.last|int }}{{ loop.length }}{{ loop.previtem or '-' }}{{ loop.nextitem or '-' }};{% endfor %}",
     "{}", "1032103-b;2121003ac;3210013b-;"},
    {"loop_filter_and_else", "{% for x in [1,2,3,4] if x is even %}{{ x }}{{ loop.length }}{% else %}none{% endfor %}"
                             "{% for x in [] %}x{% else %}empty{% endfor %}",
     "{}", "2242empty"},
    {"loop_cycle_break_continue",
     "{% for x in range(6) %}{% if x == 1 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}"
     "{{ loop.cycle('a', 'b') }}{{ x }}{% endfor %}",
     "{}", "a0a2b3"},
    {"loop_scope", "{% set x = 1 %}{% for i in [5] %}{% set x = i %}{{ x }}{% endfor %}{{ x }}", "{}", "51"},
    {"namespace", "{% set ns = namespace(n=0, s='') %}{% for i in [1,2,3] %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}",
     "{}", "6"},
    {"unpack_items", "{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }},{% endfor %}", "{}", "a=1,b=2,"},
    {"set_tuple_and_block", "{% set a, b = 1, 2 %}{% set body %}[{{ a + b }}]{% endset %}{{ body }}", "{}", "[3]"},
    {"macro_defaults_kwargs",
     "{% macro greet(name, greeting='Hello', punct='!') %}{{ greeting }}, {{ name }}{{ punct }}{% endmacro %}"
     "{{ greet('Ann') }} {{ greet('Bob', punct='?') }} {{ greet(name='Cy', greeting='Hi') }}",
     "{}", "Hello, Ann! Hello, Bob? Hi, Cy!"},
    {"macro_recursion_and_scope",
     "{% set g = 'G' %}{% macro f(n) %}{% set local = n %}{{ g }}{% if n > 0 %}{{ f(n - 1) }}{% endif %}{% endmacro %}"
     "{{ f(2) }}{{ local is defined }}",
     "{}", "GGGFalse"},
    {"filter_block", "{% filter upper %}abc{{ 'd' }}{% endfilter %}", "{}", "ABCD"},
    // Methods.
    {"str_methods",
     "{{ '  a b  '.strip() }}|{{ 'xxaxx'.lstrip('x') }}|{{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}|"
     "{{ 'abc'.startswith('ab') }}{{ 'abc'.endswith(('x', 'c')) }}|{{ 'Ab'.upper() }}{{ 'Ab'.lower() }}|"
     "{{ 'hello world'.title() }}|{{ 'a-b-c'.replace('-', '+', 1) }}|{{ 'a b c'.rsplit(' ', 1) }}",
     "{}", "a b|axx|['a', 'b', '', 'c']|['a', 'b']|TrueTrue|ABab|Hello World|a+b-c|['a b', 'c']"},
    {"dict_methods", "{{ d.keys()|list }} {{ d.values()|list }} {{ d.get('a') }} {{ d.get('z', 'dflt') }} {{ d.get('z') }}",
     R"({"d": {"a": 1, "b": 2}})", "['a', 'b'] [1, 2] 1 dflt None"},
    // Filters.
    {"tojson_default", "{{ v|tojson }}", R"({"v": {"b": [1, 2.5, "é\"x\n"], "a": null, "t": true}})",
     "{\"b\": [1, 2.5, \"é\\\"x\\n\"], \"a\": null, \"t\": true}"},
    {"tojson_ensure_ascii", "{{ v|tojson(ensure_ascii=true) }}", R"({"v": ["é", "😀", "a"]})",
     "[\"\\u00e9\", \"\\ud83d\\ude00\", \"a\"]"},
    {"raw_block", "a\n{% raw %}{{ not }} {% interpreted %}{% endraw %}\nb", "{}", "a\n{{ not }} {% interpreted %}b"},
    {"tojson_indent_sort", "{{ v|tojson(indent=2, sort_keys=true) }}", R"({"v": {"b": [1], "a": {}}})",
     "{\n  \"a\": {},\n  \"b\": [\n    1\n  ]\n}"},
    {"string_filters", "{{ '  x '|trim }}|{{ 'ab'|upper }}|{{ 'hELLO'|capitalize }}|{{ 'a b'|title }}|{{ 'aXa'|replace('a', 'b') }}",
     "{}", "x|AB|Hello|A B|bXb"},
    {"length_count", "{{ 'héllo'|length }} {{ [1,2]|count }} {{ {'a':1}|length }} {{ missing|length }}", "{}", "5 2 1 0"},
    {"default", "{{ missing|default('d') }} {{ ''|default('e') }} {{ ''|d('f', true) }} {{ none|default('g') }}", "{}",
     "d  f None"},
    {"join_first_last", "{{ [1, 2, 3]|join(', ') }} {{ [1, 2]|first }} {{ 'xyz'|last }} {{ xs|join('/', attribute='n') }}",
     R"({"xs": [{"n": "a"}, {"n": "b"}]})", "1, 2, 3 1 z a/b"},
    {"select_map",
     "{{ ms|selectattr('role', 'equalto', 'user')|map(attribute='content')|list }} "
     "{{ ms|rejectattr('role', 'eq', 'user')|list|length }} {{ [0, 1, 2]|select|list }} {{ ['a', 'B']|map('upper')|join }}"
     " {{ ms|selectattr('tool')|list|length }}",
     R"({"ms": [{"role": "user", "content": "a"}, {"role": "bot", "content": "b", "tool": 1}, {"role": "user", "content": "c"}]})",
     "['a', 'c'] 1 [1, 2] AB 1"},
    {"numbers", "{{ '42'|int + 1 }} {{ 'x'|int }} {{ '2.5'|float }} {{ 3|float }} {{ -3|abs }} {{ 2.567|round(2) }}", "{}",
     "43 0 2.5 3.0 3 2.57"},
    {"collections",
     "{{ {'b': 1, 'a': 2}|dictsort }} {{ {'k': 'v'}|items|list }} {{ [3, 1, 2]|sort }} {{ [1, 2]|reverse|list }}"
     " {{ ['a', 'A', 'b']|unique|list }} {{ [1, 2, 3]|sum }} {{ [4, 2, 8]|max }} {{ 'abc'|list }}",
     "{}", "[('a', 2), ('b', 1)] [('k', 'v')] [1, 2, 3] [2, 1] ['a', 'b'] 6 8 ['a', 'b', 'c']"},
    {"indent", "{{ 'a\\nb\\n\\nc'|indent(2) }}|{{ 'a\\nb'|indent(2, true) }}", "{}", "a\n  b\n\n  c|  a\n  b"},
    {"string_of_values", "{{ [1, 'a']|string }} {{ none|string }} {{ {'k': \"it's\"}|string }}", "{}",
     "[1, 'a'] None {'k': \"it's\"}"},
    // Tests.
    {"tests",
     "{{ x is defined }}{{ y is undefined }}{{ none is none }}{{ 's' is string }}{{ 1 is number }}{{ 1 is integer }}"
     "{{ 1.5 is float }}{{ {} is mapping }}{{ [] is iterable }}{{ 's' is not mapping }}{{ 3 is odd }}{{ 4 is even }}"
     "{{ 9 is divisibleby 3 }}{{ false is sameas false }}{{ true is boolean }}",
     R"({"x": 1})", "TrueTrueTrueTrueTrueTrueTrueTrueTrueTrueTrueTrueTrueTrueTrue"},
    // Globals.
    {"strftime_now", "{{ strftime_now('%Y-%m-%d %H:%M:%S %A %b') }}", "{}", "2025-07-26 14:05:09 Saturday Jul"},
    {"range_and_dict", "{{ range(3)|list }} {{ range(1, 7, 2)|list }} {{ dict(a=1)|tojson }}", "{}",
     "[0, 1, 2] [1, 3, 5] {\"a\": 1}"},
    {"messages_variable", "{% for m in messages %}{{ m.role }}:{{ m.content }};{% endfor %}",
     R"({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]})", "user:hi;assistant:yo;"},
};

class Feature : public testing::TestWithParam<Row> {};

TEST_P(Feature, RendersLikeJinja) {
    const Row& row = GetParam();
    auto out = render(row.tmpl, row.vars);
    ASSERT_TRUE(out.has_value()) << out.error().describe();
    EXPECT_EQ(*out, row.expected);
}

INSTANTIATE_TEST_SUITE_P(ChatTemplate, Feature, testing::ValuesIn(kRows),
                         [](const testing::TestParamInfo<Row>& info) { return std::string(info.param.name); });

struct ErrorRow {
    const char* name;
    const char* tmpl;
    TemplateError::Kind kind;
    int line;               // 0: do not check
    const char* contains;   // in the message
};

const ErrorRow kErrors[] = {
    {"unknown_statement", "a\n{% include 'x.jinja' %}", TemplateError::Kind::Syntax, 2, "include"},
    {"unclosed_if", "{% if true %}x", TemplateError::Kind::Syntax, 1, "endif"},
    {"unclosed_tag", "{{ x ", TemplateError::Kind::Syntax, 1, "unclosed"},
    {"bad_char", "{{ x $ y }}", TemplateError::Kind::Syntax, 1, "unexpected character"},
    {"unterminated_string", "{{ 'abc }}", TemplateError::Kind::Syntax, 1, "unterminated"},
    {"stray_endfor", "{% endfor %}", TemplateError::Kind::Syntax, 1, "endfor"},
    {"unknown_filter", "\n\n  {{ x | frobnicate }}", TemplateError::Kind::Syntax, 3, "frobnicate"},
    {"unknown_test", "{{ x is frobnicated }}", TemplateError::Kind::Syntax, 1, "frobnicated"},
    {"undefined_attribute_chain", "{{ nothing.at.all }}", TemplateError::Kind::Runtime, 1, "undefined"},
    {"type_error", "{{ 'a' + 1 }}", TemplateError::Kind::Runtime, 1, "unsupported operand"},
    {"raise", "{{ raise_exception('Roles must alternate') }}", TemplateError::Kind::Raised, 0, "Roles must alternate"},
    {"list_append_is_unsafe", "{% set xs = [] %}{{ xs.append(1) }}", TemplateError::Kind::Runtime, 1, "unsafe"},
    {"division_by_zero", "{{ 1 // 0 }}", TemplateError::Kind::Runtime, 1, "zero"},
    {"int_overflow", "{{ 9223372036854775807 + 1 }}", TemplateError::Kind::Runtime, 1, "overflow"},
    {"runaway_loop", "{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}",
     TemplateError::Kind::Runtime, 0, "too long"},
    {"runaway_recursion", "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", TemplateError::Kind::Runtime, 0,
     "nested too deeply"},
    {"runaway_output", "{% set s = 'xxxxxxxxxxxxxxxx' * 65536 %}{% for i in range(100) %}{{ s }}{% endfor %}",
     TemplateError::Kind::Runtime, 0, "exceeds"},
};

class Failure : public testing::TestWithParam<ErrorRow> {};

TEST_P(Failure, GivesAClearError) {
    const ErrorRow& row = GetParam();
    auto out = render(row.tmpl, "{}");
    ASSERT_FALSE(out.has_value()) << "rendered: " << *out;
    EXPECT_EQ(out.error().kind, row.kind) << out.error().describe();
    if (row.line) {
        EXPECT_EQ(out.error().line, row.line) << out.error().describe();
    }
    EXPECT_NE(out.error().message.find(row.contains), std::string::npos) << out.error().describe();
}

INSTANTIATE_TEST_SUITE_P(ChatTemplate, Failure, testing::ValuesIn(kErrors),
                         [](const testing::TestParamInfo<ErrorRow>& info) { return std::string(info.param.name); });

TEST(ChatTemplateError, DeepNestingIsAnErrorNotAStackOverflow) {
    for (const char* open : {"(", "[", "not ", "-"}) {
        std::string text = "{{ ";
        for (int i = 0; i < 5000; ++i) text += open;
        text += "1";
        for (int i = 0; i < 5000; ++i) text += std::string(open) == "(" ? ")" : std::string(open) == "[" ? "]" : "";
        text += " }}";
        auto t = chat_template::Template::parse(text);
        ASSERT_FALSE(t.has_value()) << open;
        EXPECT_NE(t.error().message.find("nested too deeply"), std::string::npos) << t.error().describe();
    }
}

TEST(ChatTemplateError, DescribeNamesLineAndColumn) {
    auto t = chat_template::Template::parse("ok\n  {{ x | }}");
    ASSERT_FALSE(t.has_value());
    EXPECT_EQ(t.error().describe().rfind("line 2, column ", 0), 0u) << t.error().describe();
}

}  // namespace
