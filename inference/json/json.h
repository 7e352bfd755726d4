// A small JSON value with a strict parser (RFC 8259) and a serializer: the project's
// one JSON library (chat templates' tojson, tool calls, JSON Schema, the CLI's --json,
// the local API server and its remote client, the tests).
// Objects keep their key order. A number is an integer (int64, exact: parsed from a
// literal without fraction or exponent that fits, or built from an integer type) or
// a double.
// Value semantics: copying a Value deep-copies it (a copy never aliases the
// original); moving is cheap and leaves the source null.
#pragma once

#include <cstdint>
#include <expected>
#include <initializer_list>
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
    Value(int v) : Value(static_cast<int64_t>(v)) {}
    Value(unsigned v) : Value(static_cast<int64_t>(v)) {}
    Value(int64_t v);
    Value(uint64_t v);                       // above INT64_MAX: a double
    Value(const char* s);
    Value(std::string s);
    Value(std::string_view s);
    Value(Array a);
    Value(Object o);

    Value(const Value& other);
    Value(Value&& other) noexcept;
    Value& operator=(const Value& other);
    Value& operator=(Value&& other) noexcept;
    ~Value();

    // Strict parse: one value, optional surrounding whitespace, nothing else.
    // Error messages give the byte offset ("offset 17: expected ':'"). Nesting
    // depth is limited (default 256) so hostile input cannot exhaust the stack;
    // values above 1000 are treated as 1000. Duplicate keys: the last value
    // wins (kept at the position of the first occurrence). Input must be valid
    // UTF-8; lone surrogate escapes are rejected; numbers that overflow a double
    // are rejected (underflow gives 0).
    static std::expected<Value, std::string> parse(std::string_view text, int maxDepth = 256);

    Type type() const { return m_type; }
    bool isNull() const { return m_type == Type::Null; }
    bool isBool() const { return m_type == Type::Bool; }
    bool isNumber() const { return m_type == Type::Number; }
    // An integer number (see above): asInt() is exact. 5.0 and 5e0 are not integers.
    bool isInteger() const { return m_type == Type::Number && m_integer; }
    bool isString() const { return m_type == Type::String; }
    bool isArray() const { return m_type == Type::Array; }
    bool isObject() const { return m_type == Type::Object; }

    // Accessors return a default (false, 0, "", empty) when the type differs.
    bool asBool() const;
    double asNumber() const;
    int64_t asInt() const;                   // a double: truncated toward zero, saturated
    const std::string& asString() const;
    const Array& asArray() const;
    const Object& asObject() const;
    Array& mutableArray();                   // converts a non-array (e.g. null) to an empty array
    Object& mutableObject();                 // converts a non-object (e.g. null) to an empty object

    // Object member lookup; nullptr when absent or not an object.
    const Value* find(std::string_view key) const;
    Value* find(std::string_view key);
    // Member / element or a shared null value when absent.
    const Value& operator[](std::string_view key) const;
    const Value& operator[](size_t index) const;
    // Sets (or replaces, in place) a member; converts null (any non-object) to
    // an object. Returns the stored member value.
    Value& set(std::string key, Value value);
    // Removes the member key; false when there was none (or this is not an object).
    bool erase(std::string_view key);
    // Appends an element; converts null (any non-array) to an array. Returns the
    // stored element.
    Value& push(Value value);
    size_t size() const;                     // elements or members; 0 otherwise

    // indent < 0: compact ("{"a":1}"); otherwise pretty with that many spaces.
    // Non-ASCII is written as UTF-8 (ensure_ascii=false); integral numbers without ".0".
    // Pretty mode follows Python's json.dumps(indent=N): "," + newline, ": ".
    // Non-integral numbers use the shortest round-trip form; NaN/Inf -> null.
    // sortKeys: every object's members in byte order of their keys (Python's
    // sort_keys=True), else in their stored order.
    std::string dump(int indent = -1, bool sortKeys = false) const;

    // Deep equality. Objects compare as maps (member order does not matter); numbers
    // by value (1 == 1.0).
    bool operator==(const Value& other) const;

private:
    void destroy() noexcept;
    void swap(Value& other) noexcept;

    union Payload {
        bool b;
        double n;
        int64_t i;
        std::string* s;
        Array* a;
        Object* o;
    };
    Type m_type = Type::Null;
    bool m_integer = false;  // Type::Number: m_u.i holds it, else m_u.n
    Payload m_u{};
};

// Escapes s as a JSON string literal, quotes included. Control characters are
// escaped (\n, \u001f), '/' and non-ASCII are not; bytes that are not valid
// UTF-8 are written as U+FFFD so the output is always valid JSON.
std::string quote(std::string_view s);

}  // namespace json
