#include "tool_protocol.h"

#include <random>

#include "json_fields.h"

namespace server {

using json::Array;
using json::Object;
using json::Value;

namespace {

std::optional<ApiError> readTool(const Value& t, size_t i, assistant::ToolDefinition& out) {
    const std::string param = "tools[" + std::to_string(i) + "]";
    const Value* type = t.find("type");
    if (!t.isObject() || (type && type->asString() != "function"))
        return badParam(param, "'" + param + "' must be {\"type\": \"function\", \"function\": {...}}");
    const Value* f = field(t, "function");
    if (!f || !f->isObject()) return badParam(param + ".function", "'" + param + ".function' must be an object");
    const Value* name = field(*f, "name");
    if (!name || !name->isString() || name->asString().empty())
        return badParam(param + ".function.name", "'" + param + ".function.name' must be a non-empty string");
    out.name = name->asString();
    if (auto e = readString(*f, "description", out.description)) return badParam(param + ".function.description", e->message);
    if (const Value* p = field(*f, "parameters")) {
        if (!p->isObject()) return badParam(param + ".function.parameters", "'" + param + ".function.parameters' must be a JSON Schema object");
        out.parameters = dumpJson(*p);
    }
    return std::nullopt;
}

std::optional<ApiError> readToolChoice(const Value& body, GenerationRequest& r) {
    const Value* c = field(body, "tool_choice");
    if (!c) return std::nullopt;
    using Mode = ToolChoice::Mode;
    if (c->isString()) {
        const std::string& s = c->asString();
        if (s == "auto") r.toolChoice.mode = Mode::Auto;
        else if (s == "none") r.toolChoice.mode = Mode::None;
        else if (s == "required") r.toolChoice.mode = Mode::Required;
        else return badParam("tool_choice", "'tool_choice' must be \"auto\", \"none\", \"required\" or {\"type\": \"function\", \"function\": {\"name\": ...}}");
        return std::nullopt;
    }
    const Value* f = c->isObject() ? field(*c, "function") : nullptr;
    const Value* name = f && f->isObject() ? field(*f, "name") : nullptr;
    if (!name || !name->isString())
        return badParam("tool_choice", "'tool_choice' must be \"auto\", \"none\", \"required\" or {\"type\": \"function\", \"function\": {\"name\": ...}}");
    r.toolChoice.mode = Mode::Function;
    r.toolChoice.function = name->asString();
    return std::nullopt;
}

}  // namespace

std::optional<ApiError> readTools(const Value& body, GenerationRequest& r) {
    if (const Value* tools = field(body, "tools")) {
        if (!tools->isArray()) return badParam("tools", "'tools' must be an array of functions");
        for (size_t i = 0; i < tools->size(); ++i) {
            assistant::ToolDefinition t;
            if (auto e = readTool(tools->asArray()[i], i, t)) return e;
            r.params.tools.push_back(std::move(t));
        }
    }
    if (auto e = readToolChoice(body, r)) return e;
    if (auto e = readBool(body, "parallel_tool_calls", r.toolChoice.parallel)) return e;
    using Mode = ToolChoice::Mode;
    if (r.toolChoice.mode == Mode::None) r.params.tools.clear();
    if (r.toolChoice.mode == Mode::Required && r.params.tools.empty())
        return badParam("tool_choice", "'tool_choice' \"required\" needs 'tools'");
    if (r.toolChoice.mode == Mode::Function) {
        bool known = false;
        for (const auto& t : r.params.tools) known = known || t.name == r.toolChoice.function;
        if (!known) return badParam("tool_choice", "'tool_choice' names '" + r.toolChoice.function + "', which is not in 'tools'");
    }
    return std::nullopt;
}

std::optional<ApiError> readMessageToolFields(const Value& m, const std::string& param, assistant::Message& out) {
    if (const Value* calls = field(m, "tool_calls")) {
        if (!calls->isArray()) return badParam(param + ".tool_calls", "'" + param + ".tool_calls' must be an array");
        for (size_t i = 0; i < calls->size(); ++i) {
            const Value& c = calls->asArray()[i];
            const std::string p = param + ".tool_calls[" + std::to_string(i) + "]";
            const Value* f = c.isObject() ? field(c, "function") : nullptr;
            const Value* name = f && f->isObject() ? field(*f, "name") : nullptr;
            if (!name || !name->isString())
                return badParam(p, "'" + p + "' must be {\"id\", \"type\": \"function\", \"function\": {\"name\", \"arguments\"}}");
            assistant::ToolCall call{"", name->asString(), "{}"};
            if (auto e = readString(c, "id", call.id)) return badParam(p + ".id", e->message);
            if (const Value* a = field(*f, "arguments")) {
                if (a->isString()) call.arguments = a->asString();
                else if (a->isObject()) call.arguments = dumpJson(*a);
                else return badParam(p + ".function.arguments", "'" + p + ".function.arguments' must be a JSON string or an object");
            }
            out.toolCalls.push_back(std::move(call));
        }
    }
    if (auto e = readString(m, "tool_call_id", out.toolCallId)) return badParam(param + ".tool_call_id", e->message);
    if (out.role == "tool") {
        if (auto e = readString(m, "name", out.name)) return badParam(param + ".name", e->message);
    }
    return std::nullopt;
}

std::optional<ApiError> applyToolChoice(GenerationRequest& r, assistant::ToolCallSyntax syntax) {
    using Mode = ToolChoice::Mode;
    if (r.toolChoice.mode != Mode::Required && r.toolChoice.mode != Mode::Function) return std::nullopt;
    if (!r.params.grammar.empty())
        return badParam("tool_choice", "a required tool call and 'response_format' (or 'grammar') exclude each other");
    // A named function is called once, as OpenAI does; "required" may call several.
    const bool named = r.toolChoice.mode == Mode::Function;
    auto g = assistant::toolCallGrammar(syntax, r.params.tools, named ? r.toolChoice.function : "",
                                        !named && r.toolChoice.parallel);
    if (!g) return badParam("tools", g.error().message);
    r.params.grammar = std::move(*g);
    return std::nullopt;
}

std::string newToolCallId() {
    static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    thread_local std::mt19937_64 rng{std::random_device{}()};
    std::uniform_int_distribution<int> pick(0, static_cast<int>(sizeof(kChars)) - 2);
    std::string id = "call_";
    for (int i = 0; i < 24; ++i) id += kChars[pick(rng)];
    return id;
}

Value openAiToolCalls(const std::vector<assistant::ToolCall>& calls) {
    Array out;
    for (const auto& c : calls)
        out.push_back(Object{{"id", c.id}, {"type", "function"}, {"function", Object{{"name", c.name}, {"arguments", c.arguments}}}});
    return out;
}

Value ollamaToolCalls(const std::vector<assistant::ToolCall>& calls) {
    Array out;
    for (const auto& c : calls) {
        auto args = Value::parse(c.arguments);
        out.push_back(Object{{"function", Object{{"name", c.name}, {"arguments", args ? std::move(*args) : Value(Object{})}}}});
    }
    return out;
}

assistant::ParsedToolCalls toolCallsOf(const GenerationRequest& r, assistant::ToolCallSyntax syntax, const std::string& text) {
    if (r.params.tools.empty()) return {text, {}};
    assistant::ParsedToolCalls parsed = assistant::parseToolCalls(syntax, text, r.params.tools);
    for (auto& c : parsed.calls) c.id = newToolCallId();
    return parsed;
}

std::vector<Value> ToolCallDeltas::deltas(const std::vector<assistant::ToolCallEvent>& events) {
    using Kind = assistant::ToolCallEvent::Kind;
    std::vector<Value> out;
    for (const assistant::ToolCallEvent& e : events) {
        switch (e.kind) {
            case Kind::Text: out.push_back(Object{{"content", e.text}}); break;
            case Kind::CallStart:
                out.push_back(Object{{"tool_calls", Array{Object{{"index", e.index}, {"id", newToolCallId()}, {"type", "function"},
                                                                 {"function", Object{{"name", e.text}, {"arguments", ""}}}}}}});
                break;
            case Kind::Arguments:
                out.push_back(Object{{"tool_calls", Array{Object{{"index", e.index}, {"function", Object{{"arguments", e.text}}}}}}});
                break;
            case Kind::CallEnd: break;  // OpenAI marks no end: the next call, or finish_reason
        }
    }
    return out;
}

std::vector<WholeToolCalls::Item> WholeToolCalls::items(const std::vector<assistant::ToolCallEvent>& events) {
    using Kind = assistant::ToolCallEvent::Kind;
    std::vector<Item> out;
    for (const assistant::ToolCallEvent& e : events) {
        switch (e.kind) {
            case Kind::Text: out.push_back({e.text, std::nullopt}); break;
            case Kind::CallStart: m_pending = {newToolCallId(), e.text, ""}; break;
            case Kind::Arguments: m_pending.arguments += e.text; break;
            case Kind::CallEnd:
                if (e.valid) out.push_back({"", m_pending});
                else out.push_back({e.text, std::nullopt});
                break;
        }
    }
    return out;
}

}  // namespace server
