// ftsQuery (declared in store.h): free text to an FTS5 MATCH expression of quoted,
// OR-ed terms. Words as unicode61 splits them; CJK runs as their two-character
// pairs and single characters, matching how the "assistant" tokenizer indexes them.
#include <unicode/uchar.h>

#include <set>
#include <string>
#include <vector>

#include "rag/store.h"
#include "script.h"

namespace rag {
namespace {

// Function words that match most chunks: BM25 gives them almost no weight, but FTS5
// still has to score every row that contains them (hundreds of ms on 100k chunks).
// They are dropped unless the query has nothing else. English, and the articles and
// prepositions of German, French and Spanish that are not also English words.
const std::set<std::string>& stopwords() {
    static const std::set<std::string> words = {
        "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "is", "it", "its",
        "of", "on", "or", "that", "the", "this", "to", "was", "were", "which", "with",
        "der", "das", "und", "ist", "ein", "eine", "einen", "dem", "zu", "mit", "von", "im", "wie",
        "le", "la", "les", "des", "du", "et", "est", "une", "un", "au", "aux", "dans", "pour", "qui", "que", "quel", "quelle",
        "el", "los", "las", "del", "y", "en", "es", "una", "por", "con", "para", "qué", "cuál", "cómo"};
    return words;
}

// Single CJK characters that are grammar rather than content (particles, question
// words); their pairs are still searched.
bool cjkStopCharacter(char32_t c) {
    static const std::u32string chars =
        U"的了是吗呢么什哪在和与有个这那吧啊也都就很我你他她它们"
        U"のはがをにでともかなたてだすまいへやよねお"
        U"은는이가을를에의도와과로";
    return chars.find(c) != std::u32string::npos;
}

bool wordCodePoint(char32_t c) {
    if (c < 0x80) return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const auto u = static_cast<UChar32>(c);
    return u_isalnum(u) || u_getIntPropertyValue(u, UCHAR_GENERAL_CATEGORY_MASK) & U_GC_M_MASK;
}

std::string lowerAscii(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

}  // namespace

std::string ftsQuery(const std::string& text) {
    std::vector<std::string> words, kept;
    std::u32string cjk;
    std::string word;
    auto utf8 = [](std::u32string_view s) {
        std::string out;
        for (char32_t c : s) utf8::append(out, c);
        return out;
    };
    auto endCjk = [&] {
        if (cjk.empty()) return;
        for (size_t i = 0; i + 1 < cjk.size(); ++i) words.push_back(utf8(cjk.substr(i, 2)));
        for (size_t i = 0; i < cjk.size(); ++i)
            if (!cjkStopCharacter(cjk[i]) || cjk.size() == 1) words.push_back(utf8(cjk.substr(i, 1)));
        cjk.clear();
    };
    auto endWord = [&] {
        if (!word.empty()) words.push_back(word);
        word.clear();
    };
    for (size_t i = 0; i < text.size();) {
        const size_t at = i;
        const char32_t c = utf8::decode(text, i);
        if (script::isCjk(c)) {
            endWord();
            cjk += c;
        } else if (wordCodePoint(c) && c != 0xFFFD) {
            endCjk();
            word.append(text, at, i - at);
        } else {
            endWord();
            endCjk();
        }
    }
    endWord();
    endCjk();
    std::set<std::string> seen;
    for (const std::string& w : words) {
        const std::string lower = lowerAscii(w);
        if (!stopwords().count(lower) && seen.insert(lower).second) kept.push_back(w);
    }
    if (kept.empty()) {
        for (const std::string& w : words)
            if (seen.insert(lowerAscii(w)).second) kept.push_back(w);
    }
    std::string out;
    for (const std::string& w : kept) {
        if (!out.empty()) out += " OR ";
        out += '"' + w + '"';
    }
    return out;
}

}  // namespace rag
