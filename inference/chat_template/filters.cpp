// Filters ("x | trim") and the globals Hugging Face adds (raise_exception,
// strftime_now) plus Jinja's (namespace, range, dict). Tests ("x is defined") are in
// jinja_tests.cpp, the text filters for markup and URLs in filters_text.cpp.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <utility>

#include "chat_template/builtins.h"
#include "chat_template/filters_text.h"
#include "chat_template/text_util.h"

namespace chat_template {

namespace {

const Value* arg(const CallArgs& a, size_t i, std::string_view name) { return a.get(i, name); }
constexpr size_t kKeywordOnly = SIZE_MAX;  // arg(a, kKeywordOnly, "name"): no positional form

bool boolArg(const CallArgs& a, size_t i, std::string_view name, bool dflt) {
    const Value* v = arg(a, i, name);
    return v ? v->truthy() : dflt;
}

// "a.b.0": Jinja's attribute paths for map/selectattr/sort/join.
Value attrPath(const Value& v, const std::string& path) {
    Value cur = v;
    size_t start = 0;
    for (;;) {
        const size_t dot = path.find('.', start);
        const std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        const bool numeric = !part.empty() && std::all_of(part.begin(), part.end(), ::isdigit);
        cur = numeric && cur.isList() ? getItem(cur, Value(static_cast<int64_t>(std::atoll(part.c_str()))))
                                      : getItem(cur, Value(part));
        if (dot == std::string::npos || cur.isUndefined()) return cur;
        start = dot + 1;
    }
}

std::string attributeName(const CallArgs& a, size_t i) {
    const Value* v = arg(a, i, "attribute");
    if (!v || !v->isString()) fail("an attribute name (a string) is required");
    return v->str();
}

// Arguments after the first `skip` positionals, for a test called from a filter.
CallArgs rest(const CallArgs& a, size_t skip) {
    CallArgs r;
    for (size_t i = skip; i < a.positional.size(); ++i) r.positional.push_back(a.positional[i]);
    return r;
}

// select/reject/selectattr/rejectattr/map return generators, as in Jinja; over a
// false value (none, undefined, 0, '') they yield nothing instead of failing.
Value selectFilter(const Value& v, const CallArgs& a, bool byAttr, bool keep) {
    List out;
    if (!v.truthy()) return Value::generator({});
    const size_t testAt = byAttr ? 1 : 0;
    const std::string attr = byAttr ? attributeName(a, 0) : "";
    const Value* test = arg(a, testAt, "test");
    const CallArgs testArgs = rest(a, testAt + 1);
    for (const Value& item : iterate(v)) {
        const Value subject = byAttr ? attrPath(item, attr) : item;
        bool ok;
        if (!test) ok = subject.truthy();
        else if (!test->isString()) fail("the test name must be a string");
        else ok = applyTest(test->str(), subject, testArgs);
        if (ok == keep) out.push_back(item);
    }
    return Value::generator(std::move(out));
}

Value mapFilter(const Value& v, const CallArgs& a) {
    List out;
    if (!v.truthy()) return Value::generator({});
    const Value* attr = arg(a, kKeywordOnly, "attribute");
    if (attr) {
        if (!attr->isString()) fail("map(attribute=...) needs a string");
        const Value* dflt = arg(a, kKeywordOnly, "default");
        for (const Value& item : iterate(v)) {
            Value x = attrPath(item, attr->str());
            out.push_back(x.isUndefined() && dflt ? *dflt : x);
        }
        return Value::generator(std::move(out));
    }
    if (a.positional.empty() || !a.positional[0].isString()) fail("map() needs a filter name or attribute=");
    CallArgs filterArgs = rest(a, 1);
    filterArgs.named = a.named;
    for (const Value& item : iterate(v)) out.push_back(applyFilter(a.positional[0].str(), item, filterArgs));
    return Value::generator(std::move(out));
}

// Sort key for sort/dictsort/unique: strings compare case-insensitively by default.
Value sortKey(const Value& v, bool caseSensitive) {
    return !caseSensitive && v.isString() ? Value(toLower(v.str())) : v;
}

Value sortFilter(const Value& v, const CallArgs& a) {
    const bool reverse = boolArg(a, 0, "reverse", false);
    const bool caseSensitive = boolArg(a, 1, "case_sensitive", false);
    const Value* attr = arg(a, 2, "attribute");
    List items = iterate(v);
    auto key = [&](const Value& x) { return sortKey(attr && attr->isString() ? attrPath(x, attr->str()) : x, caseSensitive); };
    std::stable_sort(items.begin(), items.end(), [&](const Value& x, const Value& y) {
        return reverse ? lessThan(key(y), key(x)) : lessThan(key(x), key(y));
    });
    return Value(std::move(items));
}

Value dictsortFilter(const Value& v, const CallArgs& a) {
    if (!v.isMapping()) fail("dictsort expects a mapping, not " + v.typeName());
    const bool caseSensitive = boolArg(a, 0, "case_sensitive", false);
    const Value* by = arg(a, 1, "by");
    const bool byValue = by && by->isString() && by->str() == "value";
    const bool reverse = boolArg(a, 2, "reverse", false);
    List items;
    for (const auto& [k, x] : v.dict()) items.push_back(Value::tuple(List{k, x}));
    auto key = [&](const Value& p) { return sortKey(p.list()[byValue ? 1 : 0], caseSensitive); };
    std::stable_sort(items.begin(), items.end(), [&](const Value& x, const Value& y) {
        return reverse ? lessThan(key(y), key(x)) : lessThan(key(x), key(y));
    });
    return Value(std::move(items));
}

// Jinja 3.1's indent: the first line only with first=True, blank lines only with blank=True.
Value indentFilter(const Value& v, const CallArgs& a) {
    const Value* w = arg(a, 0, "width");
    const std::string pad = w && w->isString() ? w->str() : std::string(static_cast<size_t>(std::clamp<int64_t>(w ? w->asInt() : 4, 0, 1000)), ' ');
    const bool first = boolArg(a, 1, "first", false);
    const bool blank = boolArg(a, 2, "blank", false);
    std::string s = toStr(v) + "\n";
    std::vector<std::string> lines;
    size_t start = 0;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\n' || s[i] == '\r') {
            lines.push_back(s.substr(start, i - start));
            if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
            start = i + 1;
        }
    }
    std::string out;
    for (size_t i = 0; i < lines.size(); ++i) {
        if (i > 0) out += "\n";
        if (i > 0 && (blank || !lines[i].empty())) out += pad;
        out += lines[i];
    }
    return Value(first ? pad + out : out);
}

// Python's int(text, base): optional sign, digits with single underscores between
// them, a 0x/0o/0b prefix allowed when it matches the base (or base 0).
std::optional<int64_t> parsePyInt(std::string s, int64_t base) {
    s = strip(s, kWhitespace, true, true);
    bool neg = false;
    if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        s.erase(0, 1);
    }
    if (s.size() > 1 && s[0] == '0' && std::string_view("xXoObB").find(s[1]) != std::string_view::npos) {
        const int64_t prefixBase = s[1] == 'x' || s[1] == 'X' ? 16 : s[1] == 'o' || s[1] == 'O' ? 8 : 2;
        if (base == 0 || base == prefixBase) {
            base = prefixBase;
            s.erase(0, 2);
            if (!s.empty() && s[0] == '_') s.erase(0, 1);
        }
    }
    if (base == 0) base = 10;
    if (s.empty() || s.front() == '_' || s.back() == '_' || base < 2 || base > 36) return std::nullopt;
    int64_t r = 0;
    for (size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '_') {
            if (s[i - 1] == '_') return std::nullopt;
            continue;
        }
        const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'z' ? c - 'a' + 10 : c >= 'A' && c <= 'Z' ? c - 'A' + 10 : 99;
        if (d >= base) return std::nullopt;
        if (__builtin_mul_overflow(r, base, &r) || __builtin_add_overflow(r, d, &r)) fail("integer overflow");
    }
    return neg ? -r : r;
}

// Jinja's int filter: int(value) or int(text, base), else int(float(value)), else the default.
Value toInt(const Value& v, const CallArgs& a) {
    const Value* d = arg(a, 0, "default");
    const Value dflt = d ? *d : Value(0);
    const Value* b = arg(a, 1, "base");
    if (v.kind() == Kind::Int || v.kind() == Kind::Bool) return Value(v.asInt());
    if (v.kind() == Kind::Float) return std::isfinite(v.asFloat()) ? Value(v.asInt()) : dflt;
    if (v.isString()) {
        if (auto i = parsePyInt(v.str(), b && b->isNumber() ? b->asInt() : 10)) return Value(*i);
        const std::string s = strip(v.str(), kWhitespace, true, true);
        char* end = nullptr;
        const double f = std::strtod(s.c_str(), &end);
        if (!s.empty() && end && *end == '\0' && std::isfinite(f)) return Value(Value(f).asInt());
    }
    return dflt;
}

Value toFloat(const Value& v, const CallArgs& a) {
    const Value* d = arg(a, 0, "default");
    if (v.isNumber()) return Value(v.asFloat());
    if (v.isString()) {
        const std::string s = strip(v.str(), kWhitespace, true, true);
        char* end = nullptr;
        const double f = std::strtod(s.c_str(), &end);
        if (!s.empty() && end && *end == '\0') return Value(f);
    }
    return d ? *d : Value(0.0);
}

Value tojsonFilter(const Value& v, const CallArgs& a) {
    // Hugging Face's signature: tojson(ensure_ascii=False, indent=None, separators=None, sort_keys=False).
    const Value* indent = arg(a, 1, "indent");
    const bool sortKeys = boolArg(a, 3, "sort_keys", false);
    std::string itemSep, keySep;
    if (const Value* seps = arg(a, 2, "separators"); seps && seps->isList() && seps->list().size() == 2) {
        itemSep = toStr(seps->list()[0]);
        keySep = toStr(seps->list()[1]);
    }
    // json.dumps: an int indent is that many spaces, a string indent is used as is.
    std::string indentText;
    if (indent && indent->isString()) indentText = indent->str();
    else if (indent && indent->isNumber()) indentText.assign(static_cast<size_t>(std::clamp<int64_t>(indent->asInt(), 0, 64)), ' ');
    const bool pretty = indent && !indent->isNone() && !indent->isUndefined();
    return Value(toJson(v, pretty ? indentText : std::optional<std::string>(), sortKeys, itemSep, keySep,
                        boolArg(a, 0, "ensure_ascii", false)));
}

Value minMax(const Value& v, const CallArgs& a, bool wantMax) {
    const bool caseSensitive = boolArg(a, 0, "case_sensitive", false);
    const Value* attr = arg(a, 1, "attribute");
    const List items = iterate(v);
    if (items.empty()) return Value::undefined(wantMax ? "max" : "min");
    auto key = [&](const Value& x) { return sortKey(attr && attr->isString() ? attrPath(x, attr->str()) : x, caseSensitive); };
    const Value* best = &items[0];
    for (const Value& x : items)
        if (wantMax ? lessThan(key(*best), key(x)) : lessThan(key(x), key(*best))) best = &x;
    return *best;
}

// Jinja's round: "common" is Python's round(value, precision) (the exact binary
// value rounded, ties to even; an int stays an int), floor/ceil scale by 10**precision.
Value roundFilter(const Value& v, const CallArgs& a) {
    if (!v.isNumber()) fail("round expects a number");
    const Value* p = arg(a, 0, "precision");
    const Value* m = arg(a, 1, "method");
    const int64_t precision = std::clamp<int64_t>(p ? p->asInt() : 0, -300, 300);
    const std::string method = m && m->isString() ? m->str() : "common";
    if (method != "common" && method != "floor" && method != "ceil") fail("method must be common, ceil or floor");
    if (method == "common") {
        if (v.kind() != Kind::Float) {  // round(int, n): the int itself for n >= 0, else to 10**-n, ties to even
            if (precision >= 0) return Value(v.asInt());
            if (precision < -18) return Value(int64_t{0});
            int64_t unit = 1;
            for (int64_t i = 0; i < -precision; ++i) unit *= 10;
            const int64_t x = v.asInt();
            int64_t q = x / unit, r = x % unit;
            if (r < 0) r += unit, --q;  // floor division
            if (2 * r > unit || (2 * r == unit && (q & 1))) ++q;
            int64_t out = 0;
            if (__builtin_mul_overflow(q, unit, &out)) fail("integer overflow");
            return Value(out);
        }
        const double x = v.asFloat();
        if (!std::isfinite(x) || precision < 0) return Value(std::nearbyint(x * std::pow(10.0, static_cast<double>(precision))) /
                                                             std::pow(10.0, static_cast<double>(precision)));
        char buf[400];  // printf rounds the exact value, ties to even: Python's round()
        std::snprintf(buf, sizeof buf, "%.*f", static_cast<int>(precision), x);
        return Value(std::strtod(buf, nullptr));
    }
    const double scale = std::pow(10.0, static_cast<double>(precision));
    const double x = v.asFloat() * scale;
    return Value((method == "floor" ? std::floor(x) : std::ceil(x)) / scale);
}

Value truncateFilter(const Value& v, const CallArgs& a) {
    const std::string s = toStr(v);
    const Value* lengthArg = arg(a, 0, "length");
    const int64_t length = lengthArg ? lengthArg->asInt() : 255;
    const bool killwords = boolArg(a, 1, "killwords", false);
    const Value* endArg = arg(a, 2, "end");
    const std::string end = endArg ? toStr(*endArg) : "...";
    const Value* leewayArg = arg(a, 3, "leeway");
    const int64_t leeway = leewayArg && !leewayArg->isNone() ? leewayArg->asInt() : 5;
    const List chars = iterate(Value(s));
    const int64_t n = static_cast<int64_t>(chars.size());
    if (n <= length + leeway) return Value(s);
    const int64_t keep = std::clamp<int64_t>(length - static_cast<int64_t>(codepointCount(end)), 0, n);
    std::string head;
    for (int64_t i = 0; i < keep; ++i) head += chars[static_cast<size_t>(i)].str();
    if (!killwords) {
        const size_t space = head.rfind(' ');
        if (space != std::string::npos) head.resize(space);
    }
    return Value(head + end);
}

// groupby(attribute, default=None, case_sensitive=False): (grouper, items) pairs
// sorted by the key; case-insensitive keys report the first item's own value.
Value groupbyFilter(const Value& v, const CallArgs& a) {
    const Value* attr = arg(a, 0, "attribute");
    if (!attr) fail("groupby() needs an attribute");
    const Value* dflt = arg(a, 1, "default");
    const bool caseSensitive = boolArg(a, 2, "case_sensitive", false);
    auto rawKey = [&](const Value& x) {
        Value k = attr->isString() ? attrPath(x, attr->str()) : getItem(x, *attr);
        return k.isUndefined() && dflt ? *dflt : k;
    };
    auto key = [&](const Value& x) { return sortKey(rawKey(x), caseSensitive); };
    List items = iterate(v);
    std::stable_sort(items.begin(), items.end(), [&](const Value& x, const Value& y) { return lessThan(key(x), key(y)); });
    List out;
    for (size_t i = 0; i < items.size();) {
        const Value k = key(items[i]);
        List group;
        size_t j = i;
        for (; j < items.size() && equals(key(items[j]), k); ++j) group.push_back(items[j]);
        out.push_back(Value::groupTuple(caseSensitive ? k : rawKey(items[i]), std::move(group)));
        i = j;
    }
    return Value(std::move(out));
}

// batch(n, fill_with=None): lists of n items, the last one padded when fill_with is given.
Value batchFilter(const Value& v, const CallArgs& a) {
    const Value* countArg = arg(a, 0, "linecount");
    if (!countArg || !countArg->isNumber() || countArg->asInt() <= 0) fail("batch() needs a positive count");
    const size_t count = static_cast<size_t>(countArg->asInt());
    const Value* fill = arg(a, 1, "fill_with");
    List out, cur;
    for (const Value& x : iterate(v)) {
        cur.push_back(x);
        if (cur.size() == count) out.emplace_back(std::exchange(cur, {}));
    }
    if (!cur.empty()) {
        if (fill && !fill->isNone()) cur.resize(count, *fill);
        out.emplace_back(std::move(cur));
    }
    return Value::generator(std::move(out));
}

// slice(n, fill_with=None): n columns; the first len % n get one item more.
Value sliceFilter(const Value& v, const CallArgs& a) {
    const Value* slicesArg = arg(a, 0, "slices");
    if (!slicesArg || !slicesArg->isNumber() || slicesArg->asInt() <= 0) fail("slice() needs a positive count");
    const size_t slices = static_cast<size_t>(std::min<int64_t>(slicesArg->asInt(), 100000));
    const Value* fill = arg(a, 1, "fill_with");
    const List seq = iterate(v);
    const size_t per = seq.size() / slices, extra = seq.size() % slices;
    List out;
    size_t offset = 0;
    for (size_t i = 0; i < slices; ++i) {
        const size_t start = offset + i * per;
        if (i < extra) ++offset;
        const size_t end = offset + (i + 1) * per;
        List part(seq.begin() + static_cast<std::ptrdiff_t>(start), seq.begin() + static_cast<std::ptrdiff_t>(end));
        if (fill && !fill->isNone() && i >= extra) part.push_back(*fill);
        out.emplace_back(std::move(part));
    }
    return Value::generator(std::move(out));
}

using FilterFn = Value (*)(const Value&, const CallArgs&);

const std::map<std::string, FilterFn, std::less<>>& filters() {
    static const std::map<std::string, FilterFn, std::less<>> kFilters = {
        {"trim", [](const Value& v, const CallArgs& a) {
             const Value* chars = arg(a, 0, "chars");
             return Value(strip(toStr(v), chars && chars->isString() ? chars->str() : std::string(kWhitespace), true, true));
         }},
        {"tojson", tojsonFilter},
        {"length", [](const Value& v, const CallArgs&) { return Value(pyLen(v)); }},
        {"count", [](const Value& v, const CallArgs&) { return Value(pyLen(v)); }},
        {"upper", [](const Value& v, const CallArgs&) { return Value(toUpper(toStr(v))); }},
        {"lower", [](const Value& v, const CallArgs&) { return Value(toLower(toStr(v))); }},
        {"capitalize", [](const Value& v, const CallArgs&) { return Value(capitalize(toStr(v))); }},
        {"title", [](const Value& v, const CallArgs&) { return Value(titleCase(toStr(v))); }},
        {"default", [](const Value& v, const CallArgs& a) {
             const Value* d = arg(a, 0, "default_value");
             const bool boolean = boolArg(a, 1, "boolean", false);
             if (v.isUndefined() || (boolean && !v.truthy())) return d ? *d : Value("");
             return v;
         }},
        {"join", [](const Value& v, const CallArgs& a) {
             const Value* sep = arg(a, 0, "d");
             const Value* attr = arg(a, 1, "attribute");
             std::string out;
             bool first = true;
             for (const Value& x : iterate(v)) {
                 if (!first) out += sep ? toStr(*sep) : "";
                 first = false;
                 out += toStr(attr && attr->isString() ? attrPath(x, attr->str()) : x);
             }
             return Value(std::move(out));
         }},
        {"first", [](const Value& v, const CallArgs&) {
             const List items = iterate(v);
             return items.empty() ? Value::undefined("first") : items.front();
         }},
        {"last", [](const Value& v, const CallArgs&) {
             if (v.isGenerator()) fail("'generator' object is not reversible");
             const List items = iterate(v);
             return items.empty() ? Value::undefined("last") : items.back();
         }},
        {"format", [](const Value& v, const CallArgs& a) {
             if (!a.positional.empty() && !a.named.empty())
                 fail("can't handle positional and keyword arguments at the same time");
             if (!a.named.empty()) {
                 Dict d;
                 for (const auto& [k, x] : a.named) d.emplace_back(Value(k), x);
                 return Value(percentFormat(toStr(v), Value(std::move(d))));
             }
             return Value(percentFormat(toStr(v), Value::tuple(a.positional)));
         }},
        {"center", [](const Value& v, const CallArgs& a) {
             const Value* w = arg(a, 0, "width");
             CallArgs c;
             c.positional.push_back(w ? *w : Value(80));
             return getAttr(Value(toStr(v)), "center").fn()(c);
         }},
        {"truncate", truncateFilter},
        {"groupby", groupbyFilter},
        {"batch", batchFilter},
        {"slice", sliceFilter},
        {"attr", [](const Value& v, const CallArgs& a) {
             const Value* name = arg(a, 0, "name");
             if (!name || !name->isString()) fail("attr() needs an attribute name");
             // getattr, not getitem: a dict's keys are not attributes
             if (v.isDict() && !v.find(name->str())) return getAttr(v, name->str());
             if (v.isDict()) return getAttr(Value(Dict{}), name->str());
             return getAttr(v, name->str());
         }},
        {"replace", [](const Value& v, const CallArgs& a) {
             const Value* from = arg(a, 0, "old");
             const Value* to = arg(a, 1, "new");
             const Value* count = arg(a, 2, "count");
             if (!from || !to) fail("replace needs the old and the new text");
             return Value(replaceAll(toStr(v), toStr(*from), toStr(*to), count && count->isNumber() ? count->asInt() : -1));
         }},
        {"selectattr", [](const Value& v, const CallArgs& a) { return selectFilter(v, a, true, true); }},
        {"rejectattr", [](const Value& v, const CallArgs& a) { return selectFilter(v, a, true, false); }},
        {"select", [](const Value& v, const CallArgs& a) { return selectFilter(v, a, false, true); }},
        {"reject", [](const Value& v, const CallArgs& a) { return selectFilter(v, a, false, false); }},
        {"map", mapFilter},
        {"list", [](const Value& v, const CallArgs&) { return Value(iterate(v)); }},
        {"string", [](const Value& v, const CallArgs&) { return Value(toStr(v)); }},
        {"int", toInt},
        {"float", toFloat},
        {"items", [](const Value& v, const CallArgs&) {
             if (v.isUndefined()) return Value::generator({});
             if (!v.isDict()) fail("Can only get item pairs from a mapping.");
             return Value::generator(getAttr(v, "items").fn()(CallArgs{}).list());
         }},
        {"dictsort", dictsortFilter},
        {"indent", indentFilter},
        {"unique", [](const Value& v, const CallArgs& a) {
             const bool caseSensitive = boolArg(a, 0, "case_sensitive", false);
             List out, seen;
             for (const Value& x : iterate(v)) {
                 Value k = sortKey(x, caseSensitive);
                 if (std::none_of(seen.begin(), seen.end(), [&](const Value& s) { return equals(s, k); })) {
                     seen.push_back(k);
                     out.push_back(x);
                 }
             }
             return Value::generator(std::move(out));
         }},
        {"reverse", [](const Value& v, const CallArgs&) {
             if (v.isString()) {
                 List chars = iterate(v);
                 std::string out;
                 for (auto it = chars.rbegin(); it != chars.rend(); ++it) out += it->str();
                 return Value(std::move(out));
             }
             // reversed(list) is an iterator; a generator is read into a list first
             const bool wasGenerator = v.isGenerator();
             List items = iterate(v);
             std::reverse(items.begin(), items.end());
             return wasGenerator ? Value(std::move(items)) : Value::generator(std::move(items));
         }},
        {"sort", sortFilter},
        {"safe", [](const Value& v, const CallArgs&) { return v.isString() ? v : Value(toStr(v)); }},
        {"escape", [](const Value& v, const CallArgs&) { return Value(htmlEscape(toStr(v))); }},
        {"e", [](const Value& v, const CallArgs&) { return Value(htmlEscape(toStr(v))); }},
        // No Markup objects here, so forcing escapes is escaping.
        {"forceescape", [](const Value& v, const CallArgs&) { return Value(htmlEscape(toStr(v))); }},
        {"striptags", striptagsFilter},
        {"xmlattr", xmlattrFilter},
        {"urlencode", urlencodeFilter},
        {"filesizeformat", filesizeformatFilter},
        {"abs", [](const Value& v, const CallArgs&) {
             if (!v.isNumber()) fail("bad operand type for abs(): '" + v.typeName() + "'");
             if (v.kind() == Kind::Float) return Value(std::fabs(v.asFloat()));
             if (v.asInt() == INT64_MIN) fail("integer overflow");
             return Value(v.asInt() < 0 ? -v.asInt() : v.asInt());
         }},
        {"round", roundFilter},
        {"sum", [](const Value& v, const CallArgs& a) {
             const Value* attr = arg(a, 0, "attribute");
             const Value* start = arg(a, 1, "start");
             int64_t i = start ? start->asInt() : 0;
             double f = start ? start->asFloat() : 0;
             bool isFloat = start && start->kind() == Kind::Float;
             for (const Value& x : iterate(v)) {
                 const Value n = attr && attr->isString() ? attrPath(x, attr->str()) : x;
                 if (!n.isNumber()) fail("sum of non-numbers");
                 isFloat = isFloat || n.kind() == Kind::Float;
                 if (__builtin_add_overflow(i, n.asInt(), &i)) fail("integer overflow");
                 f += n.asFloat();
             }
             return isFloat ? Value(f) : Value(i);
         }},
        {"min", [](const Value& v, const CallArgs& a) { return minMax(v, a, false); }},
        {"max", [](const Value& v, const CallArgs& a) { return minMax(v, a, true); }},
        {"wordcount", [](const Value& v, const CallArgs&) {
             return Value(static_cast<int64_t>(splitWhitespace(toStr(v), -1, false).size()));
         }},
    };
    return kFilters;
}

Value rangeFn(const CallArgs& a) {
    if (a.positional.empty() || a.positional.size() > 3) fail("range expected 1 to 3 arguments");
    for (const Value& v : a.positional)
        if (v.kind() != Kind::Int && v.kind() != Kind::Bool) fail("range() arguments must be integers");
    int64_t start = 0, stop = 0, step = 1;
    if (a.positional.size() == 1) stop = a.positional[0].asInt();
    else {
        start = a.positional[0].asInt();
        stop = a.positional[1].asInt();
        if (a.positional.size() == 3) step = a.positional[2].asInt();
    }
    if (step == 0) fail("range() arg 3 must not be zero");
    constexpr int64_t kMaxRange = 100000;  // a runaway guard: templates count messages, not millions
    List out;
    for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
        if (static_cast<int64_t>(out.size()) >= kMaxRange) fail("range() is limited to 100000 items");
        out.emplace_back(i);
        if ((step > 0 && i > INT64_MAX - step) || (step < 0 && i < INT64_MIN - step)) break;
    }
    return Value(std::move(out));
}

}  // namespace

Value applyFilter(const std::string& name, const Value& value, const CallArgs& args) {
    const auto& f = filters();
    if (name == "d") return f.at("default")(value, args);
    const auto it = f.find(name);
    if (it == f.end()) fail(isKnownFilter(name) ? "filter '" + name + "' is not supported" : "No filter named '" + name + "'.");
    return it->second(value, args);
}

bool hasFilter(std::string_view name) { return name == "d" || filters().count(name) != 0; }

bool isKnownFilter(std::string_view name) {
    static constexpr std::string_view kJinjaFilters[] = {
        "abs", "attr", "batch", "capitalize", "center", "count", "d", "default", "dictsort", "e", "escape",
        "filesizeformat", "first", "float", "forceescape", "format", "groupby", "indent", "int", "items", "join",
        "last", "length", "list", "lower", "map", "max", "min", "pprint", "random", "reject", "rejectattr",
        "replace", "reverse", "round", "safe", "select", "selectattr", "slice", "sort", "string", "striptags",
        "sum", "title", "tojson", "trim", "truncate", "unique", "upper", "urlencode", "urlize", "wordcount",
        "wordwrap", "xmlattr"};
    return std::find(std::begin(kJinjaFilters), std::end(kJinjaFilters), name) != std::end(kJinjaFilters);
}

Vars makeGlobals(const std::tm& now) {
    Vars g;
    g.emplace_back("raise_exception", Value::function("raise_exception", [](const CallArgs& a) -> Value {
                       throw Failure{Failure::Kind::Raised, a.positional.empty() ? "" : toStr(a.positional[0]), 0, 0};
                   }));
    g.emplace_back("strftime_now", Value::function("strftime_now", [now](const CallArgs& a) {
                       const Value* fmt = arg(a, 0, "format");
                       if (!fmt || !fmt->isString()) fail("strftime_now needs a format string");
                       if (fmt->str().size() > 1000) fail("strftime_now format too long");
                       char buf[4096];
                       const size_t n = std::strftime(buf, sizeof buf, fmt->str().c_str(), &now);
                       return Value(std::string(buf, n));
                   }));
    g.emplace_back("namespace", Value::function("namespace", [](const CallArgs& a) {
                       Dict members;
                       for (const Value& p : a.positional) {
                           if (!p.isDict()) fail("namespace() takes keyword arguments or a dict");
                           for (const auto& [k, v] : p.dict()) dictSet(members, k, v);
                       }
                       for (const auto& [k, v] : a.named) dictSet(members, Value(k), v);
                       return Value::makeNamespace(std::move(members));
                   }));
    g.emplace_back("range", Value::function("range", rangeFn));
    g.emplace_back("dict", Value::function("dict", [](const CallArgs& a) {
                       Dict d;
                       for (const Value& p : a.positional) {
                           if (!p.isDict()) fail("dict() takes keyword arguments or a dict");
                           for (const auto& [k, v] : p.dict()) dictSet(d, k, v);
                       }
                       for (const auto& [k, v] : a.named) dictSet(d, Value(k), v);
                       return Value(std::move(d));
                   }));
    return g;
}

}  // namespace chat_template
