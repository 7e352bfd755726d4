// The merge loop SentencePiece-BPE and byte-level BPE share: split a text into
// UTF-8 characters, then repeatedly merge the adjacent pair with the best priority
// (ties: the leftmost pair) until no pair can merge.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <queue>
#include <string_view>
#include <vector>

#include "tokenizer/unicode.h"

namespace tokenizer::detail {

// priority(left, right) -> higher merges first; nullopt when the pair cannot merge.
// left and right are adjacent views into `text`. Returns the final pieces in order.
template <class Priority>
std::vector<std::string_view> mergeSymbols(std::string_view text, const Priority& priority) {
    struct Symbol {
        int32_t prev, next;
        size_t begin, length;
    };
    struct Pair {
        int32_t left, right;
        double priority;
        size_t length;  // left.length + right.length when queued: stale entries differ
    };
    struct Order {
        bool operator()(const Pair& a, const Pair& b) const {
            return a.priority < b.priority || (a.priority == b.priority && a.left > b.left);
        }
    };

    std::vector<Symbol> symbols;
    for (size_t pos = 0; pos < text.size();) {
        const size_t len = std::min(unicode::utf8Length(static_cast<uint8_t>(text[pos])), text.size() - pos);
        const auto index = static_cast<int32_t>(symbols.size());
        symbols.push_back({index - 1, index + 1, pos, len});
        pos += len;
    }
    if (symbols.empty()) return {};
    symbols.back().next = -1;

    std::priority_queue<Pair, std::vector<Pair>, Order> queue;
    auto tryAdd = [&](int32_t left, int32_t right) {
        if (left < 0 || right < 0) return;
        const Symbol& l = symbols[left];
        const Symbol& r = symbols[right];
        if (auto p = priority(text.substr(l.begin, l.length), text.substr(r.begin, r.length)))
            queue.push({left, right, *p, l.length + r.length});
    };
    for (size_t i = 1; i < symbols.size(); ++i) tryAdd(static_cast<int32_t>(i - 1), static_cast<int32_t>(i));
    while (!queue.empty()) {
        const Pair pair = queue.top();
        queue.pop();
        Symbol& l = symbols[pair.left];
        Symbol& r = symbols[pair.right];
        if (l.length == 0 || r.length == 0 || l.length + r.length != pair.length) continue;
        l.length += r.length;
        r.length = 0;
        l.next = r.next;
        if (r.next >= 0) symbols[r.next].prev = pair.left;
        tryAdd(l.prev, pair.left);
        tryAdd(pair.left, l.next);
    }

    std::vector<std::string_view> pieces;
    for (int32_t i = 0; i >= 0; i = symbols[i].next) pieces.push_back(text.substr(symbols[i].begin, symbols[i].length));
    return pieces;
}

}  // namespace tokenizer::detail
