// Which language a text is written in, for stemming and for showing the user. A small
// detector of our own: the script decides CJK, Korean, Cyrillic, Greek and the other
// non-Latin scripts; Latin-script text is scored on each language's most frequent
// function words and its distinctive letters (ß, ñ, å, ő, ş ...). It needs about a
// sentence; shorter text gives "".
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rag {

// ISO 639-1 code ("en", "de", "zh", "ja" ...) of the text's main language, or ""
// when the text gives too little evidence (a title, a table of numbers).
std::string detectLanguage(std::string_view utf8);

// The language's English name ("German"); the code itself when unknown; "" for "".
std::string_view languageName(std::string_view code);

// The language's name in itself ("Deutsch", "中文", "español"), for showing a document's
// language to its reader; the English name when not listed; "" for "".
std::string_view nativeLanguageName(std::string_view code);

// Codes the detector can return, in a fixed order.
const std::vector<std::string_view>& detectableLanguages();

}  // namespace rag
