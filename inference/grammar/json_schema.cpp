// JSON Schema -> GBNF: one rule per schema node, named after its path
// ("root-items-name"), plus the fixed rules of json_schema_strings.cpp. A $ref
// becomes a reference to its definition's rule, compiled once, so recursive schemas
// give recursive grammars (never left-recursive: every value starts with a character).
#include "grammar/json_schema.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <vector>

#include "grammar/json_schema_rules.h"

namespace grammar {

namespace {

// A JSON text as a GBNF literal: quotes, backslashes and control characters escaped.
std::string literal(const std::string& text) {
    std::string out = "\"";
    for (unsigned char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20) {
            static const char* kHex = "0123456789ABCDEF";
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

std::string ruleName(const std::string& path) {
    std::string out;
    for (char c : path) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
        out += ok ? c : '-';
    }
    return out;
}

std::optional<int64_t> integerBound(const json::Value* v, int64_t adjust) {
    if (!v || !v->isNumber()) return std::nullopt;
    const double d = v->asNumber();
    if (std::abs(d) > 9e15) return std::nullopt;
    // minimum 2.5 for an integer means 3; maximum 2.5 means 2.
    return static_cast<int64_t>(adjust > 0 ? std::ceil(d) : std::floor(d));
}

class Compiler {
public:
    explicit Compiler(const json::Value& root) : m_root(root) {}

    std::expected<std::string, std::string> run() {
        for (const char* fixed : {"root", "ws", "json-char", "json-string", "json-int", "json-number",
                                  "json-unsigned-number", "json-bool", "json-null", "json-value", "json-object",
                                  "json-array"})
            m_used[fixed] = "";
        const std::string top = compile(m_root, "schema", "");
        if (m_error) return std::unexpected(*m_error);
        std::string out = "root ::= " + top + "\n";
        for (const auto& [name, body] : m_rules) out += name + " ::= " + body + "\n";
        return out + detail::kJsonBaseRules;
    }

private:
    const json::Value& m_root;
    std::vector<std::pair<std::string, std::string>> m_rules;
    std::map<std::string, std::string> m_used;      // rule name -> taken
    std::map<std::string, std::string> m_refRules;  // "#/$defs/x" -> rule name
    std::optional<std::string> m_error;

    std::string fail(const std::string& at, const std::string& message) {
        if (!m_error) m_error = (at.empty() ? "/" : at) + ": " + message;
        return "json-null";
    }

    std::string reserve(const std::string& name) {
        std::string unique = ruleName(name);
        for (int i = 2; m_used.contains(unique); ++i) unique = ruleName(name) + "-" + std::to_string(i);
        m_used[unique] = "";
        return unique;
    }

    std::string add(const std::string& name, const std::string& body) {
        const std::string unique = reserve(name);
        m_rules.emplace_back(unique, body);
        return unique;
    }

    // The GBNF expression (a rule name or a parenthesized group) for `schema`.
    std::string compile(const json::Value& schema, const std::string& name, const std::string& at) {
        if (m_error) return "json-null";
        if (schema.isBool()) return schema.asBool() ? "json-value" : fail(at, "the schema 'false' matches nothing");
        if (!schema.isObject()) return fail(at, "a schema must be an object or a boolean");
        if (const json::Value* ref = schema.find("$ref")) return compileRef(*ref, at + "/$ref");
        for (const char* unsupported : {"not", "if", "then", "else"})
            if (schema.find(unsupported)) return fail(at, std::string("'") + unsupported + "' is not supported");
        if (const json::Value* e = schema.find("const")) return add(name, literal(e->dump()));
        if (const json::Value* e = schema.find("enum")) return compileEnum(*e, name, at + "/enum");
        for (const char* key : {"anyOf", "oneOf"})
            if (const json::Value* alts = schema.find(key)) return compileAnyOf(*alts, name, at + "/" + key);
        if (const json::Value* all = schema.find("allOf")) {
            if (!all->isArray() || all->size() != 1) return fail(at + "/allOf", "only an allOf of one schema is supported");
            return compile((*all)[0], name, at + "/allOf/0");
        }
        const json::Value* type = schema.find("type");
        if (type && type->isArray()) {
            std::string body;
            for (size_t i = 0; i < type->size(); ++i) {
                if (!(*type)[i].isString()) return fail(at + "/type", "types must be strings");
                body += (i ? " | " : "") + compileTyped((*type)[i].asString(), schema, name + "-" + (*type)[i].asString(), at);
            }
            return add(name, body.empty() ? "json-value" : body);
        }
        if (type && !type->isString()) return fail(at + "/type", "'type' must be a string or a list of strings");
        std::string t = type ? type->asString() : "";
        if (t.empty()) {  // no type: guess it from the keywords, else any value
            if (schema.find("properties") || schema.find("additionalProperties") || schema.find("required")) t = "object";
            else if (schema.find("items") || schema.find("prefixItems")) t = "array";
            else return "json-value";
        }
        return compileTyped(t, schema, name, at);
    }

    std::string compileTyped(const std::string& t, const json::Value& schema, const std::string& name,
                             const std::string& at) {
        if (t == "object") return compileObject(schema, name, at);
        if (t == "array") return compileArray(schema, name, at);
        if (t == "string") return compileString(schema, name, at);
        if (t == "integer") return compileInteger(schema, name, at);
        if (t == "number") {
            const json::Value* min = schema.find("minimum");
            const json::Value* xmin = schema.find("exclusiveMinimum");
            const bool nonNegative = (min && min->isNumber() && min->asNumber() >= 0) ||
                                     (xmin && xmin->isNumber() && xmin->asNumber() >= 0);
            return nonNegative ? "json-unsigned-number" : "json-number";
        }
        if (t == "boolean") return "json-bool";
        if (t == "null") return "json-null";
        return fail(at + "/type", "unknown type '" + t + "'");
    }

    std::string compileRef(const json::Value& ref, const std::string& at) {
        if (!ref.isString()) return fail(at, "'$ref' must be a string");
        const std::string& target = ref.asString();
        if (auto it = m_refRules.find(target); it != m_refRules.end()) return it->second;
        std::string key, section;
        for (const std::string prefix : {"#/$defs/", "#/definitions/"}) {
            if (target.starts_with(prefix)) {
                key = target.substr(prefix.size());
                section = prefix.substr(2, prefix.size() - 3);
            }
        }
        if (section.empty())
            return fail(at, "only references to #/$defs/... or #/definitions/... are supported, not '" + target + "'");
        const json::Value* defs = m_root.find(section);
        const json::Value* def = defs ? defs->find(key) : nullptr;
        if (!def) return fail(at, "'" + target + "' is not defined");
        // Reserve the name first: the definition may refer to itself.
        const std::string name = reserve("def-" + key);
        m_refRules[target] = name;
        const std::string body = compile(*def, name + "-body", target.substr(1));
        m_rules.emplace_back(name, body);
        return name;
    }

    std::string compileEnum(const json::Value& values, const std::string& name, const std::string& at) {
        if (!values.isArray() || values.size() == 0) return fail(at, "'enum' must be a non-empty array");
        std::string body;
        for (size_t i = 0; i < values.size(); ++i) body += (i ? " | " : "") + literal(values[i].dump());
        return add(name, body);
    }

    std::string compileAnyOf(const json::Value& alts, const std::string& name, const std::string& at) {
        if (!alts.isArray() || alts.size() == 0) return fail(at, "must be a non-empty array of schemas");
        std::string body;
        for (size_t i = 0; i < alts.size(); ++i)
            body += (i ? " | " : "") + compile(alts[i], name + "-" + std::to_string(i), at + "/" + std::to_string(i));
        return add(name, body);
    }

    std::string compileString(const json::Value& schema, const std::string& name, const std::string& at) {
        if (const json::Value* f = schema.find("format"); f && f->isString()) {
            const std::string body = detail::formatRule(f->asString());
            if (!body.empty()) return add(name, body);
        }
        const json::Value* minV = schema.find("minLength");
        const json::Value* maxV = schema.find("maxLength");
        if (!minV && !maxV) return "json-string";
        const int64_t min = minV ? minV->asInt() : 0;
        const int64_t max = maxV ? maxV->asInt() : -1;
        if (min < 0 || (max >= 0 && max < min)) return fail(at, "minLength/maxLength out of order");
        if (min > 4096 || max > 4096) return fail(at, "string lengths above 4096 are not supported");
        const std::string bounds = "{" + std::to_string(min) + "," + (max >= 0 ? std::to_string(max) : "") + "}";
        return add(name, "\"\\\"\" json-char" + bounds + " \"\\\"\"");
    }

    std::string compileInteger(const json::Value& schema, const std::string& name, const std::string& at) {
        std::optional<int64_t> lo = integerBound(schema.find("minimum"), +1);
        std::optional<int64_t> hi = integerBound(schema.find("maximum"), -1);
        // Draft 6+: exclusiveMinimum/Maximum are numbers (draft 4 booleans are ignored).
        if (auto x = integerBound(schema.find("exclusiveMinimum"), -1)) lo = std::max(lo.value_or(*x + 1), *x + 1);
        if (auto x = integerBound(schema.find("exclusiveMaximum"), +1)) hi = std::min(hi.value_or(*x - 1), *x - 1);
        if (lo && hi && *lo > *hi) return fail(at, "no integer lies between the minimum and the maximum");
        if (!lo && !hi) return "json-int";
        return add(name, detail::integerRange(lo, hi));
    }

    std::string compileArray(const json::Value& schema, const std::string& name, const std::string& at) {
        const json::Value* items = schema.find("items");
        const json::Value* prefix = schema.find("prefixItems");
        const int64_t min = schema.find("minItems") ? schema["minItems"].asInt() : 0;
        const int64_t max = schema.find("maxItems") ? schema["maxItems"].asInt() : -1;
        if (min < 0 || (max >= 0 && max < min)) return fail(at, "minItems/maxItems out of order");
        if (min > 1000 || max > 1000) return fail(at, "minItems/maxItems above 1000 are not supported");
        if (prefix && prefix->isArray() && prefix->size() > 0) {  // a tuple, then more items if allowed
            std::string body = "\"[\" ws";
            for (size_t i = 0; i < prefix->size(); ++i)
                body += std::string(i ? " \",\" ws " : " ") +
                        compile((*prefix)[i], name + "-" + std::to_string(i), at + "/prefixItems/" + std::to_string(i)) + " ws";
            if (items && !(items->isBool() && !items->asBool()))
                body += " (\",\" ws " + compile(*items, name + "-item", at + "/items") + " ws)*";
            return add(name, body + " \"]\"");
        }
        const std::string item = items ? compile(*items, name + "-item", at + "/items") : "json-value";
        const std::string more = "(\",\" ws " + item + " ws)";
        std::string repeat = "{" + std::to_string(std::max<int64_t>(min - 1, 0)) + "," +
                             (max >= 0 ? std::to_string(std::max<int64_t>(max - 1, 0)) : "") + "}";
        if (max == 0) return add(name, "\"[\" ws \"]\"");
        const std::string list = item + " ws " + more + repeat;
        return add(name, "\"[\" ws " + (min == 0 ? "(" + list + ")?" : list) + " \"]\"");
    }

    std::string compileObject(const json::Value& schema, const std::string& name, const std::string& at) {
        struct Property {
            std::string rule;  // "\"key\" ws \":\" ws value"
            bool required;
        };
        std::vector<Property> props;
        std::vector<std::string> required;
        if (const json::Value* r = schema.find("required"); r && r->isArray())
            for (const json::Value& v : r->asArray()) required.push_back(v.asString());
        if (const json::Value* p = schema.find("properties")) {
            if (!p->isObject()) return fail(at + "/properties", "'properties' must be an object");
            for (const auto& [key, sub] : p->asObject()) {
                const std::string value = compile(sub, name + "-" + key, at + "/properties/" + key);
                const bool req = std::find(required.begin(), required.end(), key) != required.end();
                props.push_back({add(name + "-" + key + "-kv", literal(json::quote(key)) + " ws \":\" ws " + value), req});
            }
        }
        const json::Value* additional = schema.find("additionalProperties");
        std::string extra;  // the rule of one extra "key": value, or "" when none are allowed
        if (!additional || !(additional->isBool() && !additional->asBool())) {
            const std::string value = additional && additional->isObject()
                                          ? compile(*additional, name + "-additional", at + "/additionalProperties")
                                          : "json-value";
            extra = add(name + "-extra-kv", "json-string ws \":\" ws " + value);
        }
        // rest(i, first): properties i.. (and then the extras); `first` when nothing was
        // written yet, so no comma leads. Each gets a rule, from the end backwards.
        const size_t n = props.size();
        std::vector<std::string> restFirst(n + 1), restLater(n + 1);
        restFirst[n] = extra.empty() ? "\"\"" : "(" + extra + " ws (\",\" ws " + extra + " ws)*)?";
        restLater[n] = extra.empty() ? "\"\"" : "(\",\" ws " + extra + " ws)*";
        for (size_t k = n; k-- > 0;) {
            const std::string tail = restLater[k + 1];
            const std::string withFirst = props[k].rule + " ws " + tail;
            const std::string withLater = "\",\" ws " + props[k].rule + " ws " + tail;
            const std::string base = name + "-rest-" + std::to_string(k);
            restFirst[k] = add(base + "-first", props[k].required ? withFirst : withFirst + " | " + restFirst[k + 1]);
            restLater[k] = add(base, props[k].required ? withLater : withLater + " | " + restLater[k + 1]);
        }
        return add(name, "\"{\" ws " + restFirst[0] + " \"}\"");
    }
};

}  // namespace

std::expected<std::string, std::string> jsonSchemaToGbnf(const json::Value& schema) {
    return Compiler(schema).run();
}

std::string jsonObjectGbnf() { return std::string("root ::= json-object\n") + detail::kJsonBaseRules; }

}  // namespace grammar
