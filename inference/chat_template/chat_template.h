// Chat templates: the Jinja subset that Hugging Face chat templates use, rendered
// the way transformers' apply_chat_template renders them (trim_blocks and
// lstrip_blocks on, tojson with ensure_ascii=False, raise_exception and
// strftime_now as globals, an immutable sandbox).
//
//   auto t = chat_template::Template::parse(text);          // once, at model load
//   auto prompt = (*t)->render(context, options);           // per request
//
// renderChat() is the one path that `assistant-cli template`, the conformance
// tests and Model::applyChatTemplate share.
#pragma once

#include <ctime>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "chat_template/value.h"
#include "json/json.h"

namespace chat_template {

struct TemplateError {
    enum class Kind {
        Syntax,   // the template does not parse (unknown syntax): fall back to a built-in format
        Runtime,  // rendering failed (a type error, an undefined value used, a limit hit)
        Raised,   // the template itself called raise_exception(message)
    };
    Kind kind = Kind::Runtime;
    std::string message;  // without the position
    int line = 0, column = 0;
    // "line 3, column 14: unknown filter 'foo'" (or just the message for Raised).
    std::string describe() const;
};

struct RenderOptions {
    std::optional<std::tm> now;  // the clock strftime_now reads; empty: the local time now
    size_t maxOutputBytes = size_t{16} << 20;  // runaway guards: output bytes,
    int64_t maxSteps = 2'000'000;              // loop iterations + macro calls
};

class Template {
public:
    static std::expected<std::shared_ptr<const Template>, TemplateError> parse(std::string_view source);
    ~Template();

    // context: a JSON object of template variables (messages, add_generation_prompt,
    // bos_token, eos_token, tools, ...). Thread-safe: a render keeps its own state.
    std::expected<std::string, TemplateError> render(const json::Value& context, const RenderOptions& options) const;

    struct Impl;

private:
    explicit Template(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

// Parses templateText and renders it with {messages, ...variables}: variables is
// a JSON object (or null). The shared path of the CLI and the conformance tests.
std::expected<std::string, TemplateError> renderChat(std::string_view templateText, const json::Value& messages,
                                                     const json::Value& variables, const RenderOptions& options);

// "2025-07-26T14:05:09" (also with a space instead of 'T') -> broken-down time.
std::optional<std::tm> parseIsoTime(std::string_view text);

}  // namespace chat_template
