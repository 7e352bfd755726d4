#include "chat_template/evaluator.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>

#include "chat_template/builtins.h"

namespace chat_template {

namespace {

enum class Flow { Normal, Break, Continue };

class Renderer {
public:
    Renderer(Vars globals, const Limits& limits) : m_limits(limits) {
        m_scopes.push_back({std::move(globals), kNoParent});
    }

    std::string run(const Body& body) {
        std::string out;
        exec(body, out);
        return out;
    }

private:
    static constexpr size_t kNoParent = SIZE_MAX;
    // Lookups walk a scope, then its parent, ... then the globals (scope 0). A for
    // body's parent is the scope below it; a macro's is none (it sees its arguments
    // and the globals); a call block's caller() sees the scope the call block ran in.
    struct Scope {
        Vars vars;
        size_t parent;
    };

    // ---- scopes --------------------------------------------------------------
    Value lookup(const std::string& name) const {
        for (size_t i = m_scopes.size() - 1;;) {
            for (const auto& [k, v] : m_scopes[i].vars)
                if (k == name) return v;
            if (i == 0) break;
            i = m_scopes[i].parent == kNoParent ? 0 : m_scopes[i].parent;
        }
        return Value::undefined(name);
    }
    void assign(const std::string& name, Value v) {
        Vars& vars = m_scopes.back().vars;
        for (auto& [k, old] : vars)
            if (k == name) {
                old = std::move(v);
                return;
            }
        vars.emplace_back(name, std::move(v));
    }
    struct ScopeGuard {
        std::vector<Scope>& s;
        ScopeGuard(std::vector<Scope>& scopes, size_t parent) : s(scopes) { s.push_back({{}, parent}); }
        ~ScopeGuard() { s.pop_back(); }
    };
    size_t top() const { return m_scopes.size() - 1; }

    void step() {
        if (++m_steps > m_limits.maxSteps) fail("the template ran too long (more than " +
                                                std::to_string(m_limits.maxSteps) + " loop iterations and macro calls)");
    }
    void append(std::string& out, std::string_view text) {
        if (out.size() + text.size() > m_limits.maxOutputBytes)
            fail("the template's output exceeds " + std::to_string(m_limits.maxOutputBytes) + " bytes");
        out += text;
    }

    // ---- statements ----------------------------------------------------------
    Flow exec(const Body& body, std::string& out) {
        for (const StmtPtr& s : body) {
            const Flow f = execAt(*s, out);
            if (f != Flow::Normal) return f;
        }
        return Flow::Normal;
    }

    Flow execAt(const Stmt& s, std::string& out) {
        try {
            return execStmt(s, out);
        } catch (Failure& f) {
            if (f.line == 0) {
                f.line = s.line;
                f.column = s.column;
            }
            throw;
        }
    }

    Flow execStmt(const Stmt& s, std::string& out) {
        switch (s.kind) {
        case StmtKind::Text: append(out, s.text); return Flow::Normal;
        case StmtKind::Output: append(out, toStr(eval(*s.expr))); return Flow::Normal;
        case StmtKind::If:
            for (size_t i = 0; i < s.branches.size(); ++i)
                if (i >= s.conditions.size() || eval(*s.conditions[i]).truthy()) return exec(s.branches[i], out);
            return Flow::Normal;
        case StmtKind::For: {
            const Value seq = eval(*s.expr);
            execFor(s, seq.isList() ? seq.consume() : iterate(seq), 0, out);
            return Flow::Normal;
        }
        case StmtKind::Set: execSet(s); return Flow::Normal;
        case StmtKind::SetBlock: {
            std::string captured;
            {
                ScopeGuard scope(m_scopes, top());
                exec(s.branches[0], captured);
            }
            Value v(std::move(captured));
            if (s.expr) v = applyFilterChain(*s.expr, std::move(v));
            assign(s.targets[0], std::move(v));
            return Flow::Normal;
        }
        case StmtKind::Macro: assign(s.text, makeMacro(s)); return Flow::Normal;
        case StmtKind::CallBlock: append(out, toStr(execCallBlock(s))); return Flow::Normal;
        case StmtKind::Break: return Flow::Break;
        case StmtKind::Continue: return Flow::Continue;
        case StmtKind::FilterBlock: {
            std::string captured;
            Flow f;
            {
                ScopeGuard scope(m_scopes, top());
                f = exec(s.branches[0], captured);
            }
            if (f != Flow::Normal) return f;  // Jinja renders the body inline: break skips the rest
            append(out, toStr(applyFilterChain(*s.expr, Value(std::move(captured)))));
            return Flow::Normal;
        }
        case StmtKind::Block: return exec(s.branches[0], out);
        case StmtKind::With: {
            List values;
            for (const ExprPtr& v : s.defaults) values.push_back(eval(*v));
            ScopeGuard scope(m_scopes, top());
            for (size_t i = 0; i < s.targets.size(); ++i) assign(s.targets[i], values[i]);
            return exec(s.branches[0], out);
        }
        }
        return Flow::Normal;
    }

    void unpack(const std::vector<std::string>& targets, const Value& v) {
        if (targets.size() == 1) {
            assign(targets[0], v);
            return;
        }
        const List items = iterate(v);
        if (items.size() != targets.size())
            fail(items.size() < targets.size()
                     ? "not enough values to unpack (expected " + std::to_string(targets.size()) + ", got " +
                           std::to_string(items.size()) + ")"
                     : "too many values to unpack (expected " + std::to_string(targets.size()) + ")");
        for (size_t i = 0; i < targets.size(); ++i) assign(targets[i], items[i]);
    }

    void execSet(const Stmt& s) {
        Value v = eval(*s.expr);
        if (s.text.empty()) {
            unpack(s.targets, v);
            return;
        }
        Value ns = lookup(s.targets[0]);
        if (ns.kind() != Kind::Namespace) fail("cannot assign attribute on non-namespace object");
        dictSet(ns.mutableNamespace(), Value(s.text), std::move(v));
    }

    // One loop over items (already materialized: a filter or a later change to the
    // list cannot disturb it). depth0 counts recursive loop(...) calls.
    void execFor(const Stmt& s, List items, int depth0, std::string& out) {
        if (s.filter) {  // "for x in xs if cond": loop.* counts the kept items only
            List kept;
            for (Value& item : items) {
                ScopeGuard scope(m_scopes, top());
                unpack(s.targets, item);
                if (eval(*s.filter).truthy()) kept.push_back(std::move(item));
            }
            items = std::move(kept);
        }
        if (items.empty()) {
            if (s.branches.size() > 1) exec(s.branches[1], out);
            return;
        }
        // One loop object per loop, updated in place each iteration (a namespace, so
        // loop.x reads members).
        const int64_t n = static_cast<int64_t>(items.size());
        auto index = std::make_shared<int64_t>(0);
        auto lastChanged = std::make_shared<std::optional<List>>();
        Dict members = {
            {"index", Value()}, {"index0", Value()}, {"revindex", Value()}, {"revindex0", Value()},
            {"first", Value()}, {"last", Value()}, {"length", Value(n)}, {"depth", Value(depth0 + 1)},
            {"depth0", Value(depth0)}, {"previtem", Value()}, {"nextitem", Value()},
            {"cycle", Value::function("cycle", [index](const CallArgs& a) {
                 if (a.positional.empty()) fail("no items for cycling given");
                 return a.positional[static_cast<size_t>(*index) % a.positional.size()];
             })},
            {"changed", Value::function("changed", [lastChanged](const CallArgs& a) {
                 if (*lastChanged && lastChanged->value().size() == a.positional.size() &&
                     std::equal(a.positional.begin(), a.positional.end(), lastChanged->value().begin(), equals))
                     return Value(false);
                 *lastChanged = a.positional;
                 return Value(true);
             })},
        };
        Value loop = s.recursive ? Value::callableNamespace(std::move(members), "loop",
                                                            [this, &s, depth0](const CallArgs& a) {
                                                                if (a.positional.size() != 1) fail("loop() takes one iterable");
                                                                std::string inner;
                                                                execFor(s, iterate(a.positional[0]), depth0 + 1, inner);
                                                                return Value(std::move(inner));
                                                            })
                                 : Value::makeNamespace(std::move(members));
        Dict& m = loop.mutableNamespace();
        for (int64_t i = 0; i < n; ++i) {
            step();
            *index = i;
            m[0].second = Value(i + 1);
            m[1].second = Value(i);
            m[2].second = Value(n - i);
            m[3].second = Value(n - i - 1);
            m[4].second = Value(i == 0);
            m[5].second = Value(i == n - 1);
            m[9].second = i > 0 ? items[static_cast<size_t>(i - 1)] : Value::undefined("previtem");
            m[10].second = i + 1 < n ? items[static_cast<size_t>(i + 1)] : Value::undefined("nextitem");
            ScopeGuard scope(m_scopes, top());
            assign("loop", loop);
            unpack(s.targets, items[static_cast<size_t>(i)]);
            if (exec(s.branches[0], out) == Flow::Break) break;
        }
    }

    // A macro defined at the top level reads the globals as they are when it runs; one
    // defined inside a loop or another macro also sees that scope's variables as they
    // were at its definition (a closure).
    Value makeMacro(const Stmt& s) {
        const Stmt* macro = &s;
        auto closure = std::make_shared<Vars>();
        for (size_t i = top(); i > 0; i = m_scopes[i].parent == kNoParent ? 0 : m_scopes[i].parent)
            for (const auto& [k, v] : m_scopes[i].vars)
                if (std::none_of(closure->begin(), closure->end(), [&](const auto& c) { return c.first == k; }))
                    closure->emplace_back(k, v);
        return Value::function(s.text, [this, macro, closure](const CallArgs& args) {
            if (closure->empty()) return callMacro(*macro, args, kNoParent);
            // The closure was taken before the macro's own name was bound: find the
            // macro where it is called from, so that it can call itself.
            Vars vars = *closure;
            if (std::none_of(vars.begin(), vars.end(), [&](const auto& c) { return c.first == macro->text; }))
                vars.emplace_back(macro->text, lookup(macro->text));
            m_scopes.push_back({std::move(vars), kNoParent});
            struct Pop {
                std::vector<Scope>& s;
                ~Pop() { s.pop_back(); }
            } pop{m_scopes};
            return callMacro(*macro, args, top());
        });
    }

    // {% call(params) m(args) %}body{% endcall %}: m(args, caller=<body as a macro>).
    Value execCallBlock(const Stmt& s) {
        const Expr& call = *s.expr;
        const size_t home = top();
        Value caller = Value::function("caller", [this, &s, home](const CallArgs& args) {
            return callMacro(s, args, home);
        });
        Value fn = eval(*call.args[0]);
        CallArgs args = evalArgs(call, 1);
        args.named.emplace_back("caller", std::move(caller));
        if (!fn.isCallable()) fail("'" + fn.typeName() + "' object is not callable");
        return fn.fn()(args);
    }

    // A macro call (or a call block's caller, whose scope's parent is the scope the
    // call block ran in). Parameters without an argument or default are undefined;
    // extra arguments go to varargs/kwargs when the body reads them.
    Value callMacro(const Stmt& m, const CallArgs& args, size_t parent) {
        step();
        const std::string name = m.kind == StmtKind::Macro ? m.text : "caller";
        if (m_callDepth >= m_limits.maxCallDepth)
            fail("macro '" + name + "' nested too deeply (more than " + std::to_string(m_limits.maxCallDepth) +
                 " calls)");
        if (args.positional.size() > m.targets.size() && !m.usesVarargs)
            fail("macro '" + name + "' takes not more than " + std::to_string(m.targets.size()) + " argument(s)");
        Dict extraKw;
        Value caller;
        for (const auto& [k, v] : args.named) {
            if (std::find(m.targets.begin(), m.targets.end(), k) != m.targets.end()) continue;
            if (k == "caller" && m.kind == StmtKind::Macro) caller = v;
            else if (m.usesKwargs) extraKw.emplace_back(Value(k), v);
            else fail("macro '" + name + "' takes no keyword argument '" + k + "'");
        }
        ++m_callDepth;
        struct DepthRestore {
            int& d;
            ~DepthRestore() { --d; }
        } restore{m_callDepth};
        ScopeGuard scope(m_scopes, parent);
        for (size_t i = 0; i < m.targets.size(); ++i) {
            if (const Value* v = args.get(i, m.targets[i])) assign(m.targets[i], *v);
            else if (m.defaults[i]) assign(m.targets[i], eval(*m.defaults[i]));
            else assign(m.targets[i], Value::undefined(m.targets[i]));
        }
        if (!caller.isUndefined()) assign("caller", caller);
        if (m.usesVarargs) {
            List extra;
            for (size_t i = m.targets.size(); i < args.positional.size(); ++i) extra.push_back(args.positional[i]);
            assign("varargs", Value::tuple(std::move(extra)));
        }
        if (m.usesKwargs) assign("kwargs", Value(std::move(extraKw)));
        std::string out;
        exec(m.branches[0], out);
        return Value(std::move(out));
    }

    // ---- expressions ---------------------------------------------------------
    Value eval(const Expr& e) {
        try {
            return evalExpr(e);
        } catch (Failure& f) {
            if (f.line == 0) {
                f.line = e.line;
                f.column = e.column;
            }
            throw;
        }
    }

    CallArgs evalArgs(const Expr& e, size_t first) {
        CallArgs a;
        const size_t named = e.kwNames.size();
        const size_t positional = e.args.size() - first - named;
        for (size_t i = 0; i < positional; ++i) a.positional.push_back(eval(*e.args[first + i]));
        if (e.starArgs)
            for (const Value& v : iterate(eval(*e.starArgs))) a.positional.push_back(v);
        for (size_t i = 0; i < named; ++i) a.named.emplace_back(e.kwNames[i], eval(*e.args[first + positional + i]));
        if (e.starKwargs) {
            const Value kw = eval(*e.starKwargs);
            if (!kw.isMapping()) fail("argument after ** must be a mapping, not " + kw.typeName());
            for (const auto& [k, v] : kw.dict()) {
                if (!k.isString()) fail("keywords must be strings");
                a.named.emplace_back(k.str(), v);
            }
        }
        return a;
    }

    // A {% filter %} block's chain: the innermost args[0] is a placeholder for the body.
    Value applyFilterChain(const Expr& f, Value input) {
        if (f.kind != ExprKind::Filter) return input;
        Value inner = applyFilterChain(*f.args[0], std::move(input));
        return applyFilter(f.name, inner, evalArgs(f, 1));
    }

    static void requireDefined(const Value& v) {
        if (v.isUndefined()) fail("'" + v.str() + "' is undefined");
    }

    Value evalExpr(const Expr& e) {
        switch (e.kind) {
        case ExprKind::Literal: return e.literal;
        case ExprKind::Name: return lookup(e.name);
        case ExprKind::List:
        case ExprKind::Tuple: {
            List l;
            l.reserve(e.args.size());
            for (const ExprPtr& a : e.args) l.push_back(eval(*a));
            return e.kind == ExprKind::Tuple ? Value::tuple(std::move(l)) : Value(std::move(l));
        }
        case ExprKind::Dict: {
            Dict d;
            for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
                Value k = eval(*e.args[i]);
                dictSet(d, std::move(k), eval(*e.args[i + 1]));
            }
            return Value(std::move(d));
        }
        case ExprKind::GetAttr: return getAttr(eval(*e.args[0]), e.name);
        case ExprKind::GetItem: return getItem(eval(*e.args[0]), eval(*e.args[1]));
        case ExprKind::Slice: {
            Value target = eval(*e.args[0]);
            auto part = [&](int i) { return e.args[i] ? eval(*e.args[i]) : Value::none(); };
            return getSlice(target, part(1), part(2), part(3));
        }
        case ExprKind::Call: {
            Value fn = eval(*e.args[0]);
            CallArgs args = evalArgs(e, 1);
            if (!fn.isCallable()) {
                requireDefined(fn);
                fail("'" + fn.typeName() + "' object is not callable");
            }
            return fn.fn()(args);
        }
        case ExprKind::Filter: return applyFilter(e.name, eval(*e.args[0]), evalArgs(e, 1));
        case ExprKind::Test: {
            const bool r = applyTest(e.name, eval(*e.args[0]), evalArgs(e, 1));
            return Value(r != e.negated);
        }
        case ExprKind::Unary: {
            Value v = eval(*e.args[0]);
            if (e.name == "not") return Value(!v.truthy());
            requireDefined(v);
            if (!v.isNumber()) fail("bad operand type for unary " + e.name + ": '" + v.typeName() + "'");
            if (e.name == "+") return v.kind() == Kind::Bool ? Value(v.asInt()) : v;
            if (v.kind() == Kind::Float) return Value(-v.asFloat());
            if (v.asInt() == INT64_MIN) fail("integer overflow");
            return Value(-v.asInt());
        }
        case ExprKind::Binary: return evalBinary(e);
        case ExprKind::Compare: {
            Value left = eval(*e.args[0]);
            for (size_t i = 0; i < e.ops.size(); ++i) {
                Value right = eval(*e.args[i + 1]);
                if (!compare(e.ops[i], left, right)) return Value(false);
                left = std::move(right);
            }
            return Value(true);
        }
        case ExprKind::Cond:
            if (eval(*e.args[0]).truthy()) return eval(*e.args[1]);
            return e.args[2] ? eval(*e.args[2]) : Value::undefined("conditional expression");
        }
        return Value();
    }

    Value evalBinary(const Expr& e) {
        const std::string& op = e.name;
        Value a = eval(*e.args[0]);
        if (op == "and") return a.truthy() ? eval(*e.args[1]) : a;
        if (op == "or") return a.truthy() ? a : eval(*e.args[1]);
        Value b = eval(*e.args[1]);
        if (op == "~") {
            std::string s = toStr(a);
            s += toStr(b);
            if (s.size() > m_limits.maxOutputBytes) fail("string too long");
            return Value(std::move(s));
        }
        return arithmetic(op, a, b);
    }

    [[noreturn]] static Value overflow() { fail("integer overflow (the template's numbers exceed 64 bits)"); }

    static bool compare(const std::string& op, const Value& a, const Value& b) {
        if (op == "==") return equals(a, b);
        if (op == "!=") return !equals(a, b);
        if (op == "<") return lessThan(a, b);
        if (op == ">") return lessThan(b, a);
        if (op == "<=") return lessOrEqual(a, b);
        if (op == ">=") return lessOrEqual(b, a);
        if (op == "in") return contains(b, a);
        return !contains(b, a);  // "not in"
    }

    Value arithmetic(const std::string& op, const Value& a, const Value& b) {
        requireDefined(a);
        requireDefined(b);
        if (op == "%" && a.isString()) return Value(percentFormat(a.str(), b));
        if (op == "+") {
            if (a.isString() && b.isString()) {
                if (a.str().size() + b.str().size() > m_limits.maxOutputBytes) fail("string too long");
                return Value(a.str() + b.str());
            }
            if (a.isList() && b.isList()) {
                List l = a.list();
                l.insert(l.end(), b.list().begin(), b.list().end());
                return Value(std::move(l));
            }
        }
        if (op == "*" && (a.isString() || a.isList() || b.isString() || b.isList())) {
            const Value& seq = a.isString() || a.isList() ? a : b;
            const Value& count = a.isString() || a.isList() ? b : a;
            if (count.kind() != Kind::Int && count.kind() != Kind::Bool)
                fail("can't multiply sequence by non-int of type '" + count.typeName() + "'");
            const int64_t n = std::max<int64_t>(0, count.asInt());
            const size_t unit = seq.isString() ? seq.str().size() : seq.list().size() * 16;
            if (unit != 0 && static_cast<uint64_t>(n) > m_limits.maxOutputBytes / unit) fail("sequence too long");
            if (seq.isString()) {
                std::string s;
                for (int64_t i = 0; i < n; ++i) s += seq.str();
                return Value(std::move(s));
            }
            List l;
            for (int64_t i = 0; i < n; ++i) l.insert(l.end(), seq.list().begin(), seq.list().end());
            return Value(std::move(l));
        }
        if (!a.isNumber() || !b.isNumber())
            fail("unsupported operand types for " + op + ": '" + a.typeName() + "' and '" + b.typeName() + "'");
        const bool ints = a.kind() != Kind::Float && b.kind() != Kind::Float;
        const double x = a.asFloat(), y = b.asFloat();
        const int64_t i = a.asInt(), j = b.asInt();
        int64_t r = 0;
        if (op == "+") return !ints ? Value(x + y) : __builtin_add_overflow(i, j, &r) ? overflow() : Value(r);
        if (op == "-") return !ints ? Value(x - y) : __builtin_sub_overflow(i, j, &r) ? overflow() : Value(r);
        if (op == "*") return !ints ? Value(x * y) : __builtin_mul_overflow(i, j, &r) ? overflow() : Value(r);
        if (op == "/") {
            if (y == 0) fail("division by zero");
            return Value(x / y);
        }
        if (op == "//" || op == "%") {
            if (y == 0) fail(op == "//" ? "integer division or modulo by zero" : "modulo by zero");
            if (ints) {
                if (i == INT64_MIN && j == -1) overflow();
                int64_t q = i / j;
                r = i % j;
                if (r != 0 && ((r < 0) != (j < 0))) {
                    --q;
                    r += j;
                }
                return op == "//" ? Value(q) : Value(r);
            }
            const double q = std::floor(x / y);
            return op == "//" ? Value(q) : Value(x - q * y);
        }
        if (op == "**") {
            if (ints && j >= 0) {
                if (i == 0 || i == 1) return Value(j == 0 ? int64_t{1} : i);
                if (i == -1) return Value(j % 2 ? int64_t{-1} : int64_t{1});
                int64_t p = 1;  // |i| >= 2 overflows within 63 steps
                for (int64_t k = 0; k < j; ++k)
                    if (__builtin_mul_overflow(p, i, &p)) overflow();
                return Value(p);
            }
            return Value(std::pow(x, y));
        }
        fail("unknown operator " + op);
    }

    std::vector<Scope> m_scopes;
    Limits m_limits;
    int64_t m_steps = 0;
    int m_callDepth = 0;
};

}  // namespace

std::string evaluate(const Body& body, Vars globals, const Limits& limits) {
    return Renderer(std::move(globals), limits).run(body);
}

}  // namespace chat_template
