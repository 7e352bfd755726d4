// The full-text index's tokenizer, "assistant", registered on each Store connection.
// It wraps FTS5's unicode61 (case folding, remove_diacritics 2, Unicode word breaks)
// and changes two things:
//   - CJK (Han, kana, Hangul) has no spaces between words, so a run of it is indexed
//     as its characters, each with the pair it starts at the same position (菜谱 ->
//     菜|菜谱, 谱): a query of one character or any two-character word matches, and a
//     query phrase of pairs matches any substring. Offsets are the original text's,
//     so highlight() and snippet() mark the right characters.
//   - Other words are stemmed with the Snowball stemmer (libstemmer) of the text's
//     language (detectLanguage; English when undetected). A query is stemmed for every
//     language in setQueryLanguages, the alternatives at one position.
// What it produces for a text must not change without a migration that rebuilds
// chunks_fts: FTS5 deletes a row by tokenizing its text again.
#pragma once

#include <string>
#include <vector>

struct sqlite3;

namespace rag::fts {

struct Tokenizer;  // the per-connection state (query languages)

// Registers the tokenizer and the SQL function assistant_language(text) (the
// detector, for migrations) on `db`. nullptr and `error` set on failure; the state
// lives as long as the connection.
Tokenizer* install(sqlite3* db, std::string& error);

// Languages (ISO codes) that queries are stemmed for from now on; English is always
// included.
void setQueryLanguages(Tokenizer* tokenizer, const std::vector<std::string>& codes);

// The tokens FTS5 would index for `text` (document mode) or look up (query mode), as
// "token@start-end" with '|' before a token at the previous one's position: for tests.
std::vector<std::string> debugTokens(sqlite3* db, const std::string& text, bool query);

}  // namespace rag::fts
