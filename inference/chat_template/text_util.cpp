#include "chat_template/text_util.h"

#include <algorithm>

#include "common/utf8.h"

namespace chat_template {

namespace {
bool isWs(char c) { return kWhitespace.find(c) != std::string_view::npos; }
}  // namespace

std::string strip(std::string_view s, std::string_view chars, bool left, bool right) {
    size_t b = 0, e = s.size();
    if (left)
        while (b < e && chars.find(s[b]) != std::string_view::npos) ++b;
    if (right)
        while (e > b && chars.find(s[e - 1]) != std::string_view::npos) --e;
    return std::string(s.substr(b, e - b));
}

namespace {

// UTF-8 <-> code points for the case functions. A byte that does not start a
// well-formed sequence is kept as it is: it decodes to kStrayByte + the byte, which
// encode writes back unchanged.
constexpr uint32_t kStrayByte = 0x110000;

uint32_t decode(std::string_view s, size_t& i) {
    if (utf8::sequenceLength(s, i) == 0) return kStrayByte + static_cast<unsigned char>(s[i++]);
    return utf8::decode(s, i);
}

void encode(uint32_t cp, std::string& out) {
    if (cp >= kStrayByte) out += static_cast<char>(cp - kStrayByte);
    else utf8::append(out, cp);
}

// Simple case mapping for the scripts templates meet: ASCII, Latin-1, Latin
// Extended-A, Greek and Cyrillic (Python maps all of Unicode; outside these
// ranges characters are kept).
uint32_t lowerCp(uint32_t c) {
    if (c >= 'A' && c <= 'Z') return c + 32;
    if (c < 0xC0) return c;
    if (c <= 0xDE && c != 0xD7) return c + 32;
    if (c == 0x178) return 0xFF;
    if (c >= 0x100 && c <= 0x17F) {
        if (c == 0x130) return 'i';
        const bool oddUpper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
        if (c == 0x131 || c == 0x138 || c == 0x149 || c == 0x17F) return c;
        return oddUpper ? (c % 2 ? c + 1 : c) : (c % 2 ? c : c + 1);
    }
    if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 32;
    if (c >= 0x410 && c <= 0x42F) return c + 32;
    if (c >= 0x400 && c <= 0x40F) return c + 80;
    return c;
}

uint32_t upperCp(uint32_t c) {
    if (c >= 'a' && c <= 'z') return c - 32;
    if (c < 0xE0) return c;
    if (c <= 0xFE && c != 0xF7) return c - 32;
    if (c == 0xFF) return 0x178;
    if (c >= 0x100 && c <= 0x17F) {
        if (c == 0x131) return 'I';
        const bool oddUpper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
        if (c == 0x130 || c == 0x138 || c == 0x149) return c;
        if (c == 0x17F) return 'S';
        return oddUpper ? (c % 2 ? c : c - 1) : (c % 2 ? c - 1 : c);
    }
    if (c == 0x3C2) return 0x3A3;  // final sigma
    if (c >= 0x3B1 && c <= 0x3C9) return c - 32;
    if (c >= 0x430 && c <= 0x44F) return c - 32;
    if (c >= 0x450 && c <= 0x45F) return c - 80;
    return c;
}

bool isCased(uint32_t c) { return lowerCp(c) != c || upperCp(c) != c || c == 0xDF; }

std::vector<uint32_t> codepoints(std::string_view s) {
    std::vector<uint32_t> out;
    for (size_t i = 0; i < s.size();) out.push_back(decode(s, i));
    return out;
}

// Python's lower(): Σ becomes final ς after a cased letter when no cased letter follows.
void appendLower(const std::vector<uint32_t>& cps, size_t i, std::string& out) {
    if (cps[i] == 0x3A3) {
        const bool after = i > 0 && isCased(cps[i - 1]);
        const bool before = i + 1 < cps.size() && isCased(cps[i + 1]);
        encode(after && !before ? 0x3C2 : 0x3C3, out);
        return;
    }
    encode(lowerCp(cps[i]), out);
}

void appendUpper(uint32_t c, std::string& out) {
    if (c == 0xDF) out += "SS";
    else encode(upperCp(c), out);
}

}  // namespace

std::string toUpper(std::string_view s) {
    std::string o;
    for (uint32_t c : codepoints(s)) appendUpper(c, o);
    return o;
}

std::string toLower(std::string_view s) {
    const std::vector<uint32_t> cps = codepoints(s);
    std::string o;
    for (size_t i = 0; i < cps.size(); ++i) appendLower(cps, i, o);
    return o;
}

// Python's title(): a cased character after an uncased one is upper-cased, others lowered.
std::string titleCase(std::string_view s) {
    const std::vector<uint32_t> cps = codepoints(s);
    std::string o;
    bool prevCased = false;
    for (size_t i = 0; i < cps.size(); ++i) {
        if (prevCased) appendLower(cps, i, o);
        else appendUpper(cps[i], o);
        prevCased = isCased(cps[i]);
    }
    return o;
}

std::string capitalize(std::string_view s) {
    const std::vector<uint32_t> cps = codepoints(s);
    std::string o;
    for (size_t i = 0; i < cps.size(); ++i) {
        if (i == 0) appendUpper(cps[i], o);
        else appendLower(cps, i, o);
    }
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
