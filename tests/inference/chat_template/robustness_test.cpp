// Random and truncated template texts give a result or a clear error, never a crash,
// a hang or unbounded memory (a libFuzzer-free fuzz pass, deterministic and fast).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "chat_template/chat_template.h"
#include "json/json.h"
#include "shared_data.h"

namespace {

const char* const kSeeds[] = {
    "{%- for message in messages %}{%- if message.role == 'system' and loop.first %}<<SYS>>{{ message.content | trim }}"
    "{%- elif message.role == 'user' %}[INST] {{ message['content'] }} [/INST]{%- else %}{{ message.content ~ eos_token }}"
    "{%- endif %}{%- endfor %}{%- if add_generation_prompt %}<|assistant|>\n{%- endif %}",
    "{% set ns = namespace(found=false, n=0) %}{% for m in messages[::-1] if m.role != 'tool' %}{% set ns.n = ns.n + 1 %}"
    "{% if m.tool_calls is defined %}{% for c in m.tool_calls %}{{ c.function.arguments | tojson(indent=2) }}{% endfor %}"
    "{% endif %}{% endfor %}{{ ns.n }}{{ tools | map(attribute='function') | map(attribute='name') | join(', ') }}",
    "{% macro render(v, depth=0) %}{% if v is mapping %}{% for k, x in v.items() %}{{ k }}:{{ render(x, depth + 1) }}"
    "{% endfor %}{% elif v is iterable and v is not string %}[{% for x in v %}{{ render(x) }}{% endfor %}]{% else %}"
    "{{ v }}{% endif %}{% endmacro %}{{ render(tools) }}{{ strftime_now('%Y') }}{# done #}",
    "{{ (messages | selectattr('role', 'equalto', 'user') | list | length) * 2 // 3 ** 2 % 5 }}"
    "{{ 'a,b'.split(',')[1:] }}{{ {'k': [1, 2.5, none, true]} | tojson }}{{ raise_exception('x') if false else 'ok' }}",
};

std::vector<std::string> seeds() {
    std::vector<std::string> out(std::begin(kSeeds), std::end(kSeeds));
    // Real templates too when ../shared is there (the test does not need them).
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(testdata::sharedPath("conformance/chat_templates"), ec)) {
        if (e.path().extension() != ".jinja") continue;
        std::ifstream f(e.path(), std::ios::binary);
        std::stringstream ss;
        ss << f.rdbuf();
        out.push_back(ss.str());
    }
    return out;
}

std::string mutate(const std::string& s, std::mt19937& rng) {
    static const char* const kPieces[] = {"{%", "%}", "{{", "}}", "{#", "#}", "-", "+", "(", ")", "[", "]", "{", "}",
                                          "'", "\"", "|", "\\", ".", ",", ":", "~", "**", " is ", " not ", " in ",
                                          "endif", "endfor", "{% endif %}", "{% for x in messages %}", "{% set x = ",
                                          "{% macro m(a=1) %}{{ m(a) }}{% endmacro %}{{ m() }}", "loop.", "\n", "\xff"};
    std::string t = s;
    const int ops = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < ops; ++i) {
        const size_t at = t.empty() ? 0 : rng() % (t.size() + 1);
        switch (rng() % 5) {
        case 0: t.resize(at); break;                                           // truncate
        case 1: t.erase(at, rng() % 16); break;                                // delete a run
        case 2: t.insert(at, kPieces[rng() % std::size(kPieces)]); break;      // insert syntax
        case 3: if (!t.empty() && at < t.size()) t[at] = static_cast<char>(rng()); break;  // flip a byte
        case 4: t.insert(at, t.substr(rng() % (t.size() + 1), rng() % 64)); break;         // duplicate a run
        }
    }
    return t;
}

TEST(ChatTemplateRobustness, MutatedTemplatesNeverCrash) {
    auto context = json::Value::parse(R"({
        "messages": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi"},
                     {"role": "assistant", "content": "", "tool_calls": [{"type": "function",
                      "function": {"name": "f", "arguments": {"a": 1}}}]},
                     {"role": "tool", "content": "{\"r\": 2}"}],
        "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
        "add_generation_prompt": true, "bos_token": "<s>", "eos_token": "</s>"})");
    ASSERT_TRUE(context.has_value());
    chat_template::RenderOptions options;
    options.now = chat_template::parseIsoTime("2025-07-26T14:05:09");
    options.maxSteps = 5'000;
    options.maxOutputBytes = 1 << 20;

    std::mt19937 rng(20250726);
    const std::vector<std::string> base = seeds();
    int rendered = 0, failed = 0;
    for (int i = 0; i < 400; ++i) {
        const std::string text = mutate(base[static_cast<size_t>(i) % base.size()], rng);
        auto t = chat_template::Template::parse(text);
        if (!t) {
            ++failed;
            EXPECT_EQ(t.error().kind, chat_template::TemplateError::Kind::Syntax);
            EXPECT_FALSE(t.error().message.empty());
            EXPECT_GE(t.error().line, 1) << t.error().message;
            continue;
        }
        auto out = (*t)->render(*context, options);
        if (out) {
            ++rendered;
            EXPECT_LE(out->size(), options.maxOutputBytes);
        } else {
            ++failed;
            EXPECT_NE(out.error().kind, chat_template::TemplateError::Kind::Syntax);
        }
    }
    // Both outcomes occur: the mutations are neither all harmless nor all fatal.
    EXPECT_GT(rendered, 20);
    EXPECT_GT(failed, 20);
}

}  // namespace
