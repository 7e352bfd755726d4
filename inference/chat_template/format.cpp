// Python's two string formatting languages, as templates reach them:
//   "%s: %5.2f" % (name, x)        printf-style (also the `format` filter)
//   "{}: {:>8.2f}".format(name, x)  str.format with the format-spec mini-language
// Numbers are laid out by hand (sign, prefix, grouping, padding) so negative hex,
// "%+d", "{:,}" and "{:*^9}" come out as Python prints them.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "chat_template/builtins.h"
#include "chat_template/text_util.h"

namespace chat_template {

namespace {

std::string digitsOf(uint64_t v, int base, bool upper) {
    if (v == 0) return "0";
    const char* d = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    std::string s;
    for (; v; v /= static_cast<uint64_t>(base)) s.insert(s.begin(), d[v % static_cast<uint64_t>(base)]);
    return s;
}

// "1234567" -> "1,234,567" (every `every` digits from the right of the integer part).
std::string group(const std::string& digits, char sep, size_t every) {
    const size_t dot = digits.find_first_of(".eE%");
    const std::string head = digits.substr(0, dot), tail = dot == std::string::npos ? "" : digits.substr(dot);
    std::string out;
    for (size_t i = 0; i < head.size(); ++i) {
        if (i > 0 && (head.size() - i) % every == 0) out += sep;
        out += head[i];
    }
    return out + tail;
}

uint64_t magnitude(int64_t i) { return i < 0 ? uint64_t{0} - static_cast<uint64_t>(i) : static_cast<uint64_t>(i); }

std::string cFormat(const char* spec, int precision, double x) {
    char buf[512];
    std::snprintf(buf, sizeof buf, spec, precision, x);
    return buf;
}

// The text of a number without its sign, for a printf/format type letter.
std::string numberBody(const Value& v, char type, int precision, bool alternate) {
    const bool isInt = v.kind() != Kind::Float;
    if (type == 'd' || type == 'i' || type == 'u' || type == 'n') {
        if (!isInt) return digitsOf(static_cast<uint64_t>(std::fabs(std::trunc(v.asFloat()))), 10, false);
        return digitsOf(magnitude(v.asInt()), 10, false);
    }
    if (type == 'x' || type == 'X' || type == 'o' || type == 'b') {
        if (!isInt) fail(std::string("%") + type + " format: an integer is required, not float");
        const int base = type == 'o' ? 8 : type == 'b' ? 2 : 16;
        const std::string prefix = !alternate ? "" : type == 'o' ? "0o" : type == 'b' ? "0b" : type == 'x' ? "0x" : "0X";
        const int64_t i = v.asInt();
        return prefix + digitsOf(magnitude(i), base, type == 'X');
    }
    const double x = std::fabs(v.asFloat());
    const int p = precision < 0 ? 6 : std::min(precision, 300);
    switch (type) {
    case 'f':
    case 'F': return cFormat(alternate ? "%#.*f" : "%.*f", p, x);
    case 'e':
    case 'E': return cFormat(type == 'e' ? (alternate ? "%#.*e" : "%.*e") : (alternate ? "%#.*E" : "%.*E"), p, x);
    case 'g':
    case 'G': return cFormat(type == 'g' ? (alternate ? "%#.*g" : "%.*g") : (alternate ? "%#.*G" : "%.*G"), p, x);
    case '%': return cFormat("%.*f", p, x * 100) + "%";
    default: fail(std::string("unsupported format character '") + type + "'");
    }
}

bool negative(const Value& v) { return v.kind() == Kind::Float ? std::signbit(v.asFloat()) && !std::isnan(v.asFloat()) : v.asInt() < 0; }

// Pads body (code points) to width: align '<', '>', '^' or '=' (padding after the sign).
std::string align(const std::string& sign, const std::string& body, int64_t width, char alignment, const std::string& fill) {
    const int64_t len = static_cast<int64_t>(codepointCount(sign) + codepointCount(body));
    if (width <= len) return sign + body;
    const int64_t pad = width - len;
    auto repeat = [&](int64_t n) {
        std::string s;
        for (int64_t i = 0; i < n; ++i) s += fill;
        return s;
    };
    switch (alignment) {
    case '<': return sign + body + repeat(pad);
    case '^': return repeat(pad / 2) + sign + body + repeat(pad - pad / 2);
    case '=': return sign + repeat(pad) + body;
    default: return repeat(pad) + sign + body;
    }
}

// ---- printf-style ----------------------------------------------------------

std::string percentOne(char type, const std::string& flags, int64_t width, int precision, const Value& v) {
    const bool left = flags.find('-') != std::string::npos, zero = flags.find('0') != std::string::npos;
    const bool alternate = flags.find('#') != std::string::npos;
    if (type == 's' || type == 'r' || type == 'a' || type == 'c') {
        std::string s;
        if (type == 'c') {
            if (v.isString() && codepointCount(v.str()) == 1) s = v.str();
            else if (v.kind() == Kind::Int && v.asInt() >= 0 && v.asInt() < 128) s = std::string(1, static_cast<char>(v.asInt()));
            else fail("%c requires an int or a unicode character");
        } else {
            s = type == 's' ? toStr(v) : toRepr(v);
        }
        if (precision >= 0) {
            const List chars = iterate(Value(s));
            s.clear();
            for (size_t i = 0; i < chars.size() && static_cast<int64_t>(i) < precision; ++i) s += chars[i].str();
        }
        return align("", s, width, left ? '<' : '>', " ");
    }
    if (!v.isNumber()) {
        fail(std::string("%") + type + " format: a real number is required, not " + v.typeName());
    }
    std::string body = numberBody(v, type, precision, alternate);
    if ((type == 'd' || type == 'i' || type == 'u') && precision > 0 && static_cast<int64_t>(body.size()) < precision)
        body.insert(0, static_cast<size_t>(precision) - body.size(), '0');
    const std::string sign = negative(v) ? "-" : flags.find('+') != std::string::npos ? "+" : flags.find(' ') != std::string::npos ? " " : "";
    if (left) return align(sign, body, width, '<', " ");
    if (zero) {
        const size_t prefix = alternate && body.size() > 1 && body[0] == '0' && std::isalpha(static_cast<unsigned char>(body[1])) ? 2 : 0;
        return align(sign + body.substr(0, prefix), body.substr(prefix), width, '=', "0");
    }
    return align(sign, body, width, '>', " ");
}

}  // namespace

std::string percentFormat(const std::string& format, const Value& values) {
    const List args = values.isTuple() ? values.list() : List{values};
    const Value* mapping = values.isDict() ? &values : nullptr;
    size_t next = 0;
    auto nextArg = [&]() -> const Value& {
        if (next >= args.size()) fail("not enough arguments for format string");
        return args[next++];
    };
    std::string out;
    for (size_t i = 0; i < format.size(); ++i) {
        if (format[i] != '%') {
            out += format[i];
            continue;
        }
        if (++i >= format.size()) fail("incomplete format");
        const Value* keyed = nullptr;
        if (format[i] == '(') {
            const size_t close = format.find(')', i);
            if (close == std::string::npos) fail("incomplete format key");
            if (!mapping) fail("format requires a mapping");
            keyed = mapping->find(format.substr(i + 1, close - i - 1));
            if (!keyed) fail("KeyError: '" + format.substr(i + 1, close - i - 1) + "'");
            i = close + 1;
        }
        std::string flags;
        while (i < format.size() && std::string_view("-+ #0").find(format[i]) != std::string_view::npos) flags += format[i++];
        int64_t width = 0;
        if (i < format.size() && format[i] == '*') {
            width = nextArg().asInt();
            ++i;
        }
        while (i < format.size() && std::isdigit(static_cast<unsigned char>(format[i]))) width = std::min<int64_t>(width * 10 + (format[i++] - '0'), 100000);
        int precision = -1;
        if (i < format.size() && format[i] == '.') {
            precision = 0;
            ++i;
            while (i < format.size() && std::isdigit(static_cast<unsigned char>(format[i]))) precision = std::min(precision * 10 + (format[i++] - '0'), 100000);
        }
        while (i < format.size() && (format[i] == 'l' || format[i] == 'h' || format[i] == 'L')) ++i;
        if (i >= format.size()) fail("incomplete format");
        const char type = format[i];
        if (type == '%') {
            out += '%';
            continue;
        }
        if (std::string_view("diouxXeEfFgGcrsa").find(type) == std::string_view::npos)
            fail(std::string("unsupported format character '") + type + "'");
        out += percentOne(type, flags, width, precision, keyed ? *keyed : nextArg());
    }
    if (!mapping && next < args.size()) fail("not all arguments converted during string formatting");
    return out;
}

// ---- str.format ------------------------------------------------------------

namespace {

struct Spec {
    std::string fill = " ";
    char alignment = 0;  // 0: the type's default
    char sign = '-';
    bool alternate = false, zero = false;
    int64_t width = 0;
    char grouping = 0;
    int precision = -1;
    char type = 0;
};

Spec parseSpec(const std::string& s) {
    Spec spec;
    size_t i = 0;
    const List chars = iterate(Value(s));
    auto at = [&](size_t k) -> std::string { return k < chars.size() ? chars[k].str() : ""; };
    auto isAlign = [](const std::string& c) { return c == "<" || c == ">" || c == "^" || c == "="; };
    if (chars.size() >= 2 && isAlign(at(1))) {
        spec.fill = at(0);
        spec.alignment = at(1)[0];
        i = 2;
    } else if (!chars.empty() && isAlign(at(0))) {
        spec.alignment = at(0)[0];
        i = 1;
    }
    if (at(i) == "+" || at(i) == "-" || at(i) == " ") spec.sign = at(i++)[0];
    if (at(i) == "#") {
        spec.alternate = true;
        ++i;
    }
    if (at(i) == "0") {
        spec.zero = true;
        ++i;
    }
    while (!at(i).empty() && std::isdigit(static_cast<unsigned char>(at(i)[0]))) spec.width = std::min<int64_t>(spec.width * 10 + (at(i++)[0] - '0'), 100000);
    if (at(i) == "," || at(i) == "_") spec.grouping = at(i++)[0];
    if (at(i) == ".") {
        ++i;
        spec.precision = 0;
        if (at(i).empty() || !std::isdigit(static_cast<unsigned char>(at(i)[0]))) fail("Format specifier missing precision");
        while (!at(i).empty() && std::isdigit(static_cast<unsigned char>(at(i)[0]))) spec.precision = std::min(spec.precision * 10 + (at(i++)[0] - '0'), 100000);
    }
    if (!at(i).empty()) spec.type = at(i++)[0];
    if (i < chars.size()) fail("Invalid format specifier");
    return spec;
}

std::string formatValue(const Value& v, const std::string& specText) {
    if (specText.empty()) return toStr(v);
    const Spec spec = parseSpec(specText);
    if (v.isString()) {
        if (spec.type && spec.type != 's') fail(std::string("Unknown format code '") + spec.type + "' for object of type 'str'");
        std::string s = v.str();
        if (spec.precision >= 0) {
            const List chars = iterate(v);
            s.clear();
            for (size_t k = 0; k < chars.size() && static_cast<int>(k) < spec.precision; ++k) s += chars[k].str();
        }
        return align("", s, spec.width, spec.alignment ? spec.alignment : '<', spec.fill);
    }
    if (!v.isNumber()) fail("unsupported format string passed to " + v.typeName() + ".__format__");
    const bool isFloat = v.kind() == Kind::Float;
    char type = spec.type;
    if (type == 's' || type == 'c') fail(std::string("Unknown format code '") + type + "' for object of type '" + v.typeName() + "'");
    if (!isFloat && type && std::string_view("eEfFgG%bdoxXn").find(type) == std::string_view::npos)
        fail(std::string("Unknown format code '") + type + "' for object of type 'int'");
    if (isFloat && type && std::string_view("bdoxXc").find(type) != std::string_view::npos)
        fail(std::string("Unknown format code '") + type + "' for object of type 'float'");
    std::string body;
    if (!type && isFloat) {
        if (spec.precision < 0) {
            body = formatFloat(std::fabs(v.asFloat()));
        } else {
            body = cFormat("%.*g", std::max(spec.precision, 1), std::fabs(v.asFloat()));
            if (body.find_first_of(".enai") == std::string::npos) body += ".0";
        }
    } else {
        body = numberBody(v, type ? type : 'd', spec.precision, spec.alternate);
    }
    if (spec.grouping) {
        const bool binaryish = type && std::string_view("bxXo").find(type) != std::string_view::npos;
        body = group(body, spec.grouping, binaryish ? 4 : 3);
    }
    const std::string sign = negative(v) ? "-" : spec.sign == '+' ? "+" : spec.sign == ' ' ? " " : "";
    if (spec.zero && !spec.alignment) return align(sign, body, spec.width, '=', "0");
    return align(sign, body, spec.width, spec.alignment ? spec.alignment : '>', spec.fill);
}

// "0[key].attr" against the arguments.
Value resolveField(const std::string& field, const CallArgs& args, size_t& autoIndex) {
    size_t end = field.find_first_of(".[");
    const std::string head = field.substr(0, end);
    Value v;
    if (head.empty()) {
        if (autoIndex >= args.positional.size()) fail("Replacement index " + std::to_string(autoIndex) + " out of range for positional args tuple");
        v = args.positional[autoIndex++];
    } else if (std::isdigit(static_cast<unsigned char>(head[0]))) {
        const size_t i = static_cast<size_t>(std::atoll(head.c_str()));
        if (i >= args.positional.size()) fail("Replacement index " + head + " out of range for positional args tuple");
        v = args.positional[i];
    } else {
        const Value* named = nullptr;
        for (const auto& [k, x] : args.named)
            if (k == head) named = &x;
        if (!named) fail("KeyError: '" + head + "'");
        v = *named;
    }
    while (end != std::string::npos && end < field.size()) {
        if (field[end] == '.') {
            const size_t next = field.find_first_of(".[", end + 1);
            v = getAttr(v, field.substr(end + 1, next == std::string::npos ? std::string::npos : next - end - 1));
            end = next;
        } else {
            const size_t close = field.find(']', end);
            if (close == std::string::npos) fail("Missing ']' in format string");
            const std::string key = field.substr(end + 1, close - end - 1);
            const bool numeric = !key.empty() && key.find_first_not_of("0123456789") == std::string::npos;
            v = getItem(v, numeric ? Value(static_cast<int64_t>(std::atoll(key.c_str()))) : Value(key));
            end = close + 1;
        }
        if (v.isUndefined()) fail("the format field '" + field + "' is missing");
    }
    return v;
}

}  // namespace

std::string strFormat(const std::string& format, const CallArgs& args) {
    std::string out;
    size_t autoIndex = 0;
    for (size_t i = 0; i < format.size(); ++i) {
        const char c = format[i];
        if (c == '}') {
            if (i + 1 < format.size() && format[i + 1] == '}') ++i;
            else fail("Single '}' encountered in format string");
            out += '}';
            continue;
        }
        if (c != '{') {
            out += c;
            continue;
        }
        if (i + 1 < format.size() && format[i + 1] == '{') {
            out += '{';
            ++i;
            continue;
        }
        const size_t close = format.find('}', i);
        if (close == std::string::npos) fail("Single '{' encountered in format string");
        std::string field = format.substr(i + 1, close - i - 1);
        i = close;
        std::string spec;
        if (const size_t colon = field.find(':'); colon != std::string::npos) {
            spec = field.substr(colon + 1);
            field.resize(colon);
        }
        char conversion = 0;
        if (field.size() >= 2 && field[field.size() - 2] == '!') {
            conversion = field.back();
            field.resize(field.size() - 2);
        }
        Value v = resolveField(field, args, autoIndex);
        if (conversion == 'r' || conversion == 'a') v = Value(toRepr(v));
        else if (conversion == 's') v = Value(toStr(v));
        else if (conversion) fail(std::string("Unknown conversion specifier ") + conversion);
        out += formatValue(v, spec);
    }
    return out;
}

}  // namespace chat_template
