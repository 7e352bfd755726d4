// A small JSON value with a strict parser (RFC 8259) and a serializer. Used by the
// chat templates (tojson), the CLI (--json), the local API server and the tests.
// Objects keep their key order. Numbers are doubles; integers up to 2^53 are exact.
#pragma once

#include <cstdint>
#include <expected>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace json {

class Value;
using Array = std::vector<Value>;
using Object = std::vector<std::pair<std::string, Value>>;

enum class Type { Null, Bool, Number, String, Array, Object };

class Value {
public:
    Value() = default;                       // null
    Value(std::nullptr_t) {}
    Value(bool b);
    Value(double d);
    Value(int v) : Value(static_cast<double>(v)) {}
    Value(int64_t v) : Value(static_cast<double>(v)) {}
    Value(uint64_t v) : Value(static_cast<double>(v)) {}
    Value(const char* s);
    Value(std::string s);
    Value(std::string_view s);
    Value(Array a);
    Value(Object o);

    // Strict parse: one value, optional surrounding whitespace, nothing else.
    // Error messages give the byte offset ("offset 17: expected ':'"). Nesting
    // depth is limited (default 256) so hostile input cannot exhaust the stack.
    static std::expected<Value, std::string> parse(std::string_view text, int maxDepth = 256);

    Type type() const { return m_type; }
    bool isNull() const { return m_type == Type::Null; }
    bool isBool() const { return m_type == Type::Bool; }
    bool isNumber() const { return m_type == Type::Number; }
    bool isString() const { return m_type == Type::String; }
    bool isArray() const { return m_type == Type::Array; }
    bool isObject() const { return m_type == Type::Object; }

    // Accessors return a default (false, 0, "", empty) when the type differs.
    bool asBool() const;
    double asNumber() const;
    int64_t asInt() const;                   // truncates toward zero
    const std::string& asString() const;
    const Array& asArray() const;
    const Object& asObject() const;
    Array& mutableArray();                   // converts null to an empty array
    Object& mutableObject();                 // converts null to an empty object

    // Object member lookup; nullptr when absent or not an object.
    const Value* find(std::string_view key) const;
    // Member / element or a shared null value when absent.
    const Value& operator[](std::string_view key) const;
    const Value& operator[](size_t index) const;
    // Sets (or replaces) a member; converts null to an object.
    Value& set(std::string key, Value value);
    // Appends an element; converts null to an array.
    Value& push(Value value);
    size_t size() const;                     // elements or members; 0 otherwise

    // indent < 0: compact ("{"a":1}"); otherwise pretty with that many spaces.
    // Non-ASCII is written as UTF-8 (ensure_ascii=false); integers without ".0".
    std::string dump(int indent = -1) const;

    bool operator==(const Value& other) const;

private:
    Type m_type = Type::Null;
    bool m_bool = false;
    double m_number = 0.0;
    std::shared_ptr<std::string> m_string;
    std::shared_ptr<Array> m_array;
    std::shared_ptr<Object> m_object;
};

// Escapes s as a JSON string literal, quotes included.
std::string quote(std::string_view s);

}  // namespace json
