// Reader of SentencePiece's precompiled normalizer blob (see precompiled_charsmap.h).
#include "tokenizer/precompiled_charsmap.h"

#include "tokenizer/unicode.h"
#include "common/utf8.h"

namespace tokenizer {
namespace {

constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD

// Darts-clone unit fields.
uint32_t unitOffset(uint32_t unit) { return (unit >> 10) << ((unit & (1u << 9)) >> 6); }
uint32_t unitLabel(uint32_t unit) { return unit & ((1u << 31) | 0xFFu); }
bool unitHasLeaf(uint32_t unit) { return ((unit >> 8) & 1u) != 0; }
uint32_t unitValue(uint32_t unit) { return unit & ((1u << 31) - 1); }

}  // namespace

assistant::Result<PrecompiledCharsmap> PrecompiledCharsmap::parse(std::string_view blob) {
    PrecompiledCharsmap map;
    if (blob.empty()) return map;
    auto bad = [](std::string what) {
        return std::unexpected(assistant::Error{assistant::ErrorCode::InvalidFormat,
                                                "tokenizer.ggml.precompiled_charsmap: " + std::move(what)});
    };
    if (blob.size() < 4) return bad("shorter than its 4-byte header");
    const auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(blob[i])); };
    const uint32_t trieBytes = byte(0) | byte(1) << 8 | byte(2) << 16 | byte(3) << 24;
    if (trieBytes % 4 != 0 || trieBytes == 0 || trieBytes > blob.size() - 4)
        return bad("trie size " + std::to_string(trieBytes) + " does not fit a blob of " +
                   std::to_string(blob.size()) + " bytes");
    map.m_units.resize(trieBytes / 4);
    for (size_t u = 0; u < map.m_units.size(); ++u) {
        const size_t at = 4 + 4 * u;
        map.m_units[u] = byte(at) | byte(at + 1) << 8 | byte(at + 2) << 16 | byte(at + 3) << 24;
    }
    map.m_pool.assign(blob.substr(4 + trieBytes));
    return map;
}

PrecompiledCharsmap::Match PrecompiledCharsmap::longestPrefix(std::string_view text) const {
    Match best;
    if (m_units.empty()) return best;
    const size_t nUnits = m_units.size();
    size_t node = unitOffset(m_units[0]);
    for (size_t i = 0; i < text.size(); ++i) {
        const uint32_t c = static_cast<uint8_t>(text[i]);
        if (c == 0) break;
        node ^= c;
        if (node >= nUnits) break;
        const uint32_t unit = m_units[node];
        if (unitLabel(unit) != c) break;
        node ^= unitOffset(unit);
        if (node >= nUnits) break;
        if (unitHasLeaf(unit)) {
            const uint32_t value = unitValue(m_units[node]);
            if (value < m_pool.size()) {
                const size_t end = m_pool.find('\0', value);
                best.consumed = i + 1;
                best.replacement = std::string_view(m_pool).substr(value, end == std::string::npos ? end : end - value);
            }
        }
    }
    return best;
}

PrecompiledCharsmap::Match PrecompiledCharsmap::normalizePrefix(std::string_view text) const {
    if (text.empty()) return {};
    if (Match m = longestPrefix(text); m.consumed > 0) return m;
    size_t pos = 0;
    const char32_t cp = utf8::decode(text, pos);
    if (cp == 0xFFFD && pos == 1) return {1, kReplacementChar};  // a malformed byte
    return {pos, text.substr(0, pos)};
}

}  // namespace tokenizer
