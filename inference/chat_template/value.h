// Values of the template language, with Python's semantics where templates can tell
// the difference: ints vs floats, str() of lists and dicts ("['a', 1]"), truthiness,
// equality across int/float/bool, dicts that keep insertion order. Lists and dicts
// are immutable once built (Hugging Face renders in an immutable sandbox) and so are
// shared, not copied; only namespace() objects are mutable.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "json/json.h"

namespace chat_template {

// A render or parse failure. Thrown inside the interpreter only; the public entry
// points (chat_template.h) turn it into a returned error.
struct Failure {
    enum class Kind { Syntax, Runtime, Raised };
    Kind kind = Kind::Runtime;
    std::string message;
    int line = 0, column = 0;  // 1-based; 0 = unknown
};
[[noreturn]] void fail(std::string message);  // a runtime error; the evaluator adds the position

class Value;
using List = std::vector<Value>;
using Dict = std::vector<std::pair<std::string, Value>>;  // insertion order, like a Python dict

struct CallArgs {
    std::vector<Value> positional;
    std::vector<std::pair<std::string, Value>> named;
    // Positional i, else the keyword name, else nullptr.
    const Value* get(size_t index, std::string_view name) const;
};
using Function = std::function<Value(const CallArgs& args)>;

enum class Kind { Undefined, None, Bool, Int, Float, String, List, Dict, Namespace, Function };

class Value {
public:
    Value() = default;  // undefined
    static Value undefined(std::string name) {
        Value v;
        v.m_str = std::move(name);
        return v;
    }
    static Value none() { return Value(Kind::None); }
    Value(bool b) : m_kind(Kind::Bool), m_int(b) {}
    Value(int v) : m_kind(Kind::Int), m_int(v) {}
    Value(int64_t v) : m_kind(Kind::Int), m_int(v) {}
    Value(size_t v) : m_kind(Kind::Int), m_int(static_cast<int64_t>(v)) {}
    Value(double d) : m_kind(Kind::Float), m_float(d) {}
    Value(std::string s) : m_kind(Kind::String), m_str(std::move(s)) {}
    Value(std::string_view s) : m_kind(Kind::String), m_str(s) {}
    Value(const char* s) : m_kind(Kind::String), m_str(s) {}
    Value(List l) : m_kind(Kind::List), m_list(std::make_shared<const List>(std::move(l))) {}
    Value(Dict d) : m_kind(Kind::Dict), m_dict(std::make_shared<Dict>(std::move(d))) {}
    // A Python tuple: a list that prints as "(a, b)" (dict.items(), (x, y) literals).
    static Value tuple(List l) {
        Value v(std::move(l));
        v.m_int = 1;
        return v;
    }
    bool isTuple() const { return m_kind == Kind::List && m_int == 1; }
    static Value makeNamespace(Dict d);
    static Value function(std::string name, Function fn);

    Kind kind() const { return m_kind; }
    bool isUndefined() const { return m_kind == Kind::Undefined; }
    bool isNone() const { return m_kind == Kind::None; }
    bool isString() const { return m_kind == Kind::String; }
    bool isNumber() const { return m_kind == Kind::Int || m_kind == Kind::Float || m_kind == Kind::Bool; }
    bool isList() const { return m_kind == Kind::List; }
    bool isDict() const { return m_kind == Kind::Dict; }
    bool isMapping() const { return m_kind == Kind::Dict || m_kind == Kind::Namespace; }

    bool asBool() const { return m_int != 0; }
    int64_t asInt() const {
        if (m_kind != Kind::Float) return m_int;
        if (!(m_float > -9.2e18 && m_float < 9.2e18)) return m_float > 0 ? INT64_MAX : INT64_MIN;  // NaN -> MIN
        return static_cast<int64_t>(m_float);
    }
    double asFloat() const { return m_kind == Kind::Float ? m_float : static_cast<double>(m_int); }
    const std::string& str() const { return m_str; }        // String; the name of an Undefined
    const List& list() const { return *m_list; }            // List only
    const Dict& dict() const { return *m_dict; }            // Dict or Namespace
    Dict& mutableNamespace() const { return *m_dict; }      // Namespace only
    const Function& fn() const { return *m_fn; }            // Function only

    // Dict/Namespace member or nullptr.
    const Value* find(std::string_view key) const;

    bool truthy() const;
    std::string typeName() const;  // Python's: "str", "int", "list", "dict", "NoneType", ...

private:
    explicit Value(Kind k) : m_kind(k) {}
    Kind m_kind = Kind::Undefined;
    int64_t m_int = 0;
    double m_float = 0;
    std::string m_str;
    std::shared_ptr<const List> m_list;
    std::shared_ptr<Dict> m_dict;  // mutated only through a Namespace
    std::shared_ptr<const Function> m_fn;
};

Value fromJson(const json::Value& v);

// Python str(): strings as is, None -> "None", True, 1.5, ['a', 1], {'k': 'v'}.
std::string toStr(const Value& v);
// Python repr(): strings quoted.
std::string toRepr(const Value& v);
// Python float repr: 1.0, 0.1, 1e-05, 1e+16.
std::string formatFloat(double d);
// json.dumps(v, ensure_ascii=False, indent=indent, sort_keys=sortKeys) with the
// default separators (", " and ": ", or "," + newline when indented). indent < 0: none.
// ensureAscii: non-ASCII escaped as \uXXXX.
std::string toJson(const Value& v, int indent, bool sortKeys, std::string_view itemSep = {},
                   std::string_view keySep = {}, bool ensureAscii = false);

bool equals(const Value& a, const Value& b);
// Python's <: numbers, strings, lists; anything else fails.
bool lessThan(const Value& a, const Value& b);

// Items of a for loop / list(): list items, dict keys, string characters (UTF-8).
List iterate(const Value& v);

}  // namespace chat_template
