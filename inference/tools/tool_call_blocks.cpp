// Scanners of the block tool-call syntaxes: each reads one block (a marker, one or
// more calls, the end) from the text held since the marker, or says it needs more,
// or that it is not a call after all.
#include "tool_call_blocks.h"

#include "json/json.h"

namespace assistant::detail {

namespace {

using Status = BlockScan::Status;
constexpr size_t npos = std::string_view::npos;

bool isSpace(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

size_t skipSpace(std::string_view s, size_t i) {
    while (i < s.size() && isSpace(s[i])) ++i;
    return i;
}

// The end (one past) of the JSON object or array that starts at `i`, npos while it
// is open, 0 when s[i] opens neither.
size_t jsonEnd(std::string_view s, size_t i) {
    if (i >= s.size()) return npos;
    if (s[i] != '{' && s[i] != '[') return 0;
    int depth = 0;
    bool inString = false, escape = false;
    for (size_t k = i; k < s.size(); ++k) {
        const char c = s[k];
        if (inString) {
            if (escape) escape = false;
            else if (c == '\\') escape = true;
            else if (c == '"') inString = false;
        } else if (c == '"') {
            inString = true;
        } else if (c == '{' || c == '[') {
            ++depth;
        } else if ((c == '}' || c == ']') && --depth == 0) {
            return k + 1;
        }
    }
    return npos;
}

bool validName(std::string_view name) {
    if (name.empty() || name.size() > 128) return false;
    for (char c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) return false;
    return true;
}

// Arguments JSON text: an object, or a string holding one.
std::optional<std::string> argumentsOf(std::string_view text) {
    auto v = json::Value::parse(text);
    if (v && v->isObject()) return v->dump();
    if (v && v->isString()) {
        auto inner = json::Value::parse(v->asString());
        if (inner && inner->isObject()) return inner->dump();
    }
    return std::nullopt;
}

BlockScan notCalls() { return {Status::NotCalls, 0, {}}; }
BlockScan more(bool final) { return final ? notCalls() : BlockScan{}; }

// A JSON array of {nameKey: "f", argsKey: {..}} after `marker` (and `fence`, Command-R's
// ```json, closed by ``` again).
BlockScan scanArray(std::string_view s, std::string_view marker, std::string_view fence, std::string_view nameKey,
                    std::string_view argsKey, bool final) {
    size_t i = skipSpace(s, marker.size());
    if (!fence.empty()) {
        const std::string_view rest = s.substr(i);
        if (rest.size() < fence.size()) return fence.starts_with(rest) ? more(final) : notCalls();
        if (!rest.starts_with(fence)) return notCalls();
        i = skipSpace(s, i + fence.size());
    }
    if (i >= s.size()) return more(final);
    if (s[i] != '[') return notCalls();
    const size_t end = jsonEnd(s, i);
    if (end == npos) return more(final);
    auto list = json::Value::parse(s.substr(i, end - i));
    if (!list || !list->isArray() || list->size() == 0) return notCalls();
    BlockScan out{Status::Done, end, {}};
    for (const json::Value& item : list->asArray()) {
        const json::Value* name = item.find(std::string(nameKey));
        const json::Value* args = item.find(std::string(argsKey));
        if (!name || !name->isString() || !validName(name->asString())) return notCalls();
        auto argsText = args ? argumentsOf(args->dump()) : std::optional<std::string>("{}");
        if (!argsText) return notCalls();
        out.calls.emplace_back(name->asString(), *argsText);
    }
    if (!fence.empty()) {
        const size_t close = skipSpace(s, end);
        const std::string_view rest = s.substr(close);
        if (rest.size() < 3) return final ? out : BlockScan{};
        if (!rest.starts_with("```")) return notCalls();
        out.length = close + 3;
    }
    return out;
}

// Calls delimited by begin / sep / end markers inside a section (DeepSeek, Kimi).
struct Delimiters {
    std::string_view sectionBegin, callBegin, sep, callEnd, sectionEnd;
};

BlockScan scanDelimited(std::string_view s, const Delimiters& d, ToolCallSyntax syntax, bool final) {
    size_t i = s.starts_with(d.sectionBegin) ? d.sectionBegin.size() : 0;
    BlockScan out{Status::Done, 0, {}};
    for (;;) {
        i = skipSpace(s, i);
        const std::string_view rest = s.substr(i);
        if (rest.starts_with(d.sectionEnd)) {
            out.length = i + d.sectionEnd.size();
            return out.calls.empty() ? notCalls() : out;
        }
        if (!rest.starts_with(d.callBegin)) {
            if (!final && (d.callBegin.starts_with(rest) || d.sectionEnd.starts_with(rest))) return {};
            if (out.calls.empty()) return notCalls();
            out.length = i;  // a section that ends without its end marker
            return out;
        }
        const size_t head = i + d.callBegin.size();
        const size_t sep = s.find(d.sep, head);
        const size_t end = sep == npos ? npos : s.find(d.callEnd, sep + d.sep.size());
        if (end == npos) return more(final);
        std::string_view name = s.substr(head, sep - head);
        std::string_view args = s.substr(sep + d.sep.size(), end - sep - d.sep.size());
        if (syntax == ToolCallSyntax::Kimi) {  // functions.get_weather:0
            if (name.starts_with("functions.")) name.remove_prefix(10);
            if (const size_t colon = name.rfind(':'); colon != npos) name = name.substr(0, colon);
        } else if (name == "function") {  // DeepSeek R1: function<sep>name\n```json\n{..}\n```
            const size_t nl = args.find('\n');
            if (nl == npos) return notCalls();
            name = args.substr(0, nl);
            args.remove_prefix(nl + 1);
            while (!args.empty() && isSpace(args.back())) args.remove_suffix(1);
            if (args.starts_with("```json")) args.remove_prefix(7);
            if (args.ends_with("```")) args.remove_suffix(3);
        }
        while (!name.empty() && isSpace(name.front())) name.remove_prefix(1);
        while (!name.empty() && isSpace(name.back())) name.remove_suffix(1);
        auto argsText = argumentsOf(args);
        if (!validName(name) || !argsText) return notCalls();
        out.calls.emplace_back(std::string(name), *argsText);
        i = end + d.callEnd.size();
    }
}

// functionary v3.2: [>>>]name\n{..}; ">>>all\n" opens plain text (a Done with no calls).
BlockScan scanFunctionary(std::string_view s, bool final) {
    size_t i = s.starts_with(">>>") ? 3 : 0;
    const size_t nl = s.find('\n', i);
    if (nl == npos) return s.size() - i > 128 ? notCalls() : more(final);
    const std::string_view name = s.substr(i, nl - i);
    if (!validName(name)) return notCalls();
    if (name == "all") return {Status::Done, nl + 1, {}};
    const size_t open = skipSpace(s, nl + 1);
    const size_t end = jsonEnd(s, open);
    if (end == npos) return more(final);
    auto argsText = end == 0 ? std::nullopt : argumentsOf(s.substr(open, end - open));
    if (!argsText) return notCalls();
    return {Status::Done, end, {{std::string(name), *argsText}}};
}

// harmony: to=functions.name, then (within a short header: <|channel|>, json,
// <|message|>) the arguments object; a <|call|> right after it belongs to the call.
BlockScan scanHarmony(std::string_view s, bool final) {
    constexpr std::string_view kTo = "to=functions.";
    const size_t i = s.find(kTo) + kTo.size();  // (the marker holds it)
    size_t k = i;
    while (k < s.size() && (std::isalnum(static_cast<unsigned char>(s[k])) || s[k] == '_' || s[k] == '-' || s[k] == '.')) ++k;
    if (k == s.size()) return more(final);
    const std::string_view name = s.substr(i, k - i);
    if (!validName(name)) return notCalls();
    const size_t open = s.find('{', k);
    if (open == npos) return s.size() - k > 64 ? notCalls() : more(final);
    if (open - k > 64) return notCalls();
    const size_t end = jsonEnd(s, open);
    if (end == npos) return more(final);
    auto argsText = argumentsOf(s.substr(open, end - open));
    if (!argsText) return notCalls();
    constexpr std::string_view kCall = "<|call|>";
    const std::string_view after = s.substr(end);
    if (!final && after.size() < kCall.size() && kCall.starts_with(after)) return {};
    return {Status::Done, end + (after.starts_with(kCall) ? kCall.size() : 0), {{std::string(name), *argsText}}};
}

}  // namespace

bool isBlockSyntax(ToolCallSyntax syntax) {
    switch (syntax) {
        case ToolCallSyntax::DeepSeek:
        case ToolCallSyntax::Granite:
        case ToolCallSyntax::CommandR:
        case ToolCallSyntax::Functionary:
        case ToolCallSyntax::Kimi:
        case ToolCallSyntax::Harmony: return true;
        default: return false;
    }
}

std::vector<std::string_view> blockMarkers(ToolCallSyntax syntax) {
    switch (syntax) {
        case ToolCallSyntax::DeepSeek: return {"<｜tool▁calls▁begin｜>", "<｜tool▁call▁begin｜>"};
        case ToolCallSyntax::Granite: return {"<|tool_call|>"};
        case ToolCallSyntax::CommandR: return {"Action:"};
        case ToolCallSyntax::Functionary: return {">>>"};
        case ToolCallSyntax::Kimi: return {"<|tool_calls_section_begin|>", "<|tool_call_begin|>"};
        case ToolCallSyntax::Harmony: return {"<|channel|>commentary to=functions.", "to=functions."};
        default: return {};
    }
}

BlockScan scanBlock(ToolCallSyntax syntax, std::string_view s, bool final) {
    switch (syntax) {
        case ToolCallSyntax::DeepSeek:
            return scanDelimited(s, {"<｜tool▁calls▁begin｜>", "<｜tool▁call▁begin｜>", "<｜tool▁sep｜>", "<｜tool▁call▁end｜>", "<｜tool▁calls▁end｜>"},
                                 syntax, final);
        case ToolCallSyntax::Kimi:
            return scanDelimited(s, {"<|tool_calls_section_begin|>", "<|tool_call_begin|>", "<|tool_call_argument_begin|>",
                                     "<|tool_call_end|>", "<|tool_calls_section_end|>"},
                                 syntax, final);
        case ToolCallSyntax::Granite: return scanArray(s, "<|tool_call|>", "", "name", "arguments", final);
        case ToolCallSyntax::CommandR: return scanArray(s, "Action:", "```json", "tool_name", "parameters", final);
        case ToolCallSyntax::Functionary: return scanFunctionary(s, final);
        case ToolCallSyntax::Harmony: return scanHarmony(s, final);
        default: return notCalls();
    }
}

}  // namespace assistant::detail
