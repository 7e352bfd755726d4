// The streaming tool-call parser: a character-at-a-time state machine over the
// model's output.
//
//   Text ──marker──> Open ──'{'──> Object ──JSON closes──> AfterObject ──</tool_call>──> Text
//                      ├──'['──> ArrayGap ──'{'──> Object ──> ArrayGap ──']'──> Text   (Mistral, Phi4)
//                      └──'<'──> XmlBody ──</tool_call>──> Text       (Qwen3-Coder, GLM bodies)
//
// Markers: "<tool_call>" anywhere (Hermes, Generic), "[TOOL_CALLS]" anywhere (Mistral),
// "functools" anywhere (Phi4);
// at the very start of the answer also a bare '{' or "<|python_tag|>" (Llama3) and a
// bare '[' (Mistral: its marker is a control token the stream never shows). Inside an
// object only strings and nesting are tracked; the JSON is checked once it closes.
#include <regex>

#include "assistant/tools.h"
#include "json/json.h"
#include "tool_call_blocks.h"

namespace assistant {

namespace {

// <tool_call> ... </tool_call>: JSON bodies, or XML ones (Qwen3-Coder, GLM).
bool taggedSyntax(ToolCallSyntax s) {
    return s == ToolCallSyntax::Hermes || s == ToolCallSyntax::Generic || s == ToolCallSyntax::Glm ||
           s == ToolCallSyntax::Qwen3Coder;
}

bool isSpace(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

std::string_view trimLeft(std::string_view s) {
    while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
    return s;
}

std::string trim(std::string_view s) {
    s = trimLeft(s);
    while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
    return std::string(s);
}

// Markers that open a call anywhere in the text, and only at the start.
std::vector<std::string_view> anywhereMarkers(ToolCallSyntax syntax) {
    if (detail::isBlockSyntax(syntax)) return detail::blockMarkers(syntax);
    switch (syntax) {
        case ToolCallSyntax::Mistral: return {"[TOOL_CALLS]"};
        case ToolCallSyntax::Phi4: return {"functools"};
        case ToolCallSyntax::Llama3: return {};
        default: break;
    }
    return {"<tool_call>"};
}

std::vector<std::string_view> startMarkers(ToolCallSyntax syntax) {
    if (detail::isBlockSyntax(syntax)) return detail::blockMarkers(syntax);
    switch (syntax) {
        case ToolCallSyntax::Mistral: return {"[TOOL_CALLS]", "["};
        case ToolCallSyntax::Phi4: return {"functools"};
        case ToolCallSyntax::Llama3: return {"<|python_tag|>", "{"};
        default: break;
    }
    return {"<tool_call>"};
}

// A call's JSON: {"name": string, "arguments"|"parameters": object, or a string
// holding one}. Returns the arguments' JSON text, or nothing when it is not a call.
std::optional<std::pair<std::string, std::string>> readCall(std::string_view text) {
    auto value = json::Value::parse(trim(text));
    if (!value || !value->isObject()) return std::nullopt;
    const json::Value* name = value->find("name");
    if (!name || !name->isString() || name->asString().empty()) return std::nullopt;
    const json::Value* args = value->find("arguments");
    if (!args) args = value->find("parameters");
    if (!args) return std::pair{name->asString(), std::string("{}")};
    if (args->isObject()) return std::pair{name->asString(), args->dump()};
    if (args->isString()) {
        auto inner = json::Value::parse(args->asString());
        if (inner && inner->isObject()) return std::pair{name->asString(), args->asString()};
    }
    return std::nullopt;
}

// A parameter's value in an XML body: as its schema's type says when the tool gives
// one (a "string" stays text even when it reads as JSON), else a JSON value as
// written, else the text as a string ("Paris" -> "Paris", 3 -> 3).
json::Value xmlValue(std::string_view text, const json::Value* schema) {
    if (text.starts_with('\n')) text.remove_prefix(1);
    if (text.ends_with('\n')) text.remove_suffix(1);
    const json::Value* type = schema ? schema->find("type") : nullptr;
    if (type && type->isString() && type->asString() == "string") return json::Value(text);
    auto parsed = json::Value::parse(text);
    return parsed ? std::move(*parsed) : json::Value(text);
}

// "<open>KEY</close>" at the start of `rest` (after whitespace): KEY, rest moved past it.
std::optional<std::string_view> xmlTagged(std::string_view& rest, std::string_view open, std::string_view close) {
    rest = trimLeft(rest);
    if (!rest.starts_with(open)) return std::nullopt;
    const size_t end = rest.find(close, open.size());
    if (end == std::string_view::npos) return std::nullopt;
    const std::string_view inner = rest.substr(open.size(), end - open.size());
    rest.remove_prefix(end + close.size());
    return inner;
}

// A <tool_call> body in XML: Qwen3-Coder "<function=NAME><parameter=K>V</parameter>..
// </function>" or GLM "NAME<arg_key>K</arg_key><arg_value>V</arg_value>..".
std::optional<std::pair<std::string, std::string>> readXmlCall(std::string_view body, std::span<const ToolDefinition> tools) {
    std::optional<json::Value> parameters;  // the called tool's schema, once the name is known
    auto schemaOf = [&](const std::string& name, std::string_view key) -> const json::Value* {
        if (!parameters) {
            parameters = json::Value();
            for (const ToolDefinition& t : tools)
                if (t.name == name)
                    if (auto p = json::Value::parse(t.parameters)) parameters = std::move(*p);
        }
        const json::Value* properties = parameters->isObject() ? parameters->find("properties") : nullptr;
        return properties && properties->isObject() ? properties->find(std::string(key)) : nullptr;
    };
    std::string_view rest = trimLeft(body);
    std::string name;
    json::Value args = json::Value(json::Object{});
    if (rest.starts_with("<function=")) {
        const size_t gt = rest.find('>');
        if (gt == std::string_view::npos) return std::nullopt;
        name = rest.substr(10, gt - 10);
        rest.remove_prefix(gt + 1);
        for (;;) {
            rest = trimLeft(rest);
            if (rest.starts_with("</function>")) break;
            if (!rest.starts_with("<parameter=")) return std::nullopt;
            const size_t keyEnd = rest.find('>');
            const size_t end = rest.find("</parameter>");
            if (keyEnd == std::string_view::npos || end == std::string_view::npos || end < keyEnd) return std::nullopt;
            const std::string key(rest.substr(11, keyEnd - 11));
            args.set(key, xmlValue(rest.substr(keyEnd + 1, end - keyEnd - 1), schemaOf(name, key)));
            rest.remove_prefix(end + 12);
        }
    } else {
        const size_t firstKey = rest.find("<arg_key>");
        name = trim(rest.substr(0, firstKey));
        rest = firstKey == std::string_view::npos ? std::string_view() : rest.substr(firstKey);
        while (!trimLeft(rest).empty()) {
            auto key = xmlTagged(rest, "<arg_key>", "</arg_key>");
            auto value = key ? xmlTagged(rest, "<arg_value>", "</arg_value>") : std::nullopt;
            if (!value) return std::nullopt;
            args.set(std::string(*key), xmlValue(*value, schemaOf(name, *key)));
        }
    }
    if (name.empty() || name.find_first_of(" \t\n<>{}\"") != std::string::npos) return std::nullopt;
    return std::pair{name, args.dump()};
}

}  // namespace

ToolCallParser::ToolCallParser(ToolCallSyntax syntax, std::span<const ToolDefinition> tools)
    : m_syntax(syntax), m_tools(tools.begin(), tools.end()) {}

void ToolCallParser::emitText(std::string_view text, std::vector<ToolCallEvent>& out) {
    if (text.empty()) return;
    if (!out.empty() && out.back().kind == ToolCallEvent::Kind::Text) out.back().text += text;
    else out.push_back({ToolCallEvent::Kind::Text, 0, std::string(text), true});
}

std::vector<ToolCallEvent> ToolCallParser::feed(std::string_view text) {
    std::vector<ToolCallEvent> out;
    for (char c : text) step(c, out);
    flushArguments(out);
    return out;
}

void ToolCallParser::step(char c, std::vector<ToolCallEvent>& out) {
    switch (m_state) {
        case State::Text: return stepText(c, out);
        case State::Object: return stepObject(c, out);
        case State::Open:
        case State::ArrayGap: return stepGap(c, out);
        case State::XmlBody: return stepXmlBody(c, out);
        case State::Block: return stepBlock(c, out, false);
        case State::AfterObject: break;
    }
    // After a Hermes call: whitespace, then "</tool_call>"; anything else is text again.
    // The call ends once its close tag is read, so a malformed call's raw text has it.
    if (m_closeMatched == 0 && isSpace(c)) {
        m_afterHeld += c;
        return;
    }
    if (m_closeMatched < m_closeWanted.size() && m_closeWanted[m_closeMatched] == c) {
        m_afterHeld += c;
        if (++m_closeMatched == m_closeWanted.size()) endPendingCall(m_held + m_afterHeld, out);
        return;
    }
    const std::string replay = m_closeWanted.substr(0, m_closeMatched) + c;
    endPendingCall(m_held, out);
    for (char r : replay) stepText(r, out);
}

void ToolCallParser::endPendingCall(const std::string& raw, std::vector<ToolCallEvent>& out) {
    out.push_back({ToolCallEvent::Kind::CallEnd, m_pendingIndex, raw, m_pendingValid});
    m_held.clear();
    m_afterHeld.clear();
    m_state = State::Text;
}

void ToolCallParser::stepText(char c, std::vector<ToolCallEvent>& out) {
    if (m_atStart && m_syntax == ToolCallSyntax::Functionary) {  // the prompt ends in ">>>"
        m_atStart = false;
        m_state = State::Block;
        return stepBlock(c, out, false);
    }
    m_held += c;
    if (m_atStart) {
        const std::string_view t = trimLeft(m_held);
        if (t.empty()) return;  // leading whitespace waits for what follows it
        // Wait while a longer marker may still come ("[" might be "[TOOL_CALLS]"), then
        // take the longest one the text starts with and replay what followed it.
        const std::vector<std::string_view> markers = startMarkers(m_syntax);  // longest first
        for (std::string_view marker : markers)
            if (marker.size() > t.size() && marker.starts_with(t)) return;
        for (std::string_view marker : markers) {
            if (!t.starts_with(marker)) continue;
            const std::string rest(t.substr(marker.size()));
            m_held.resize(m_held.size() - rest.size());
            enterCall(marker, out);
            for (char r : rest) step(r, out);
            return;
        }
        m_atStart = false;
    }
    size_t keep = 0;
    for (std::string_view marker : anywhereMarkers(m_syntax)) {
        if (std::string_view(m_held).ends_with(marker)) {
            emitText(std::string_view(m_held).substr(0, m_held.size() - marker.size()), out);
            m_held = std::string(marker);
            return enterCall(marker, out);
        }
        for (size_t k = std::min(marker.size() - 1, m_held.size()); k > keep; --k)
            if (std::string_view(m_held).ends_with(marker.substr(0, k))) {
                keep = k;
                break;
            }
    }
    emitText(std::string_view(m_held).substr(0, m_held.size() - keep), out);
    m_held.erase(0, m_held.size() - keep);
}

void ToolCallParser::enterCall(std::string_view marker, std::vector<ToolCallEvent>& out) {
    m_atStart = false;
    if (detail::isBlockSyntax(m_syntax)) {
        m_state = State::Block;
        m_held = std::string(marker);  // (without whitespace that came before it)
        return;
    }
    if (marker == "{") return beginObject();
    if (marker == "[") {
        m_inArray = true;
        m_state = State::ArrayGap;
        return;
    }
    m_openWants = marker == "[TOOL_CALLS]" || marker == "functools" ? '[' : '{';
    m_state = State::Open;
}

void ToolCallParser::beginObject() {
    m_state = State::Object;
    m_object.assign(1, '{');  // (assign from "{" trips a g++ 12 -Wrestrict false positive)
    m_depth = 1;
    m_inString = m_escape = m_streaming = m_argsDone = false;
    m_argsStart = m_argsSent = m_argsEnd = 0;
}

// Open: after a marker, whitespace then '{' (or '[' after [TOOL_CALLS]).
// ArrayGap: inside Mistral's [..], before an element, between them, or ']'.
void ToolCallParser::stepGap(char c, std::vector<ToolCallEvent>& out) {
    m_held += c;
    if (isSpace(c)) return;
    if (m_state == State::Open) {
        if (c == '[' && m_openWants == '[') {
            m_inArray = true;
            m_state = State::ArrayGap;
            return;
        }
        if (c == '{') return beginObject();
        if (m_openWants == '{' && taggedSyntax(m_syntax)) {
            m_state = State::XmlBody;  // <tool_call> then not JSON: maybe an XML body
            return;
        }
        return giveUp(out);
    }
    if (c == '{') return beginObject();
    if (c == ',' && m_arrayCalls > 0) return;
    if (c == ']' && m_arrayCalls > 0) {
        m_held.clear();
        m_inArray = false;
        m_arrayCalls = 0;
        m_state = State::Text;
        return;
    }
    giveUp(out);
}

// A block syntax: held until its scanner decides; calls come out whole.
void ToolCallParser::stepBlock(char c, std::vector<ToolCallEvent>& out, bool final) {
    if (!final) m_held += c;
    detail::BlockScan scan = detail::scanBlock(m_syntax, m_held, final);
    if (scan.status == detail::BlockScan::Status::More) return;
    if (scan.status == detail::BlockScan::Status::NotCalls) return giveUp(out);
    const std::string raw = m_held.substr(0, scan.length), rest = m_held.substr(scan.length);
    for (auto& [name, args] : scan.calls) {
        out.push_back({ToolCallEvent::Kind::CallStart, m_calls, name, true});
        out.push_back({ToolCallEvent::Kind::Arguments, m_calls, args, true});
        out.push_back({ToolCallEvent::Kind::CallEnd, m_calls, scan.calls.size() == 1 ? raw : std::string(), true});
        ++m_calls;
    }
    m_held.clear();
    m_state = State::Text;
    for (char r : rest) step(r, out);
}

void ToolCallParser::stepXmlBody(char c, std::vector<ToolCallEvent>& out) {
    static constexpr std::string_view kOpen = "<tool_call>", kClose = "</tool_call>";
    m_held += c;
    if (!std::string_view(m_held).ends_with(kClose)) return;
    const std::string_view body = std::string_view(m_held).substr(kOpen.size(), m_held.size() - kOpen.size() - kClose.size());
    auto call = readXmlCall(body, m_tools);
    if (!call) return giveUp(out);
    out.push_back({ToolCallEvent::Kind::CallStart, m_calls, call->first, true});
    out.push_back({ToolCallEvent::Kind::Arguments, m_calls, call->second, true});
    out.push_back({ToolCallEvent::Kind::CallEnd, m_calls, m_held, true});
    ++m_calls;
    m_held.clear();
    m_state = State::Text;
}

void ToolCallParser::stepObject(char c, std::vector<ToolCallEvent>& out) {
    m_held += c;
    m_object += c;
    if (m_inString) {
        if (m_escape) m_escape = false;
        else if (c == '\\') m_escape = true;
        else if (c == '"') m_inString = false;
    } else if (c == '"') {
        m_inString = true;
    } else if (c == '{' || c == '[') {
        ++m_depth;
    } else if (c == '}' || c == ']') {
        --m_depth;
        if (m_streaming && !m_argsDone && m_depth == 1) {
            m_argsDone = true;
            m_argsEnd = m_object.size();
        }
    }
    if (!m_streaming && c == '{' && m_depth == 2) tryHead(out);
    if (m_depth == 0) objectDone(out);
}

// {"name": "f", "arguments": {   -> the call starts now; its arguments stream.
void ToolCallParser::tryHead(std::vector<ToolCallEvent>& out) {
    static const std::regex kHead(R"re(^\{\s*"name"\s*:\s*"([^"\\]+)"\s*,\s*"(?:arguments|parameters)"\s*:\s*\{$)re");
    std::smatch m;
    if (!std::regex_match(m_object, m, kHead)) return;
    m_streaming = true;
    m_argsStart = m_argsSent = m_object.size() - 1;
    out.push_back({ToolCallEvent::Kind::CallStart, m_calls++, m[1].str(), true});
}

void ToolCallParser::flushArguments(std::vector<ToolCallEvent>& out) {
    if (m_state != State::Object || !m_streaming) return;
    const size_t end = m_argsDone ? m_argsEnd : m_object.size();
    if (end <= m_argsSent) return;
    out.push_back({ToolCallEvent::Kind::Arguments, m_calls - 1, m_object.substr(m_argsSent, end - m_argsSent), true});
    m_argsSent = end;
}

void ToolCallParser::objectDone(std::vector<ToolCallEvent>& out) {
    auto call = readCall(m_object);
    if (m_streaming) {
        flushArguments(out);
    } else if (call) {
        out.push_back({ToolCallEvent::Kind::CallStart, m_calls, call->first, true});
        out.push_back({ToolCallEvent::Kind::Arguments, m_calls, call->second, true});
        ++m_calls;
    } else {
        return giveUp(out);
    }
    m_streaming = false;
    m_pendingIndex = m_calls - 1;
    m_pendingValid = call.has_value();
    if (taggedSyntax(m_syntax)) {
        m_state = State::AfterObject;
        m_closeWanted = "</tool_call>";
        m_closeMatched = 0;
        return;
    }
    endPendingCall(m_held, out);
    if (m_inArray) {
        ++m_arrayCalls;
        m_state = State::ArrayGap;
    } else {
        m_atStart = m_syntax == ToolCallSyntax::Llama3;  // another {"name": ...} may follow
    }
}

void ToolCallParser::giveUp(std::vector<ToolCallEvent>& out) {
    emitText(m_held, out);
    m_held.clear();
    m_state = State::Text;
    m_atStart = m_inArray = m_streaming = false;
    m_arrayCalls = 0;
}

std::vector<ToolCallEvent> ToolCallParser::finish() {
    std::vector<ToolCallEvent> out;
    if (m_state == State::Block) {
        stepBlock(0, out, true);
        if (m_state == State::Block) giveUp(out);
    }
    if (m_state == State::Object && m_streaming) {  // cut short: the call ends as far as it got
        flushArguments(out);
        out.push_back({ToolCallEvent::Kind::CallEnd, m_calls - 1, m_held, false});
        m_held.clear();
    } else if (m_state == State::AfterObject) {
        endPendingCall(m_held + m_afterHeld, out);
    } else if (m_state == State::ArrayGap && m_arrayCalls > 0) {
        m_held.clear();
    }
    giveUp(out);
    return out;
}

ParsedToolCalls parseToolCalls(ToolCallSyntax syntax, std::string_view text, std::span<const ToolDefinition> tools) {
    ToolCallParser parser(syntax, tools);
    std::vector<ToolCallEvent> events = parser.feed(text);
    for (ToolCallEvent& e : parser.finish()) events.push_back(std::move(e));
    ParsedToolCalls parsed;
    ToolCall pending;
    for (const ToolCallEvent& e : events) {
        switch (e.kind) {
            case ToolCallEvent::Kind::Text: parsed.content += e.text; break;
            case ToolCallEvent::Kind::CallStart: pending = ToolCall{"", e.text, ""}; break;
            case ToolCallEvent::Kind::Arguments: pending.arguments += e.text; break;
            case ToolCallEvent::Kind::CallEnd:
                if (e.valid) parsed.calls.push_back(std::move(pending));
                else parsed.content += e.text;
                break;
        }
    }
    if (!parsed.calls.empty()) parsed.content = trim(parsed.content);
    return parsed;
}

}  // namespace assistant
