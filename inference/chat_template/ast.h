// The parsed template: statements (text, output, if, for, set, macro, ...) holding
// expressions. Every node keeps the line and column of its first token so runtime
// errors can point at the template source.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "chat_template/value.h"

namespace chat_template {

enum class ExprKind {
    Literal,   // literal
    Name,      // name
    List,      // args = items
    Tuple,     // args = items (a tuple is a list at run time)
    Dict,      // args = key0, value0, key1, value1, ...
    GetAttr,   // args[0].name
    GetItem,   // args[0][args[1]]
    Slice,     // args[0][args[1]:args[2]:args[3]] (null = omitted)
    Call,      // args[0](args[1..]); the last kwNames.size() args are keywords
    Filter,    // args[0] | name(args[1..])
    Test,      // args[0] is [not] name(args[1..])
    Unary,     // name in {"-", "+", "not"}; args[0]
    Binary,    // name is the operator; args[0], args[1]
    Compare,   // args[0] ops[0] args[1] ops[1] args[2] ...: Python's chained comparison
    Cond,      // args[1] if args[0] else args[2] (args[2] may be null)
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
    ExprKind kind = ExprKind::Literal;
    int line = 0, column = 0;
    std::string name;
    Value literal;
    std::vector<ExprPtr> args;
    std::vector<std::string> kwNames;
    std::vector<std::string> ops;  // Compare: "==", "<", "in", "not in", ...
    ExprPtr starArgs, starKwargs;  // Call/Filter/Test: f(*list, **dict), null when absent
    bool negated = false;          // Test: "is not"
};

enum class StmtKind { Text, Output, If, For, Set, SetBlock, Macro, CallBlock, Break, Continue, FilterBlock, Block, With };

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct Stmt {
    StmtKind kind = StmtKind::Text;
    int line = 0, column = 0;
    std::string text;                  // Text; Macro: name; Set: namespace attribute ("" = plain names)
    ExprPtr expr;                      // Output, For (iterable), Set (value), FilterBlock and SetBlock
                                       // (filter chain, innermost args[0] unused), CallBlock (the call)
    std::vector<ExprPtr> conditions;   // If: one per branch (an else branch has none)
    std::vector<Body> branches;        // If: bodies; For: [body, else-body]; others: [body]
    std::vector<std::string> targets;  // For: loop variables; Set, With: names; Macro, CallBlock: parameters
    std::vector<ExprPtr> defaults;     // Macro, CallBlock: default per parameter (null = required); With: values
    ExprPtr filter;                    // For: "if" filter
    bool recursive = false;            // For: "recursive" (loop(items) renders the body again)
    bool usesVarargs = false;          // Macro: the body reads varargs (extra positionals land there)
    bool usesKwargs = false;           // Macro: the body reads kwargs (extra keywords land there)
};

}  // namespace chat_template
