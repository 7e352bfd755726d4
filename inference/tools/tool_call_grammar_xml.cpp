// The forcing grammar of the XML-bodied <tool_call> syntaxes, in the form their chat
// templates write (Qwen3-Coder.jinja, GLM-4.6.jinja), so a forced call is read by their
// own parser (tool_call_parser.cpp's readXmlCall):
//
//   Qwen3-Coder  <tool_call>\n<function=NAME>\n<parameter=K>\nV\n</parameter>\n...</function>\n</tool_call>
//   GLM          <tool_call>NAME\n<arg_key>K</arg_key>\n<arg_value>V</arg_value>\n...</tool_call>
//
// Parameters in the schema's order, required ones always, optional ones maybe; no
// others unless the schema allows them (additionalProperties not false, or no
// properties listed: then any NAME with a text value). A value is text when the
// parameter is a string (or an enum/const of strings): free text without "</" (enum and
// const: one of the strings; minLength/maxLength: that many characters, none of them
// '<'; format and pattern are not enforced); any other value is JSON valid against the
// parameter's schema, compiled by the JSON Schema compiler as $defs "xml-T-P".
#include <algorithm>

#include "grammar/json_schema.h"
#include "tool_call_grammar_parts.h"

namespace assistant::detail {

namespace {

constexpr int kMaxCounted = 4096;  // the GBNF parser's largest {m,n}

// Free text without "</" (which would close the value's tag).
constexpr std::string_view kTextRule = "xml-text ::= ([^<] | \"<\" [^/])*\n";
// A parameter name the schema does not list (additional parameters).
constexpr std::string_view kNameRule = "xml-name ::= [a-zA-Z0-9_.-]+\n";

struct Shape {
    std::string open, close;                // around the call's body (inside <tool_call>)
    std::string nameHead, nameTail;         // around the function's name
    std::string keyHead, keyTail, valueTail;  // <parameter=K>\n V \n</parameter>\n
    std::string end;                        // after the parameters
};

Shape shapeOf(ToolCallSyntax syntax) {
    if (syntax == ToolCallSyntax::Glm)
        return {"<tool_call>", "</tool_call>", "", "\n", "<arg_key>", "</arg_key>\n<arg_value>", "</arg_value>\n", ""};
    return {"<tool_call>\n", "\n</tool_call>", "<function=", ">\n", "<parameter=", ">\n", "\n</parameter>\n", "</function>"};
}

// The rule body for a text-valued parameter, or "" when its value is JSON.
std::string textValue(const json::Value& schema) {
    if (!schema.isObject()) return {};
    const json::Value* type = schema.find("type");
    std::vector<std::string> choices;
    for (const char* key : {"enum", "const"}) {
        const json::Value* v = schema.find(key);
        if (!v) continue;
        const json::Array one{*v};
        for (const json::Value& c : v->isArray() && std::string_view(key) == "enum" ? v->asArray() : one) {
            if (!c.isString()) return {};  // a number or null among them: JSON it is
            choices.push_back(gbnfLiteral(c.asString()));
        }
    }
    if (!choices.empty()) {
        std::string alternatives;
        for (const std::string& c : choices) alternatives += (alternatives.empty() ? "(" : " | ") + c;
        return alternatives + ")";
    }
    if (!type || !type->isString() || type->asString() != "string") return {};
    const json::Value* lo = schema.find("minLength");
    const json::Value* hi = schema.find("maxLength");
    if (!lo && !hi) return "xml-text";
    const int64_t min = std::clamp<int64_t>(lo ? lo->asInt() : 0, 0, kMaxCounted);
    const std::string max = hi && hi->asInt() <= kMaxCounted ? std::to_string(std::max(hi->asInt(), min)) : "";
    return "[^<]{" + std::to_string(min) + "," + max + "}";
}

}  // namespace

bool isXmlSyntax(ToolCallSyntax syntax) { return syntax == ToolCallSyntax::Glm || syntax == ToolCallSyntax::Qwen3Coder; }

Result<std::string> xmlToolCallGrammar(ToolCallSyntax syntax, std::span<const ToolDefinition> tools,
                                       std::string_view onlyFunction, bool parallel) {
    const Shape s = shapeOf(syntax);
    auto parameter = [&](const std::string& key, const std::string& value) {
        return gbnfLiteral(s.keyHead + key + s.keyTail) + " " + value + " " + gbnfLiteral(s.valueTail);
    };
    const std::string anyParameter = gbnfLiteral(s.keyHead) + " xml-name " + gbnfLiteral(s.keyTail) + " xml-text " +
                                     gbnfLiteral(s.valueTail);
    json::Value defs = json::Value(json::Object{});
    json::Array refs;  // every JSON-valued parameter's schema, so the compiler emits its rule
    std::string calls, rules;
    int index = 0;
    for (const ToolDefinition& tool : tools) {
        if (!onlyFunction.empty() && tool.name != onlyFunction) continue;
        auto schema = parametersSchema(tool, defs);
        if (!schema) return std::unexpected(schema.error());
        const json::Value* properties = schema->isObject() ? schema->find("properties") : nullptr;
        const json::Value* required = schema->isObject() ? schema->find("required") : nullptr;
        const json::Value* additional = schema->isObject() ? schema->find("additionalProperties") : nullptr;
        const std::string rule = "xml-call-" + std::to_string(index);
        std::string body = gbnfLiteral(s.nameHead + tool.name + s.nameTail);
        int p = 0;
        for (const auto& [key, property] : properties && properties->isObject() ? properties->asObject() : json::Object{}) {
            std::string value = textValue(property);
            if (value.empty()) {
                const std::string def = "xml-" + std::to_string(index) + "-" + std::to_string(p);
                defs.mutableObject().emplace_back(def, property);
                refs.push_back(json::Value(json::Object{{"$ref", "#/$defs/" + def}}));
                value = "def-" + def;
            }
            const bool needed = required && required->isArray() &&
                                std::any_of(required->asArray().begin(), required->asArray().end(),
                                            [&](const json::Value& r) { return r.isString() && r.asString() == key; });
            body += needed ? " " + parameter(key, value) : " (" + parameter(key, value) + ")?";
            ++p;
        }
        if (!properties || !(additional && additional->isBool() && !additional->asBool())) body += " (" + anyParameter + ")*";
        if (!s.end.empty()) body += " " + gbnfLiteral(s.end);
        rules += rule + " ::= " + body + "\n";
        calls += (index ? " | " : "") + rule;
        ++index;
    }
    if (index == 0)
        return std::unexpected(Error{ErrorCode::InvalidArgument, onlyFunction.empty() ? std::string("no tools to call")
                                                                 : "no tool named '" + std::string(onlyFunction) + "'"});
    std::string values;
    if (!refs.empty()) {
        json::Value all = json::Value(json::Object{{"anyOf", std::move(refs)}});
        all.set("$defs", std::move(defs));
        auto gbnf = grammar::jsonSchemaToGbnf(all);
        if (!gbnf) return std::unexpected(Error{ErrorCode::InvalidArgument, "tool parameters: " + gbnf.error()});
        values = std::move(*gbnf);
        values.replace(0, 4, "xml-values-any");  // the compiler's root: only its def- rules are used
    }
    const std::string one = gbnfLiteral(s.open) + " tool-call " + gbnfLiteral(s.close);
    return "root ::= " + one + (parallel ? " (\"\\n\" " + one + ")*" : std::string()) + "\ntool-call ::= " + calls + "\n" +
           rules + std::string(kTextRule) + std::string(kNameRule) + values;
}

}  // namespace assistant::detail
