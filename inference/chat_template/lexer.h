// Template source -> one token stream, as Jinja's lexer does it with Hugging Face's
// settings (trim_blocks, lstrip_blocks, no trailing newline kept):
//   text between tags        -> Text
//   {{ ... }} / {% ... %}    -> VarBegin/BlockBegin, expression tokens, VarEnd/BlockEnd
//   {# ... #}                -> nothing
// Whitespace control: "{%-" strips all whitespace before the tag, "-%}" all after;
// "{%+" / "+%}" turn lstrip_blocks / trim_blocks off for that side.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace chat_template {

enum class TokenType { Text, VarBegin, VarEnd, BlockBegin, BlockEnd, Name, String, Int, Float, Op, End };

struct Token {
    TokenType type;
    std::string text;  // Text content, name, decoded string literal, number text, operator
    int line = 0, column = 0;
};

struct LexOptions {
    bool trimBlocks = true;
    bool lstripBlocks = true;
};

// Throws Failure (Kind::Syntax) with the position of the problem.
std::vector<Token> lex(std::string_view source, const LexOptions& options = {});

}  // namespace chat_template
