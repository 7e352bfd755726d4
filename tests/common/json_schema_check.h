// A small JSON Schema validator for the tests of structured output: the subset the
// grammar compiler supports (type, properties, required, additionalProperties,
// items, prefixItems, min/maxItems, enum, const, anyOf/oneOf, $ref to #/$defs,
// string min/maxLength, integer and number minimum/maximum). Returns "" when valid,
// else where and why it is not.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>

#include "json/json.h"

namespace testing_json {

inline std::string checkSchema(const json::Value& v, const json::Value& s, const json::Value& root,
                               const std::string& at = "") {
    if (s.isBool()) return s.asBool() ? "" : at + ": schema false";
    if (const json::Value* ref = s.find("$ref")) {
        std::string target = ref->asString();
        const std::string defs = target.starts_with("#/$defs/") ? "$defs" : "definitions";
        target = target.substr(target.find('/', 2) + 1);
        return checkSchema(v, root[defs][target], root, at);
    }
    if (const json::Value* c = s.find("const"); c && !(*c == v)) return at + ": not the const";
    if (const json::Value* e = s.find("enum")) {
        const auto& a = e->asArray();
        if (std::none_of(a.begin(), a.end(), [&](const json::Value& x) { return x == v; })) return at + ": not in enum";
    }
    for (const char* key : {"anyOf", "oneOf"}) {
        if (const json::Value* alts = s.find(key)) {
            const auto& a = alts->asArray();
            if (std::none_of(a.begin(), a.end(), [&](const json::Value& x) { return checkSchema(v, x, root).empty(); }))
                return at + ": matches no " + key;
        }
    }
    if (const json::Value* t = s.find("type")) {
        auto is = [&](const std::string& name) {
            if (name == "object") return v.isObject();
            if (name == "array") return v.isArray();
            if (name == "string") return v.isString();
            if (name == "number") return v.isNumber();
            if (name == "integer") return v.isNumber() && std::floor(v.asNumber()) == v.asNumber();
            if (name == "boolean") return v.isBool();
            if (name == "null") return v.isNull();
            return false;
        };
        bool ok = false;
        if (t->isString()) ok = is(t->asString());
        else for (const json::Value& x : t->asArray()) ok = ok || is(x.asString());
        if (!ok) return at + ": wrong type " + v.dump();
    }
    if (v.isNumber()) {
        const double d = v.asNumber();
        if (s.find("minimum") && d < s["minimum"].asNumber()) return at + ": below minimum";
        if (s.find("maximum") && d > s["maximum"].asNumber()) return at + ": above maximum";
        if (s.find("exclusiveMinimum") && d <= s["exclusiveMinimum"].asNumber()) return at + ": not above exclusiveMinimum";
        if (s.find("exclusiveMaximum") && d >= s["exclusiveMaximum"].asNumber()) return at + ": not below exclusiveMaximum";
    }
    if (v.isString()) {
        size_t chars = 0;
        for (unsigned char c : v.asString()) chars += (c & 0xC0) != 0x80;
        if (s.find("minLength") && chars < static_cast<size_t>(s["minLength"].asInt())) return at + ": too short";
        if (s.find("maxLength") && chars > static_cast<size_t>(s["maxLength"].asInt())) return at + ": too long";
    }
    if (v.isArray()) {
        if (s.find("minItems") && v.size() < static_cast<size_t>(s["minItems"].asInt())) return at + ": too few items";
        if (s.find("maxItems") && v.size() > static_cast<size_t>(s["maxItems"].asInt())) return at + ": too many items";
        size_t first = 0;
        if (const json::Value* p = s.find("prefixItems")) {
            for (; first < p->size() && first < v.size(); ++first)
                if (auto e = checkSchema(v[first], (*p)[first], root, at + "/" + std::to_string(first)); !e.empty()) return e;
        }
        if (const json::Value* items = s.find("items"))
            for (size_t i = first; i < v.size(); ++i)
                if (auto e = checkSchema(v[i], *items, root, at + "/" + std::to_string(i)); !e.empty()) return e;
    }
    if (v.isObject()) {
        if (const json::Value* r = s.find("required"))
            for (const json::Value& k : r->asArray())
                if (!v.find(k.asString())) return at + ": missing " + k.asString();
        const json::Value* props = s.find("properties");
        for (const auto& [key, value] : v.asObject()) {
            const json::Value* sub = props ? props->find(key) : nullptr;
            if (sub) {
                if (auto e = checkSchema(value, *sub, root, at + "/" + key); !e.empty()) return e;
            } else if (const json::Value* add = s.find("additionalProperties")) {
                if (auto e = checkSchema(value, *add, root, at + "/" + key); !e.empty()) return e;
            }
        }
    }
    return "";
}

}  // namespace testing_json
