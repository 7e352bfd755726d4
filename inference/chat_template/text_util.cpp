#include "chat_template/text_util.h"

#include <algorithm>

namespace chat_template {

namespace {
bool isWs(char c) { return kWhitespace.find(c) != std::string_view::npos; }
char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c; }
char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }
bool isAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || static_cast<unsigned char>(c) >= 0x80; }
}  // namespace

std::string strip(std::string_view s, std::string_view chars, bool left, bool right) {
    size_t b = 0, e = s.size();
    if (left)
        while (b < e && chars.find(s[b]) != std::string_view::npos) ++b;
    if (right)
        while (e > b && chars.find(s[e - 1]) != std::string_view::npos) --e;
    return std::string(s.substr(b, e - b));
}

std::string toUpper(std::string_view s) {
    std::string o(s);
    std::transform(o.begin(), o.end(), o.begin(), upper);
    return o;
}

std::string toLower(std::string_view s) {
    std::string o(s);
    std::transform(o.begin(), o.end(), o.begin(), lower);
    return o;
}

std::string titleCase(std::string_view s) {
    std::string o(s);
    bool prevLetter = false;
    for (char& c : o) {
        c = prevLetter ? lower(c) : upper(c);
        prevLetter = isAlpha(c);
    }
    return o;
}

std::string capitalize(std::string_view s) {
    std::string o = toLower(s);
    if (!o.empty()) o[0] = upper(o[0]);
    return o;
}

std::vector<std::string> splitWhitespace(std::string_view s, int64_t maxSplit, bool fromRight) {
    std::vector<std::string> parts;
    if (!fromRight) {
        size_t i = 0;
        while (i < s.size()) {
            while (i < s.size() && isWs(s[i])) ++i;
            if (i >= s.size()) break;
            if (maxSplit >= 0 && static_cast<int64_t>(parts.size()) == maxSplit) {
                parts.push_back(strip(s.substr(i), kWhitespace, false, true));
                break;
            }
            size_t j = i;
            while (j < s.size() && !isWs(s[j])) ++j;
            parts.emplace_back(s.substr(i, j - i));
            i = j;
        }
        return parts;
    }
    size_t e = s.size();
    while (e > 0) {
        while (e > 0 && isWs(s[e - 1])) --e;
        if (e == 0) break;
        if (maxSplit >= 0 && static_cast<int64_t>(parts.size()) == maxSplit) {
            parts.push_back(strip(s.substr(0, e), kWhitespace, true, false));
            break;
        }
        size_t b = e;
        while (b > 0 && !isWs(s[b - 1])) --b;
        parts.emplace_back(s.substr(b, e - b));
        e = b;
    }
    std::reverse(parts.begin(), parts.end());
    return parts;
}

std::vector<std::string> splitOn(std::string_view s, std::string_view sep, int64_t maxSplit, bool fromRight) {
    std::vector<std::string> parts;
    if (!fromRight) {
        size_t start = 0;
        for (;;) {
            const size_t at = (maxSplit >= 0 && static_cast<int64_t>(parts.size()) >= maxSplit) ? std::string_view::npos
                                                                                               : s.find(sep, start);
            if (at == std::string_view::npos) {
                parts.emplace_back(s.substr(start));
                return parts;
            }
            parts.emplace_back(s.substr(start, at - start));
            start = at + sep.size();
        }
    }
    size_t end = s.size();
    for (;;) {
        const bool limit = maxSplit >= 0 && static_cast<int64_t>(parts.size()) >= maxSplit;
        const size_t at = limit || end < sep.size() ? std::string_view::npos : s.rfind(sep, end - sep.size());
        if (at == std::string_view::npos) {
            parts.emplace_back(s.substr(0, end));
            break;
        }
        parts.emplace_back(s.substr(at + sep.size(), end - at - sep.size()));
        end = at;
    }
    std::reverse(parts.begin(), parts.end());
    return parts;
}

std::string replaceAll(std::string_view s, std::string_view from, std::string_view to, int64_t count) {
    std::string out;
    if (from.empty()) {  // Python inserts `to` between every character (and at both ends)
        int64_t n = 0;
        for (size_t i = 0; i <= s.size(); ++i) {
            if (count < 0 || n < count) {
                out += to;
                ++n;
            }
            if (i < s.size()) out += s[i];
        }
        return out;
    }
    size_t start = 0;
    int64_t n = 0;
    for (size_t at = s.find(from); at != std::string_view::npos && (count < 0 || n < count);
         at = s.find(from, start), ++n) {
        out.append(s.substr(start, at - start));
        out.append(to);
        start = at + from.size();
    }
    out.append(s.substr(start));
    return out;
}

size_t codepointCount(std::string_view s) {
    return static_cast<size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

}  // namespace chat_template
