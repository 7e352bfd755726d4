// The recursive-descent parser behind parse() (parser.h): the class, its token helpers,
// and the statement and expression productions, defined in parser.cpp and
// parser_expressions.cpp. Internal to chat_template/.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "chat_template/ast.h"
#include "chat_template/ast_walk.h"
#include "chat_template/lexer.h"

namespace chat_template::detail {

constexpr int kMaxNesting = 200;  // expression and block depth: keeps the recursion off the stack limit

class Parser {
public:
    explicit Parser(const std::vector<Token>& t) : m_t(t) {}

    Body parseTemplate() {
        std::string endTag;
        Body body = parseBody({}, endTag);
        return body;
    }

private:
    // ---- token helpers -------------------------------------------------------
    const Token& cur() const { return m_t[m_i]; }
    const Token& peek(size_t n = 1) const { return m_t[std::min(m_i + n, m_t.size() - 1)]; }
    void advance() {
        if (m_i + 1 < m_t.size()) ++m_i;
    }
    bool isOp(std::string_view op) const { return cur().type == TokenType::Op && cur().text == op; }
    bool isName(std::string_view n) const { return cur().type == TokenType::Name && cur().text == n; }
    [[noreturn]] void error(const Token& t, const std::string& message) const {
        throw Failure{Failure::Kind::Syntax, message, t.line, t.column};
    }
    static std::string describe(const Token& t) {
        switch (t.type) {
        case TokenType::End: return "end of template";
        case TokenType::VarEnd: return "'}}'";
        case TokenType::BlockEnd: return "'%}'";
        case TokenType::Text: return "text";
        case TokenType::String: return "a string";
        default: return "'" + t.text + "'";
        }
    }
    void expectOp(std::string_view op) {
        if (!isOp(op)) error(cur(), "expected '" + std::string(op) + "', found " + describe(cur()));
        advance();
    }
    std::string expectName() {
        if (cur().type != TokenType::Name) error(cur(), "expected a name, found " + describe(cur()));
        std::string n = cur().text;
        advance();
        return n;
    }
    void expectBlockEnd() {
        if (cur().type != TokenType::BlockEnd) error(cur(), "expected '%}', found " + describe(cur()));
        advance();
    }
    ExprPtr node(ExprKind kind, const Token& at) {
        auto e = std::make_unique<Expr>();
        e->kind = kind;
        e->line = at.line;
        e->column = at.column;
        return e;
    }
    struct DepthGuard {
        int& d;
        DepthGuard(int& depth, const Parser& p, const Token& at) : d(depth) {
            if (++d > kMaxNesting) p.error(at, "template nested too deeply");
        }
        ~DepthGuard() { --d; }
    };

    // ---- statements ----------------------------------------------------------
    // Parses until one of the end tags (a BlockBegin followed by that name); leaves
    // the name's token current and stores it in endTag. No end tags: until End.
    Body parseBody(const std::vector<std::string_view>& ends, std::string& endTag);
    StmtPtr stmt(StmtKind kind, const Token& at);
    StmtPtr parseStatement();
    StmtPtr parseIf();
    StmtPtr parseFor();
    StmtPtr parseSet();
    // "(a, b=1)": parameter names and defaults of a macro or a call block's caller.
    void parseParameters(Stmt& s);
    StmtPtr parseMacro();
    // {% call [(params)] macro(args) %}body{% endcall %}: the body becomes caller().
    StmtPtr parseCallBlock();
    // {% with a = 1, b = x %}body{% endwith %}: a scope with those names (values
    // evaluated outside it).
    StmtPtr parseWith();
    // "| f(args) | g": a chain applied to a placeholder (args[0] of the innermost filter).
    ExprPtr parseFilterChain();
    StmtPtr parseFilterBlock();

    // ---- expressions ---------------------------------------------------------
    ExprPtr parseTupleOrExpression();
    ExprPtr parseExpression();
    ExprPtr binary(std::string op, ExprPtr a, ExprPtr b, const Token& at);
    ExprPtr parseOr();
    ExprPtr parseAnd();
    ExprPtr parseNot();
    // a < b < c is (a < b) and (b < c), with b evaluated once, as in Python.
    ExprPtr parseCompare();
    ExprPtr parseAdd();
    ExprPtr parseConcat();
    ExprPtr parseMul();
    ExprPtr parsePow();
    // Filters bind to the whole negation: "-x|abs" is abs(-x), as in Jinja.
    ExprPtr parseUnary(bool withFilters = true);
    ExprPtr parsePrimary();
    ExprPtr parseParen();
    ExprPtr parseList();
    ExprPtr parseDict();
    // Arguments of a call, filter or test: positional then name=value.
    void parseArgs(Expr& e);
    ExprPtr parsePostfix(ExprPtr e);
    ExprPtr parseSubscript(ExprPtr target);
    ExprPtr parseFilterCall(ExprPtr target);
    ExprPtr parseFilters(ExprPtr e);

public:
    const std::vector<UnknownName>& unknownNames() const { return m_unknown; }

private:
    const std::vector<Token>& m_t;
    size_t m_i = 0;
    int m_depth = 0;
    std::vector<UnknownName> m_unknown;  // filters and tests Jinja does not have
};

}  // namespace chat_template::detail
