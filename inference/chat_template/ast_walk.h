// Walks over a parsed template (parser.cpp's checks after parsing).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "chat_template/ast.h"
#include "chat_template/lexer.h"

namespace chat_template {

// Whether a Name node `name` occurs anywhere in the expression or body, macro bodies
// inside it aside (Jinja's test for a macro that takes varargs/kwargs).
bool readsName(const Expr* e, std::string_view name);
bool readsName(const Body& body, std::string_view name);

// A filter or test Jinja does not have, found while parsing.
struct UnknownName {
    const Expr* node;
    Token at;
    std::string message;
};

// Jinja rejects an unknown filter or test when it compiles the template, except
// inside an if statement or a conditional expression ("soft" there: it fails only
// when reached). A for, macro, call, set or filter block's body is not soft again.
// Throws Failure (Kind::Syntax) for the first one outside those.
void rejectUnknownNames(const Body& body, const std::vector<UnknownName>& unknown);

}  // namespace chat_template
