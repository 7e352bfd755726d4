#include "chat_template/chat_template.h"

#include <cstdio>

#include "chat_template/builtins.h"
#include "chat_template/evaluator.h"
#include "chat_template/lexer.h"
#include "chat_template/parser.h"

namespace chat_template {

struct Template::Impl {
    Body body;
};

namespace {

TemplateError toError(const Failure& f) {
    TemplateError e;
    e.kind = f.kind == Failure::Kind::Syntax   ? TemplateError::Kind::Syntax
             : f.kind == Failure::Kind::Raised ? TemplateError::Kind::Raised
                                               : TemplateError::Kind::Runtime;
    e.message = f.message;
    e.line = f.line;
    e.column = f.column;
    return e;
}

// Jinja reads the source with universal newlines and drops one trailing newline
// (keep_trailing_newline=False).
std::string normalizeSource(std::string_view source) {
    std::string s;
    s.reserve(source.size());
    for (size_t i = 0; i < source.size(); ++i) {
        if (source[i] == '\r') {
            s += '\n';
            if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
        } else {
            s += source[i];
        }
    }
    if (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
}

std::tm localNow() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    localtime_r(&t, &tm);
    return tm;
}

}  // namespace

std::string TemplateError::describe() const {
    if (kind == Kind::Raised || line == 0) return message;
    char pos[64];
    std::snprintf(pos, sizeof pos, "line %d, column %d: ", line, column);
    return pos + message;
}

Template::Template(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Template::~Template() = default;

std::expected<std::shared_ptr<const Template>, TemplateError> Template::parse(std::string_view source) {
    try {
        auto impl = std::make_unique<Impl>();
        impl->body = chat_template::parse(lex(normalizeSource(source)));
        return std::shared_ptr<const Template>(new Template(std::move(impl)));
    } catch (const Failure& f) {
        TemplateError e = toError(f);
        e.kind = TemplateError::Kind::Syntax;
        return std::unexpected(std::move(e));
    } catch (const std::bad_alloc&) {
        return std::unexpected(TemplateError{TemplateError::Kind::Syntax, "out of memory while parsing", 0, 0});
    }
}

std::expected<std::string, TemplateError> Template::render(const json::Value& context,
                                                           const RenderOptions& options) const {
    try {
        Vars globals = makeGlobals(options.now ? *options.now : localNow());
        if (context.isObject())
            for (const auto& [k, v] : context.asObject()) {
                Value value = fromJson(v);
                bool replaced = false;
                for (auto& [name, old] : globals)
                    if (name == k) {
                        old = value;
                        replaced = true;
                    }
                if (!replaced) globals.emplace_back(k, std::move(value));
            }
        Limits limits;
        limits.maxOutputBytes = options.maxOutputBytes;
        limits.maxSteps = options.maxSteps;
        return evaluate(m_impl->body, std::move(globals), limits);
    } catch (const Failure& f) {
        return std::unexpected(toError(f));
    } catch (const std::bad_alloc&) {
        return std::unexpected(TemplateError{TemplateError::Kind::Runtime, "out of memory while rendering", 0, 0});
    } catch (const std::length_error&) {
        return std::unexpected(TemplateError{TemplateError::Kind::Runtime, "a value grew too large", 0, 0});
    }
}

std::expected<std::string, TemplateError> renderChat(std::string_view templateText, const json::Value& messages,
                                                     const json::Value& variables, const RenderOptions& options) {
    auto t = Template::parse(templateText);
    if (!t) return std::unexpected(t.error());
    json::Value context = json::Value(json::Object{});
    context.set("messages", messages);
    if (variables.isObject())
        for (const auto& [k, v] : variables.asObject()) context.set(k, v);
    return (*t)->render(context, options);
}

std::optional<std::tm> parseIsoTime(std::string_view text) {
    std::tm tm{};
    int consumed = 0;
    const std::string s(text);
    if (std::sscanf(s.c_str(), "%4d-%2d-%2d%*1[T ]%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                    &tm.tm_min, &tm.tm_sec, &consumed) != 6 ||
        static_cast<size_t>(consumed) != s.size())
        return std::nullopt;
    if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
        tm.tm_sec > 60)
        return std::nullopt;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    tm.tm_isdst = -1;
    std::tm copy = tm;
    if (timegm(&copy) == -1) return std::nullopt;
    tm.tm_wday = copy.tm_wday;  // strftime's %A/%a need the weekday and day of the year
    tm.tm_yday = copy.tm_yday;
    return tm;
}

}  // namespace chat_template
