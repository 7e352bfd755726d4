// Chunking in two steps:
// 1. Units: the text is cut into sentences (paragraphs split at sentence ends, Latin
//    and CJK (。！？；) alike; a sentence longer than the target split at spaces; a
//    word longer than the target, or CJK text, cut after a comma or at a character
//    boundary). Each unit remembers how strong the boundary after
//    it is: paragraph end > sentence end > word end.
// 2. Packing: a chunk takes units while it fits the target, and ends at the strongest
//    boundary found in its second half. The next chunk starts about `overlapChars`
//    before the previous end, at a sentence start when one is near, else a word start.
#include "rag/chunker.h"

#include <algorithm>
#include <cctype>

#include "script.h"

namespace rag {
namespace {

enum Strength { kWordEnd = 0, kSentenceEnd = 1, kParagraphEnd = 2 };

struct Unit {
    size_t begin, end;  // byte offsets, [begin, end), no leading/trailing space
    Strength after;
};

bool isSpace(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

void trim(const std::string& t, size_t& b, size_t& e) {
    while (b < e && isSpace(t[b])) ++b;
    while (e > b && isSpace(t[e - 1])) --e;
}

// Largest cut <= want that does not split a UTF-8 sequence.
size_t utf8Floor(const std::string& t, size_t want, size_t floor) {
    while (want > floor && (static_cast<unsigned char>(t[want]) & 0xC0) == 0x80) --want;
    return want;
}

void splitWords(const std::string& t, size_t b, size_t e, size_t target, Strength last,
                std::vector<Unit>& out) {
    size_t i = b;
    while (i < e) {
        while (i < e && isSpace(t[i])) ++i;
        if (i >= e) break;
        size_t w = i;
        while (w < e && !isSpace(t[w])) ++w;
        // Group words greedily up to the target so units stay sentence-sized.
        size_t end = w;
        while (end < e) {
            size_t n = end;
            while (n < e && isSpace(t[n])) ++n;
            size_t m = n;
            while (m < e && !isSpace(t[m])) ++m;
            if (m - i > target || n >= e) break;
            end = m;
        }
        if (end - i > target) {  // one word longer than the target (or CJK text without spaces)
            end = utf8Floor(t, i + target, i + 1);
            if (end <= i) end = std::min(e, i + target);
            // CJK clauses: after the last comma (，、 or its NFKC ',') in the second half.
            for (size_t p = end; p > i + target / 2; --p) {
                if (t[p - 1] == ',' ||
                    (p >= i + 3 && (t.compare(p - 3, 3, "\u3001") == 0 || t.compare(p - 3, 3, "\uFF0C") == 0))) {
                    end = p;
                    break;
                }
            }
        }
        out.push_back({i, end, end >= e ? last : kWordEnd});
        i = end;
    }
}

// The code point before byte `i` (0 at the start).
char32_t previousCodePoint(const std::string& t, size_t b, size_t i) {
    size_t p = i;
    while (p > b && (static_cast<unsigned char>(t[p - 1]) & 0xC0) == 0x80) --p;
    if (p == b) return 0;
    size_t q = p - 1;
    return utf8::decode(t, q);
}

// Closing quotes and brackets that stay with the sentence before them: ) ] " ' and
// the CJK corner brackets 」 』 and ” ’.
size_t skipClosers(const std::string& t, size_t j, size_t e) {
    while (j < e) {
        if (t[j] == ')' || t[j] == ']' || t[j] == '"' || t[j] == '\'') { ++j; continue; }
        size_t k = j;
        const char32_t c = static_cast<unsigned char>(t[j]) >= 0x80 ? utf8::decode(t, k) : 0;
        if (c == 0x300D || c == 0x300F || c == 0x201D || c == 0x2019) { j = k; continue; }
        break;
    }
    return j;
}

// If a sentence ends with the character at t[i], the offset just after it (and its
// closers); else 0. Latin: . ! ? followed by a space. CJK: 。 always, and ! ? ; (the
// NFKC forms of ！？；) next to CJK text, which has no spaces.
size_t sentenceEnd(const std::string& t, size_t b, size_t i, size_t e) {
    const char c = t[i];
    if (c == '.' || c == '!' || c == '?' || c == ';') {
        const size_t j = skipClosers(t, i + 1, e);
        if (c != ';' && j < e && isSpace(t[j])) return j;
        if (c == '.') return 0;
        size_t k = j;
        const bool cjkNext = j < e && script::isCjk(utf8::decode(t, k));
        return cjkNext || script::isCjk(previousCodePoint(t, b, i)) ? j : 0;
    }
    if (static_cast<unsigned char>(c) < 0x80) return 0;
    size_t k = i;
    return script::isCjkSentenceEnd(utf8::decode(t, k)) ? skipClosers(t, k, e) : 0;
}

void splitSentences(const std::string& t, size_t b, size_t e, size_t target, std::vector<Unit>& out) {
    size_t start = b;
    auto emit = [&](size_t s, size_t en, Strength after) {
        trim(t, s, en);
        if (s >= en) return;
        if (en - s <= target) out.push_back({s, en, after});
        else splitWords(t, s, en, target, after, out);
    };
    for (size_t i = b; i < e; ++i) {
        if ((static_cast<unsigned char>(t[i]) & 0xC0) == 0x80) continue;  // inside a character
        const size_t j = sentenceEnd(t, b, i, std::min(e, t.size()));
        if (j == 0) continue;
        if (j >= e) break;
        emit(start, j, kSentenceEnd);
        start = j;
        i = j - 1;
    }
    emit(start, e, kParagraphEnd);
}

std::vector<Unit> makeUnits(const std::string& t, size_t target) {
    std::vector<Unit> units;
    size_t start = 0;
    size_t i = 0;
    while (i < t.size()) {
        if (t[i] != '\n') {
            ++i;
            continue;
        }
        size_t j = i + 1;
        while (j < t.size() && (t[j] == ' ' || t[j] == '\t' || t[j] == '\r')) ++j;
        if (j < t.size() && t[j] == '\n') {  // blank line: paragraph break
            splitSentences(t, start, i, target, units);
            while (j < t.size() && isSpace(t[j])) ++j;
            start = i = j;
        } else {
            i = j;
        }
    }
    splitSentences(t, start, t.size(), target, units);
    return units;
}

// True when a CJK character starts at p (text without spaces may start a chunk there).
bool cjkCharacterStart(const std::string& t, size_t p) {
    if (p >= t.size() || (static_cast<unsigned char>(t[p]) & 0xC0) == 0x80 || static_cast<unsigned char>(t[p]) < 0x80)
        return false;
    size_t k = p;
    return script::isCjk(utf8::decode(t, k));
}

int pageOf(const std::vector<size_t>& pageStarts, size_t pos) {
    const auto it = std::upper_bound(pageStarts.begin(), pageStarts.end(), pos);
    return static_cast<int>(it - pageStarts.begin());
}

// Where each page starts in documentText(pages) (pages are joined by a blank line).
std::vector<size_t> pageStartsOf(const std::vector<std::string>& pages) {
    std::vector<size_t> starts;
    size_t offset = 0;
    for (const std::string& page : pages) {
        starts.push_back(offset);
        offset += page.size() + 2;
    }
    return starts;
}

// The end of the chunk that starts at `start`: among the unit ends within the target
// (past prevEnd, the previous chunk's end), the strongest break in the second half.
// `first` is the first unit ending after `start`.
size_t chunkEnd(const std::string& text, const std::vector<Unit>& units, size_t first, size_t start, size_t prevEnd,
                size_t target) {
    size_t bestEnd = 0;
    int bestStrength = -1;
    for (size_t u = first; u < units.size() && units[u].end <= start + target; ++u) {
        if (units[u].end <= prevEnd) continue;
        const size_t len = units[u].end - start;
        const int strength = len * 2 >= target ? units[u].after : -1;
        if (strength >= bestStrength) {
            bestStrength = strength;
            bestEnd = units[u].end;
        }
    }
    if (bestEnd <= std::max(start, prevEnd))  // guard; unreachable with overlap <= target / 2
        bestEnd = utf8Floor(text, std::min(units.back().end, start + target), start + 1);
    return bestEnd;
}

// The next chunk's start after a chunk [start, end): a unit start in
// [end - 1.5*overlap, end) closest to end - overlap; else a word start after
// end - overlap; else no overlap. `first` is the first unit ending after `end`.
size_t nextStart(const std::string& text, const std::vector<Unit>& units, size_t first, size_t start, size_t end,
                 size_t overlap, size_t target) {
    const size_t next = units[first].begin > end ? units[first].begin : end;
    if (overlap == 0) return next;
    const size_t want = end > overlap ? end - overlap : 0;
    const size_t lo = end > overlap + overlap / 2 ? end - overlap - overlap / 2 : 0;
    size_t best = 0;
    size_t bestDistance = SIZE_MAX;
    for (size_t u = first; u-- > 0;) {
        if (units[u].begin < lo) break;
        if (units[u].begin <= start || units[u].begin >= end) continue;
        const size_t d = units[u].begin > want ? units[u].begin - want : want - units[u].begin;
        if (d < bestDistance) {
            bestDistance = d;
            best = units[u].begin;
        }
    }
    if (best == 0) {
        for (size_t p = std::max(want, start + 1); p < end; ++p)
            if ((isSpace(text[p - 1]) && !isSpace(text[p])) || cjkCharacterStart(text, p)) {
                best = p;
                break;
            }
    }
    // The next unit must still fit after the overlap.
    return best > start && units[first].end - best <= target ? best : next;
}

}  // namespace

std::string documentText(const std::vector<std::string>& pages) {
    std::string text;
    for (size_t i = 0; i < pages.size(); ++i) {
        if (i) text += "\n\n";
        text += pages[i];
    }
    return text;
}

std::vector<Chunk> chunkDocument(const std::vector<std::string>& pages, const ChunkerOptions& options) {
    const size_t target = static_cast<size_t>(std::max(options.targetChars, 50));
    const size_t overlap = std::min(static_cast<size_t>(std::max(options.overlapChars, 0)), target / 2);
    const std::vector<size_t> pageStarts = pageStartsOf(pages);
    const std::string text = documentText(pages);
    const std::vector<Unit> units = makeUnits(text, target);
    std::vector<Chunk> chunks;
    if (units.empty()) return chunks;

    size_t start = units[0].begin;
    size_t first = 0;    // first unit ending after `start`
    size_t prevEnd = 0;  // end of the previous chunk: the next must reach past it
    while (true) {
        const size_t end = chunkEnd(text, units, first, start, prevEnd, target);
        Chunk c;
        c.ordinal = static_cast<int>(chunks.size());
        c.charStart = static_cast<int64_t>(start);
        c.charEnd = static_cast<int64_t>(end);
        c.text = text.substr(start, end - start);
        c.pageFrom = pageOf(pageStarts, start);
        c.pageTo = pageOf(pageStarts, end - 1);
        chunks.push_back(std::move(c));
        prevEnd = end;
        while (first < units.size() && units[first].end <= end) ++first;
        if (first >= units.size()) break;
        start = nextStart(text, units, first, start, end, overlap, target);
        // Units entirely before the new start are done; `first` may point into a unit.
        while (first > 0 && units[first - 1].end > start) --first;
    }
    return chunks;
}

}  // namespace rag
