// Jinja's tests ("x is defined", "n is divisibleby 3", "r is in roles"...), as Jinja 3.1
// defines them.
#include <map>
#include <string>

#include "chat_template/builtins.h"
#include "chat_template/text_util.h"

namespace chat_template {

namespace {

using TestFn = bool (*)(const Value&, const CallArgs&);

const Value& need(const CallArgs& a, const char* test) {
    if (a.positional.empty()) fail(std::string("test '") + test + "' needs an argument");
    return a.positional[0];
}

const std::map<std::string, TestFn, std::less<>>& tests() {
    static const std::map<std::string, TestFn, std::less<>> kTests = {
        {"defined", [](const Value& v, const CallArgs&) { return !v.isUndefined(); }},
        {"undefined", [](const Value& v, const CallArgs&) { return v.isUndefined(); }},
        {"none", [](const Value& v, const CallArgs&) { return v.isNone(); }},
        {"boolean", [](const Value& v, const CallArgs&) { return v.kind() == Kind::Bool; }},
        {"true", [](const Value& v, const CallArgs&) { return v.kind() == Kind::Bool && v.asBool(); }},
        {"false", [](const Value& v, const CallArgs&) { return v.kind() == Kind::Bool && !v.asBool(); }},
        {"integer", [](const Value& v, const CallArgs&) { return v.kind() == Kind::Int; }},
        {"float", [](const Value& v, const CallArgs&) { return v.kind() == Kind::Float; }},
        {"number", [](const Value& v, const CallArgs&) { return v.isNumber(); }},
        {"string", [](const Value& v, const CallArgs&) { return v.isString(); }},
        {"mapping", [](const Value& v, const CallArgs&) { return v.isDict(); }},
        // Jinja's Undefined is iterable (empty) and a sequence; a generator is iterable only.
        {"iterable", [](const Value& v, const CallArgs&) {
             return v.isString() || v.isList() || v.isDict() || v.isUndefined();
         }},
        {"sequence", [](const Value& v, const CallArgs&) {
             return v.isString() || (v.isList() && !v.isGenerator()) || v.isDict() || v.isUndefined();
         }},
        {"filter", [](const Value& v, const CallArgs&) { return v.isString() && hasFilter(v.str()); }},
        {"test", [](const Value& v, const CallArgs&) { return v.isString() && isKnownTest(v.str()); }},
        {"escaped", [](const Value&, const CallArgs&) { return false; }},
        {"callable", [](const Value& v, const CallArgs&) { return v.isCallable(); }},
        {"sameas", [](const Value& v, const CallArgs& a) {
             const Value& o = need(a, "sameas");
             if (v.kind() != o.kind()) return false;
             if (v.kind() == Kind::None || v.kind() == Kind::Bool) return equals(v, o);
             return false;  // identity of other objects is not observable here
         }},
        {"eq", [](const Value& v, const CallArgs& a) { return equals(v, need(a, "eq")); }},
        {"equalto", [](const Value& v, const CallArgs& a) { return equals(v, need(a, "equalto")); }},
        {"==", [](const Value& v, const CallArgs& a) { return equals(v, need(a, "==")); }},
        {"ne", [](const Value& v, const CallArgs& a) { return !equals(v, need(a, "ne")); }},
        {"!=", [](const Value& v, const CallArgs& a) { return !equals(v, need(a, "!=")); }},
        {"lt", [](const Value& v, const CallArgs& a) { return lessThan(v, need(a, "lt")); }},
        {"lessthan", [](const Value& v, const CallArgs& a) { return lessThan(v, need(a, "lessthan")); }},
        {"greaterthan", [](const Value& v, const CallArgs& a) { return lessThan(need(a, "greaterthan"), v); }},
        {"<", [](const Value& v, const CallArgs& a) { return lessThan(v, need(a, "<")); }},
        {"gt", [](const Value& v, const CallArgs& a) { return lessThan(need(a, "gt"), v); }},
        {">", [](const Value& v, const CallArgs& a) { return lessThan(need(a, ">"), v); }},
        {"le", [](const Value& v, const CallArgs& a) { return !lessThan(need(a, "le"), v); }},
        {"<=", [](const Value& v, const CallArgs& a) { return !lessThan(need(a, "<="), v); }},
        {"ge", [](const Value& v, const CallArgs& a) { return !lessThan(v, need(a, "ge")); }},
        {">=", [](const Value& v, const CallArgs& a) { return !lessThan(v, need(a, ">=")); }},
        {"in", [](const Value& v, const CallArgs& a) { return contains(need(a, "in"), v); }},
        {"divisibleby", [](const Value& v, const CallArgs& a) {
             const int64_t d = need(a, "divisibleby").asInt();
             if (d == 0) fail("division by zero");
             return d == -1 || v.asInt() % d == 0;
         }},
        {"even", [](const Value& v, const CallArgs&) { return v.asInt() % 2 == 0; }},
        {"odd", [](const Value& v, const CallArgs&) { return v.asInt() % 2 != 0; }},
        // str(value).islower() / .isupper(): cased characters, all of one case
        {"lower", [](const Value& v, const CallArgs&) {
             const std::string s = toStr(v);
             return toUpper(s) != s && toLower(s) == s;
         }},
        {"upper", [](const Value& v, const CallArgs&) {
             const std::string s = toStr(v);
             return toLower(s) != s && toUpper(s) == s;
         }},
    };
    return kTests;
}

}  // namespace

bool hasTest(const std::string& name) { return tests().count(name) != 0; }

bool applyTest(const std::string& name, const Value& value, const CallArgs& args) {
    const auto it = tests().find(name);
    if (it == tests().end()) fail("No test named '" + name + "' found.");
    return it->second(value, args);
}

bool isKnownTest(std::string_view name) { return tests().count(name) != 0; }

}  // namespace chat_template
