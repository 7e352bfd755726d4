#include "chat_template/parser.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "chat_template/ast_walk.h"
#include "chat_template/builtins.h"

namespace chat_template {

namespace {

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
    Body parseBody(const std::vector<std::string_view>& ends, std::string& endTag) {
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

    StmtPtr stmt(StmtKind kind, const Token& at) {
        auto s = std::make_unique<Stmt>();
        s->kind = kind;
        s->line = at.line;
        s->column = at.column;
        return s;
    }

    StmtPtr parseStatement() {
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

    StmtPtr parseIf() {
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

    StmtPtr parseFor() {
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

    StmtPtr parseSet() {
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
    void parseParameters(Stmt& s) {
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

    StmtPtr parseMacro() {
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
    StmtPtr parseCallBlock() {
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
    StmtPtr parseWith() {
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
    ExprPtr parseFilterChain() {
        ExprPtr chain = node(ExprKind::Literal, cur());
        do {
            if (isOp("|")) advance();
            chain = parseFilterCall(std::move(chain));
        } while (isOp("|"));
        return chain;
    }

    StmtPtr parseFilterBlock() {
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

    // ---- expressions ---------------------------------------------------------
    ExprPtr parseTupleOrExpression() {
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

    ExprPtr parseExpression() {
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

    ExprPtr binary(std::string op, ExprPtr a, ExprPtr b, const Token& at) {
        auto e = node(ExprKind::Binary, at);
        e->name = std::move(op);
        e->args.push_back(std::move(a));
        e->args.push_back(std::move(b));
        return e;
    }

    ExprPtr parseOr() {
        ExprPtr left = parseAnd();
        while (isName("or")) {
            const Token& at = cur();
            advance();
            left = binary("or", std::move(left), parseAnd(), at);
        }
        return left;
    }
    ExprPtr parseAnd() {
        ExprPtr left = parseNot();
        while (isName("and")) {
            const Token& at = cur();
            advance();
            left = binary("and", std::move(left), parseNot(), at);
        }
        return left;
    }
    ExprPtr parseNot() {
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
    ExprPtr parseCompare() {
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
    ExprPtr parseAdd() {
        ExprPtr left = parseConcat();
        while (isOp("+") || isOp("-")) {
            const Token& at = cur();
            std::string op = cur().text;
            advance();
            left = binary(op, std::move(left), parseConcat(), at);
        }
        return left;
    }
    ExprPtr parseConcat() {
        ExprPtr left = parseMul();
        while (isOp("~")) {
            const Token& at = cur();
            advance();
            left = binary("~", std::move(left), parseMul(), at);
        }
        return left;
    }
    ExprPtr parseMul() {
        ExprPtr left = parsePow();
        while (isOp("*") || isOp("/") || isOp("//") || isOp("%")) {
            const Token& at = cur();
            std::string op = cur().text;
            advance();
            left = binary(op, std::move(left), parsePow(), at);
        }
        return left;
    }
    ExprPtr parsePow() {
        ExprPtr left = parseUnary();
        while (isOp("**")) {
            const Token& at = cur();
            advance();
            left = binary("**", std::move(left), parseUnary(), at);
        }
        return left;
    }
    // Filters bind to the whole negation: "-x|abs" is abs(-x), as in Jinja.
    ExprPtr parseUnary(bool withFilters = true) {
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

    ExprPtr parsePrimary() {
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

    ExprPtr parseParen() {
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
    ExprPtr parseList() {
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
    ExprPtr parseDict() {
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
    void parseArgs(Expr& e) {
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

    ExprPtr parsePostfix(ExprPtr e) {
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

    ExprPtr parseSubscript(ExprPtr target) {
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

    ExprPtr parseFilterCall(ExprPtr target) {
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

    ExprPtr parseFilters(ExprPtr e) {
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

public:
    const std::vector<UnknownName>& unknownNames() const { return m_unknown; }

private:
    const std::vector<Token>& m_t;
    size_t m_i = 0;
    int m_depth = 0;
    std::vector<UnknownName> m_unknown;  // filters and tests Jinja does not have
};

}  // namespace

Body parse(const std::vector<Token>& tokens) {
    Parser p(tokens);
    Body body = p.parseTemplate();
    rejectUnknownNames(body, p.unknownNames());
    return body;
}

}  // namespace chat_template
