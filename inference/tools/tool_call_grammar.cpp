// The grammar of an answer that is only tool calls (tool_choice "required" or a named
// function): one JSON Schema for "a call of one of these tools" compiled by the JSON
// Schema compiler, wrapped in the syntax's markers.
#include "assistant/tools.h"
#include "grammar/json_schema.h"
#include "json/json.h"

namespace assistant {

namespace {

// {"name": const, "arguments"|"parameters": the tool's schema}; the tool's $defs are
// moved up to `defs` (the compiler resolves $ref from the top-level schema).
Result<json::Value> callSchema(const ToolDefinition& tool, std::string_view argumentsKey, json::Value& defs) {
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
    json::Value properties = json::Value(json::Object{});
    properties.set("name", json::Value(json::Object{{"const", tool.name}}));
    properties.set(std::string(argumentsKey), std::move(parameters));
    json::Value call = json::Value(json::Object{});
    call.set("type", "object");
    call.set("properties", std::move(properties));
    call.set("required", json::Value(json::Array{"name", std::string(argumentsKey)}));
    call.set("additionalProperties", false);
    return call;
}

}  // namespace

Result<std::string> toolCallGrammar(ToolCallSyntax syntax, std::span<const ToolDefinition> tools,
                                    std::string_view onlyFunction, bool parallel) {
    const std::string_view argumentsKey = syntax == ToolCallSyntax::Llama3 ? "parameters" : "arguments";
    json::Value defs = json::Value(json::Object{});
    json::Array choices;
    for (const ToolDefinition& tool : tools) {
        if (!onlyFunction.empty() && tool.name != onlyFunction) continue;
        auto call = callSchema(tool, argumentsKey, defs);
        if (!call) return std::unexpected(call.error());
        choices.push_back(std::move(*call));
    }
    if (choices.empty())
        return std::unexpected(Error{ErrorCode::InvalidArgument, onlyFunction.empty() ? std::string("no tools to call")
                                                                 : "no tool named '" + std::string(onlyFunction) + "'"});
    json::Value schema = choices.size() == 1 ? std::move(choices.front()) : json::Value(json::Object{{"anyOf", std::move(choices)}});
    if (syntax == ToolCallSyntax::Mistral || syntax == ToolCallSyntax::Phi4) {
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
        case ToolCallSyntax::Hermes:
        case ToolCallSyntax::Generic: break;
    }
    const std::string one = "\"<tool_call>\\n\" tool-call \"\\n</tool_call>\"";
    return "root ::= " + one + (parallel ? " (\"\\n\" " + one + ")*" : std::string()) + "\n" + out;
}

}  // namespace assistant
