#include "unicode.h"

#include <algorithm>

#include "unicode_tables.h"
#include "common/utf8.h"

namespace tokenizer::unicode {

size_t utf8Length(uint8_t lead) {
    if (lead < 0x80) return 1;
    if ((lead & 0xE0) == 0xC0) return 2;
    if ((lead & 0xF0) == 0xE0) return 3;
    if ((lead & 0xF8) == 0xF0) return 4;
    return 1;
}

std::string toUtf8(char32_t cp) {
    std::string s;
    utf8::append(s, cp);
    return s;
}

std::vector<char32_t> toCodepoints(std::string_view text) {
    std::vector<char32_t> out;
    out.reserve(text.size());
    for (size_t pos = 0; pos < text.size();) out.push_back(utf8::decode(text, pos));
    return out;
}

size_t completeUtf8Prefix(std::string_view bytes) {
    // Only the last (up to 3) bytes can be an unfinished sequence.
    const size_t size = bytes.size();
    for (size_t back = 1; back <= std::min<size_t>(3, size); ++back) {
        const auto b = static_cast<uint8_t>(bytes[size - back]);
        if ((b & 0xC0) == 0x80) continue;  // continuation byte: look further back
        const size_t need = utf8Length(b);
        return (need > back && b >= 0xC0) ? size - back : size;
    }
    return size;
}

Category category(char32_t cp) {
    using tables::kCategoryRanges;
    const auto* end = kCategoryRanges + tables::kCategoryRangeCount;
    const auto* it = std::upper_bound(kCategoryRanges, end, cp,
                                      [](char32_t c, const tables::CategoryRange& r) { return c < r.first; });
    if (it == kCategoryRanges) return Category::Cn;
    --it;
    return cp <= it->last ? it->category : Category::Cn;
}

bool isLetter(char32_t cp) {
    const auto c = category(cp);
    return c >= Category::Lu && c <= Category::Lo;
}
bool isMark(char32_t cp) {
    const auto c = category(cp);
    return c >= Category::Mn && c <= Category::Me;
}
bool isNumber(char32_t cp) {
    const auto c = category(cp);
    return c >= Category::Nd && c <= Category::No;
}
bool isPunctuation(char32_t cp) {
    const auto c = category(cp);
    return c >= Category::Pc && c <= Category::Po;
}
bool isSymbol(char32_t cp) {
    const auto c = category(cp);
    return c >= Category::Sm && c <= Category::So;
}
bool isControl(char32_t cp) {
    const auto c = category(cp);
    return c == Category::Cc || c == Category::Cf;
}

bool isWhitespace(char32_t cp) {
    // The White_Space property (PropList.txt); stable since Unicode 6.
    switch (cp) {
        case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20: case 0x85:
        case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F:
        case 0x3000:
            return true;
        default:
            return cp >= 0x2000 && cp <= 0x200A;
    }
}

namespace {

bool appendMapped(std::u32string& out, char32_t cp, const tables::MappingEntry* entries, size_t count,
                  const char32_t* data) {
    const auto* end = entries + count;
    const auto* it = std::lower_bound(entries, end, cp,
                                      [](const tables::MappingEntry& e, char32_t c) { return e.cp < c; });
    if (it == end || it->cp != cp) return false;
    out.append(data + it->offset, it->length);
    return true;
}

}  // namespace

void appendLower(std::u32string& out, char32_t cp) {
    if (cp < 0x80) {
        out += (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
        return;
    }
    if (!appendMapped(out, cp, tables::kLowerEntries, tables::kLowerEntryCount, tables::kLowerData)) out += cp;
}

void appendNfd(std::u32string& out, char32_t cp) {
    // Hangul syllables decompose arithmetically (Unicode 3.12).
    constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
    constexpr char32_t kTCount = 28, kNCount = 21 * 28, kSCount = 19 * kNCount;
    if (cp >= kSBase && cp < kSBase + kSCount) {
        const char32_t s = cp - kSBase;
        out += kLBase + s / kNCount;
        out += kVBase + (s % kNCount) / kTCount;
        if (s % kTCount) out += kTBase + s % kTCount;
        return;
    }
    if (cp < 0xC0 || !appendMapped(out, cp, tables::kNfdEntries, tables::kNfdEntryCount, tables::kNfdData)) {
        out += cp;
    }
}

const char* unicodeVersion() { return tables::kUnicodeVersion; }

}  // namespace tokenizer::unicode
