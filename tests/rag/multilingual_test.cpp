// Documents in many languages: the language detector, the "assistant" full-text
// tokenizer (CJK characters and pairs, Snowball stems by language), the query
// builder, migration 5, and retrieval on the multilingual set in data/multilingual.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "fts_tokenizer.h"
#include "rag/embedder.h"
#include "rag/indexer.h"
#include "rag/language.h"
#include "rag/retrieve.h"
#include "rag/store.h"
#include "store_test_access.h"
#include "temp_dir.h"

namespace fs = std::filesystem;

namespace {

std::string joined(const std::vector<std::string>& v) {
    std::string out;
    for (const std::string& s : v) out += (out.empty() ? "" : " ") + s;
    return out;
}

rag::DocumentRecord doc(const std::string& path) {
    rag::DocumentRecord d;
    d.path = path;
    d.sha256 = std::string(64, 'a');
    d.status = "indexed";
    d.pages = 1;
    return d;
}

rag::Chunk chunk(const std::string& text, int ordinal = 0) {
    rag::Chunk c;
    c.ordinal = ordinal;
    c.charEnd = static_cast<int64_t>(text.size());
    c.text = text;
    return c;
}

std::string queryOne(sqlite3* db, const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
        const auto* t = sqlite3_column_text(stmt, 0);
        out = t ? reinterpret_cast<const char*>(t) : "";
    } else {
        out = std::string("error: ") + sqlite3_errmsg(db);
    }
    sqlite3_finalize(stmt);
    return out;
}

}  // namespace

TEST(Language, DetectsEachLanguageFromASentence) {
    const std::map<std::string, std::string> samples = {
        {"en", "The tenant must pay the rent on the first day of the month, and the landlord has to repair the heating."},
        {"de", "Der Vermieter darf die Miete nur erhöhen, wenn die Wohnung dafür modernisiert wurde und der Mieter zustimmt."},
        {"fr", "Le locataire doit payer le loyer au début du mois et le propriétaire est responsable des grosses réparations."},
        {"es", "El inquilino tiene que pagar el alquiler a principios de mes y el propietario se encarga de las reparaciones."},
        {"it", "Il proprietario della casa non può aumentare l'affitto più di una volta all'anno, e questo vale per tutti."},
        {"pt", "O inquilino tem de pagar a renda no início do mês e o senhorio é responsável pelas reparações da casa."},
        {"nl", "De huurder moet de huur aan het begin van de maand betalen en de verhuurder is verantwoordelijk voor het onderhoud."},
        {"sv", "Hyresgästen ska betala hyran i början av månaden och hyresvärden har ansvar för att det är varmt i lägenheten."},
        {"zh", "房东不能随意提高房租，租客应该在每个月初交房租。"},
        {"ja", "家賃は毎月の初めに払わなければなりません。大家さんは暖房を修理する責任があります。"},
        {"ko", "세입자는 매달 초에 집세를 내야 하고 집주인은 난방을 고쳐야 합니다."},
        {"ru", "Арендатор должен платить за квартиру в начале каждого месяца, а хозяин отвечает за ремонт."},
        {"el", "Ο ενοικιαστής πρέπει να πληρώνει το ενοίκιο στην αρχή κάθε μήνα."},
    };
    for (const auto& [lang, text] : samples) EXPECT_EQ(rag::detectLanguage(text), lang) << text;
    EXPECT_EQ(rag::detectLanguage(""), "");
    EXPECT_EQ(rag::detectLanguage("12 345 678"), "");
    EXPECT_EQ(rag::detectLanguage("Quarterly report"), "");  // too short to tell
    EXPECT_EQ(rag::languageName("de"), "German");
    EXPECT_EQ(rag::languageName("zh"), "Chinese");
    EXPECT_EQ(rag::languageName(""), "");
    EXPECT_EQ(rag::nativeLanguageName("de"), "Deutsch");
    EXPECT_EQ(rag::nativeLanguageName("ja"), "日本語");
    for (std::string_view code : rag::detectableLanguages()) EXPECT_NE(rag::nativeLanguageName(code), code) << code;
}

TEST(FtsTokenizer, CjkRunsBecomeCharactersWithTheirPairsAtOriginalOffsets) {
    auto store = rag::Store::open(rag_test::tempDb("tok.db").string());
    ASSERT_TRUE(store.has_value()) << store.error();
    sqlite3* db = rag::StoreTestAccess::handle(*store);
    // Document: each character's position holds the pair it starts, then the character.
    EXPECT_EQ(joined(rag::fts::debugTokens(db, "西湖美景", false)),
              "西湖@0-6 |西@0-3 湖美@3-9 |湖@3-6 美景@6-12 |美@6-9 景@9-12");
    // Query: the pairs as a phrase (one character alone stays itself).
    EXPECT_EQ(joined(rag::fts::debugTokens(db, "西湖美", true)), "西湖@0-6 湖美@3-9");
    EXPECT_EQ(joined(rag::fts::debugTokens(db, "湖", true)), "湖@0-3");
    // Latin and CJK in one unicode61 token: split, offsets of the original text.
    EXPECT_EQ(joined(rag::fts::debugTokens(db, "2024年用Python写", false)),
              "2024@0-4 年用@4-10 |年@4-7 用@7-10 python@10-16 写@16-19");
    // Kana and Hangul are CJK runs too.
    EXPECT_EQ(joined(rag::fts::debugTokens(db, "ゴミ 서울", false)), "ゴミ@0-6 |ゴ@0-3 ミ@3-6 서울@7-13 |서@7-10 울@10-13");
}

TEST(FtsTokenizer, StemsByTheTextsLanguageAndQueriesForEveryLanguage) {
    auto store = rag::Store::open(rag_test::tempDb("stem.db").string());
    ASSERT_TRUE(store.has_value()) << store.error();
    sqlite3* db = rag::StoreTestAccess::handle(*store);
    const std::string german = "Die Mieterhöhungen der letzten Jahre waren für viele Mieter zu hoch.";
    const std::string tokens = joined(rag::fts::debugTokens(db, german, false));
    EXPECT_NE(tokens.find("mieterhoh@4-19"), std::string::npos) << tokens;  // German stem, folded
    EXPECT_NE(tokens.find("jahr@"), std::string::npos) << tokens;
    const std::string english = "The tenants were running late with the payments for their apartments.";
    EXPECT_NE(joined(rag::fts::debugTokens(db, english, false)).find("run@"), std::string::npos);
    // A query is stemmed for each language present: the alternatives share a position.
    EXPECT_EQ(joined(rag::fts::debugTokens(db, "Mieterhöhung", true)), "mieterhohung@0-13");  // English only
    ASSERT_TRUE(store->commitDocument(doc("/d/miete.txt"), {chunk(german)}).has_value());
    ASSERT_TRUE(store->searchBm25("x", 1).has_value());  // sets the query languages from the index
    EXPECT_EQ(joined(rag::fts::debugTokens(db, "Mieterhöhung", true)), "mieterhohung@0-13 |mieterhoh@0-13");
}

TEST(FtsQuery, CjkRunsBecomePairsAndContentCharacters) {
    EXPECT_EQ(rag::ftsQuery("西湖在哪里"), "\"西湖\" OR \"湖在\" OR \"在哪\" OR \"哪里\" OR \"西\" OR \"湖\" OR \"里\"");
    EXPECT_EQ(rag::ftsQuery("2024年的Python"), "\"2024\" OR \"年的\" OR \"年\" OR \"Python\"");
    EXPECT_EQ(rag::ftsQuery("的"), "\"的\"");  // nothing else: the stop character stays
    EXPECT_EQ(rag::ftsQuery("Wie hoch ist die Miete?"), "\"hoch\" OR \"die\" OR \"Miete\"");
    EXPECT_EQ(rag::ftsQuery("\"quoted\" AND (NEAR)"), "\"quoted\" OR \"NEAR\"");
}

TEST(Store, FindsChineseJapaneseAndInflectedGermanWithLanguagesAndHighlights) {
    auto store = rag::Store::open(rag_test::tempDb("ml.db").string());
    ASSERT_TRUE(store.has_value()) << store.error();
    ASSERT_TRUE(store->commitDocument(doc("/d/xihu.md"), {chunk("杭州西湖是中国最著名的湖泊之一。游客可以乘船游览三潭印月。")}));
    ASSERT_TRUE(store->commitDocument(doc("/d/gaotie.md"), {chunk("从北京到上海乘坐高铁大约需要四个半小时。")}));
    ASSERT_TRUE(store->commitDocument(doc("/d/sakura.md"), {chunk("東京では上野公園が花見の名所として知られています。")}));
    ASSERT_TRUE(store->commitDocument(
        doc("/d/miete.md"), {chunk("Die Mieterhöhung muss der Vermieter schriftlich begründen, zum Beispiel mit dem Mietspiegel.")}));
    auto top = [&](const std::string& q) -> std::string {
        auto hits = store->searchBm25(q, 1);
        if (!hits || hits->empty()) return hits ? "nothing" : hits.error();
        auto c = store->chunks({hits->front().chunkId});
        return c && !c->empty() ? c->front().path : "?";
    };
    EXPECT_EQ(top("西湖在哪个城市？"), "/d/xihu.md");
    EXPECT_EQ(top("坐高铁要多长时间"), "/d/gaotie.md");
    EXPECT_EQ(top("花見の名所はどこですか"), "/d/sakura.md");
    EXPECT_EQ(top("Wie oft sind Mieterhöhungen erlaubt?"), "/d/miete.md");

    auto docs = store->listDocuments();
    ASSERT_TRUE(docs.has_value());
    std::map<std::string, std::string> langs;
    for (const auto& d : *docs) langs[d.path] = d.language;
    EXPECT_EQ(langs["/d/xihu.md"], "zh");
    EXPECT_EQ(langs["/d/sakura.md"], "ja");
    EXPECT_EQ(langs["/d/miete.md"], "de");

    // highlight() marks the original characters: the tokenizer's offsets are right.
    sqlite3* db = rag::StoreTestAccess::handle(*store);
    EXPECT_EQ(queryOne(db, "SELECT highlight(chunks_fts, 0, '[', ']') FROM chunks_fts WHERE chunks_fts MATCH '\"西湖\"'"),
              "杭州[西湖]是中国最著名的湖泊之一。游客可以乘船游览三潭印月。");
    // Removing a document removes its FTS rows (the delete re-tokenizes to the same tokens).
    ASSERT_TRUE(store->removeDocument(docs->front().id).has_value());
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, "INSERT INTO chunks_fts(chunks_fts, rank) VALUES('integrity-check', 0)", nullptr, nullptr, &err),
              SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
}

TEST(Store, MigrationFiveReindexesAVersionFourDatabase) {
    const fs::path path = rag_test::tempDb("v4.db");
    {
        // Schema version 4 as shipped (the tables this migration touches).
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(path.string().c_str(), &db), SQLITE_OK);
        const char* v4 = R"sql(
CREATE TABLE documents(id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, size INTEGER NOT NULL,
  mtime INTEGER NOT NULL, sha256 TEXT NOT NULL, status TEXT NOT NULL, error TEXT,
  pages INTEGER NOT NULL DEFAULT 0, indexed_at INTEGER NOT NULL DEFAULT 0);
CREATE TABLE collections(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
INSERT INTO collections(name) VALUES('default');
CREATE TABLE collection_documents(collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
  document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE, PRIMARY KEY(collection_id, document_id)) WITHOUT ROWID;
CREATE TABLE chunks(id INTEGER PRIMARY KEY, document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  ordinal INTEGER NOT NULL, page_from INTEGER NOT NULL, page_to INTEGER NOT NULL, char_start INTEGER NOT NULL,
  char_end INTEGER NOT NULL, text TEXT NOT NULL, UNIQUE(document_id, ordinal));
CREATE VIRTUAL TABLE chunks_fts USING fts5(text, content='chunks', content_rowid='id',
  tokenize='porter unicode61 remove_diacritics 2');
CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN INSERT INTO chunks_fts(rowid, text) VALUES(new.id, new.text); END;
CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN
  INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES('delete', old.id, old.text); END;
CREATE TABLE embedders(id INTEGER PRIMARY KEY, name TEXT NOT NULL, file_hash TEXT NOT NULL, dims INTEGER NOT NULL,
  UNIQUE(name, file_hash));
CREATE TABLE embeddings(embedder_id INTEGER NOT NULL REFERENCES embedders(id) ON DELETE CASCADE,
  chunk_id INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE, format INTEGER NOT NULL, scale REAL NOT NULL DEFAULT 1,
  vector BLOB NOT NULL, PRIMARY KEY(embedder_id, chunk_id)) WITHOUT ROWID;
CREATE TABLE summaries(document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE, model_key TEXT NOT NULL,
  section INTEGER NOT NULL, char_start INTEGER NOT NULL, char_end INTEGER NOT NULL, text TEXT NOT NULL,
  PRIMARY KEY(document_id, model_key, section)) WITHOUT ROWID;
INSERT INTO documents(path, size, mtime, sha256, status, pages) VALUES('/d/xihu.md', 1, 1, 'x', 'indexed', 1);
INSERT INTO collection_documents VALUES(1, 1);
INSERT INTO chunks(document_id, ordinal, page_from, page_to, char_start, char_end, text)
  VALUES(1, 0, 1, 1, 0, 10, '杭州西湖是中国最著名的湖泊之一，游客可以乘船游览。');
PRAGMA user_version = 4;
)sql";
        char* err = nullptr;
        ASSERT_EQ(sqlite3_exec(db, v4, nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
        sqlite3_close(db);
    }
    auto store = rag::Store::open(path.string());
    ASSERT_TRUE(store.has_value()) << store.error();
    EXPECT_EQ(store->schemaVersion(), 5);
    auto hits = store->searchBm25("西湖", 5);
    ASSERT_TRUE(hits.has_value()) << hits.error();
    EXPECT_EQ(hits->size(), 1u);
    auto docs = store->listDocuments();
    ASSERT_TRUE(docs.has_value());
    ASSERT_EQ(docs->size(), 1u);
    EXPECT_EQ(docs->front().language, "zh");
}

// The multilingual set: short notes in seven languages, one question per note in the
// note's language; the right file (and page) must be the top hit for >= 90% of them.
void expectTopHits(rag::SearchMode mode, const char* name) {
    const fs::path data = fs::path(ASSISTANT_SOURCE_DIR) / "tests/rag/data/multilingual";
    const fs::path dir = rag_test::freshDir(std::string("multilingual-") + name);
    const std::string dbPath = (dir / "index.db").string();
    std::optional<rag::Embedder> embedder;
    rag::IndexOptions options;
    if (mode != rag::SearchMode::Bm25) {
        auto e = rag::Embedder::load(ASSISTANT_SOURCE_DIR "/resources/models/use-lite.gguf");
        ASSERT_TRUE(e.has_value()) << e.error();
        embedder.emplace(std::move(*e));
        options.embedder = &*embedder;
    }
    rag::Indexer indexer(dbPath, options);
    auto summary = indexer.run({data.string()});
    ASSERT_TRUE(summary.error.empty()) << summary.error;
    auto store = rag::Store::open(dbPath);
    ASSERT_TRUE(store.has_value()) << store.error();
    std::optional<rag::DenseIndex> index;
    if (embedder) {
        auto loaded = rag::loadDenseIndex(*store, *embedder);
        ASSERT_TRUE(loaded.has_value()) << loaded.error();
        index.emplace(std::move(*loaded));
    }
    rag::Retriever retriever(*store, embedder ? &*embedder : nullptr, index ? &*index : nullptr);
    rag::SearchOptions so;
    so.mode = mode;
    so.k = 3;
    std::ifstream in(data / "questions.tsv");
    std::string line;
    std::map<std::string, std::pair<int, int>> perLanguage;  // right, asked
    int right = 0, asked = 0;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream fields(line);
        std::string lang, file, page, question;
        std::getline(fields, lang, '\t');
        std::getline(fields, file, '\t');
        std::getline(fields, page, '\t');
        std::getline(fields, question);
        auto hits = retriever.search(question, so);
        ASSERT_TRUE(hits.has_value()) << hits.error();
        const bool ok = !hits->empty() && fs::path(hits->front().path).filename() == file &&
                        std::to_string(hits->front().pageFrom) == page;
        if (!ok) std::printf("%s miss (%s): %s -> %s\n", name, lang.c_str(), question.c_str(),
                             hits->empty() ? "nothing" : hits->front().path.c_str());
        auto& [r, a] = perLanguage[lang];
        r += ok;
        ++a;
        right += ok;
        ++asked;
    }
    std::string report;
    for (const auto& [lang, ra] : perLanguage)
        report += lang + " " + std::to_string(ra.first) + "/" + std::to_string(ra.second) + "  ";
    std::printf("%s top-1 by language: %s total %d/%d\n", name, report.c_str(), right, asked);
    EXPECT_GE(asked, 25);
    EXPECT_GE(right * 10, asked * 9) << report;
}

TEST(MultilingualRetrieval, RightFileIsTheTopHitInBm25Mode) { expectTopHits(rag::SearchMode::Bm25, "bm25"); }

// USE-Lite is English-only: its vectors for other languages are noise, which the
// fusion must not let outvote BM25.
TEST(MultilingualRetrieval, RightFileIsTheTopHitInHybridMode) { expectTopHits(rag::SearchMode::Hybrid, "hybrid"); }
