// Values of the template language, with Python's semantics where templates can tell
// the difference: ints vs floats, str() of lists and dicts ("['a', 1]"), truthiness,
// equality across int/float/bool, dicts that keep insertion order and keys of any
// hashable type ({1: 'a'} keeps the int; 1, 1.0 and True are one key). Lists and
// dicts are immutable once built (Hugging Face renders in an immutable sandbox) and
// so are shared, not copied; only namespace() objects and list.pop() mutate.
// Generators (what select/map/... return in Jinja) are lists flagged as such: always
// true, no len(), consumed by the first iteration.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
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
using Dict = std::vector<std::pair<Value, Value>>;        // insertion order, like a Python dict
using Vars = std::vector<std::pair<std::string, Value>>;  // names -> values (scopes, globals)

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
    Value(List l) : m_kind(Kind::List), m_list(std::make_shared<List>(std::move(l))) {}
    Value(Dict d) : m_kind(Kind::Dict), m_dict(std::make_shared<Dict>(std::move(d))) {}
    // A Python tuple: a list that prints as "(a, b)" (dict.items(), (x, y) literals).
    static Value tuple(List l) {
        Value v(std::move(l));
        v.m_int = 1;
        return v;
    }
    bool isTuple() const { return m_kind == Kind::List && (m_int == 1 || m_int == 3); }
    // groupby's (grouper, list) pairs: tuples that also have those two attributes.
    static Value groupTuple(Value grouper, List items) {
        Value v(List{std::move(grouper), Value(std::move(items))});
        v.m_int = 3;
        return v;
    }
    bool isGroupTuple() const { return m_kind == Kind::List && m_int == 3; }
    // A one-shot iterator over items (select, map, ...): see the header comment.
    static Value generator(List l) {
        Value v(std::move(l));
        v.m_int = 2;
        v.m_consumed = std::make_shared<bool>(false);
        return v;
    }
    bool isGenerator() const { return m_kind == Kind::List && m_int == 2; }
    // The items not yet consumed (all of them, or none after a first iteration);
    // marks a generator consumed.
    const List& consume() const;
    static Value makeNamespace(Dict d);
    static Value function(std::string name, Function fn);
    // A namespace that can also be called (the loop object of a recursive loop).
    static Value callableNamespace(Dict d, std::string name, Function fn);

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
    List& mutableList() const { return *m_list; }           // List only: list.pop()
    const Dict& dict() const { return *m_dict; }            // Dict or Namespace
    Dict& mutableNamespace() const { return *m_dict; }      // Namespace only
    const Function& fn() const { return *m_fn; }            // Function, or a callable Namespace
    bool isCallable() const { return m_fn != nullptr; }

    // Dict/Namespace member with a string key, or nullptr.
    const Value* find(std::string_view key) const;
    // Dict/Namespace member under a key of any type (Python's key equality), or nullptr.
    const Value* findKey(const Value& key) const;

    bool truthy() const;
    std::string typeName() const;  // Python's: "str", "int", "list", "dict", "NoneType", ...

private:
    explicit Value(Kind k) : m_kind(k) {}
    Kind m_kind = Kind::Undefined;
    int64_t m_int = 0;
    double m_float = 0;
    std::string m_str;
    std::shared_ptr<List> m_list;  // mutated only by list.pop()
    std::shared_ptr<bool> m_consumed;  // generators
    std::shared_ptr<Dict> m_dict;  // mutated only through a Namespace
    std::shared_ptr<const Function> m_fn;
};

Value fromJson(const json::Value& v);

// Fails unless v can be a dict key (Python's hashable types: not list, dict, namespace).
void requireHashable(const Value& v);
// Inserts or replaces (keeping the first position), as a Python dict literal does.
void dictSet(Dict& d, Value key, Value value);

// Python str(): strings as is, None -> "None", True, 1.5, ['a', 1], {'k': 'v'}.
std::string toStr(const Value& v);
// Python repr(): strings quoted.
std::string toRepr(const Value& v);
// Python float repr: 1.0, 0.1, 1e-05, 1e+16.
std::string formatFloat(double d);
// json.dumps(v, ensure_ascii=ensureAscii, indent=indent, sort_keys=sortKeys) with the
// default separators (", " and ": ", or "," + newline when indented). indent: the
// text of one level (n spaces for indent=n); nullopt: one line. Keys become strings
// as json.dumps makes them (1 -> "1", True -> "true", None -> "null").
std::string toJson(const Value& v, const std::optional<std::string>& indent, bool sortKeys,
                   std::string_view itemSep = {}, std::string_view keySep = {}, bool ensureAscii = false);

bool equals(const Value& a, const Value& b);
// Python's <: numbers, strings, lists and tuples; anything else fails.
bool lessThan(const Value& a, const Value& b);
inline bool lessOrEqual(const Value& a, const Value& b) { return !lessThan(b, a); }
// Python's `item in container`: substring, list item, dict key; an undefined
// container holds nothing; None and numbers fail.
bool contains(const Value& container, const Value& item);

// Items of a for loop / list(): list items, dict keys, string characters (UTF-8).
List iterate(const Value& v);

}  // namespace chat_template
