// Expressions of the chat-template parser, Jinja's precedence from the top (see parser.h):
// conditional, or/and/not, comparisons, arithmetic, unary, primaries, postfix calls,
// subscripts, filters and tests.
#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "chat_template/builtins.h"
#include "chat_template/parser_impl.h"

namespace chat_template::detail {

ExprPtr Parser::parseTupleOrExpression() {
    const Token& at = cur();
    ExprPtr first = parseExpression();
    if (!isOp(",")) return first;
    auto t = node(ExprKind::Tuple, at);
    t->args.push_back(std::move(first));
    while (isOp(",")) {
        advance();
        if (cur().type == TokenType::BlockEnd || cur().type == TokenType::VarEnd) break;
        t->args.push_back(parseExpression());
    }
    return t;
}

ExprPtr Parser::parseExpression() {
    DepthGuard guard(m_depth, *this, cur());
    const Token& at = cur();
    ExprPtr value = parseOr();
    while (isName("if")) {
        advance();
        auto c = node(ExprKind::Cond, at);
        c->args.resize(3);
        c->args[1] = std::move(value);
        c->args[0] = parseOr();
        if (isName("else")) {
            advance();
            c->args[2] = parseExpression();
        }
        value = std::move(c);
    }
    return value;
}

ExprPtr Parser::binary(std::string op, ExprPtr a, ExprPtr b, const Token& at) {
    auto e = node(ExprKind::Binary, at);
    e->name = std::move(op);
    e->args.push_back(std::move(a));
    e->args.push_back(std::move(b));
    return e;
}

ExprPtr Parser::parseOr() {
    ExprPtr left = parseAnd();
    while (isName("or")) {
        const Token& at = cur();
        advance();
        left = binary("or", std::move(left), parseAnd(), at);
    }
    return left;
}

ExprPtr Parser::parseAnd() {
    ExprPtr left = parseNot();
    while (isName("and")) {
        const Token& at = cur();
        advance();
        left = binary("and", std::move(left), parseNot(), at);
    }
    return left;
}

ExprPtr Parser::parseNot() {
    if (isName("not")) {
        DepthGuard guard(m_depth, *this, cur());
        auto e = node(ExprKind::Unary, cur());
        e->name = "not";
        advance();
        e->args.push_back(parseNot());
        return e;
    }
    return parseCompare();
}

// a < b < c is (a < b) and (b < c), with b evaluated once, as in Python.
ExprPtr Parser::parseCompare() {
    const Token& start = cur();
    ExprPtr first = parseAdd();
    ExprPtr chain;
    for (;;) {
        std::string op;
        if (cur().type == TokenType::Op &&
            (cur().text == "==" || cur().text == "!=" || cur().text == "<" || cur().text == ">" ||
             cur().text == "<=" || cur().text == ">=")) {
            op = cur().text;
            advance();
        } else if (isName("in")) {
            op = "in";
            advance();
        } else if (isName("not") && peek().type == TokenType::Name && peek().text == "in") {
            op = "not in";
            advance();
            advance();
        } else {
            return chain ? std::move(chain) : std::move(first);
        }
        if (!chain) {
            chain = node(ExprKind::Compare, start);
            chain->args.push_back(std::move(first));
        }
        chain->ops.push_back(std::move(op));
        chain->args.push_back(parseAdd());
    }
}

ExprPtr Parser::parseAdd() {
    ExprPtr left = parseConcat();
    while (isOp("+") || isOp("-")) {
        const Token& at = cur();
        std::string op = cur().text;
        advance();
        left = binary(op, std::move(left), parseConcat(), at);
    }
    return left;
}

ExprPtr Parser::parseConcat() {
    ExprPtr left = parseMul();
    while (isOp("~")) {
        const Token& at = cur();
        advance();
        left = binary("~", std::move(left), parseMul(), at);
    }
    return left;
}

ExprPtr Parser::parseMul() {
    ExprPtr left = parsePow();
    while (isOp("*") || isOp("/") || isOp("//") || isOp("%")) {
        const Token& at = cur();
        std::string op = cur().text;
        advance();
        left = binary(op, std::move(left), parsePow(), at);
    }
    return left;
}

ExprPtr Parser::parsePow() {
    ExprPtr left = parseUnary();
    while (isOp("**")) {
        const Token& at = cur();
        advance();
        left = binary("**", std::move(left), parseUnary(), at);
    }
    return left;
}

// Filters bind to the whole negation: "-x|abs" is abs(-x), as in Jinja.
ExprPtr Parser::parseUnary(bool withFilters) {
    DepthGuard guard(m_depth, *this, cur());
    ExprPtr e;
    if (isOp("-") || isOp("+")) {
        e = node(ExprKind::Unary, cur());
        e->name = cur().text;
        advance();
        e->args.push_back(parseUnary(false));
    } else {
        e = parsePostfix(parsePrimary());
    }
    return withFilters ? parseFilters(std::move(e)) : std::move(e);
}

ExprPtr Parser::parsePrimary() {
    const Token& t = cur();
    switch (t.type) {
    case TokenType::String: {
        std::string s = t.text;
        advance();
        while (cur().type == TokenType::String) {  // adjacent literals concatenate
            s += cur().text;
            advance();
        }
        auto e = node(ExprKind::Literal, t);
        e->literal = Value(std::move(s));
        return e;
    }
    case TokenType::Int: {
        auto e = node(ExprKind::Literal, t);
        int64_t v = 0;
        auto r = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
        if (r.ec != std::errc()) error(t, "integer literal out of range");
        e->literal = Value(v);
        advance();
        return e;
    }
    case TokenType::Float: {
        auto e = node(ExprKind::Literal, t);
        e->literal = Value(std::strtod(t.text.c_str(), nullptr));
        advance();
        return e;
    }
    case TokenType::Name: {
        auto e = node(ExprKind::Literal, t);
        const std::string& n = t.text;
        if (n == "true" || n == "True") e->literal = Value(true);
        else if (n == "false" || n == "False") e->literal = Value(false);
        else if (n == "none" || n == "None") e->literal = Value::none();
        else {
            e->kind = ExprKind::Name;
            e->name = n;
        }
        advance();
        return e;
    }
    case TokenType::Op:
        if (t.text == "(") return parseParen();
        if (t.text == "[") return parseList();
        if (t.text == "{") return parseDict();
        break;
    default: break;
    }
    error(t, "unexpected " + describe(t) + " in an expression");
}

ExprPtr Parser::parseParen() {
    const Token& at = cur();
    advance();
    if (isOp(")")) {
        advance();
        return node(ExprKind::Tuple, at);
    }
    ExprPtr first = parseExpression();
    if (isOp(")")) {
        advance();
        return first;
    }
    auto t = node(ExprKind::Tuple, at);
    t->args.push_back(std::move(first));
    while (isOp(",")) {
        advance();
        if (isOp(")")) break;
        t->args.push_back(parseExpression());
    }
    expectOp(")");
    return t;
}

ExprPtr Parser::parseList() {
    auto l = node(ExprKind::List, cur());
    advance();
    while (!isOp("]")) {
        l->args.push_back(parseExpression());
        if (!isOp(",")) break;
        advance();
    }
    expectOp("]");
    return l;
}

ExprPtr Parser::parseDict() {
    auto d = node(ExprKind::Dict, cur());
    advance();
    while (!isOp("}")) {
        d->args.push_back(parseExpression());
        expectOp(":");
        d->args.push_back(parseExpression());
        if (!isOp(",")) break;
        advance();
    }
    expectOp("}");
    return d;
}

// Arguments of a call, filter or test: positional then name=value.
void Parser::parseArgs(Expr& e) {
    expectOp("(");
    while (!isOp(")")) {
        if (isOp("*") || isOp("**")) {  // f(*list) / f(**dict)
            ExprPtr& slot = isOp("*") ? e.starArgs : e.starKwargs;
            if (slot) error(cur(), "repeated " + cur().text + " argument");
            advance();
            slot = parseExpression();
        } else if (cur().type == TokenType::Name && peek().type == TokenType::Op && peek().text == "=") {
            e.kwNames.push_back(cur().text);
            advance();
            advance();
            e.args.push_back(parseExpression());
        } else {
            if (!e.kwNames.empty() || e.starKwargs) error(cur(), "positional argument after a keyword argument");
            e.args.push_back(parseExpression());
        }
        if (!isOp(",")) break;
        advance();
    }
    expectOp(")");
}

ExprPtr Parser::parsePostfix(ExprPtr e) {
    for (;;) {
        const Token& at = cur();
        if (isOp(".")) {
            advance();
            auto g = node(ExprKind::GetAttr, at);
            if (cur().type == TokenType::Int) {  // foo.0 is foo[0]
                g->kind = ExprKind::GetItem;
                g->args.push_back(std::move(e));
                auto idx = node(ExprKind::Literal, cur());
                idx->literal = Value(static_cast<int64_t>(std::atoll(cur().text.c_str())));
                advance();
                g->args.push_back(std::move(idx));
            } else {
                g->name = expectName();
                g->args.push_back(std::move(e));
            }
            e = std::move(g);
        } else if (isOp("[")) {
            e = parseSubscript(std::move(e));
        } else if (isOp("(")) {
            auto c = node(ExprKind::Call, at);
            c->args.push_back(std::move(e));
            parseArgs(*c);
            e = std::move(c);
        } else {
            return e;
        }
    }
}

ExprPtr Parser::parseSubscript(ExprPtr target) {
    const Token& at = cur();
    advance();
    ExprPtr parts[3];
    int colons = 0;
    for (;;) {
        if (isOp("]")) break;
        if (isOp(":")) {
            if (++colons > 2) error(cur(), "too many ':' in a slice");
            advance();
            continue;
        }
        if (parts[colons]) error(cur(), "expected ':' or ']' in a subscript");
        parts[colons] = parseExpression();
    }
    expectOp("]");
    if (colons == 0) {
        if (!parts[0]) error(at, "empty subscript");
        auto g = node(ExprKind::GetItem, at);
        g->args.push_back(std::move(target));
        g->args.push_back(std::move(parts[0]));
        return g;
    }
    auto s = node(ExprKind::Slice, at);
    s->args.push_back(std::move(target));
    for (auto& p : parts) s->args.push_back(std::move(p));
    return s;
}

ExprPtr Parser::parseFilterCall(ExprPtr target) {
    auto f = node(ExprKind::Filter, cur());
    const Token& nameTok = cur();
    f->name = expectName();
    if (!isKnownFilter(f->name)) m_unknown.push_back({f.get(), nameTok, "No filter named '" + f->name + "'."});
    while (isOp(".")) {  // dotted filter names are not used by templates; keep the error clear
        error(cur(), "dotted filter names are not supported");
    }
    f->args.push_back(std::move(target));
    if (isOp("(")) parseArgs(*f);
    return f;
}

ExprPtr Parser::parseFilters(ExprPtr e) {
    for (;;) {
        if (isOp("|")) {
            advance();
            e = parseFilterCall(std::move(e));
        } else if (isName("is")) {
            auto t = node(ExprKind::Test, cur());
            advance();
            if (isName("not")) {
                t->negated = true;
                advance();
            }
            const Token& nameTok = cur();
            t->name = expectName();
            if (!isKnownTest(t->name)) m_unknown.push_back({t.get(), nameTok, "No test named '" + t->name + "'."});
            t->args.push_back(std::move(e));
            if (isOp("(")) {
                parseArgs(*t);
            } else if ((cur().type == TokenType::String || cur().type == TokenType::Int ||
                        cur().type == TokenType::Float || isOp("[") || isOp("{") ||
                        (cur().type == TokenType::Name && !isName("else") && !isName("or") &&
                         !isName("and") && !isName("if") && !isName("in") && !isName("not") &&
                         !isName("is")))) {
                t->args.push_back(parsePostfix(parsePrimary()));  // "is sameas false", "is divisibleby 3"
            }
            e = std::move(t);
        } else {
            return e;
        }
    }
}
}  // namespace chat_template::detail
