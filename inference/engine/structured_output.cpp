// The public constrained-output helpers of engine.h over inference/grammar.
#include "assistant/engine.h"
#include "grammar/grammar.h"
#include "grammar/json_schema.h"
#include "json/json.h"

namespace assistant {

Result<std::string> jsonSchemaToGrammar(std::string_view schemaJson) {
    auto schema = json::Value::parse(schemaJson);
    if (!schema) return std::unexpected(Error{ErrorCode::InvalidArgument, "JSON schema: not JSON: " + schema.error()});
    auto gbnf = grammar::jsonSchemaToGbnf(*schema);
    if (!gbnf) return std::unexpected(Error{ErrorCode::InvalidArgument, "JSON schema: " + gbnf.error()});
    return *gbnf;
}

std::string jsonObjectGrammar() { return grammar::jsonObjectGbnf(); }

Status checkGrammar(std::string_view gbnf) {
    auto parsed = grammar::parseGbnf(gbnf);
    if (!parsed) return std::unexpected(Error{ErrorCode::InvalidArgument, "grammar: " + parsed.error().describe()});
    return {};
}

}  // namespace assistant
