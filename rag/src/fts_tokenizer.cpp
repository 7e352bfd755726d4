#include "fts_tokenizer.h"

#include <libstemmer.h>
#include <sqlite3.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string_view>

#include "rag/language.h"
#include "script.h"

namespace rag::fts {

struct Tokenizer {
    fts5_tokenizer unicode61{};  // the wrapped tokenizer's methods
    void* unicode61Context = nullptr;
    std::vector<std::string> queryLanguages{"en"};
};

namespace {

// A Snowball stemmer per language, made when first needed. One instance belongs to
// one FTS5 table on one connection, so to one thread at a time.
class Stemmers {
public:
    ~Stemmers() {
        for (auto& [code, s] : m_stemmers)
            if (s) sb_stemmer_delete(s);
    }
    // The language's stemmer, nullptr when Snowball has none for it.
    sb_stemmer* get(const std::string& code) {
        auto it = m_stemmers.find(code);
        if (it == m_stemmers.end()) it = m_stemmers.emplace(code, sb_stemmer_new(code.c_str(), "UTF_8")).first;
        return it->second;
    }

private:
    std::map<std::string, sb_stemmer*> m_stemmers;
};

// The stem of a folded word, or the word itself without a stemmer. Valid until the
// stemmer's next call.
std::string_view stem(sb_stemmer* stemmer, std::string_view word) {
    if (!stemmer) return word;
    const sb_symbol* out =
        sb_stemmer_stem(stemmer, reinterpret_cast<const sb_symbol*>(word.data()), static_cast<int>(word.size()));
    if (!out) return word;  // out of memory: unstemmed is still a valid token
    return {reinterpret_cast<const char*>(out), static_cast<size_t>(sb_stemmer_length(stemmer))};
}

struct Instance {
    Tokenizer* shared = nullptr;
    Fts5Tokenizer* unicode61 = nullptr;
    Stemmers stemmers;
    ~Instance() {
        if (unicode61) shared->unicode61.xDelete(unicode61);
    }
};

using TokenFn = int (*)(void*, int, const char*, int, int, int);

struct Pass {
    bool query;
    std::vector<sb_stemmer*> stemmers;  // one per language stemmed for (nullptr: none)
    void* ctx;
    TokenFn emit;
};

int emitWord(Pass& p, std::string_view word, int start, int end) {
    const bool digits = std::all_of(word.begin(), word.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (digits || p.stemmers.size() == 1) {  // documents: one language
        const std::string_view s = digits ? word : stem(p.stemmers[0], word);
        return p.emit(p.ctx, 0, s.data(), static_cast<int>(s.size()), start, end);
    }
    std::vector<std::string> seen;  // queries: each language's stem once, at one position
    for (sb_stemmer* stemmer : p.stemmers) {
        std::string s(stem(stemmer, word));
        if (std::find(seen.begin(), seen.end(), s) != seen.end()) continue;
        const int flags = seen.empty() ? 0 : FTS5_TOKEN_COLOCATED;
        seen.push_back(s);
        if (int rc = p.emit(p.ctx, flags, s.data(), static_cast<int>(s.size()), start, end); rc != SQLITE_OK) return rc;
    }
    return SQLITE_OK;
}

// A CJK run: chars[i] starts at byte offs[i] of the original text; offs has one more.
int emitCjk(Pass& p, const std::string& run, const std::vector<size_t>& charStart, const std::vector<int>& offs) {
    const size_t n = charStart.size();
    auto piece = [&](size_t from, size_t count) {
        const size_t b = charStart[from];
        const size_t e = from + count < n ? charStart[from + count] : run.size();
        return std::string_view(run).substr(b, e - b);
    };
    for (size_t i = 0; i < n; ++i) {
        int rc = SQLITE_OK;
        if (p.query) {
            if (n == 1) rc = p.emit(p.ctx, 0, run.data(), static_cast<int>(run.size()), offs[0], offs[1]);
            else if (i + 1 < n) {
                const std::string_view two = piece(i, 2);
                rc = p.emit(p.ctx, 0, two.data(), static_cast<int>(two.size()), offs[i], offs[i + 2]);
            }
        } else {
            // The pair first: highlight() and snippet() take a position's offsets from
            // its first token, and most matches are pairs (two-character words).
            const std::string_view one = piece(i, 1);
            int flags = 0;
            if (i + 1 < n) {
                const std::string_view two = piece(i, 2);
                rc = p.emit(p.ctx, 0, two.data(), static_cast<int>(two.size()), offs[i], offs[i + 2]);
                flags = FTS5_TOKEN_COLOCATED;
            }
            if (rc == SQLITE_OK) rc = p.emit(p.ctx, flags, one.data(), static_cast<int>(one.size()), offs[i], offs[i + 1]);
        }
        if (rc != SQLITE_OK) return rc;
    }
    return SQLITE_OK;
}

struct Run {
    bool cjk = false;
    std::string text;               // the run's UTF-8
    std::vector<size_t> charStart;  // offsets of its characters in `text`
    std::vector<int> offs;          // offsets of its characters in the source (+ the end)
};

// Splits UTF-8 into CJK and other runs; `base` is the source offset of s[0].
std::vector<Run> splitRuns(std::string_view s, int base) {
    std::vector<Run> runs;
    for (size_t i = 0; i < s.size();) {
        const size_t at = i;
        const bool cjk = script::isCjk(utf8::decode(s, i));
        if (runs.empty() || runs.back().cjk != cjk) {
            if (!runs.empty()) runs.back().offs.push_back(base + static_cast<int>(at));
            runs.push_back({cjk, {}, {}, {}});
        }
        Run& r = runs.back();
        r.charStart.push_back(r.text.size());
        r.offs.push_back(base + static_cast<int>(at));
        r.text.append(s.substr(at, i - at));
    }
    if (!runs.empty()) runs.back().offs.push_back(base + static_cast<int>(s.size()));
    return runs;
}

struct Source {
    const char* text;
    Pass* pass;
};

int onToken(void* p, int flags, const char* token, int nToken, int start, int end) {
    auto* src = static_cast<Source*>(p);
    Pass& pass = *src->pass;
    const std::string_view folded(token, static_cast<size_t>(nToken));
    if (flags & FTS5_TOKEN_COLOCATED) return pass.emit(pass.ctx, flags, token, nToken, start, end);
    bool anyCjk = false;
    for (size_t i = 0; i < folded.size() && !anyCjk;) anyCjk = script::isCjk(utf8::decode(folded, i));
    if (!anyCjk) return emitWord(pass, folded, start, end);

    // CJK letters are not changed by folding, so the runs of the source span and of
    // the folded token correspond; the other runs take their folded text from the
    // token and their offsets from the source (the whole span if the two disagree).
    const std::vector<Run> source = splitRuns(std::string_view(src->text + start, static_cast<size_t>(end - start)), start);
    const std::vector<Run> token2 = splitRuns(folded, 0);
    const bool aligned = source.size() == token2.size();
    for (size_t r = 0; r < token2.size(); ++r) {
        const Run& t = token2[r];
        int rc;
        if (t.cjk) {
            const Run* s = aligned && source[r].cjk && source[r].text == t.text ? &source[r] : nullptr;
            std::vector<int> offs = s ? s->offs : std::vector<int>(t.charStart.size() + 1, start);
            if (!s) offs.back() = end;
            rc = emitCjk(pass, t.text, t.charStart, offs);
        } else {
            const bool ok = aligned && !source[r].cjk;
            rc = emitWord(pass, t.text, ok ? source[r].offs.front() : start, ok ? source[r].offs.back() : end);
        }
        if (rc != SQLITE_OK) return rc;
    }
    return SQLITE_OK;
}

int xCreate(void* context, const char** /*args: none taken*/, int /*nArgs*/, Fts5Tokenizer** out) {
    auto* shared = static_cast<Tokenizer*>(context);
    auto in = std::make_unique<Instance>();
    in->shared = shared;
    const char* unicodeArgs[] = {"remove_diacritics", "2"};
    if (int rc = shared->unicode61.xCreate(shared->unicode61Context, unicodeArgs, 2, &in->unicode61); rc != SQLITE_OK)
        return rc;
    *out = reinterpret_cast<Fts5Tokenizer*>(in.release());
    return SQLITE_OK;
}

void xDelete(Fts5Tokenizer* t) { delete reinterpret_cast<Instance*>(t); }

int xTokenize(Fts5Tokenizer* t, void* ctx, int flags, const char* text, int nText, TokenFn emit) {
    auto* in = reinterpret_cast<Instance*>(t);
    Pass pass{(flags & FTS5_TOKENIZE_QUERY) != 0, {}, ctx, emit};
    if (pass.query) {
        for (const std::string& lang : in->shared->queryLanguages) pass.stemmers.push_back(in->stemmers.get(lang));
    } else {
        std::string lang = detectLanguage(std::string_view(text, static_cast<size_t>(std::max(nText, 0))));
        // CJK text's Latin words, and text too short to tell, are stemmed as English.
        if (lang.empty() || lang == "zh" || lang == "ja" || lang == "ko") lang = "en";
        pass.stemmers = {in->stemmers.get(lang)};
    }
    Source src{text, &pass};
    return in->shared->unicode61.xTokenize(in->unicode61, &src, flags, text, nText, onToken);
}

fts5_api* fts5Api(sqlite3* db) {
    fts5_api* api = nullptr;
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &stmt, nullptr) != SQLITE_OK) return nullptr;
    sqlite3_bind_pointer(stmt, 1, &api, "fts5_api_ptr", nullptr);
    sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    return api;
}

void languageFunction(sqlite3_context* ctx, int, sqlite3_value** argv) {
    const auto* text = sqlite3_value_text(argv[0]);
    const int n = sqlite3_value_bytes(argv[0]);
    const std::string lang = text ? detectLanguage(std::string_view(reinterpret_cast<const char*>(text), static_cast<size_t>(n)))
                                  : std::string();
    sqlite3_result_text(ctx, lang.c_str(), static_cast<int>(lang.size()), SQLITE_TRANSIENT);
}

}  // namespace

Tokenizer* install(sqlite3* db, std::string& error) {
    fts5_api* api = fts5Api(db);
    if (!api || api->iVersion < 2) {
        error = "this SQLite has no FTS5";
        return nullptr;
    }
    auto tok = std::make_unique<Tokenizer>();
    if (api->xFindTokenizer(api, "unicode61", &tok->unicode61Context, &tok->unicode61) != SQLITE_OK) {
        error = "FTS5 has no unicode61 tokenizer";
        return nullptr;
    }
    fts5_tokenizer methods{xCreate, xDelete, xTokenize};
    Tokenizer* raw = tok.get();
    if (api->xCreateTokenizer(api, "assistant", raw, &methods, [](void* p) { delete static_cast<Tokenizer*>(p); }) !=
        SQLITE_OK) {
        error = std::string("register the full-text tokenizer: ") + sqlite3_errmsg(db);
        return nullptr;
    }
    tok.release();  // SQLite owns it now
    if (sqlite3_create_function(db, "assistant_language", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                                languageFunction, nullptr, nullptr) != SQLITE_OK) {
        error = std::string("register assistant_language: ") + sqlite3_errmsg(db);
        return nullptr;
    }
    return raw;
}

void setQueryLanguages(Tokenizer* tokenizer, const std::vector<std::string>& codes) {
    std::vector<std::string> langs{"en"};
    for (const std::string& c : codes) {
        if (c.empty() || c == "zh" || c == "ja" || c == "ko") continue;
        if (std::find(langs.begin(), langs.end(), c) == langs.end()) langs.push_back(c);
    }
    tokenizer->queryLanguages = std::move(langs);
}

std::vector<std::string> debugTokens(sqlite3* db, const std::string& text, bool query) {
    std::vector<std::string> out;
    fts5_api* api = fts5Api(db);
    void* context = nullptr;
    fts5_tokenizer methods{};
    if (!api || api->xFindTokenizer(api, "assistant", &context, &methods) != SQLITE_OK) return out;
    Fts5Tokenizer* t = nullptr;
    if (methods.xCreate(context, nullptr, 0, &t) != SQLITE_OK) return out;
    auto collect = [](void* p, int flags, const char* token, int n, int start, int end) {
        auto* v = static_cast<std::vector<std::string>*>(p);
        v->push_back(std::string((flags & FTS5_TOKEN_COLOCATED) ? "|" : "") + std::string(token, static_cast<size_t>(n)) +
                     "@" + std::to_string(start) + "-" + std::to_string(end));
        return SQLITE_OK;
    };
    methods.xTokenize(t, &out, query ? FTS5_TOKENIZE_QUERY : FTS5_TOKENIZE_DOCUMENT, text.data(),
                      static_cast<int>(text.size()), collect);
    methods.xDelete(t);
    return out;
}

}  // namespace rag::fts
