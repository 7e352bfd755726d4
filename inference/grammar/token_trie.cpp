// TokenTrie: built from the pieces sorted bytewise, so that every piece's nodes are
// either shared with the piece before it (their common prefix) or appended in
// preorder; a walk is then one pass over an array, jumping past dead subtrees.
#include "grammar/token_trie.h"

#include <algorithm>
#include <numeric>

namespace grammar {

TokenTrie::TokenTrie(const std::vector<std::string>& pieces) : m_vocabSize(pieces.size()) {
    std::vector<int32_t> ids;
    for (size_t i = 0; i < pieces.size(); ++i)
        if (!pieces[i].empty()) ids.push_back(static_cast<int32_t>(i));
    std::sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) { return pieces[a] < pieces[b]; });

    std::vector<uint32_t> path;  // node index per depth - 1 along the previous piece
    const std::string* previous = nullptr;
    for (int32_t id : ids) {
        const std::string& piece = pieces[static_cast<size_t>(id)];
        if (previous && *previous == piece) {  // same bytes (e.g. "A" and <0x41>): same node
            m_tokens.push_back(id);
            ++m_nodes[path.back()].tokenEnd;
            continue;
        }
        size_t common = 0;
        if (previous)
            while (common < previous->size() && common < piece.size() && (*previous)[common] == piece[common]) ++common;
        path.resize(common);
        for (size_t d = common; d < piece.size(); ++d) {
            path.push_back(static_cast<uint32_t>(m_nodes.size()));
            const auto tokens = static_cast<uint32_t>(m_tokens.size());
            m_nodes.push_back(Node{static_cast<uint8_t>(piece[d]), static_cast<uint16_t>(d + 1), 0, tokens, tokens});
        }
        m_tokens.push_back(id);
        ++m_nodes[path.back()].tokenEnd;
        m_maxDepth = std::max(m_maxDepth, piece.size());
        previous = &piece;
    }
    // subtreeEnd: the next node at the same depth or above.
    std::vector<uint32_t> open;
    for (uint32_t i = 0; i < m_nodes.size(); ++i) {
        while (!open.empty() && m_nodes[open.back()].depth >= m_nodes[i].depth) {
            m_nodes[open.back()].subtreeEnd = i;
            open.pop_back();
        }
        open.push_back(i);
    }
    for (uint32_t i : open) m_nodes[i].subtreeEnd = static_cast<uint32_t>(m_nodes.size());
}

size_t TokenTrie::allowed(GrammarMatcher& matcher, MatchState state, std::vector<uint8_t>& allowed) const {
    allowed.assign(m_vocabSize, 0);
    size_t count = 0;
    std::vector<MatchState> states(m_maxDepth + 1);
    states[0] = state;
    for (size_t i = 0; i < m_nodes.size();) {
        const Node& n = m_nodes[i];
        const MatchState s = matcher.advanceByte(states[n.depth - 1], n.byte);
        if (s.dead()) {
            i = n.subtreeEnd;
            continue;
        }
        states[n.depth] = s;
        for (uint32_t t = n.tokenBegin; t < n.tokenEnd; ++t) {
            allowed[static_cast<size_t>(m_tokens[t])] = 1;
            ++count;
        }
        ++i;
    }
    return count;
}

}  // namespace grammar
