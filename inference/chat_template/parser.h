// Tokens -> statements, by recursive descent with Jinja's operator precedence:
//   cond-expr  := or ["if" or ["else" cond-expr]]
//   or := and ("or" and)*      and := not ("and" not)*      not := "not" not | compare
//   compare := add (("=="|"!="|"<"|">"|"<="|">="|"in"|"not in") add)*
//   add := concat (("+"|"-") concat)*     concat := mul ("~" mul)*
//   mul := pow (("*"|"/"|"//"|"%") pow)*  pow := unary ("**" unary)*
//   unary := ("-"|"+") unary | primary postfix* ("|" filter | "is" test)*
#pragma once

#include <vector>

#include "chat_template/ast.h"
#include "chat_template/lexer.h"

namespace chat_template {

// Throws Failure (Kind::Syntax) naming the line and column.
Body parse(const std::vector<Token>& tokens);

}  // namespace chat_template
