// JSON Schema -> GBNF, for structured output (response_format json_schema, the CLI's
// --json-schema). The grammar matches compact or lightly indented JSON (whitespace
// between tokens: nothing, one space, or a newline and up to 16 spaces/tabs).
//
// Supported: type (one or a list), properties + required (properties appear in the
// schema's order; required ones always, optional ones may be left out),
// additionalProperties (false: no other keys; true, absent or a schema: other keys
// after the listed ones; their names are not checked against the listed ones),
// items, prefixItems, minItems, maxItems, enum, const, anyOf, oneOf (as anyOf),
// allOf of one schema, $ref to #/$defs/... or #/definitions/... (recursion fine),
// string minLength/maxLength and format date, time, date-time, uuid, email (loosely:
// the shape, not the calendar), integer minimum/maximum/exclusiveMinimum/
// exclusiveMaximum (enforced exactly, digit by digit), number minimum >= 0 (no minus
// sign; other number bounds are not enforced), boolean, null.
// Not supported (ignored): pattern, multipleOf, uniqueItems, patternProperties,
// minProperties, maxProperties, contains. Rejected with an error: a $ref elsewhere,
// allOf of several schemas, not, if/then/else, an unknown type.
#pragma once

#include <expected>
#include <string>

#include "json/json.h"

namespace grammar {

// The GBNF grammar of values valid against `schema`; the error names the schema
// path ("/properties/age/minimum: ...").
std::expected<std::string, std::string> jsonSchemaToGbnf(const json::Value& schema);

// Any JSON object (response_format json_object, Ollama's format "json").
std::string jsonObjectGbnf();

}  // namespace grammar
