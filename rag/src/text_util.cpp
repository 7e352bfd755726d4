#include "text_util.h"

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>

#include <vector>

namespace rag {
namespace {

// Decodes one code point at s[i], advancing i; invalid sequences give U+FFFD.
UChar32 nextCodePoint(std::string_view s, size_t& i) {
    int32_t pos = static_cast<int32_t>(i);
    UChar32 c = 0;
    U8_NEXT(reinterpret_cast<const uint8_t*>(s.data()), pos, static_cast<int32_t>(s.size()), c);
    i = static_cast<size_t>(pos);
    return c < 0 ? 0xFFFD : c;
}

void appendUtf8(std::string& out, UChar32 c) {
    uint8_t buf[4];
    int32_t len = 0;
    UBool error = false;
    U8_APPEND(buf, len, 4, c, error);
    if (!error) out.append(reinterpret_cast<const char*>(buf), static_cast<size_t>(len));
}

// Pre-pass: valid UTF-8, line ends unified, soft hyphens and controls dropped.
std::string cleanCodePoints(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    for (size_t i = 0; i < in.size();) {
        UChar32 c = nextCodePoint(in, i);
        if (c == '\r') {
            if (i < in.size() && in[i] == '\n') ++i;
            c = '\n';
        }
        if (c == '\f' || c == 0x2028 || c == 0x2029) c = '\n';
        if (c == 0xAD) continue;                                  // soft hyphen
        if (c != '\n' && c != '\t' && (u_iscntrl(c) || c == 0xFEFF)) continue;
        appendUtf8(out, c);
    }
    return out;
}

bool isLowerLetter(UChar32 c) { return u_islower(c) != 0; }

}  // namespace

std::string normalizeText(std::string_view utf8) {
    const std::string clean = cleanCodePoints(utf8);
    if (clean.empty()) return clean;
    UErrorCode status = U_ZERO_ERROR;
    const UNormalizer2* nfkc = unorm2_getNFKCInstance(&status);
    if (U_FAILURE(status)) return clean;
    // UTF-8 -> UTF-16 -> NFKC -> UTF-8. Sizes: UTF-16 never needs more units than bytes.
    std::vector<UChar> src(clean.size() + 1);
    int32_t srcLen = 0;
    u_strFromUTF8(src.data(), static_cast<int32_t>(src.size()), &srcLen, clean.data(),
                  static_cast<int32_t>(clean.size()), &status);
    if (U_FAILURE(status)) return clean;
    std::vector<UChar> dst(static_cast<size_t>(srcLen) * 2 + 16);
    int32_t dstLen = unorm2_normalize(nfkc, src.data(), srcLen, dst.data(),
                                      static_cast<int32_t>(dst.size()), &status);
    if (status == U_BUFFER_OVERFLOW_ERROR) {
        status = U_ZERO_ERROR;
        dst.resize(static_cast<size_t>(dstLen) + 1);
        dstLen = unorm2_normalize(nfkc, src.data(), srcLen, dst.data(),
                                  static_cast<int32_t>(dst.size()), &status);
    }
    if (U_FAILURE(status)) return clean;
    std::string out(static_cast<size_t>(dstLen) * 3 + 4, '\0');
    int32_t outLen = 0;
    u_strToUTF8(out.data(), static_cast<int32_t>(out.size()), &outLen, dst.data(), dstLen, &status);
    if (U_FAILURE(status)) return clean;
    out.resize(static_cast<size_t>(outLen));
    return out;
}

std::string dehyphenate(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    UChar32 prev = 0;  // code point before the current one
    for (size_t i = 0; i < text.size();) {
        const size_t start = i;
        const UChar32 c = nextCodePoint(text, i);
        if ((c == '-' || c == 0x2010) && isLowerLetter(prev)) {
            // Look past "-[ \t]*\n[ \t]*" for a lower-case letter.
            size_t j = i;
            while (j < text.size() && (text[j] == ' ' || text[j] == '\t')) ++j;
            if (j < text.size() && text[j] == '\n') {
                size_t k = j + 1;
                while (k < text.size() && (text[k] == ' ' || text[k] == '\t')) ++k;
                size_t probe = k;
                if (k < text.size() && isLowerLetter(nextCodePoint(text, probe))) {
                    // Move the rest of the broken word up, keep the line break after it.
                    size_t end = k;
                    while (end < text.size()) {
                        size_t next = end;
                        const UChar32 w = nextCodePoint(text, next);
                        if (!u_isalnum(w) && w != '\'' && w != 0x2019) break;
                        end = next;
                    }
                    out.append(text.substr(k, end - k));
                    // Keep trailing punctuation with the word, then the line break.
                    size_t punct = end;
                    while (punct < text.size() && (text[punct] == ',' || text[punct] == '.' ||
                                                    text[punct] == ';' || text[punct] == ':'))
                        ++punct;
                    out.append(text.substr(end, punct - end));
                    out.push_back('\n');
                    i = punct;
                    while (i < text.size() && text[i] == ' ') ++i;
                    prev = '\n';
                    continue;
                }
            }
        }
        out.append(text.substr(start, i - start));
        prev = c;
    }
    return out;
}

double readableFraction(std::string_view utf8) {
    size_t good = 0, total = 0;
    for (size_t i = 0; i < utf8.size();) {
        const UChar32 c = nextCodePoint(utf8, i);
        if (u_isUWhiteSpace(c)) continue;
        ++total;
        const int8_t type = u_charType(c);
        const bool bad = c == 0xFFFD || type == U_PRIVATE_USE_CHAR || type == U_UNASSIGNED ||
                         type == U_CONTROL_CHAR || type == U_SURROGATE;
        if (!bad) ++good;
    }
    return total == 0 ? 1.0 : static_cast<double>(good) / static_cast<double>(total);
}

size_t countAlnum(std::string_view utf8) {
    size_t n = 0;
    for (size_t i = 0; i < utf8.size();)
        if (u_isalnum(nextCodePoint(utf8, i))) ++n;
    return n;
}

std::string wordsLower(std::string_view utf8) {
    std::string out;
    bool inWord = false;
    for (size_t i = 0; i < utf8.size();) {
        const UChar32 c = nextCodePoint(utf8, i);
        if (u_isalnum(c)) {
            if (!inWord && !out.empty()) out.push_back(' ');
            appendUtf8(out, u_tolower(c));
            inWord = true;
        } else {
            inWord = false;
        }
    }
    return out;
}

}  // namespace rag
