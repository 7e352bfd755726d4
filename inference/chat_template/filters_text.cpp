#include "chat_template/filters_text.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "chat_template/builtins.h"
#include "chat_template/text_util.h"
#include "common/utf8.h"

namespace chat_template {

namespace {

// Named entities decoded by striptags: HTML's Latin-1 set and common punctuation.
uint32_t namedEntity(std::string_view name) {
    static constexpr std::pair<std::string_view, uint32_t> kNames[] = {
        {"amp", '&'},       {"lt", '<'},         {"gt", '>'},         {"quot", '"'},       {"apos", '\''},
        {"nbsp", 0xA0},     {"iexcl", 0xA1},     {"cent", 0xA2},      {"pound", 0xA3},     {"curren", 0xA4},
        {"yen", 0xA5},      {"brvbar", 0xA6},    {"sect", 0xA7},      {"uml", 0xA8},       {"copy", 0xA9},
        {"ordf", 0xAA},     {"laquo", 0xAB},     {"not", 0xAC},       {"shy", 0xAD},       {"reg", 0xAE},
        {"macr", 0xAF},     {"deg", 0xB0},       {"plusmn", 0xB1},    {"sup2", 0xB2},      {"sup3", 0xB3},
        {"acute", 0xB4},    {"micro", 0xB5},     {"para", 0xB6},      {"middot", 0xB7},    {"cedil", 0xB8},
        {"sup1", 0xB9},     {"ordm", 0xBA},      {"raquo", 0xBB},     {"frac14", 0xBC},    {"frac12", 0xBD},
        {"frac34", 0xBE},   {"iquest", 0xBF},    {"times", 0xD7},     {"divide", 0xF7},    {"szlig", 0xDF},
        {"auml", 0xE4},     {"ouml", 0xF6},      {"uuml", 0xFC},      {"Auml", 0xC4},      {"Ouml", 0xD6},
        {"Uuml", 0xDC},     {"eacute", 0xE9},    {"egrave", 0xE8},    {"agrave", 0xE0},    {"ccedil", 0xE7},
        {"ndash", 0x2013},  {"mdash", 0x2014},   {"lsquo", 0x2018},   {"rsquo", 0x2019},   {"ldquo", 0x201C},
        {"rdquo", 0x201D},  {"bull", 0x2022},    {"hellip", 0x2026},  {"euro", 0x20AC},    {"trade", 0x2122},
    };
    for (const auto& [n, cp] : kNames)
        if (n == name) return cp;
    return 0;
}

// "&name;", "&#123;", "&#x1F600;" -> the character; anything else stays as written.
std::string unescapeEntities(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size();) {
        const size_t semi = s[i] == '&' ? s.find(';', i + 1) : std::string_view::npos;
        if (semi != std::string_view::npos && semi - i <= 32) {
            const std::string_view body = s.substr(i + 1, semi - i - 1);
            uint32_t cp = 0;
            if (body.size() > 1 && body[0] == '#') {
                const bool hex = body[1] == 'x' || body[1] == 'X';
                const std::string digits(body.substr(hex ? 2 : 1));
                char* end = nullptr;
                const unsigned long v = digits.empty() ? 0 : std::strtoul(digits.c_str(), &end, hex ? 16 : 10);
                if (!digits.empty() && *end == '\0') cp = v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) ? 0xFFFD : v;
            } else {
                cp = namedEntity(body);
            }
            if (cp != 0) {
                utf8::append(out, cp);
                i = semi + 1;
                continue;
            }
        }
        out += s[i++];
    }
    return out;
}

// Removes every open..close span (non-greedy, across lines), as re.sub(r"<!--.*?-->", "").
std::string removeSpans(std::string_view s, std::string_view open, std::string_view close) {
    std::string out;
    size_t i = 0;
    for (;;) {
        const size_t start = s.find(open, i);
        const size_t end = start == std::string_view::npos ? start : s.find(close, start + open.size());
        if (end == std::string_view::npos) break;
        out += s.substr(i, start - i);
        i = end + close.size();
    }
    out += s.substr(i);
    return out;
}

// Python's urllib.parse.quote on UTF-8 bytes: letters, digits and "_.-~" stay, as do
// the `safe` characters; for a query string, spaces become '+'.
std::string percentEncode(const std::string& s, bool forQuery) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        const bool keep = std::isalnum(c) || c == '_' || c == '.' || c == '-' || c == '~' || (!forQuery && c == '/');
        if (keep && c < 0x80) {
            out += static_cast<char>(c);
        } else if (forQuery && c == ' ') {
            out += '+';
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

}  // namespace

std::string htmlEscape(const std::string& s) {
    std::string o;
    for (char c : s) {
        switch (c) {
        case '&': o += "&amp;"; break;
        case '<': o += "&lt;"; break;
        case '>': o += "&gt;"; break;
        case '"': o += "&#34;"; break;
        case '\'': o += "&#39;"; break;
        default: o += c;
        }
    }
    return o;
}

Value striptagsFilter(const Value& v, const CallArgs&) {
    const std::string text = removeSpans(removeSpans(toStr(v), "<!--", "-->"), "<", ">");
    std::string joined;
    for (const std::string& word : splitWhitespace(text, -1, false)) joined += (joined.empty() ? "" : " ") + word;
    return Value(unescapeEntities(joined));
}

Value xmlattrFilter(const Value& v, const CallArgs& a) {
    if (!v.isMapping()) fail("xmlattr needs a mapping");
    const Value* autospace = a.get(0, "autospace");
    std::string out;
    for (const auto& [key, value] : v.dict()) {
        if (value.isNone() || value.isUndefined()) continue;
        const std::string name = toStr(key);
        if (name.find_first_of(" \t\n\r\f\v/>=") != std::string::npos)
            fail("Invalid character in attribute name: " + toRepr(key));
        out += (out.empty() ? "" : " ") + htmlEscape(name) + "=\"" + htmlEscape(toStr(value)) + "\"";
    }
    if ((!autospace || autospace->truthy()) && !out.empty()) out = " " + out;
    return Value(out);
}

Value urlencodeFilter(const Value& v, const CallArgs&) {
    if (v.isString() || !(v.isList() || v.isMapping())) return Value(percentEncode(toStr(v), false));
    std::string out;
    auto pair = [&](const Value& k, const Value& x) {
        out += (out.empty() ? "" : "&") + percentEncode(toStr(k), true) + "=" + percentEncode(toStr(x), true);
    };
    if (v.isMapping()) {
        for (const auto& [k, x] : v.dict()) pair(k, x);
    } else {
        for (const Value& item : iterate(v)) {
            const List parts = iterate(item);
            if (parts.size() != 2) fail("urlencode needs a dict or a list of (key, value) pairs");
            pair(parts[0], parts[1]);
        }
    }
    return Value(out);
}

Value filesizeformatFilter(const Value& v, const CallArgs& a) {
    const Value* binaryArg = a.get(0, "binary");
    const bool binary = binaryArg && binaryArg->truthy();
    double bytes = 0;
    if (v.isNumber()) bytes = v.asFloat();
    else if (v.isString()) bytes = std::strtod(v.str().c_str(), nullptr);
    else fail("filesizeformat needs a number");
    const double base = binary ? 1024 : 1000;
    static constexpr const char* kDecimal[] = {"kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
    static constexpr const char* kBinary[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"};
    if (bytes == 1) return Value(std::string("1 Byte"));
    if (bytes < base) return Value(std::to_string(static_cast<int64_t>(bytes)) + " Bytes");
    char buf[64];
    double unit = base;
    for (int i = 0; i < 8; ++i) {
        unit = std::pow(base, i + 2);
        if (bytes < unit || i == 7) {
            std::snprintf(buf, sizeof buf, "%.1f %s", base * bytes / unit, binary ? kBinary[i] : kDecimal[i]);
            break;
        }
    }
    return Value(std::string(buf));
}

}  // namespace chat_template
