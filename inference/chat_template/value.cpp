#include "chat_template/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "common/utf8.h"

namespace chat_template {

void fail(std::string message) { throw Failure{Failure::Kind::Runtime, std::move(message), 0, 0}; }

const Value* CallArgs::get(size_t index, std::string_view name) const {
    if (index < positional.size()) return &positional[index];
    for (const auto& [k, v] : named)
        if (k == name) return &v;
    return nullptr;
}

Value Value::makeNamespace(Dict d) {
    Value v(Kind::Namespace);
    v.m_dict = std::make_shared<Dict>(std::move(d));
    return v;
}

Value Value::callableNamespace(Dict d, std::string name, Function fn) {
    Value v = makeNamespace(std::move(d));
    v.m_str = std::move(name);
    v.m_fn = std::make_shared<const Function>(std::move(fn));
    return v;
}

const List& Value::consume() const {
    static const List kEmpty;
    if (!isGenerator()) return *m_list;
    if (*m_consumed) return kEmpty;
    *m_consumed = true;
    return *m_list;
}

Value Value::function(std::string name, Function fn) {
    Value v(Kind::Function);
    v.m_str = std::move(name);
    v.m_fn = std::make_shared<const Function>(std::move(fn));
    return v;
}

const Value* Value::find(std::string_view key) const {
    if (!isMapping()) return nullptr;
    for (const auto& [k, v] : *m_dict)
        if (k.isString() && k.str() == key) return &v;
    return nullptr;
}

const Value* Value::findKey(const Value& key) const {
    if (!isMapping()) return nullptr;
    for (const auto& [k, v] : *m_dict)
        if (equals(k, key)) return &v;
    return nullptr;
}

void requireHashable(const Value& v) {
    if (v.isList() && !v.isTuple()) fail("unhashable type: 'list'");
    if (v.isMapping()) fail("unhashable type: '" + v.typeName() + "'");
    if (v.isTuple())
        for (const Value& e : v.list()) requireHashable(e);
}

void dictSet(Dict& d, Value key, Value value) {
    requireHashable(key);
    for (auto& [k, old] : d)
        if (equals(k, key)) {
            old = std::move(value);
            return;
        }
    d.emplace_back(std::move(key), std::move(value));
}

bool Value::truthy() const {
    switch (m_kind) {
    case Kind::Undefined:
    case Kind::None: return false;
    case Kind::Bool:
    case Kind::Int: return m_int != 0;
    case Kind::Float: return m_float != 0.0;
    case Kind::String: return !m_str.empty();
    case Kind::List: return isGenerator() || !m_list->empty();
    case Kind::Dict: return !m_dict->empty();
    case Kind::Namespace:
    case Kind::Function: return true;
    }
    return false;
}

std::string Value::typeName() const {
    switch (m_kind) {
    case Kind::Undefined: return "Undefined";
    case Kind::None: return "NoneType";
    case Kind::Bool: return "bool";
    case Kind::Int: return "int";
    case Kind::Float: return "float";
    case Kind::String: return "str";
    case Kind::List: return isGenerator() ? "generator" : isTuple() ? "tuple" : "list";
    case Kind::Dict: return "dict";
    case Kind::Namespace: return "Namespace";
    case Kind::Function: return "function";
    }
    return "object";
}

Value fromJson(const json::Value& v) {
    switch (v.type()) {
    case json::Type::Null: return Value::none();
    case json::Type::Bool: return Value(v.asBool());
    case json::Type::Number: {
        const double d = v.asNumber();
        if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) return Value(static_cast<int64_t>(d));
        return Value(d);
    }
    case json::Type::String: return Value(v.asString());
    case json::Type::Array: {
        List l;
        l.reserve(v.size());
        for (const json::Value& e : v.asArray()) l.push_back(fromJson(e));
        return Value(std::move(l));
    }
    case json::Type::Object: {
        Dict d;
        d.reserve(v.size());
        for (const auto& [k, e] : v.asObject()) d.emplace_back(Value(k), fromJson(e));
        return Value(std::move(d));
    }
    }
    return Value::none();
}

std::string formatFloat(double d) {
    if (std::isnan(d)) return "nan";
    if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
    if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
    // Shortest round-trip digits, then Python's layout: positional for exponents
    // in [-4, 16), scientific ("1e-05", "1.5e+16") otherwise.
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
    std::string sci(buf, r.ptr);
    const size_t e = sci.find('e');
    std::string mant = sci.substr(0, e);
    const int exp = std::stoi(sci.substr(e + 1));
    const bool neg = mant[0] == '-';
    if (neg) mant.erase(0, 1);
    std::string digits;
    for (char c : mant)
        if (c != '.') digits += c;
    std::string out;
    if (exp >= -4 && exp < 16) {
        if (exp >= 0) {
            if (digits.size() <= static_cast<size_t>(exp) + 1) digits.append(static_cast<size_t>(exp) + 1 - digits.size(), '0');
            out = digits.substr(0, static_cast<size_t>(exp) + 1) + "." +
                  (digits.size() > static_cast<size_t>(exp) + 1 ? digits.substr(static_cast<size_t>(exp) + 1) : "0");
        } else {
            out = "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
        }
    } else {
        out = digits.substr(0, 1);
        if (digits.size() > 1) out += "." + digits.substr(1);
        char eb[16];
        std::snprintf(eb, sizeof eb, "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
        out += eb;
    }
    return neg ? "-" + out : out;
}

namespace {

// Python's str.isprintable() is false for control, format, separator (other than
// the space), surrogate and private-use characters: repr() escapes those. This
// covers the ones templates and chat content meet; unassigned code points print.
bool isPrintable(uint32_t c) {
    if (c < 0x20 || (c >= 0x7F && c <= 0xA0) || c == 0xAD) return false;
    if (c == 0x61C || c == 0x180E || c == 0x1680 || c == 0x3000 || c == 0xFEFF) return false;
    if ((c >= 0x2000 && c <= 0x200F) || (c >= 0x2028 && c <= 0x202F) || (c >= 0x205F && c <= 0x206F)) return false;
    if ((c >= 0xD800 && c <= 0xF8FF) || (c >= 0xFFF9 && c <= 0xFFFB) || (c >= 0xE0000 && c <= 0xE007F) || c >= 0xF0000)
        return false;
    return true;
}

std::string reprString(const std::string& s) {
    const bool useDouble = s.find('\'') != std::string::npos && s.find('"') == std::string::npos;
    const char q = useDouble ? '"' : '\'';
    std::string out(1, q);
    for (size_t i = 0; i < s.size();) {
        // A byte that is not UTF-8 stands for itself (Latin-1), as one character.
        const size_t len = utf8::sequenceLength(s, i);
        const size_t n = len ? len : 1;
        size_t next = i;
        const uint32_t cp = len ? utf8::decode(s, next) : static_cast<unsigned char>(s[i]);
        char b[16];
        if (cp == '\\') out += "\\\\";
        else if (cp == static_cast<unsigned char>(q)) out += std::string("\\") + q;
        else if (cp == '\n') out += "\\n";
        else if (cp == '\r') out += "\\r";
        else if (cp == '\t') out += "\\t";
        else if (isPrintable(cp)) out.append(s, i, n);
        else {
            std::snprintf(b, sizeof b, cp <= 0xFF ? "\\x%02x" : cp <= 0xFFFF ? "\\u%04x" : "\\U%08x", cp);
            out += b;
        }
        i += n;
    }
    return out + q;
}

void repr(const Value& v, std::string& out, int depth) {
    if (depth > 200) fail("value nested too deeply to print");
    switch (v.kind()) {
    case Kind::String: out += reprString(v.str()); return;
    case Kind::List: {
        if (v.isGenerator()) {
            out += "<generator object at 0x7f0000000000>";  // Python prints an address here
            return;
        }
        out += v.isTuple() ? '(' : '[';
        bool first = true;
        for (const Value& e : v.list()) {
            if (!first) out += ", ";
            first = false;
            repr(e, out, depth + 1);
        }
        if (v.isTuple() && v.list().size() == 1) out += ',';
        out += v.isTuple() ? ')' : ']';
        return;
    }
    case Kind::Dict:
    case Kind::Namespace: {
        out += v.kind() == Kind::Namespace ? "<Namespace {" : "{";
        bool first = true;
        for (const auto& [k, e] : v.dict()) {
            if (!first) out += ", ";
            first = false;
            repr(k, out, depth + 1);
            out += ": ";
            repr(e, out, depth + 1);
        }
        out += v.kind() == Kind::Namespace ? "}>" : "}";
        return;
    }
    default: out += toStr(v); return;
    }
}

// ensureAscii: non-ASCII as \uXXXX (UTF-16, surrogate pairs above U+FFFF), as
// Python's json.dumps(ensure_ascii=True); invalid UTF-8 bytes become U+FFFD.
void appendAsciiEscape(const std::string& s, size_t& i, std::string& out) {
    size_t next = i;
    uint32_t cp = utf8::decode(s, next);
    i = next - 1;  // the caller's loop steps past the last byte
    char buf[32];
    if (cp >= 0x10000) {
        cp -= 0x10000;
        std::snprintf(buf, sizeof buf, "\\u%04x\\u%04x", 0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF));
    } else {
        std::snprintf(buf, sizeof buf, "\\u%04x", cp);
    }
    out += buf;
}

void jsonString(const std::string& s, std::string& out, bool ensureAscii) {
    out += '"';
    for (size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (ensureAscii && c >= 0x80) {
            appendAsciiEscape(s, i, out);
            continue;
        }
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
            if (c < 0x20) {
                char b[8];
                std::snprintf(b, sizeof b, "\\u%04x", c);
                out += b;
            } else out += static_cast<char>(c);
        }
    }
    out += '"';
}

struct JsonWriter {
    const std::optional<std::string>& indent;
    bool sortKeys;
    bool ensureAscii;
    std::string_view itemSep, keySep;
    std::string out;

    void newline(int level) {
        out += '\n';
        for (int i = 0; i < level; ++i) out += *indent;
    }
    // json.dumps turns keys into strings: 1 -> "1", 1.5 -> "1.5", True -> "true", None -> "null".
    std::string key(const Value& k) {
        switch (k.kind()) {
        case Kind::String: return k.str();
        case Kind::None: return "null";
        case Kind::Bool: return k.asBool() ? "true" : "false";
        case Kind::Int: return std::to_string(k.asInt());
        case Kind::Float: {
            const double d = k.asFloat();
            return std::isnan(d) ? "NaN" : std::isinf(d) ? (d > 0 ? "Infinity" : "-Infinity") : formatFloat(d);
        }
        default: fail("keys must be str, int, float, bool or None, not " + k.typeName());
        }
    }
    void write(const Value& v, int level) {
        if (level > 200) fail("value nested too deeply for tojson");
        switch (v.kind()) {
        case Kind::Undefined: fail("Object of type Undefined is not JSON serializable");
        case Kind::None: out += "null"; return;
        case Kind::Bool: out += v.asBool() ? "true" : "false"; return;
        case Kind::Int: out += std::to_string(v.asInt()); return;
        case Kind::Float: {
            const double d = v.asFloat();
            out += std::isnan(d) ? "NaN" : std::isinf(d) ? (d > 0 ? "Infinity" : "-Infinity") : formatFloat(d);
            return;
        }
        case Kind::String: jsonString(v.str(), out, ensureAscii); return;
        case Kind::List: {
            if (v.isGenerator()) fail("Object of type generator is not JSON serializable");
            if (v.list().empty()) {
                out += "[]";
                return;
            }
            out += '[';
            bool first = true;
            for (const Value& e : v.list()) {
                if (!first) out += itemSep;
                first = false;
                if (indent) newline(level + 1);
                write(e, level + 1);
            }
            if (indent) newline(level);
            out += ']';
            return;
        }
        case Kind::Dict: {
            if (v.dict().empty()) {
                out += "{}";
                return;
            }
            std::vector<const std::pair<Value, Value>*> members;
            for (const auto& m : v.dict()) members.push_back(&m);
            if (sortKeys)
                std::stable_sort(members.begin(), members.end(),
                                 [](auto* a, auto* b) { return lessThan(a->first, b->first); });
            out += '{';
            bool first = true;
            for (const auto* m : members) {
                if (!first) out += itemSep;
                first = false;
                if (indent) newline(level + 1);
                jsonString(key(m->first), out, ensureAscii);
                out += keySep;
                write(m->second, level + 1);
            }
            if (indent) newline(level);
            out += '}';
            return;
        }
        case Kind::Namespace:
        case Kind::Function: fail("Object of type " + v.typeName() + " is not JSON serializable");
        }
    }
};

}  // namespace

std::string toStr(const Value& v) {
    switch (v.kind()) {
    case Kind::Undefined: return "";
    case Kind::None: return "None";
    case Kind::Bool: return v.asBool() ? "True" : "False";
    case Kind::Int: return std::to_string(v.asInt());
    case Kind::Float: return formatFloat(v.asFloat());
    case Kind::String: return v.str();
    case Kind::Function: return "<function " + v.str() + ">";
    default: {
        std::string out;
        repr(v, out, 0);
        return out;
    }
    }
}

std::string toRepr(const Value& v) {
    std::string out;
    repr(v, out, 0);
    return out;
}

std::string toJson(const Value& v, const std::optional<std::string>& indent, bool sortKeys, std::string_view itemSep,
                   std::string_view keySep, bool ensureAscii) {
    JsonWriter w{indent, sortKeys, ensureAscii, itemSep, keySep, {}};
    if (w.itemSep.empty()) w.itemSep = indent ? "," : ", ";
    if (w.keySep.empty()) w.keySep = ": ";
    w.write(v, 0);
    return std::move(w.out);
}

bool equals(const Value& a, const Value& b) {
    if (a.isNumber() && b.isNumber()) {
        if (a.kind() == Kind::Float || b.kind() == Kind::Float) return a.asFloat() == b.asFloat();
        return a.asInt() == b.asInt();
    }
    if (a.kind() != b.kind()) return false;
    if (a.isList() && a.isTuple() != b.isTuple()) return false;
    if (a.isList() && (a.isGenerator() || b.isGenerator())) return &a.list() == &b.list();  // identity
    switch (a.kind()) {
    case Kind::Undefined:
    case Kind::None: return true;
    case Kind::String: return a.str() == b.str();
    case Kind::List: {
        if (a.list().size() != b.list().size()) return false;
        for (size_t i = 0; i < a.list().size(); ++i)
            if (!equals(a.list()[i], b.list()[i])) return false;
        return true;
    }
    case Kind::Dict:
    case Kind::Namespace: {
        if (a.dict().size() != b.dict().size()) return false;
        for (const auto& [k, v] : a.dict()) {
            const Value* other = b.findKey(k);
            if (!other || !equals(v, *other)) return false;
        }
        return true;
    }
    default: return &a == &b;
    }
}

bool lessThan(const Value& a, const Value& b) {
    if (a.isNumber() && b.isNumber()) {
        if (a.kind() == Kind::Float || b.kind() == Kind::Float) return a.asFloat() < b.asFloat();
        return a.asInt() < b.asInt();
    }
    if (a.isString() && b.isString()) return a.str() < b.str();
    if (a.isList() && b.isList() && a.isTuple() == b.isTuple() && !a.isGenerator() && !b.isGenerator()) {
        const List &x = a.list(), &y = b.list();
        for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
            if (lessThan(x[i], y[i])) return true;
            if (lessThan(y[i], x[i])) return false;
        }
        return x.size() < y.size();
    }
    fail("'<' not supported between instances of '" + a.typeName() + "' and '" + b.typeName() + "'");
}

bool contains(const Value& container, const Value& item) {
    switch (container.kind()) {
    case Kind::String:
        if (!item.isString()) fail("'in <string>' requires string as left operand, not " + item.typeName());
        return container.str().find(item.str()) != std::string::npos;
    case Kind::List:
        for (const Value& v : container.consume())
            if (equals(v, item)) return true;
        return false;
    case Kind::Dict:
    case Kind::Namespace: requireHashable(item); return container.findKey(item) != nullptr;
    case Kind::Undefined: return false;
    default: fail("argument of type '" + container.typeName() + "' is not iterable");
    }
}

List iterate(const Value& v) {
    switch (v.kind()) {
    case Kind::Undefined: return {};
    case Kind::List: return v.consume();
    case Kind::Dict: {
        List keys;
        for (const auto& [k, e] : v.dict()) keys.push_back(k);
        return keys;
    }
    case Kind::String: {
        List chars;
        const std::string& s = v.str();
        for (size_t i = 0; i < s.size();) {
            size_t n = 1;
            const auto c = static_cast<unsigned char>(s[i]);
            if (c >= 0xF0) n = 4;
            else if (c >= 0xE0) n = 3;
            else if (c >= 0xC0) n = 2;
            n = std::min(n, s.size() - i);
            chars.emplace_back(s.substr(i, n));
            i += n;
        }
        return chars;
    }
    default: fail("'" + v.typeName() + "' object is not iterable");
    }
}

}  // namespace chat_template
