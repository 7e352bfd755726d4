// Attribute and item access, with the Python methods templates call on strings
// (strip, split, startswith, ...), dicts (items, get, ...) and lists (index, count).
// Mutating methods fail as in Hugging Face's immutable sandbox.
#include <algorithm>
#include <array>
#include <cctype>
#include <optional>

#include "chat_template/builtins.h"
#include "chat_template/text_util.h"

namespace chat_template {

namespace {

const Value* arg(const CallArgs& a, size_t i, std::string_view name) { return a.get(i, name); }

std::string strArg(const CallArgs& a, size_t i, std::string_view name, const char* method) {
    const Value* v = arg(a, i, name);
    if (!v) fail(std::string(method) + "() missing argument '" + std::string(name) + "'");
    if (!v->isString()) fail(std::string(method) + "() argument must be str, not " + v->typeName());
    return v->str();
}

// None/absent -> whitespace; else the characters to strip.
std::string stripSet(const CallArgs& a) {
    const Value* v = arg(a, 0, "chars");
    if (!v || v->isNone()) return std::string(kWhitespace);
    if (!v->isString()) fail("strip arg must be None or str");
    return v->str();
}

bool prefixTest(const Value& self, const CallArgs& a, bool suffix) {
    const Value* v = arg(a, 0, suffix ? "suffix" : "prefix");
    if (!v) fail(std::string(suffix ? "endswith" : "startswith") + "() takes at least 1 argument");
    auto one = [&](const Value& p) {
        if (!p.isString()) fail("startswith/endswith first arg must be str or a tuple of str, not " + p.typeName());
        return suffix ? self.str().ends_with(p.str()) : self.str().starts_with(p.str());
    };
    if (v->isList()) return std::any_of(v->list().begin(), v->list().end(), one);
    return one(*v);
}

// ljust/rjust/center/zfill to `width` code points with `fill`.
std::string pad(const std::string& s, int64_t width, const std::string& fill, const std::string& how) {
    const int64_t len = static_cast<int64_t>(codepointCount(s));
    if (width <= len) return s;
    const int64_t margin = width - len;
    int64_t left = how == "rjust" ? margin : how == "center" ? margin / 2 + (margin & width & 1) : 0;
    if (how == "zfill") {
        const bool sign = !s.empty() && (s[0] == '-' || s[0] == '+');
        std::string out = sign ? s.substr(0, 1) : "";
        for (int64_t i = 0; i < margin; ++i) out += '0';
        return out + (sign ? s.substr(1) : s);
    }
    std::string out;
    for (int64_t i = 0; i < left; ++i) out += fill;
    out += s;
    for (int64_t i = left; i < margin; ++i) out += fill;
    return out;
}

Value stringMethod(const Value& self, const std::string& name, const CallArgs& a) {
    const std::string& s = self.str();
    if (name == "strip") return Value(strip(s, stripSet(a), true, true));
    if (name == "lstrip") return Value(strip(s, stripSet(a), true, false));
    if (name == "rstrip") return Value(strip(s, stripSet(a), false, true));
    if (name == "upper") return Value(toUpper(s));
    if (name == "lower") return Value(toLower(s));
    if (name == "title") return Value(titleCase(s));
    if (name == "capitalize") return Value(capitalize(s));
    if (name == "startswith") return Value(prefixTest(self, a, false));
    if (name == "endswith") return Value(prefixTest(self, a, true));
    if (name == "split" || name == "rsplit") {
        const Value* sep = arg(a, 0, "sep");
        const Value* max = arg(a, 1, "maxsplit");
        const int64_t maxSplit = max && max->isNumber() ? max->asInt() : -1;
        std::vector<std::string> parts;
        if (!sep || sep->isNone()) parts = splitWhitespace(s, maxSplit, name == "rsplit");
        else if (!sep->isString() || sep->str().empty()) fail("empty or non-string separator");
        else parts = splitOn(s, sep->str(), maxSplit, name == "rsplit");
        List out;
        for (std::string& p : parts) out.emplace_back(std::move(p));
        return Value(std::move(out));
    }
    if (name == "replace") {
        const Value* count = arg(a, 2, "count");
        return Value(replaceAll(s, strArg(a, 0, "old", "replace"), strArg(a, 1, "new", "replace"),
                                count && count->isNumber() ? count->asInt() : -1));
    }
    if (name == "find" || name == "rfind" || name == "index" || name == "rindex") {
        const std::string sub = strArg(a, 0, "sub", name.c_str());
        const size_t at = name[0] == 'r' ? s.rfind(sub) : s.find(sub);
        if (at == std::string::npos) {
            if (name.ends_with("index")) fail("substring not found");
            return Value(-1);
        }
        return Value(static_cast<int64_t>(codepointCount(std::string_view(s).substr(0, at))));
    }
    if (name == "count") {
        const std::string sub = strArg(a, 0, "sub", "count");
        if (sub.empty()) return Value(static_cast<int64_t>(codepointCount(s) + 1));
        int64_t n = 0;
        for (size_t at = s.find(sub); at != std::string::npos; at = s.find(sub, at + sub.size())) ++n;
        return Value(n);
    }
    if (name == "join") {
        const Value* items = arg(a, 0, "iterable");
        if (!items) fail("join() takes exactly one argument");
        std::string out;
        bool first = true;
        for (const Value& v : iterate(*items)) {
            if (!v.isString()) fail("sequence item: expected str instance, " + v.typeName() + " found");
            if (!first) out += s;
            first = false;
            out += v.str();
        }
        return Value(std::move(out));
    }
    if (name == "format") return Value(strFormat(s, a));
    if (name == "splitlines") {
        List out;
        size_t start = 0;
        for (size_t i = 0; i < s.size(); ++i) {
            if (s[i] != '\n' && s[i] != '\r') continue;
            out.emplace_back(s.substr(start, i - start));
            if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
            start = i + 1;
        }
        if (start < s.size()) out.emplace_back(s.substr(start));
        return Value(std::move(out));
    }
    if (name == "removeprefix" || name == "removesuffix") {
        const std::string affix = strArg(a, 0, name == "removeprefix" ? "prefix" : "suffix", name.c_str());
        if (name == "removeprefix") return Value(s.starts_with(affix) ? s.substr(affix.size()) : s);
        return Value(s.ends_with(affix) && !affix.empty() ? s.substr(0, s.size() - affix.size()) : s);
    }
    if (name == "ljust" || name == "rjust" || name == "center" || name == "zfill") {
        const Value* w = arg(a, 0, "width");
        if (!w || (w->kind() != Kind::Int && w->kind() != Kind::Bool)) fail(name + "() needs an integer width");
        const Value* f = arg(a, 1, "fillchar");
        const std::string fill = name == "zfill" ? "0" : f ? toStr(*f) : " ";
        if (codepointCount(fill) != 1) fail("The fill character must be exactly one character long");
        return Value(pad(s, std::min<int64_t>(w->asInt(), 1 << 20), fill, name));
    }
    if (name == "partition" || name == "rpartition") {
        const std::string sep = strArg(a, 0, "sep", name.c_str());
        if (sep.empty()) fail("empty separator");
        const size_t at = name == "partition" ? s.find(sep) : s.rfind(sep);
        if (at == std::string::npos)
            return name == "partition" ? Value::tuple(List{Value(s), Value(""), Value("")})
                                       : Value::tuple(List{Value(""), Value(""), Value(s)});
        return Value::tuple(List{Value(s.substr(0, at)), Value(sep), Value(s.substr(at + sep.size()))});
    }
    if (name == "swapcase") {
        std::string o = s;
        for (char& c : o) c = std::isupper(static_cast<unsigned char>(c)) ? static_cast<char>(c + 32)
                              : std::islower(static_cast<unsigned char>(c)) ? static_cast<char>(c - 32) : c;
        return Value(std::move(o));
    }
    if (name == "casefold") return Value(toLower(s));
    if (name == "istitle") return Value(s != toLower(s) && titleCase(s) == s);
    auto all = [&](auto pred) {
        return Value(!s.empty() && std::all_of(s.begin(), s.end(), [&](char c) { return pred(static_cast<unsigned char>(c)); }));
    };
    if (name == "isdigit" || name == "isdecimal" || name == "isnumeric") return all([](unsigned char c) { return c >= '0' && c <= '9'; });
    if (name == "isalpha") return all([](unsigned char c) { return std::isalpha(c) != 0 || c >= 0x80; });
    if (name == "isalnum") return all([](unsigned char c) { return std::isalnum(c) != 0 || c >= 0x80; });
    if (name == "isspace") return all([](unsigned char c) { return kWhitespace.find(static_cast<char>(c)) != std::string_view::npos; });
    if (name == "islower") return Value(s != toUpper(s) && s == toLower(s));
    if (name == "isupper") return Value(s != toLower(s) && s == toUpper(s));
    fail("'str' object has no attribute '" + name + "'");
}

Value dictMethod(const Value& self, const std::string& name, const CallArgs& a) {
    if (name == "items") {
        List out;
        for (const auto& [k, v] : self.dict()) out.push_back(Value::tuple(List{k, v}));
        return Value(std::move(out));
    }
    if (name == "keys") {
        List out;
        for (const auto& [k, v] : self.dict()) out.push_back(k);
        return Value(std::move(out));
    }
    if (name == "copy") return Value(self.dict());
    if (name == "values") {
        List out;
        for (const auto& [k, v] : self.dict()) out.push_back(v);
        return Value(std::move(out));
    }
    if (name == "get") {
        const Value* key = arg(a, 0, "key");
        if (!key) fail("get expected at least 1 argument");
        requireHashable(*key);
        if (const Value* found = self.findKey(*key)) return *found;
        const Value* def = arg(a, 1, "default");
        return def ? *def : Value::none();
    }
    fail("'dict' object has no attribute '" + name + "'");
}

Value listMethod(const Value& self, const std::string& name, const CallArgs& a) {
    // pop and clear change the list: Jinja's sandbox allows them (they are not in its
    // list of unsafe list methods), and a template may rely on that.
    if (name == "copy") return Value(self.list());
    if (name == "clear") {
        self.mutableList().clear();
        return Value::none();
    }
    if (name == "pop") {
        List& l = self.mutableList();
        const Value* at = arg(a, 0, "index");
        if (at && at->kind() != Kind::Int && at->kind() != Kind::Bool)
            fail("'" + at->typeName() + "' object cannot be interpreted as an integer");
        int64_t i = at ? at->asInt() : -1;
        const int64_t n = static_cast<int64_t>(l.size());
        if (n == 0) fail("pop from empty list");
        if (i < 0) i += n;
        if (i < 0 || i >= n) fail("pop index out of range");
        Value v = l[static_cast<size_t>(i)];
        l.erase(l.begin() + i);
        return v;
    }
    const Value* x = arg(a, 0, "value");
    if (!x) fail(name + "() takes exactly one argument");
    if (name == "index") {
        for (size_t i = 0; i < self.list().size(); ++i)
            if (equals(self.list()[i], *x)) return Value(static_cast<int64_t>(i));
        fail(toRepr(*x) + " is not in list");
    }
    int64_t n = 0;
    for (const Value& v : self.list()) n += equals(v, *x) ? 1 : 0;
    return Value(n);
}

constexpr std::array<std::string_view, 39> kStringMethods = {
    "strip", "lstrip", "rstrip", "upper", "lower", "title", "capitalize", "startswith", "endswith",
    "split", "rsplit", "replace", "find", "rfind", "index", "rindex", "count", "join", "isdigit",
    "isalpha", "isalnum", "isspace", "islower", "isupper", "format", "splitlines", "removeprefix",
    "removesuffix", "ljust", "rjust", "center", "zfill", "partition", "rpartition", "swapcase", "casefold",
    "istitle", "isdecimal", "isnumeric"};
constexpr std::array<std::string_view, 5> kDictMethods = {"items", "keys", "values", "get", "copy"};
constexpr std::array<std::string_view, 5> kDictMutators = {"pop", "popitem", "update", "setdefault", "clear"};
constexpr std::array<std::string_view, 5> kListMethods = {"index", "count", "pop", "copy", "clear"};
constexpr std::array<std::string_view, 6> kListMutators = {"append", "extend", "insert", "remove", "sort", "reverse"};

template <size_t N>
bool in(const std::array<std::string_view, N>& names, const std::string& n) {
    return std::find(names.begin(), names.end(), n) != names.end();
}

Value bind(const Value& self, const std::string& name, Value (*method)(const Value&, const std::string&, const CallArgs&)) {
    return Value::function(name, [self, name, method](const CallArgs& a) { return method(self, name, a); });
}

// "[key]", the name of a missing item (appended piecewise: g++ 12 gives a false
// -Wrestrict on "[" + s + "]").
std::string bracketed(const Value& key) {
    std::string s = "[";
    s += toStr(key);
    s += ']';
    return s;
}

[[noreturn]] void unsafe(const Value& self, const std::string& name) {
    fail("access to attribute '" + name + "' of '" + self.typeName() +
         "' object is unsafe (templates render in an immutable sandbox)");
}

}  // namespace

Value getAttr(const Value& obj, const std::string& name) {
    switch (obj.kind()) {
    case Kind::Undefined: fail("'" + obj.str() + "' is undefined (reading its attribute '" + name + "')");
    case Kind::Dict:
        if (in(kDictMethods, name)) return bind(obj, name, dictMethod);
        if (in(kDictMutators, name)) unsafe(obj, name);
        if (const Value* v = obj.find(name)) return *v;
        return Value::undefined(name);
    case Kind::Namespace:
        if (const Value* v = obj.find(name)) return *v;
        return Value::undefined(name);
    case Kind::String:
        if (in(kStringMethods, name)) return bind(obj, name, stringMethod);
        return Value::undefined(name);
    case Kind::List:
        if (obj.isGenerator()) return Value::undefined(name);
        if (obj.isGroupTuple() && (name == "grouper" || name == "list")) return obj.list()[name == "grouper" ? 0 : 1];
        if (obj.isTuple() && name != "index" && name != "count") return Value::undefined(name);
        if (in(kListMethods, name)) return bind(obj, name, listMethod);
        if (in(kListMutators, name)) unsafe(obj, name);
        return Value::undefined(name);
    default: return Value::undefined(name);
    }
}

Value getItem(const Value& obj, const Value& key) {
    switch (obj.kind()) {
    case Kind::Undefined: fail("'" + obj.str() + "' is undefined (indexing it)");
    case Kind::Dict:
    case Kind::Namespace: {
        if (key.isList() && !key.isTuple()) return Value::undefined(bracketed(key));  // unhashable: no item
        if (const Value* v = obj.findKey(key)) return *v;
        if (key.isString()) return getAttr(obj, key.str());  // d['items'] falls back to the method
        return Value::undefined(bracketed(key));
    }
    case Kind::List:
    case Kind::String: {
        if (key.isString()) return getAttr(obj, key.str());
        if (obj.isGenerator()) return Value::undefined(bracketed(key));  // not subscriptable
        if (key.kind() != Kind::Int && key.kind() != Kind::Bool)
            fail(obj.typeName() + " indices must be integers, not " + key.typeName());
        const List chars = obj.isString() ? iterate(obj) : List{};
        const List& items = obj.isString() ? chars : obj.list();
        int64_t i = key.asInt();
        const int64_t n = static_cast<int64_t>(items.size());
        if (i < 0) i += n;
        if (i < 0 || i >= n) return Value::undefined(bracketed(key));
        return items[static_cast<size_t>(i)];
    }
    default: return Value::undefined(bracketed(key));
    }
}

Value getSlice(const Value& obj, const Value& start, const Value& stop, const Value& step) {
    if (obj.isUndefined()) fail("'" + obj.str() + "' is undefined (slicing it)");
    if (!obj.isList() && !obj.isString()) fail("'" + obj.typeName() + "' object is not subscriptable");
    auto index = [](const Value& v, const char* what) -> std::optional<int64_t> {
        if (v.isNone() || v.isUndefined()) return std::nullopt;
        if (v.kind() != Kind::Int && v.kind() != Kind::Bool) fail(std::string("slice ") + what + " must be an integer");
        return v.asInt();
    };
    const int64_t st = index(step, "step").value_or(1);
    if (st == 0) fail("slice step cannot be zero");
    const List chars = obj.isString() ? iterate(obj) : List{};
    const List& items = obj.isString() ? chars : obj.list();
    const int64_t n = static_cast<int64_t>(items.size());
    // Python's slice.indices(): clamp into range, defaults depend on the step's sign.
    auto clamp = [&](std::optional<int64_t> v, int64_t dflt) {
        if (!v) return dflt;
        int64_t x = *v;
        if (x < 0) x += n;
        if (st > 0) return std::clamp<int64_t>(x, 0, n);
        return std::clamp<int64_t>(x, -1, n - 1);
    };
    const int64_t b = clamp(index(start, "start"), st > 0 ? 0 : n - 1);
    const int64_t e = clamp(index(stop, "stop"), st > 0 ? n : -1);
    List out;
    for (int64_t i = b; st > 0 ? i < e : i > e; i += st) out.push_back(items[static_cast<size_t>(i)]);
    if (!obj.isString()) return Value(std::move(out));
    std::string s;
    for (const Value& c : out) s += c.str();
    return Value(std::move(s));
}

int64_t pyLen(const Value& v) {
    switch (v.kind()) {
    case Kind::Undefined: return 0;
    case Kind::String: return static_cast<int64_t>(codepointCount(v.str()));
    case Kind::List:
        if (v.isGenerator()) fail("object of type 'generator' has no len()");
        return static_cast<int64_t>(v.list().size());
    case Kind::Dict: return static_cast<int64_t>(v.dict().size());
    default: fail("object of type '" + v.typeName() + "' has no len()");
    }
}

}  // namespace chat_template
