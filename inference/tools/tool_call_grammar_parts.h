// What the forcing grammars share (tool_call_grammar.cpp, tool_call_grammar_xml.cpp).
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "assistant/tools.h"
#include "json/json.h"

namespace assistant::detail {

// The tool's parameters schema ("" = any object), closed (additionalProperties false
// when it lists properties and does not say); its $defs are moved up into `defs`.
// InvalidArgument names the tool when the schema does not compile.
Result<json::Value> parametersSchema(const ToolDefinition& tool, json::Value& defs);

// text as a GBNF string literal.
std::string gbnfLiteral(std::string_view text);

// The XML-bodied <tool_call> syntaxes: Qwen3-Coder's <function=NAME><parameter=K>
// and GLM's NAME<arg_key>K</arg_key><arg_value>V</arg_value>.
bool isXmlSyntax(ToolCallSyntax syntax);
Result<std::string> xmlToolCallGrammar(ToolCallSyntax syntax, std::span<const ToolDefinition> tools,
                                       std::string_view onlyFunction, bool parallel);

}  // namespace assistant::detail
