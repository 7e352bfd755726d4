// The grammar of an answer that is only tool calls (tool_choice "required" or a named
// function): one JSON Schema for "a call of one of these tools" compiled by the JSON
// Schema compiler, wrapped in the syntax's markers. The XML-bodied syntaxes (GLM,
// Qwen3-Coder) are built parameter by parameter in tool_call_grammar_xml.cpp.
#include "assistant/tools.h"
#include "grammar/json_schema.h"
#include "json/json.h"
#include "tool_call_grammar_parts.h"

namespace assistant {

namespace detail {

Result<json::Value> parametersSchema(const ToolDefinition& tool, json::Value& defs) {
    json::Value parameters = json::Value(json::Object{{"type", "object"}});
    if (!tool.parameters.empty()) {
        auto parsed = json::Value::parse(tool.parameters);
        if (!parsed || !(parsed->isObject() || parsed->isBool()))
            return std::unexpected(Error{ErrorCode::InvalidArgument, "tool '" + tool.name + "': parameters are not a JSON Schema object"});
        parameters = std::move(*parsed);
        // A function takes the arguments it lists: without this, a forced call of a
        // schema that leaves additionalProperties out could ramble on in made-up keys.
        if (parameters.isObject() && !parameters.find("additionalProperties") && parameters.find("properties"))
            parameters.set("additionalProperties", false);
        // Compiled alone first, so that an error names the tool and its own schema path.
        if (auto alone = grammar::jsonSchemaToGbnf(parameters); !alone)
            return std::unexpected(Error{ErrorCode::InvalidArgument, "tool '" + tool.name + "' parameters: " + alone.error()});
    }
    for (const char* section : {"$defs", "definitions"}) {
        const json::Value* d = parameters.find(section);
        if (!d || !d->isObject()) continue;
        for (const auto& [name, schema] : d->asObject()) defs.mutableObject().emplace_back(name, schema);
    }
    return parameters;
}

std::string gbnfLiteral(std::string_view text) {
    std::string out(1, '"');
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        if (c == '\n') out += "\\n";
        else out += c;
    }
    return out + "\"";
}

}  // namespace detail

namespace {

using detail::gbnfLiteral;
using detail::parametersSchema;

// {"name": const, "arguments"|"parameters": the tool's schema}; the tool's $defs are
// moved up to `defs` (the compiler resolves $ref from the top-level schema).
Result<json::Value> callSchema(const ToolDefinition& tool, std::string_view nameKey, std::string_view argumentsKey,
                               json::Value& defs) {
    auto parameters = parametersSchema(tool, defs);
    if (!parameters) return std::unexpected(parameters.error());
    json::Value properties = json::Value(json::Object{});
    properties.set(std::string(nameKey), json::Value(json::Object{{"const", tool.name}}));
    properties.set(std::string(argumentsKey), std::move(*parameters));
    json::Value call = json::Value(json::Object{});
    call.set("type", "object");
    call.set("properties", std::move(properties));
    call.set("required", json::Value(json::Array{std::string(nameKey), std::string(argumentsKey)}));
    call.set("additionalProperties", false);
    return call;
}

// Syntaxes that write the name outside the arguments' JSON (DeepSeek, Kimi,
// functionary, harmony): each tool's arguments compiled as $defs "tool-args-N" (rule
// def-tool-args-N), one alternative per tool of head name sep arguments tail.
Result<std::string> nameOutsideGrammar(ToolCallSyntax syntax, std::span<const ToolDefinition> tools,
                                       std::string_view onlyFunction, bool parallel) {
    json::Value defs = json::Value(json::Object{});
    json::Array refs;
    std::vector<std::string> names;
    for (const ToolDefinition& tool : tools) {
        if (!onlyFunction.empty() && tool.name != onlyFunction) continue;
        json::Value moreDefs = json::Value(json::Object{});
        auto parameters = parametersSchema(tool, moreDefs);
        if (!parameters) return std::unexpected(parameters.error());
        const std::string key = "tool-args-" + std::to_string(names.size());
        defs.mutableObject().emplace_back(key, std::move(*parameters));
        for (auto& [k, v] : moreDefs.asObject()) defs.mutableObject().emplace_back(k, v);
        refs.push_back(json::Value(json::Object{{"$ref", "#/$defs/" + key}}));
        names.push_back(tool.name);
    }
    if (names.empty())
        return std::unexpected(Error{ErrorCode::InvalidArgument, onlyFunction.empty() ? std::string("no tools to call")
                                                                 : "no tool named '" + std::string(onlyFunction) + "'"});
    json::Value schema = json::Value(json::Object{{"anyOf", std::move(refs)}});
    schema.set("$defs", std::move(defs));
    auto gbnf = grammar::jsonSchemaToGbnf(schema);
    if (!gbnf) return std::unexpected(Error{ErrorCode::InvalidArgument, "tool parameters: " + gbnf.error()});
    std::string rules = std::move(*gbnf);
    rules.replace(0, 4, "tool-args-any");
    std::string head, sep, tail, open, close, between;
    switch (syntax) {
        case ToolCallSyntax::DeepSeek:
            open = "<｜tool▁calls▁begin｜>", close = "<｜tool▁calls▁end｜>";
            head = "<｜tool▁call▁begin｜>", sep = "<｜tool▁sep｜>", tail = "<｜tool▁call▁end｜>";
            break;
        case ToolCallSyntax::Kimi:
            open = "<|tool_calls_section_begin|>", close = "<|tool_calls_section_end|>";
            head = "<|tool_call_begin|>functions.", sep = ":0<|tool_call_argument_begin|>", tail = "<|tool_call_end|>";
            break;
        case ToolCallSyntax::Functionary: sep = "\n", between = ">>>"; break;  // the prompt gives the first >>>
        default: head = "<|channel|>commentary to=functions.", sep = " <|constrain|>json<|message|>", tail = "<|call|>"; break;
    }
    std::string call;
    for (size_t i = 0; i < names.size(); ++i)
        call += std::string(i ? " | " : "") + gbnfLiteral(head + names[i] + sep) + " def-tool-args-" + std::to_string(i) +
                (tail.empty() ? "" : " " + gbnfLiteral(tail));
    std::string root = "root ::= " + (open.empty() ? "" : gbnfLiteral(open) + " ") + "tool-call";
    if (parallel && syntax != ToolCallSyntax::Harmony) root += " (" + (between.empty() ? "" : gbnfLiteral(between) + " ") + "tool-call)*";
    if (!close.empty()) root += " " + gbnfLiteral(close);
    return root + "\ntool-call ::= " + call + "\n" + rules;
}

}  // namespace

Result<std::string> toolCallGrammar(ToolCallSyntax syntax, std::span<const ToolDefinition> tools,
                                    std::string_view onlyFunction, bool parallel) {
    if (syntax == ToolCallSyntax::DeepSeek || syntax == ToolCallSyntax::Kimi || syntax == ToolCallSyntax::Functionary ||
        syntax == ToolCallSyntax::Harmony)
        return nameOutsideGrammar(syntax, tools, onlyFunction, parallel);
    if (detail::isXmlSyntax(syntax)) return detail::xmlToolCallGrammar(syntax, tools, onlyFunction, parallel);
    const bool commandR = syntax == ToolCallSyntax::CommandR;
    const std::string_view argumentsKey = syntax == ToolCallSyntax::Llama3 || commandR ? "parameters" : "arguments";
    const std::string_view nameKey = commandR ? "tool_name" : "name";
    json::Value defs = json::Value(json::Object{});
    json::Array choices;
    for (const ToolDefinition& tool : tools) {
        if (!onlyFunction.empty() && tool.name != onlyFunction) continue;
        auto call = callSchema(tool, nameKey, argumentsKey, defs);
        if (!call) return std::unexpected(call.error());
        choices.push_back(std::move(*call));
    }
    if (choices.empty())
        return std::unexpected(Error{ErrorCode::InvalidArgument, onlyFunction.empty() ? std::string("no tools to call")
                                                                 : "no tool named '" + std::string(onlyFunction) + "'"});
    json::Value schema = choices.size() == 1 ? std::move(choices.front()) : json::Value(json::Object{{"anyOf", std::move(choices)}});
    if (syntax == ToolCallSyntax::Mistral || syntax == ToolCallSyntax::Phi4 || syntax == ToolCallSyntax::Granite || commandR) {
        json::Value array = json::Value(json::Object{{"type", "array"}, {"items", std::move(schema)}, {"minItems", 1}});
        if (!parallel) array.set("maxItems", 1);
        schema = std::move(array);
    }
    if (defs.size() > 0) schema.set("$defs", std::move(defs));
    auto gbnf = grammar::jsonSchemaToGbnf(schema);
    if (!gbnf) return std::unexpected(Error{ErrorCode::InvalidArgument, "tool parameters: " + gbnf.error()});
    // The compiler's top rule is "root ::= ..."; it becomes one call under our own root.
    std::string out = std::move(*gbnf);
    out.replace(0, 4, "tool-call");
    switch (syntax) {
        case ToolCallSyntax::Llama3:
        case ToolCallSyntax::Mistral:  // [TOOL_CALLS] is a control token: the parser takes a bare [..] instead
            return "root ::= tool-call\n" + out;
        case ToolCallSyntax::Phi4: return "root ::= \"functools\" tool-call\n" + out;
        case ToolCallSyntax::Granite: return "root ::= \"<|tool_call|>\" tool-call\n" + out;
        case ToolCallSyntax::CommandR: return "root ::= \"Action: ```json\\n\" tool-call \"\\n```\"\n" + out;
        default: break;  // Hermes, Generic
    }
    const std::string one = "\"<tool_call>\\n\" tool-call \"\\n</tool_call>\"";
    return "root ::= " + one + (parallel ? " (\"\\n\" " + one + ")*" : std::string()) + "\n" + out;
}

}  // namespace assistant
