// The pushdown matcher (see grammar_matcher.h for the representation).
#include "grammar/grammar_matcher.h"

#include <algorithm>
#include <cstring>

namespace grammar {

namespace {

constexpr uint32_t kUnknown = ~0u;

uint64_t pairKey(uint32_t a, uint32_t b) { return (uint64_t{a} << 32) | b; }

}  // namespace

GrammarMatcher::GrammarMatcher(std::shared_ptr<const Grammar> grammar) : m_grammar(std::move(grammar)) {
    m_nodes.push_back({0, 0});  // the empty stack
    m_sets.emplace_back();      // no stacks: dead
    m_setIds.emplace(std::string(), 0);
    m_asciiSteps.emplace_back();
    std::vector<uint32_t> stacks;
    for (uint32_t start : m_grammar->alternatives[m_grammar->root]) normalize(start, 0, stacks);
    m_start.stacks = intern(stacks);
}

uint32_t GrammarMatcher::node(uint32_t pos, uint32_t parent) {
    auto [it, inserted] = m_nodeIds.try_emplace(pairKey(pos, parent), static_cast<uint32_t>(m_nodes.size()));
    if (inserted) m_nodes.push_back({pos, parent});
    return it->second;
}

// Expands rule references at the top until every stack's top is a Chars element;
// an End pops to the parent, and an End with no parent is the empty stack (a
// complete match). Terminates because the grammar has no left recursion.
void GrammarMatcher::normalize(uint32_t pos, uint32_t parent, std::vector<uint32_t>& out) {
    const Element& e = m_grammar->elements[pos];
    switch (e.kind) {
    case ElementKind::Chars:
        out.push_back(node(pos, parent));
        return;
    case ElementKind::End:
        if (parent == 0) {
            out.push_back(0);
        } else {
            const Node below = m_nodes[parent];
            normalize(below.pos, below.parent, out);
        }
        return;
    case ElementKind::Rule: {
        // A reference last in its alternative returns straight to the parent (a tail
        // call), so right recursion such as R ::= x R | "" keeps the stack flat.
        const bool tail = m_grammar->elements[pos + 1].kind == ElementKind::End;
        const uint32_t next = tail ? parent : node(pos + 1, parent);
        for (uint32_t start : m_grammar->alternatives[e.index]) normalize(start, next, out);
        return;
    }
    }
}

uint32_t GrammarMatcher::intern(std::vector<uint32_t>& stacks) {
    std::sort(stacks.begin(), stacks.end());
    stacks.erase(std::unique(stacks.begin(), stacks.end()), stacks.end());
    std::string key(stacks.size() * sizeof(uint32_t), '\0');
    if (!stacks.empty()) std::memcpy(key.data(), stacks.data(), key.size());
    auto [it, inserted] = m_setIds.try_emplace(std::move(key), static_cast<uint32_t>(m_sets.size()));
    if (inserted) {
        m_sets.push_back(stacks);
        m_asciiSteps.emplace_back();
    }
    return it->second;
}

uint32_t GrammarMatcher::step(uint32_t stacks, char32_t cp) {
    if (stacks == 0) return 0;
    const bool ascii = cp < 128;
    if (ascii && !m_asciiSteps[stacks].empty() && m_asciiSteps[stacks][cp] != kUnknown)
        return m_asciiSteps[stacks][cp];
    const uint64_t key = (uint64_t{stacks} << 21) | cp;
    if (!ascii)
        if (auto it = m_steps.find(key); it != m_steps.end()) return it->second;

    std::vector<uint32_t> next;
    for (uint32_t id : m_sets[stacks]) {
        if (id == 0) continue;
        const Node top = m_nodes[id];
        if (m_grammar->charSets[m_grammar->elements[top.pos].index].contains(cp)) normalize(top.pos + 1, top.parent, next);
    }
    const uint32_t result = intern(next);
    if (ascii) {
        auto& row = m_asciiSteps[stacks];
        if (row.empty()) row.assign(128, kUnknown);
        row[cp] = result;
    } else {
        m_steps.emplace(key, result);
    }
    return result;
}

bool GrammarMatcher::anyAllows(uint32_t stacks, char32_t lo, char32_t hi) const {
    for (uint32_t id : m_sets[stacks]) {
        if (id == 0) continue;
        if (m_grammar->charSets[m_grammar->elements[m_nodes[id].pos].index].intersects(lo, hi)) return true;
    }
    return false;
}

MatchState GrammarMatcher::advanceByte(MatchState s, uint8_t byte) {
    if (s.dead()) return s;
    if (s.pending == 0) {
        if (byte < 0x80) return MatchState{step(s.stacks, byte), 0, 0, 0};
        // A lead byte: 110xxxxx, 1110xxxx, 11110xxx (the last up to U+10FFFF).
        if (byte >= 0xC2 && byte < 0xE0) s = MatchState{s.stacks, byte & 0x1Fu, 1, 2};
        else if (byte >= 0xE0 && byte < 0xF0) s = MatchState{s.stacks, byte & 0x0Fu, 2, 3};
        else if (byte >= 0xF0 && byte < 0xF5) s = MatchState{s.stacks, byte & 0x07u, 3, 4};
        else return MatchState{};
    } else {
        if ((byte & 0xC0) != 0x80) return MatchState{};
        s.partial = (s.partial << 6) | (byte & 0x3Fu);
        --s.pending;
    }
    // The code points the bytes so far can become: one range, above the overlong forms.
    const char32_t shortest = s.length == 4 ? 0x10000 : s.length == 3 ? 0x800 : 0x80;
    const unsigned shift = 6u * s.pending;
    const char32_t lo = std::max<char32_t>(s.partial << shift, shortest);
    const char32_t hi = std::min<char32_t>((s.partial << shift) | ((1u << shift) - 1), 0x10FFFF);
    if (lo > hi) return MatchState{};
    if (s.pending == 0) {
        if (lo >= 0xD800 && lo <= 0xDFFF) return MatchState{};  // surrogates are not characters
        return MatchState{step(s.stacks, lo), 0, 0, 0};
    }
    if (!anyAllows(s.stacks, lo, hi)) return MatchState{};
    return s;
}

MatchState GrammarMatcher::advance(MatchState state, std::string_view bytes) {
    for (char c : bytes) {
        state = advanceByte(state, static_cast<uint8_t>(c));
        if (state.dead()) break;
    }
    return state;
}

bool GrammarMatcher::complete(MatchState state) const {
    if (state.dead() || state.pending != 0) return false;
    const auto& stacks = m_sets[state.stacks];
    return !stacks.empty() && stacks.front() == 0;
}

bool GrammarMatcher::canContinue(MatchState state) const {
    if (state.dead()) return false;
    const auto& stacks = m_sets[state.stacks];
    return !stacks.empty() && stacks.back() != 0;
}

}  // namespace grammar
