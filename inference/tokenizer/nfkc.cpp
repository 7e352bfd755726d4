// NFKC = canonical composition of the canonically ordered full compatibility
// decomposition (Unicode Standard Annex #15). Hangul syllables are decomposed and
// composed algorithmically (Unicode 3.12), everything else through the tables.
#include "tokenizer/nfkc.h"

#include <algorithm>
#include <vector>

#include "tokenizer/nfkc_tables.h"
#include "tokenizer/unicode.h"
#include "common/utf8.h"

namespace tokenizer::unicode {
namespace {

namespace T = nfkc_tables;

constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr char32_t kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount, kSCount = kLCount * kNCount;

uint8_t combiningClass(char32_t cp) {
    const T::CombiningClassRange* end = T::kCombiningClasses + T::kCombiningClassCount;
    const auto* it = std::upper_bound(T::kCombiningClasses, end, cp,
                                      [](char32_t c, const T::CombiningClassRange& r) { return c < r.first; });
    if (it == T::kCombiningClasses) return 0;
    --it;
    return cp <= it->last ? it->ccc : 0;
}

void decompose(char32_t cp, std::u32string& out) {
    if (cp >= kSBase && cp < kSBase + kSCount) {
        const char32_t s = cp - kSBase;
        out.push_back(kLBase + s / kNCount);
        out.push_back(kVBase + (s % kNCount) / kTCount);
        if (s % kTCount != 0) out.push_back(kTBase + s % kTCount);
        return;
    }
    const T::Decomposition* end = T::kDecompositions + T::kDecompositionCount;
    const auto* it = std::lower_bound(T::kDecompositions, end, cp,
                                      [](const T::Decomposition& d, char32_t c) { return d.cp < c; });
    if (it != end && it->cp == cp) out.append(T::kDecompositionPool + it->offset, it->length);
    else out.push_back(cp);
}

// The primary composite of (a, b), or 0.
char32_t compose(char32_t a, char32_t b) {
    if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount)
        return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
    if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 && b > kTBase && b < kTBase + kTCount)
        return a + (b - kTBase);
    const T::Composition* end = T::kCompositions + T::kCompositionCount;
    const auto* it = std::lower_bound(T::kCompositions, end, std::pair(a, b), [](const T::Composition& c, auto key) {
        return c.first < key.first || (c.first == key.first && c.second < key.second);
    });
    return it != end && it->first == a && it->second == b ? it->composite : 0;
}

}  // namespace

std::string nfkc(std::string_view text) {
    if (std::all_of(text.begin(), text.end(), [](char c) { return static_cast<uint8_t>(c) < 0x80; }))
        return std::string(text);

    std::u32string buf;
    for (size_t pos = 0; pos < text.size();) decompose(utf8::decode(text, pos), buf);

    // Canonical ordering: a stable sort of each run of non-starters by class.
    for (size_t i = 0; i < buf.size();) {
        if (combiningClass(buf[i]) == 0) {
            ++i;
            continue;
        }
        size_t j = i;
        while (j < buf.size() && combiningClass(buf[j]) != 0) ++j;
        std::stable_sort(buf.begin() + static_cast<std::ptrdiff_t>(i), buf.begin() + static_cast<std::ptrdiff_t>(j),
                         [](char32_t a, char32_t b) { return combiningClass(a) < combiningClass(b); });
        i = j;
    }

    // Canonical composition: a character joins the last starter unless a character
    // between them has class 0 or a class >= its own (it is "blocked").
    if (!buf.empty()) {
        constexpr size_t kNone = static_cast<size_t>(-1);
        size_t starter = combiningClass(buf[0]) == 0 ? 0 : kNone, write = 1;
        int lastClass = starter == kNone ? 256 : 0;  // 256: nothing may join yet
        for (size_t read = 1; read < buf.size(); ++read) {
            const char32_t ch = buf[read];
            const int cls = combiningClass(ch);
            const char32_t composite = starter == kNone ? 0 : compose(buf[starter], ch);
            if (composite != 0 && (lastClass < cls || lastClass == 0)) {
                buf[starter] = composite;
                continue;
            }
            if (cls == 0) starter = write;
            lastClass = cls;
            buf[write++] = ch;
        }
        buf.resize(write);
    }

    std::string out;
    out.reserve(text.size());
    for (char32_t cp : buf) utf8::append(out, cp);
    return out;
}

}  // namespace tokenizer::unicode
