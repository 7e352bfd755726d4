// Checking and flattening a parsed grammar (grammar_builder.h), and CharSet.
// Left recursion is found on the graph "rule A can start with rule B": an edge for
// every rule reference that only nullable elements (rules that can match "") precede
// in some alternative of A. A cycle there would make the matcher expand forever.
#include <algorithm>
#include <optional>

#include "grammar/grammar_builder.h"
#include "grammar/text.h"

namespace grammar {

bool CharSet::contains(char32_t cp) const {
    auto it = std::upper_bound(ranges.begin(), ranges.end(), cp,
                               [](char32_t c, const CharRange& r) { return c < r.lo; });
    return it != ranges.begin() && cp <= std::prev(it)->hi;
}

bool CharSet::intersects(char32_t lo, char32_t hi) const {
    for (const CharRange& r : ranges)
        if (r.lo <= hi && lo <= r.hi) return true;
    return false;
}

namespace detail {

constexpr char32_t kMaxCodePoint = 0x10FFFF;

uint32_t RawGrammar::idOf(const std::string& name, int line, int column) {
    if (auto it = ids.find(name); it != ids.end()) return it->second;
    const auto id = static_cast<uint32_t>(rules.size());
    rules.push_back(RawRule{name, {}, false, line, column});
    ids.emplace(name, id);
    return id;
}

uint32_t RawGrammar::generated(uint32_t parent) {
    const auto id = static_cast<uint32_t>(rules.size());
    RawRule rule{detail::concat(rules[parent].name, "-", id), {}, true, rules[parent].line, rules[parent].column};
    rules.push_back(std::move(rule));
    return id;
}

CharSet normalizeSet(std::vector<CharRange> ranges, bool negate) {
    std::sort(ranges.begin(), ranges.end(), [](const CharRange& a, const CharRange& b) { return a.lo < b.lo; });
    CharSet merged;
    for (const CharRange& r : ranges) {
        if (!merged.ranges.empty() && r.lo <= merged.ranges.back().hi + 1)
            merged.ranges.back().hi = std::max(merged.ranges.back().hi, r.hi);
        else
            merged.ranges.push_back(r);
    }
    if (!negate) return merged;
    CharSet complement;
    char32_t next = 0;
    for (const CharRange& r : merged.ranges) {
        if (r.lo > next) complement.ranges.push_back({next, r.lo - 1});
        next = r.hi + 1;
    }
    if (next <= kMaxCodePoint) complement.ranges.push_back({next, kMaxCodePoint});
    return complement;
}

namespace {

std::vector<bool> nullableRules(const RawGrammar& g) {
    std::vector<bool> nullable(g.rules.size(), false);
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t r = 0; r < g.rules.size(); ++r) {
            if (nullable[r]) continue;
            for (const RawSequence& alt : g.rules[r].alternatives) {
                const bool empty = std::all_of(alt.begin(), alt.end(), [&](const RawElement& e) {
                    return e.kind == ElementKind::Rule && nullable[e.rule];
                });
                if (empty) {
                    nullable[r] = true;
                    changed = true;
                    break;
                }
            }
        }
    }
    return nullable;
}

// The rules each rule can start with (through nullable prefixes).
std::vector<std::vector<uint32_t>> leftEdges(const RawGrammar& g, const std::vector<bool>& nullable) {
    std::vector<std::vector<uint32_t>> edges(g.rules.size());
    for (size_t r = 0; r < g.rules.size(); ++r) {
        for (const RawSequence& alt : g.rules[r].alternatives) {
            for (const RawElement& e : alt) {
                if (e.kind != ElementKind::Rule) break;
                edges[r].push_back(e.rule);
                if (!nullable[e.rule]) break;
            }
        }
    }
    return edges;
}

// The user's name for a rule: generated rules ("value-7") report their parent.
std::string userName(const std::string& name, const RawGrammar& g) {
    std::string n = name;
    while (!g.ids.contains(n)) {
        const size_t dash = n.rfind('-');
        if (dash == std::string::npos) break;
        n.resize(dash);
    }
    return n;
}

std::optional<GrammarError> findLeftRecursion(const RawGrammar& g) {
    const auto edges = leftEdges(g, nullableRules(g));
    enum : uint8_t { kWhite, kGrey, kBlack };
    std::vector<uint8_t> color(g.rules.size(), kWhite);
    std::vector<uint32_t> path;
    std::optional<GrammarError> error;
    auto visit = [&](auto&& self, uint32_t r) -> void {
        color[r] = kGrey;
        path.push_back(r);
        for (uint32_t next : edges[r]) {
            if (error) return;
            if (color[next] == kGrey) {
                std::string chain;
                auto from = std::find(path.begin(), path.end(), next);
                for (auto it = from; it != path.end(); ++it) {
                    const std::string n = userName(g.rules[*it].name, g);
                    if (chain.empty() || !chain.ends_with(n)) chain += (chain.empty() ? "" : " -> ") + n;
                }
                chain += " -> " + userName(g.rules[next].name, g);
                error = GrammarError{detail::concat("left recursion (a rule reaches itself without consuming input: ", chain, ")"),
                                     g.rules[next].line, g.rules[next].column};
                return;
            }
            if (color[next] == kWhite) self(self, next);
        }
        path.pop_back();
        color[r] = kBlack;
    };
    for (uint32_t r = 0; r < g.rules.size() && !error; ++r)
        if (color[r] == kWhite) visit(visit, r);
    return error;
}

}  // namespace

std::expected<Grammar, GrammarError> finish(RawGrammar raw) {
    for (const RawRule& rule : raw.rules)
        if (!rule.defined)
            return std::unexpected(GrammarError{detail::concat("undefined rule '", rule.name, "'"), rule.line, rule.column});
    auto root = raw.ids.find("root");
    if (root == raw.ids.end()) return std::unexpected(GrammarError{"the grammar has no 'root' rule", 0, 0});
    if (auto error = findLeftRecursion(raw)) return std::unexpected(*error);

    Grammar g;
    g.root = root->second;
    for (RawRule& rule : raw.rules) {
        std::vector<uint32_t> starts;
        for (RawSequence& alt : rule.alternatives) {
            starts.push_back(static_cast<uint32_t>(g.elements.size()));
            for (RawElement& e : alt) {
                if (e.kind == ElementKind::Rule) {
                    g.elements.push_back({ElementKind::Rule, e.rule});
                } else {
                    g.elements.push_back({ElementKind::Chars, static_cast<uint32_t>(g.charSets.size())});
                    g.charSets.push_back(std::move(e.chars));
                }
            }
            g.elements.push_back({ElementKind::End, 0});
        }
        g.alternatives.push_back(std::move(starts));
        g.ruleNames.push_back(std::move(rule.name));
    }
    return g;
}

}  // namespace detail

}  // namespace grammar
