// Filters for markup and URLs, as Jinja 3.1 (with MarkupSafe 2.1) defines them:
// escape/forceescape, striptags, xmlattr, urlencode, filesizeformat.
// Internal to chat_template/ (filters.cpp registers them).
#pragma once

#include <string>

#include "chat_template/value.h"

namespace chat_template {

// & < > " ' as &amp; &lt; &gt; &#34; &#39; (MarkupSafe's escape).
std::string htmlEscape(const std::string& s);

// Tags and comments removed, whitespace runs as one space, then entities decoded:
// numeric ones (&#233; &#xe9;) and the named ones of Latin-1 plus the common
// punctuation (&amp; &nbsp; &mdash; &hellip; ...); other names stay as written.
Value striptagsFilter(const Value& v, const CallArgs& a);
// {'class': 'x', 'n': none}|xmlattr -> ' class="x"' (autospace=true), values escaped.
Value xmlattrFilter(const Value& v, const CallArgs& a);
// A string: percent-encoded UTF-8 with '/' kept; a dict or pairs: a query string.
Value urlencodeFilter(const Value& v, const CallArgs& a);
// 1234567 -> "1.2 MB" (binary=true: "1.2 MiB"); 1 -> "1 Byte"; 12 -> "12 Bytes".
Value filesizeformatFilter(const Value& v, const CallArgs& a);

}  // namespace chat_template
