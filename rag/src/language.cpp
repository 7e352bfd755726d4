// Language detection: script counts first, then function-word scores for Latin text.
// The word lists are each language's most frequent short words; a word shared by
// several languages ("de", "la", "en") counts for each of them by 1 / (how many).
#include "rag/language.h"

#include <unicode/uchar.h>
#include <unicode/uscript.h>

#include <algorithm>
#include <array>
#include <map>
#include <string>
#include <unordered_map>

#include "script.h"

namespace rag {
namespace {

struct LatinLanguage {
    std::string_view code, name, words;  // words: space-separated, lower case
};

// Function words (articles, pronouns, prepositions, conjunctions, auxiliaries).
constexpr std::array<LatinLanguage, 18> kLatin = {{
    {"en", "English", "the of and to in is that it for was on are with as be at by this have from or not but an which were they you he she we their has had been there would will can what when how where who do does"},
    {"de", "German", "der die das und ist nicht ein eine einen einem dem den des zu mit sich auf für von im wird werden auch als bei nach oder aber wie noch ich sie wir es sind war hat haben kann wann wo wer was zum zur über durch"},
    {"fr", "French", "le la les de des du et est une un pour dans que qui ne pas sur au aux avec ce cette il elle sont par plus ou nous vous mais leur été être quand où comment quel quelle qu d l"},
    {"es", "Spanish", "el la los las de del y en que es un una por con para no se su al lo como más pero sus le ha este esta son fue está muy cuándo dónde cuál qué cómo hay"},
    {"it", "Italian", "il lo la le gli di del della che e è un una per non con sono nel alla come più ma anche questo questa ha da si al delle dei quando dove quale cosa"},
    {"pt", "Portuguese", "o a os as de do da dos das e que é um uma para com não em no na por se mais como mas foi ao são está também pelo pela quando onde qual"},
    {"nl", "Dutch", "de het een en van is dat die niet in op te met voor zijn er aan ook als bij door maar om dan nog wordt werd worden naar wanneer waar wat hoe"},
    {"sv", "Swedish", "och att det som en ett är på av för med till den har inte om jag de var men från kan så eller vid när var hur vad också"},
    {"da", "Danish", "og at det som en et er på af for med til den har ikke om jeg de var men fra kan så eller ved hvad hvor hvornår efter nogen meget blev også"},
    {"no", "Norwegian", "og at det som en et er på av for med til den har ikke om jeg de var men fra kan så eller ved hva hvor når etter noen mye ble også"},
    {"fi", "Finnish", "ja on ei se että oli ovat mutta kun hän tai myös kuin jos niin sen tämä ole joka mikä voi vain ollut milloin missä mitä"},
    {"hu", "Hungarian", "a az és hogy nem is egy van meg de ez azt mint csak már volt kell vagy el még ha fel mikor hol mi"},
    {"ro", "Romanian", "și de la în nu cu pe o un ce din este că mai sunt sau pentru care se fi au al unei unui când unde"},
    {"tr", "Turkish", "ve bir bu da de için ile ne çok olarak daha gibi var ama ki en o sonra kadar olan değil mi nerede zaman"},
    {"ca", "Catalan", "el la els les de del i a que és en un una per amb no es com més però al dels seu quan on"},
    {"id", "Indonesian", "yang dan di ke dari ini itu dengan untuk dalam tidak akan ada pada adalah juga oleh atau kapan mana apa"},
    {"pl", "Polish", "i w na nie z się to że do jest jak po co tak ale o od przez dla są jego kiedy gdzie"},
    {"cs", "Czech", "a se na je v že to s z do o ale jako pro by jsou tak jeho byl kdy kde"},
}};

// Letters that point at a language: (code point, language index, weight).
struct Hint {
    char32_t c;
    int lang;
    double weight;
};
constexpr int idx(std::string_view code) {
    for (size_t i = 0; i < kLatin.size(); ++i)
        if (kLatin[i].code == code) return static_cast<int>(i);
    return -1;
}
const Hint kHints[] = {
    {U'ß', idx("de"), 2}, {U'ä', idx("de"), 0.3}, {U'ö', idx("de"), 0.3}, {U'ü', idx("de"), 0.3},
    {U'ñ', idx("es"), 2}, {U'¿', idx("es"), 2}, {U'¡', idx("es"), 2}, {U'á', idx("es"), 0.3}, {U'ó', idx("es"), 0.3},
    {U'ã', idx("pt"), 2}, {U'õ', idx("pt"), 2}, {U'ç', idx("pt"), 0.3}, {U'ç', idx("fr"), 0.3},
    {U'œ', idx("fr"), 2}, {U'è', idx("fr"), 0.3}, {U'ê', idx("fr"), 0.5}, {U'à', idx("fr"), 0.2}, {U'é', idx("fr"), 0.3},
    {U'ì', idx("it"), 0.5}, {U'ò', idx("it"), 0.5}, {U'ù', idx("it"), 0.3},
    {U'å', idx("sv"), 0.5}, {U'å', idx("da"), 0.5}, {U'å', idx("no"), 0.5}, {U'ø', idx("da"), 1}, {U'ø', idx("no"), 1},
    {U'æ', idx("da"), 1}, {U'æ', idx("no"), 1}, {U'ä', idx("sv"), 0.3}, {U'ä', idx("fi"), 0.5}, {U'ö', idx("fi"), 0.3},
    {U'ő', idx("hu"), 2}, {U'ű', idx("hu"), 2}, {U'ş', idx("tr"), 2}, {U'ğ', idx("tr"), 2}, {U'ı', idx("tr"), 2},
    {U'ș', idx("ro"), 2}, {U'ț', idx("ro"), 2}, {U'ă', idx("ro"), 2}, {U'ł', idx("pl"), 2}, {U'ą', idx("pl"), 2},
    {U'ę', idx("pl"), 2}, {U'ś', idx("pl"), 1}, {U'ż', idx("pl"), 2}, {U'ř', idx("cs"), 2}, {U'ě', idx("cs"), 2},
    {U'ů', idx("cs"), 2}, {U'ŀ', idx("ca"), 2},
};

struct WordTable {
    std::unordered_map<std::string, std::vector<int>> langsOf;
    WordTable() {
        for (size_t i = 0; i < kLatin.size(); ++i) {
            std::string_view w = kLatin[i].words;
            size_t p = 0;
            while (p < w.size()) {
                size_t q = w.find(' ', p);
                if (q == std::string_view::npos) q = w.size();
                auto& v = langsOf[std::string(w.substr(p, q - p))];
                if (std::find(v.begin(), v.end(), static_cast<int>(i)) == v.end()) v.push_back(static_cast<int>(i));
                p = q + 1;
            }
        }
    }
};

const WordTable& wordTable() {
    static const WordTable table;
    return table;
}

std::string latinLanguage(std::string_view text) {
    std::array<double, kLatin.size()> score{};
    const WordTable& table = wordTable();
    std::string word;
    int words = 0;
    auto endWord = [&] {
        if (word.empty()) return;
        ++words;
        if (auto it = table.langsOf.find(word); it != table.langsOf.end())
            for (int l : it->second) score[l] += 1.0 / static_cast<double>(it->second.size());
        word.clear();
    };
    for (size_t i = 0; i < text.size();) {
        const auto b = static_cast<unsigned char>(text[i]);
        if (b < 0x80) {  // ASCII fast path; the apostrophe splits elisions (l'eau -> l, eau)
            ++i;
            if ((b | 0x20) >= 'a' && (b | 0x20) <= 'z') word += static_cast<char>(b | 0x20);
            else endWord();
            continue;
        }
        const char32_t c = static_cast<char32_t>(u_tolower(static_cast<UChar32>(utf8::decode(text, i))));
        if (u_isalpha(static_cast<UChar32>(c))) {
            utf8::append(word, c);
            for (const Hint& h : kHints)
                if (h.c == c) score[h.lang] += h.weight;
        } else {
            endWord();
        }
    }
    endWord();
    size_t best = 0, second = 1;
    for (size_t l = 0; l < score.size(); ++l) {
        if (score[l] > score[best]) { second = best; best = l; }
        else if (l != best && score[l] > score[second]) second = l;
    }
    if (best == second) second = best == 0 ? 1 : 0;
    // Evidence: two function words at least, and a clear lead over the runner-up.
    if (score[best] < 2.0 || score[best] < 1.15 * score[second] || words < 3) return {};
    return std::string(kLatin[best].code);
}

}  // namespace

std::string detectLanguage(std::string_view text) {
    std::map<UScriptCode, size_t> scripts;
    size_t letters = 0, kana = 0, hangul = 0, han = 0;
    size_t latin = 0;
    for (size_t i = 0; i < text.size();) {
        const auto b = static_cast<unsigned char>(text[i]);
        if (b < 0x80) {
            ++i;
            if ((b | 0x20) >= 'a' && (b | 0x20) <= 'z') ++letters, ++latin;
            continue;
        }
        const char32_t c = utf8::decode(text, i);
        if (!u_isalpha(static_cast<UChar32>(c))) continue;
        ++letters;
        if (script::isKana(c)) ++kana;
        else if (script::isHangul(c)) ++hangul;
        else if (script::isCjk(c)) ++han;
        else {
            UErrorCode err = U_ZERO_ERROR;
            const UScriptCode sc = uscript_getScript(static_cast<UChar32>(c), &err);
            if (U_SUCCESS(err)) ++scripts[sc];
        }
    }
    if (letters == 0) return {};
    const double n = static_cast<double>(letters);
    if (hangul >= 0.3 * n) return "ko";
    if (kana + han >= 0.3 * n && kana >= 0.1 * static_cast<double>(kana + han) && kana >= 2) return "ja";
    if (han + kana >= 0.3 * n) return "zh";
    scripts[USCRIPT_LATIN] += latin;
    UScriptCode top = USCRIPT_LATIN;
    size_t topCount = 0;
    for (const auto& [sc, count] : scripts)
        if (count > topCount) { top = sc; topCount = count; }
    if (top != USCRIPT_LATIN && static_cast<double>(topCount) >= 0.5 * n) {
        switch (top) {
            case USCRIPT_CYRILLIC: {
                // Ukrainian letters (і ї є ґ) that Russian does not use.
                for (size_t i = 0; i < text.size();) {
                    const char32_t c = utf8::decode(text, i);
                    if (c == U'і' || c == U'ї' || c == U'є' || c == U'ґ' || c == U'І' || c == U'Ї' || c == U'Є') return "uk";
                }
                return "ru";
            }
            case USCRIPT_GREEK: return "el";
            case USCRIPT_ARABIC: return "ar";
            case USCRIPT_HEBREW: return "he";
            case USCRIPT_DEVANAGARI: return "hi";
            case USCRIPT_THAI: return "th";
            case USCRIPT_TAMIL: return "ta";
            case USCRIPT_ARMENIAN: return "hy";
            default: return {};
        }
    }
    return latinLanguage(text);
}

std::string_view languageName(std::string_view code) {
    for (const LatinLanguage& l : kLatin)
        if (l.code == code) return l.name;
    static const std::map<std::string_view, std::string_view> kOther = {
        {"zh", "Chinese"}, {"ja", "Japanese"}, {"ko", "Korean"}, {"ru", "Russian"}, {"uk", "Ukrainian"},
        {"el", "Greek"},   {"ar", "Arabic"},   {"he", "Hebrew"}, {"hi", "Hindi"},   {"th", "Thai"},
        {"ta", "Tamil"},   {"hy", "Armenian"}};
    if (auto it = kOther.find(code); it != kOther.end()) return it->second;
    return code;
}

std::string_view nativeLanguageName(std::string_view code) {
    static const std::map<std::string_view, std::string_view> kNative = {
        {"en", "English"},   {"de", "Deutsch"},    {"fr", "français"},  {"es", "español"},   {"it", "italiano"},
        {"pt", "português"}, {"nl", "Nederlands"}, {"sv", "svenska"},   {"da", "dansk"},     {"no", "norsk"},
        {"fi", "suomi"},     {"hu", "magyar"},     {"ro", "română"},    {"tr", "Türkçe"},    {"ca", "català"},
        {"id", "Indonesia"}, {"pl", "polski"},     {"cs", "čeština"},   {"zh", "中文"},      {"ja", "日本語"},
        {"ko", "한국어"},    {"ru", "русский"},    {"uk", "українська"}, {"el", "Ελληνικά"}, {"ar", "العربية"},
        {"he", "עברית"},     {"hi", "हिन्दी"},      {"th", "ไทย"},       {"ta", "தமிழ்"},      {"hy", "հայերեն"}};
    if (auto it = kNative.find(code); it != kNative.end()) return it->second;
    return languageName(code);
}

const std::vector<std::string_view>& detectableLanguages() {
    static const std::vector<std::string_view> codes = [] {
        std::vector<std::string_view> v;
        for (const LatinLanguage& l : kLatin) v.push_back(l.code);
        for (std::string_view c : {"zh", "ja", "ko", "ru", "uk", "el", "ar", "he", "hi", "th", "ta", "hy"}) v.push_back(c);
        return v;
    }();
    return codes;
}

}  // namespace rag
