#include "engine/prompt_lookup.h"

#include <algorithm>

namespace assistant {

std::vector<int32_t> promptLookupDraft(std::span<const int32_t> history, int maxDraft, int ngramMin, int ngramMax) {
    const size_t len = history.size();
    if (maxDraft <= 0 || ngramMin <= 0) return {};
    for (int n = std::min<int>(ngramMax, static_cast<int>(len) - 1); n >= ngramMin; --n) {
        const std::span<const int32_t> tail = history.last(static_cast<size_t>(n));
        // Latest match first: the most recent context is the likeliest to repeat. A
        // match must leave at least one token after it, before the tail itself.
        for (size_t start = len - static_cast<size_t>(n); start-- > 0;) {
            if (!std::equal(tail.begin(), tail.end(), history.begin() + static_cast<std::ptrdiff_t>(start))) continue;
            const size_t from = start + static_cast<size_t>(n);
            const size_t to = std::min(len, from + static_cast<size_t>(maxDraft));
            return {history.begin() + static_cast<std::ptrdiff_t>(from), history.begin() + static_cast<std::ptrdiff_t>(to)};
        }
    }
    return {};
}

}  // namespace assistant
