// json::Value: storage, accessors, equality and the serializer (dump, quote).
// The parser is in json_parse.cpp.
#include "json/json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "common/utf8.h"

namespace json {

namespace {

const std::string& emptyString() {
    static const std::string s;
    return s;
}
const Array& emptyArray() {
    static const Array a;
    return a;
}
const Object& emptyObject() {
    static const Object o;
    return o;
}
const Value& nullValue() {
    static const Value v;
    return v;
}

}  // namespace

// ---------------------------------------------------------------------------
// Construction, copy, move
// ---------------------------------------------------------------------------

Value::Value(bool b) : m_type(Type::Bool) { m_u.b = b; }
Value::Value(double d) : m_type(Type::Number) { m_u.n = d; }
Value::Value(int64_t v) : m_type(Type::Number), m_integer(true) { m_u.i = v; }
Value::Value(uint64_t v) : m_type(Type::Number) {
    if (v <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        m_integer = true;
        m_u.i = static_cast<int64_t>(v);
    } else {
        m_u.n = static_cast<double>(v);
    }
}

Value::Value(const char* s) {
    if (!s) return;  // a null C string reads as JSON null rather than crashing
    m_u.s = new std::string(s);
    m_type = Type::String;
}

Value::Value(std::string s) {
    m_u.s = new std::string(std::move(s));
    m_type = Type::String;
}

Value::Value(std::string_view s) {
    m_u.s = new std::string(s);
    m_type = Type::String;
}

Value::Value(Array a) {
    m_u.a = new Array(std::move(a));
    m_type = Type::Array;
}

Value::Value(Object o) {
    m_u.o = new Object(std::move(o));
    m_type = Type::Object;
}

Value::Value(const Value& other) {
    switch (other.m_type) {
    case Type::Null: break;
    case Type::Bool: m_u.b = other.m_u.b; break;
    case Type::Number: m_u = other.m_u; break;
    case Type::String: m_u.s = new std::string(*other.m_u.s); break;
    case Type::Array: m_u.a = new Array(*other.m_u.a); break;
    case Type::Object: m_u.o = new Object(*other.m_u.o); break;
    }
    m_type = other.m_type;  // set last: if a copy above throws, *this stays null
    m_integer = other.m_integer;
}

Value::Value(Value&& other) noexcept : m_type(other.m_type), m_integer(other.m_integer), m_u(other.m_u) {
    other.m_type = Type::Null;
    other.m_integer = false;
    other.m_u = Payload{};
}

Value& Value::operator=(const Value& other) {
    if (this != &other) {
        Value tmp(other);  // copy first: other may live inside *this
        swap(tmp);
    }
    return *this;
}

Value& Value::operator=(Value&& other) noexcept {
    if (this != &other) {
        Value tmp(std::move(other));  // take other before freeing what may contain it
        swap(tmp);
    }
    return *this;
}

Value::~Value() { destroy(); }

void Value::destroy() noexcept {
    switch (m_type) {
    case Type::String: delete m_u.s; break;
    case Type::Array: delete m_u.a; break;
    case Type::Object: delete m_u.o; break;
    default: break;
    }
    m_type = Type::Null;
    m_integer = false;
    m_u = Payload{};
}

void Value::swap(Value& other) noexcept {
    std::swap(m_type, other.m_type);
    std::swap(m_integer, other.m_integer);
    std::swap(m_u, other.m_u);
}

// ---------------------------------------------------------------------------
// Accessors
// ---------------------------------------------------------------------------

bool Value::asBool() const { return m_type == Type::Bool && m_u.b; }

double Value::asNumber() const {
    if (m_type != Type::Number) return 0.0;
    return m_integer ? static_cast<double>(m_u.i) : m_u.n;
}

int64_t Value::asInt() const {
    if (m_type != Type::Number) return 0;
    if (m_integer) return m_u.i;
    const double d = m_u.n;
    if (std::isnan(d)) return 0;
    // Saturate instead of the undefined out-of-range conversion. 2^63 is exact.
    if (d >= 9223372036854775808.0) return std::numeric_limits<int64_t>::max();
    if (d <= -9223372036854775808.0) return std::numeric_limits<int64_t>::min();
    return static_cast<int64_t>(d);  // truncates toward zero
}

const std::string& Value::asString() const {
    return m_type == Type::String ? *m_u.s : emptyString();
}

const Array& Value::asArray() const { return m_type == Type::Array ? *m_u.a : emptyArray(); }

const Object& Value::asObject() const {
    return m_type == Type::Object ? *m_u.o : emptyObject();
}

Array& Value::mutableArray() {
    if (m_type != Type::Array) {
        Array* a = new Array();
        destroy();
        m_u.a = a;
        m_type = Type::Array;
    }
    return *m_u.a;
}

Object& Value::mutableObject() {
    if (m_type != Type::Object) {
        Object* o = new Object();
        destroy();
        m_u.o = o;
        m_type = Type::Object;
    }
    return *m_u.o;
}

const Value* Value::find(std::string_view key) const {
    if (m_type != Type::Object) return nullptr;
    for (const auto& [k, v] : *m_u.o)
        if (k == key) return &v;
    return nullptr;
}

Value* Value::find(std::string_view key) {
    return const_cast<Value*>(static_cast<const Value&>(*this).find(key));
}

const Value& Value::operator[](std::string_view key) const {
    const Value* v = find(key);
    return v ? *v : nullValue();
}

const Value& Value::operator[](size_t index) const {
    if (m_type != Type::Array || index >= m_u.a->size()) return nullValue();
    return (*m_u.a)[index];
}

Value& Value::set(std::string key, Value value) {
    Object& obj = mutableObject();
    for (auto& [k, v] : obj) {
        if (k == key) {
            v = std::move(value);
            return v;
        }
    }
    obj.emplace_back(std::move(key), std::move(value));
    return obj.back().second;
}

bool Value::erase(std::string_view key) {
    if (m_type != Type::Object) return false;
    return std::erase_if(*m_u.o, [&](const auto& member) { return member.first == key; }) > 0;
}

Value& Value::push(Value value) {
    Array& arr = mutableArray();
    arr.push_back(std::move(value));
    return arr.back();
}

size_t Value::size() const {
    if (m_type == Type::Array) return m_u.a->size();
    if (m_type == Type::Object) return m_u.o->size();
    return 0;
}

// ---------------------------------------------------------------------------
// Equality
// ---------------------------------------------------------------------------

bool Value::operator==(const Value& other) const {
    if (m_type != other.m_type) return false;
    switch (m_type) {
    case Type::Null: return true;
    case Type::Bool: return m_u.b == other.m_u.b;
    case Type::Number:
        if (m_integer && other.m_integer) return m_u.i == other.m_u.i;
        return asNumber() == other.asNumber();
    case Type::String: return *m_u.s == *other.m_u.s;
    case Type::Array: return *m_u.a == *other.m_u.a;
    case Type::Object: {
        const Object& a = *m_u.o;
        const Object& b = *other.m_u.o;
        if (a.size() != b.size()) return false;
        // Fast path: same member order.
        bool sameOrder = true;
        for (size_t i = 0; i < a.size() && sameOrder; ++i) {
            if (a[i].first != b[i].first) sameOrder = false;
            else if (!(a[i].second == b[i].second)) return false;
        }
        if (sameOrder) return true;
        for (const auto& [k, v] : a) {
            const Value* w = other.find(k);
            if (!w || !(v == *w)) return false;
        }
        return true;
    }
    }
    return false;
}

// ---------------------------------------------------------------------------
// Serializer
// ---------------------------------------------------------------------------

namespace {

void appendQuoted(std::string& out, std::string_view s) {
    static const char kHex[] = "0123456789abcdef";
    out += '"';
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const size_t n = s.size();
    size_t i = 0;
    while (i < n) {
        // Copy the longest run of bytes that need no escaping in one go.
        size_t run = i;
        while (run < n && p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' && p[run] != '\\')
            ++run;
        out.append(s.data() + i, run - i);
        i = run;
        if (i >= n) break;
        const unsigned char c = p[i];
        if (c >= 0x80) {
            const size_t len = utf8::sequenceLength(p + i, n - i);
            if (len == 0) {
                out += "\xEF\xBF\xBD";  // U+FFFD for a byte that is not valid UTF-8
                ++i;
            } else {
                out.append(s.data() + i, len);
                i += len;
            }
            continue;
        }
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            out += "\\u00";
            out += kHex[c >> 4];
            out += kHex[c & 0xF];
            break;
        }
        ++i;
    }
    out += '"';
}

void appendNumber(std::string& out, double d) {
    if (!std::isfinite(d)) {
        out += "null";  // JSON has no NaN / Infinity
        return;
    }
    char buf[64];
    std::to_chars_result r;
    if (d == std::trunc(d) && std::fabs(d) < 9007199254740992.0) {  // 2^53
        if (d == 0 && std::signbit(d)) {
            out += "-0";
            return;
        }
        r = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(d));
    } else {
        r = std::to_chars(buf, buf + sizeof buf, d);  // shortest round-trip form
    }
    out.append(buf, r.ptr);
}

void newline(std::string& out, int indent, int level) {
    out += '\n';
    out.append(static_cast<size_t>(indent) * static_cast<size_t>(level), ' ');
}

struct DumpStyle {
    int indent;  // < 0: compact
    bool sortKeys;
};

void dumpValue(std::string& out, const Value& v, const DumpStyle& style, int level) {
    const int indent = style.indent;
    switch (v.type()) {
    case Type::Null: out += "null"; break;
    case Type::Bool: out += v.asBool() ? "true" : "false"; break;
    case Type::Number:
        if (v.isInteger()) {
            char buf[24];
            out.append(buf, std::to_chars(buf, buf + sizeof buf, v.asInt()).ptr);
        } else {
            appendNumber(out, v.asNumber());
        }
        break;
    case Type::String: appendQuoted(out, v.asString()); break;
    case Type::Array: {
        const Array& a = v.asArray();
        if (a.empty()) {
            out += "[]";
            break;
        }
        out += '[';
        for (size_t i = 0; i < a.size(); ++i) {
            if (i) out += ',';
            if (indent >= 0) newline(out, indent, level + 1);
            dumpValue(out, a[i], style, level + 1);
        }
        if (indent >= 0) newline(out, indent, level);
        out += ']';
        break;
    }
    case Type::Object: {
        const Object& o = v.asObject();
        if (o.empty()) {
            out += "{}";
            break;
        }
        std::vector<const std::pair<std::string, Value>*> members;
        members.reserve(o.size());
        for (const auto& m : o) members.push_back(&m);
        if (style.sortKeys)
            std::stable_sort(members.begin(), members.end(), [](auto* a, auto* b) { return a->first < b->first; });
        out += '{';
        for (size_t i = 0; i < members.size(); ++i) {
            if (i) out += ',';
            if (indent >= 0) newline(out, indent, level + 1);
            appendQuoted(out, members[i]->first);
            out += indent >= 0 ? ": " : ":";
            dumpValue(out, members[i]->second, style, level + 1);
        }
        if (indent >= 0) newline(out, indent, level);
        out += '}';
        break;
    }
    }
}

}  // namespace

std::string Value::dump(int indent, bool sortKeys) const {
    std::string out;
    dumpValue(out, *this, DumpStyle{indent < 0 ? -1 : indent, sortKeys}, 0);
    return out;
}

std::string quote(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    appendQuoted(out, s);
    return out;
}

}  // namespace json
