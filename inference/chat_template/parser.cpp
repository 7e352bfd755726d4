#include "chat_template/parser.h"

#include <algorithm>

#include "chat_template/parser_impl.h"

// Statements: the template body, {% if %}, {% for %}, {% set %}, macros, call and filter
// blocks. Expressions are in parser_expressions.cpp.
namespace chat_template {
namespace detail {

// Parses until one of the end tags (a BlockBegin followed by that name); leaves
// the name's token current and stores it in endTag. No end tags: until End.
Body Parser::parseBody(const std::vector<std::string_view>& ends, std::string& endTag) {
    DepthGuard guard(m_depth, *this, cur());
    Body body;
    for (;;) {
        const Token& t = cur();
        if (t.type == TokenType::End) {
            if (!ends.empty()) {
                std::string names;
                for (auto e : ends) names += (names.empty() ? "'" : " or '") + std::string(e) + "'";
                error(t, "unexpected end of template: expected " + names + " to close the block");
            }
            return body;
        }
        if (t.type == TokenType::Text) {
            auto s = stmt(StmtKind::Text, t);
            s->text = t.text;
            body.push_back(std::move(s));
            advance();
        } else if (t.type == TokenType::VarBegin) {
            auto s = stmt(StmtKind::Output, t);
            advance();
            s->expr = parseExpression();
            if (cur().type != TokenType::VarEnd) error(cur(), "expected '}}', found " + describe(cur()));
            advance();
            body.push_back(std::move(s));
        } else if (t.type == TokenType::BlockBegin) {
            advance();
            const Token& nameTok = cur();
            if (nameTok.type != TokenType::Name) error(nameTok, "expected a statement name after '{%'");
            if (std::find(ends.begin(), ends.end(), nameTok.text) != ends.end()) {
                endTag = nameTok.text;
                return body;
            }
            body.push_back(parseStatement());
        } else {
            error(t, "unexpected " + describe(t));
        }
    }
}

StmtPtr Parser::stmt(StmtKind kind, const Token& at) {
    auto s = std::make_unique<Stmt>();
    s->kind = kind;
    s->line = at.line;
    s->column = at.column;
    return s;
}

StmtPtr Parser::parseStatement() {
    const Token& t = cur();
    const std::string& n = t.text;
    if (n == "if") return parseIf();
    if (n == "for") return parseFor();
    if (n == "set") return parseSet();
    if (n == "macro") return parseMacro();
    if (n == "call") return parseCallBlock();
    if (n == "with") return parseWith();
    if (n == "break" || n == "continue") {
        auto s = stmt(n == "break" ? StmtKind::Break : StmtKind::Continue, t);
        advance();
        expectBlockEnd();
        return s;
    }
    if (n == "filter") return parseFilterBlock();
    if (n == "generation") {  // Hugging Face's assistant-mask marker: renders its body
        auto s = stmt(StmtKind::Block, t);
        advance();
        expectBlockEnd();
        std::string end;
        s->branches.push_back(parseBody({"endgeneration"}, end));
        advance();
        expectBlockEnd();
        return s;
    }
    error(t, "unknown or unsupported statement '" + n + "'");
}

StmtPtr Parser::parseIf() {
    auto s = stmt(StmtKind::If, cur());
    advance();
    s->conditions.push_back(parseExpression());
    expectBlockEnd();
    for (;;) {
        std::string end;
        s->branches.push_back(parseBody({"elif", "else", "endif"}, end));
        advance();
        if (end == "elif") {
            s->conditions.push_back(parseExpression());
            expectBlockEnd();
        } else if (end == "else") {
            expectBlockEnd();
            s->branches.push_back(parseBody({"endif"}, end));
            advance();
            expectBlockEnd();
            return s;
        } else {
            expectBlockEnd();
            return s;
        }
    }
}

StmtPtr Parser::parseFor() {
    auto s = stmt(StmtKind::For, cur());
    advance();
    s->targets.push_back(expectName());
    while (isOp(",")) {
        advance();
        s->targets.push_back(expectName());
    }
    if (!isName("in")) error(cur(), "expected 'in' in the for loop, found " + describe(cur()));
    advance();
    s->expr = parseOr();  // not a conditional: a trailing "if" filters the loop
    if (isName("if")) {
        advance();
        s->filter = parseOr();
    }
    if (isName("recursive")) {
        s->recursive = true;
        advance();
    }
    expectBlockEnd();
    std::string end;
    s->branches.push_back(parseBody({"else", "endfor"}, end));
    advance();
    expectBlockEnd();
    if (end == "else") {
        s->branches.push_back(parseBody({"endfor"}, end));
        advance();
        expectBlockEnd();
    }
    return s;
}

StmtPtr Parser::parseSet() {
    auto s = stmt(StmtKind::Set, cur());
    advance();
    s->targets.push_back(expectName());
    if (isOp(".")) {  // {% set ns.attr = value %}
        advance();
        s->text = expectName();
    } else {
        while (isOp(",")) {
            advance();
            s->targets.push_back(expectName());
        }
    }
    if ((cur().type == TokenType::BlockEnd || isOp("|")) && s->text.empty() && s->targets.size() == 1) {
        s->kind = StmtKind::SetBlock;  // {% set name [| filters] %}...{% endset %}
        if (isOp("|")) s->expr = parseFilterChain();
        advance();
        std::string end;
        s->branches.push_back(parseBody({"endset"}, end));
        advance();
        expectBlockEnd();
        return s;
    }
    expectOp("=");
    s->expr = parseTupleOrExpression();
    expectBlockEnd();
    return s;
}

// "(a, b=1)": parameter names and defaults of a macro or a call block's caller.
void Parser::parseParameters(Stmt& s) {
    expectOp("(");
    while (!isOp(")")) {
        s.targets.push_back(expectName());
        if (isOp("=")) {
            advance();
            s.defaults.push_back(parseExpression());
        } else {
            s.defaults.push_back(nullptr);
        }
        if (!isOp(",")) break;
        advance();
    }
    expectOp(")");
}

StmtPtr Parser::parseMacro() {
    auto s = stmt(StmtKind::Macro, cur());
    advance();
    s->text = expectName();
    parseParameters(*s);
    expectBlockEnd();
    std::string end;
    s->branches.push_back(parseBody({"endmacro"}, end));
    advance();
    if (cur().type == TokenType::Name) advance();  // {% endmacro name %}
    expectBlockEnd();
    s->usesVarargs = readsName(s->branches[0], "varargs");
    s->usesKwargs = readsName(s->branches[0], "kwargs");
    return s;
}

// {% call [(params)] macro(args) %}body{% endcall %}: the body becomes caller().
StmtPtr Parser::parseCallBlock() {
    auto s = stmt(StmtKind::CallBlock, cur());
    advance();
    if (isOp("(")) parseParameters(*s);
    s->expr = parseExpression();
    if (s->expr->kind != ExprKind::Call) error(cur(), "expected a call after 'call'");
    expectBlockEnd();
    std::string end;
    s->branches.push_back(parseBody({"endcall"}, end));
    advance();
    expectBlockEnd();
    return s;
}

// {% with a = 1, b = x %}body{% endwith %}: a scope with those names (values
// evaluated outside it).
StmtPtr Parser::parseWith() {
    auto s = stmt(StmtKind::With, cur());
    advance();
    while (cur().type != TokenType::BlockEnd) {
        if (!s->targets.empty()) expectOp(",");
        s->targets.push_back(expectName());
        expectOp("=");
        s->defaults.push_back(parseExpression());
    }
    expectBlockEnd();
    std::string end;
    s->branches.push_back(parseBody({"endwith"}, end));
    advance();
    expectBlockEnd();
    return s;
}

// "| f(args) | g": a chain applied to a placeholder (args[0] of the innermost filter).
ExprPtr Parser::parseFilterChain() {
    ExprPtr chain = node(ExprKind::Literal, cur());
    do {
        if (isOp("|")) advance();
        chain = parseFilterCall(std::move(chain));
    } while (isOp("|"));
    return chain;
}

StmtPtr Parser::parseFilterBlock() {
    auto s = stmt(StmtKind::FilterBlock, cur());
    advance();
    s->expr = parseFilterChain();
    expectBlockEnd();
    std::string end;
    s->branches.push_back(parseBody({"endfilter"}, end));
    advance();
    expectBlockEnd();
    return s;
}
}  // namespace detail

Body parse(const std::vector<Token>& tokens) {
    detail::Parser p(tokens);
    Body body = p.parseTemplate();
    rejectUnknownNames(body, p.unknownNames());
    return body;
}

}  // namespace chat_template
