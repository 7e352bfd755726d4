#include "chat_template/ast_walk.h"

#include "chat_template/value.h"

namespace chat_template {

bool readsName(const Expr* e, std::string_view name) {
    if (!e) return false;
    if (e->kind == ExprKind::Name && e->name == name) return true;
    for (const ExprPtr& a : e->args)
        if (readsName(a.get(), name)) return true;
    return readsName(e->starArgs.get(), name) || readsName(e->starKwargs.get(), name);
}

bool readsName(const Body& body, std::string_view name) {
    for (const StmtPtr& s : body) {
        if (readsName(s->expr.get(), name) || readsName(s->filter.get(), name)) return true;
        for (const ExprPtr& c : s->conditions)
            if (readsName(c.get(), name)) return true;
        for (const ExprPtr& d : s->defaults)
            if (readsName(d.get(), name)) return true;
        for (const Body& b : s->branches)
            if (s->kind != StmtKind::Macro && readsName(b, name)) return true;
    }
    return false;
}

namespace {

struct UnknownCheck {
    const std::vector<UnknownName>& unknown;

    void expr(const Expr* e, bool soft) const {
        if (!e) return;
        soft = soft || e->kind == ExprKind::Cond;
        if (!soft)
            for (const UnknownName& u : unknown)
                if (u.node == e) throw Failure{Failure::Kind::Syntax, u.message, u.at.line, u.at.column};
        for (const ExprPtr& a : e->args) expr(a.get(), soft);
        expr(e->starArgs.get(), soft);
        expr(e->starKwargs.get(), soft);
    }
    void body(const Body& b, bool soft) const {
        for (const StmtPtr& s : b) stmt(*s, soft);
    }
    void stmt(const Stmt& s, bool soft) const {
        const bool inner = s.kind == StmtKind::If ? true : s.kind == StmtKind::Output || s.kind == StmtKind::Set ? soft : false;
        if (s.kind == StmtKind::With)  // the values belong to the enclosing frame
            for (const ExprPtr& d : s.defaults) expr(d.get(), soft);
        // the iterable of a for and the call of a call block belong to the enclosing frame
        expr(s.expr.get(), s.kind == StmtKind::For || s.kind == StmtKind::CallBlock ? soft : inner);
        expr(s.filter.get(), inner);
        for (const ExprPtr& c : s.conditions) expr(c.get(), inner);
        if (s.kind != StmtKind::With)
            for (const ExprPtr& d : s.defaults) expr(d.get(), inner);
        for (const Body& b : s.branches) body(b, inner);
    }
};

}  // namespace

void rejectUnknownNames(const Body& body, const std::vector<UnknownName>& unknown) {
    if (unknown.empty()) return;
    const UnknownCheck check{unknown};
    for (const StmtPtr& s : body) check.stmt(*s, false);
}

}  // namespace chat_template
