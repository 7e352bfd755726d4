// Runs a parsed template: Jinja's scoping (a for loop or a macro call opens a scope,
// if does not; a macro sees only its arguments and the template's globals), loop.*,
// break/continue, macros with defaults and keyword arguments, and guards against
// runaway templates (output size, loop iterations, macro recursion).
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "chat_template/ast.h"

namespace chat_template {

struct Limits {
    size_t maxOutputBytes = size_t{16} << 20;  // whole render, and each macro's output
    int64_t maxSteps = 2'000'000;              // loop iterations + macro calls
    int maxCallDepth = 48;                     // nested macro calls
};

// Renders body with the given globals (template variables and builtins). Throws
// Failure with the line and column of the failing node.
std::string evaluate(const Body& body, Vars globals, const Limits& limits);

}  // namespace chat_template
