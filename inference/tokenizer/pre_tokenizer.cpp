#include "tokenizer/pre_tokenizer.h"

#include <utility>

#include "tokenizer/unicode.h"
#include "common/utf8.h"

namespace tokenizer {

// ---------------------------------------------------------------------------
// The matcher: a pattern is alternatives of sequences of quantified nodes; a node
// is a character class, a group, a negative lookahead or the end anchor.
// ---------------------------------------------------------------------------
namespace regex {

enum ClassFlag : uint32_t {
    kLetter = 1, kNumber = 2, kPunct = 4, kMark = 8, kSymbol = 16, kSpace = 32, kNotSpace = 64,
};

struct CharSet {
    std::vector<std::pair<char32_t, char32_t>> ranges;
    uint32_t classes = 0;
    bool negated = false;

    bool contains(char32_t cp) const {
        bool hit = false;
        for (const auto& [lo, hi] : ranges) {
            if (cp >= lo && cp <= hi) {
                hit = true;
                break;
            }
        }
        if (!hit && classes) {
            hit = ((classes & kLetter) && unicode::isLetter(cp)) || ((classes & kNumber) && unicode::isNumber(cp)) ||
                  ((classes & kPunct) && unicode::isPunctuation(cp)) || ((classes & kMark) && unicode::isMark(cp)) ||
                  ((classes & kSymbol) && unicode::isSymbol(cp)) || ((classes & kSpace) && unicode::isWhitespace(cp)) ||
                  ((classes & kNotSpace) && !unicode::isWhitespace(cp));
        }
        return hit != negated;
    }
};

struct Node;
using Sequence = std::vector<Node>;
using Alternatives = std::vector<Sequence>;

struct Node {
    enum class Kind { Set, Group, NegativeLookahead, End } kind = Kind::Set;
    CharSet set;
    std::shared_ptr<Alternatives> alternatives;  // Group, NegativeLookahead
    int min = 1, max = 1;                        // max < 0: unbounded
};

}  // namespace regex

struct regex::Pattern {
    Alternatives top;
};

namespace regex {
namespace {

// ----- Parsing --------------------------------------------------------------
class Parser {
public:
    explicit Parser(std::string_view pattern) : m_cps(unicode::toCodepoints(pattern)) {}

    std::optional<Alternatives> parse() {
        auto alts = parseAlternatives();
        if (!alts || m_pos != m_cps.size()) return std::nullopt;
        return alts;
    }

private:
    bool atEnd() const { return m_pos >= m_cps.size(); }
    char32_t peek() const { return atEnd() ? 0 : m_cps[m_pos]; }
    bool eat(char32_t c) {
        if (peek() != c || atEnd()) return false;
        ++m_pos;
        return true;
    }

    std::optional<Alternatives> parseAlternatives() {
        Alternatives alts(1);
        while (!atEnd() && peek() != ')') {
            if (eat('|')) {
                alts.emplace_back();
                continue;
            }
            auto node = parseAtom();
            if (!node || !parseQuantifier(*node)) return std::nullopt;
            alts.back().push_back(std::move(*node));
        }
        return alts;
    }

    std::optional<Node> parseAtom() {
        Node node;
        const char32_t c = m_cps[m_pos++];
        if (c == '(') {
            node.kind = Node::Kind::Group;
            if (eat('?')) {
                if (eat('!')) node.kind = Node::Kind::NegativeLookahead;
                else if (!eat(':')) return std::nullopt;
            }
            auto inner = parseAlternatives();
            if (!inner || !eat(')')) return std::nullopt;
            node.alternatives = std::make_shared<Alternatives>(std::move(*inner));
            return node;
        }
        if (c == '$') {
            node.kind = Node::Kind::End;
            return node;
        }
        if (c == '[') return parseClass() ? std::optional<Node>(Node{Node::Kind::Set, m_class, nullptr, 1, 1}) : std::nullopt;
        if (c == '\\') {
            if (!parseEscape(node.set)) return std::nullopt;
            return node;
        }
        node.set.ranges.push_back({c, c});
        return node;
    }

    // After a backslash: a class escape (\s \S \p{X}) or an escaped character.
    bool parseEscape(CharSet& set) {
        if (atEnd()) return false;
        const char32_t c = m_cps[m_pos++];
        switch (c) {
            case 's': set.classes |= kSpace; return true;
            case 'S': set.classes |= kNotSpace; return true;
            case 'r': set.ranges.push_back({'\r', '\r'}); return true;
            case 'n': set.ranges.push_back({'\n', '\n'}); return true;
            case 't': set.ranges.push_back({'\t', '\t'}); return true;
            case 'p': {
                if (!eat('{') || atEnd()) return false;
                const char32_t name = m_cps[m_pos++];
                if (!eat('}')) return false;
                uint32_t flag = 0;
                if (name == 'L') flag = kLetter;
                if (name == 'N') flag = kNumber;
                if (name == 'P') flag = kPunct;
                if (name == 'M') flag = kMark;
                if (name == 'S') flag = kSymbol;
                set.classes |= flag;
                return flag != 0;
            }
            case 'x': {
                if (!eat('{')) return false;
                char32_t cp = 0;
                while (!atEnd() && peek() != '}') {
                    const char32_t h = m_cps[m_pos++];
                    const int v = h >= '0' && h <= '9' ? h - '0' : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                : h >= 'a' && h <= 'f' ? h - 'a' + 10 : -1;
                    if (v < 0) return false;
                    cp = cp * 16 + v;
                }
                if (!eat('}')) return false;
                set.ranges.push_back({cp, cp});
                return true;
            }
            default: set.ranges.push_back({c, c}); return true;
        }
    }

    // One member of a class as a single code point, if it is one (for ranges).
    std::optional<char32_t> classChar() {
        if (atEnd()) return std::nullopt;
        if (peek() != '\\') return m_cps[m_pos++];
        const size_t save = m_pos++;
        CharSet one;
        if (parseEscape(one) && one.classes == 0 && one.ranges.size() == 1) return one.ranges[0].first;
        m_pos = save;
        return std::nullopt;
    }

    bool parseClass() {
        m_class = CharSet{};
        m_class.negated = eat('^');
        while (!atEnd() && peek() != ']') {
            if (auto lo = classChar()) {
                if (peek() == '-' && m_pos + 1 < m_cps.size() && m_cps[m_pos + 1] != ']') {
                    ++m_pos;
                    auto hi = classChar();
                    if (!hi || *hi < *lo) return false;
                    m_class.ranges.push_back({*lo, *hi});
                } else {
                    m_class.ranges.push_back({*lo, *lo});
                }
                continue;
            }
            ++m_pos;  // a class escape: \s \S \p{X}
            if (!parseEscape(m_class)) return false;
        }
        return eat(']');
    }

    bool parseQuantifier(Node& node) {
        if (eat('?')) node.min = 0, node.max = 1;
        else if (eat('*')) node.min = 0, node.max = -1;
        else if (eat('+')) node.min = 1, node.max = -1;
        else if (eat('{')) {
            auto number = [this]() {
                int v = 0;
                while (peek() >= '0' && peek() <= '9' && !atEnd()) v = v * 10 + static_cast<int>(m_cps[m_pos++] - '0');
                return v;
            };
            node.min = number();
            node.max = eat(',') ? (peek() == '}' ? -1 : number()) : node.min;
            if (!eat('}')) return false;
        }
        return true;
    }

    std::vector<char32_t> m_cps;
    size_t m_pos = 0;
    CharSet m_class;
};

// ----- Matching ---------------------------------------------------------------
// A continuation without allocation: "the rest of the pattern from here".
class Continuation {
public:
    template <class F>
    Continuation(const F& f) : m_object(&f), m_call([](const void* o, size_t p) { return (*static_cast<const F*>(o))(p); }) {}
    bool operator()(size_t pos) const { return m_call(m_object, pos); }

private:
    const void* m_object;
    bool (*m_call)(const void*, size_t);
};

class Matcher {
public:
    Matcher(const char32_t* text, size_t size) : m_text(text), m_size(size) {}

    bool alternatives(const Alternatives& alts, size_t pos, Continuation k) const {
        for (const Sequence& seq : alts) {
            if (sequence(seq, 0, pos, k)) return true;
        }
        return false;
    }

private:
    bool sequence(const Sequence& seq, size_t index, size_t pos, Continuation k) const {
        if (index == seq.size()) return k(pos);
        const Node& node = seq[index];
        auto rest = [&](size_t p) { return sequence(seq, index + 1, p, k); };
        if (node.kind == Node::Kind::Set) {
            // Greedy: take as many as allowed, then give back one at a time.
            size_t count = 0;
            const size_t limit = node.max < 0 ? m_size - pos : std::min<size_t>(node.max, m_size - pos);
            while (count < limit && node.set.contains(m_text[pos + count])) ++count;
            for (size_t n = count + 1; n-- > static_cast<size_t>(node.min);) {
                if (rest(pos + n)) return true;
            }
            return false;
        }
        return repeat(node, 0, pos, Continuation(rest));
    }

    bool repeat(const Node& node, int count, size_t pos, Continuation k) const {
        if (node.max < 0 || count < node.max) {
            // An empty iteration past the minimum would loop forever: refuse it.
            auto again = [&](size_t p) { return (p != pos || count < node.min) && repeat(node, count + 1, p, k); };
            if (once(node, pos, Continuation(again))) return true;
        }
        return count >= node.min && k(pos);
    }

    bool once(const Node& node, size_t pos, Continuation k) const {
        switch (node.kind) {
            case Node::Kind::Group: return alternatives(*node.alternatives, pos, k);
            case Node::Kind::NegativeLookahead: {
                auto accept = [](size_t) { return true; };
                return !alternatives(*node.alternatives, pos, Continuation(accept)) && k(pos);
            }
            case Node::Kind::End: return pos == m_size && k(pos);
            case Node::Kind::Set: return pos < m_size && node.set.contains(m_text[pos]) && k(pos + 1);
        }
        return false;
    }

    const char32_t* m_text;
    size_t m_size;
};

// Splits cps[begin, end) at the matches of `pattern`; appends piece boundaries.
void splitSegment(const Pattern& pattern, const std::vector<char32_t>& cps, size_t begin, size_t end,
                  std::vector<size_t>& cuts) {
    const Matcher matcher(cps.data() + begin, end - begin);
    size_t pos = 0, gap = 0;
    const size_t size = end - begin;
    while (pos < size) {
        size_t matchEnd = 0;
        auto record = [&](size_t p) {
            matchEnd = p;
            return true;
        };
        if (matcher.alternatives(pattern.top, pos, Continuation(record)) && matchEnd > pos) {
            if (pos > gap) cuts.push_back(begin + pos);
            cuts.push_back(begin + matchEnd);
            pos = gap = matchEnd;
        } else {
            ++pos;
        }
    }
    if (gap < size) cuts.push_back(end);
}

}  // namespace
}  // namespace regex

// ---------------------------------------------------------------------------
// The split rules of each tokenizer.ggml.pre value.
// ---------------------------------------------------------------------------
namespace {

// GPT-2's word regex; also the middle pass of several others.
constexpr std::string_view kGpt2 =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
// Llama 3 (tokenizer.json writes the contractions as (?i:...)).
constexpr std::string_view kLlama3 =
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
    "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
// Qwen2: Llama 3 with single digits.
constexpr std::string_view kQwen2 =
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"
    "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
// Qwen 3.5: combining marks stay with their letters.
constexpr std::string_view kQwen35 =
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}"
    "| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
// DeepSeek LLM's cased-letter class, as code points.
constexpr std::string_view kDeepseekLetters =
    "\\x{41}-\\x{5A}\\x{61}-\\x{7A}\\x{B5}\\x{C0}-\\x{D6}\\x{D8}-\\x{F6}\\x{F8}-\\x{1BA}\\x{1BC}-\\x{1BF}"
    "\\x{1C4}-\\x{293}\\x{295}-\\x{2AF}\\x{370}-\\x{373}\\x{376}\\x{377}\\x{37B}-\\x{37D}\\x{37F}\\x{386}"
    "\\x{388}-\\x{38A}\\x{38C}\\x{38E}-\\x{3A1}\\x{3A3}-\\x{3F5}\\x{3F7}-\\x{481}\\x{48A}-\\x{52F}"
    "\\x{531}-\\x{556}\\x{10A0}-\\x{10C5}\\x{13A0}-\\x{13F5}\\x{13F8}-\\x{13FD}\\x{1C90}-\\x{1CBA}"
    "\\x{1CBD}-\\x{1CBF}\\x{1D00}-\\x{1D2B}\\x{1D6B}-\\x{1D77}\\x{1D79}-\\x{1D9A}\\x{1E00}-\\x{1F15}"
    "\\x{1F18}-\\x{1F1D}\\x{1F20}-\\x{1F45}\\x{1F48}-\\x{1F4D}\\x{1F50}-\\x{1F57}\\x{1F59}\\x{1F5B}"
    "\\x{1F5D}\\x{1F5F}-\\x{1F7D}\\x{1F80}-\\x{1FB4}\\x{1FB6}-\\x{1FBC}\\x{1FBE}\\x{1FC2}-\\x{1FC4}"
    "\\x{1FC6}-\\x{1FCC}\\x{1FD0}-\\x{1FD3}\\x{1FD6}-\\x{1FDB}\\x{1FE0}-\\x{1FEC}\\x{1FF2}-\\x{1FF4}"
    "\\x{1FF6}-\\x{1FFC}\\x{2102}\\x{2107}\\x{210A}-\\x{2113}\\x{2115}\\x{2119}-\\x{211D}\\x{2124}"
    "\\x{2126}\\x{2128}\\x{212A}-\\x{212D}\\x{212F}-\\x{2134}\\x{2139}\\x{213C}-\\x{213F}\\x{2145}-\\x{2149}"
    "\\x{214E}\\x{2183}\\x{2184}\\x{2C00}-\\x{2C7B}\\x{2C7E}-\\x{2CE4}\\x{2CEB}-\\x{2CEE}\\x{2CF2}\\x{2CF3}"
    "\\x{A640}-\\x{A66D}\\x{A680}-\\x{A69B}\\x{A722}-\\x{A76F}\\x{A771}-\\x{A787}\\x{A78B}-\\x{A78E}"
    "\\x{AB70}-\\x{ABBF}\\x{FB00}-\\x{FB06}\\x{FB13}-\\x{FB17}\\x{FF21}-\\x{FF3A}\\x{FF41}-\\x{FF5A}"
    "\\x{10400}-\\x{1044F}\\x{104B0}-\\x{104D3}\\x{104D8}-\\x{104FB}\\x{10C80}-\\x{10CB2}\\x{10CC0}-\\x{10CF2}"
    "\\x{118A0}-\\x{118DF}\\x{1E900}-\\x{1E943}";
// CJK unified ideographs (U+4E00..U+9FA5), U+0800..U+4E00 and Hangul (U+AC00..U+D7FF).
constexpr std::string_view kDeepseekCjk = "[\\x{4E00}-\\x{9FA5}\\x{800}-\\x{4E00}\\x{AC00}-\\x{D7FF}]+";

struct Rule {
    std::vector<std::string_view> names;
    std::vector<std::string> patterns;
    bool ignoreMerges = false;
};

const std::vector<Rule>& rules() {
    static const std::vector<Rule> kRules = {
        {{"gpt-2", "mpt", "olmo", "jais", "trillion"}, {std::string(kGpt2)}},
        {{"llama-bpe", "llama3", "dbrx", "smaug-bpe"}, {std::string(kLlama3)}, true},
        {{"qwen2", "stablelm2", "hunyuan"}, {std::string(kQwen2)}},
        {{"qwen35"}, {std::string(kQwen35)}},
        {{"deepseek-llm"},
         {"[\\r\\n]", "\\s?[" + std::string(kDeepseekLetters) + "]+",
          "\\s?[!-/:-~\\x{FF01}-\\x{FF0F}\\x{FF1A}-\\x{FF5E}\\x{2018}-\\x{201F}\\x{3000}-\\x{3002}]+", "\\s+$",
          std::string(kDeepseekCjk), "\\p{N}+"}},
        {{"deepseek-coder"}, {"[\\r\\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", std::string(kDeepseekCjk), "\\p{N}"}},
        {{"falcon"}, {"[\\p{P}\\$\\+<=>\\^~\\|`]+", std::string(kGpt2), "[0-9][0-9][0-9]"}},
        {{"starcoder", "refact", "command-r", "smollm", "codeshell", "exaone"}, {"\\p{N}", std::string(kGpt2)}},
        {{"default", ""}, {"[\\p{P}\\$\\+<=>\\^~\\|]+", std::string(kGpt2), "\\p{N}+", "[0-9][0-9][0-9]"}},
    };
    return kRules;
}

}  // namespace

std::optional<PreTokenizer> PreTokenizer::fromPatterns(const std::vector<std::string>& patterns) {
    PreTokenizer pre;
    for (const std::string& text : patterns) {
        auto alts = regex::Parser(text).parse();
        if (!alts) return std::nullopt;
        auto pattern = std::make_shared<regex::Pattern>();
        pattern->top = std::move(*alts);
        pre.m_patterns.push_back(std::move(pattern));
    }
    return pre;
}

std::optional<PreTokenizer> PreTokenizer::forName(std::string_view pre) {
    for (const Rule& rule : rules()) {
        for (std::string_view name : rule.names) {
            if (name != pre) continue;
            auto result = fromPatterns(rule.patterns);
            if (result) result->m_ignoreMerges = rule.ignoreMerges;
            return result;
        }
    }
    return std::nullopt;
}

std::vector<std::string> PreTokenizer::split(std::string_view text) const {
    // Work on code points, remembering where each starts in `text`.
    std::vector<char32_t> cps;
    std::vector<size_t> byteOffset;
    for (size_t pos = 0; pos < text.size();) {
        byteOffset.push_back(pos);
        cps.push_back(utf8::decode(text, pos));
    }
    byteOffset.push_back(text.size());

    std::vector<size_t> cuts = {cps.size()};  // ends of the pieces
    for (const auto& pattern : m_patterns) {
        std::vector<size_t> next;
        size_t begin = 0;
        for (size_t end : cuts) {
            if (end > begin) regex::splitSegment(*pattern, cps, begin, end, next);
            begin = end;
        }
        cuts.swap(next);
    }
    std::vector<std::string> words;
    words.reserve(cuts.size());
    size_t begin = 0;
    for (size_t end : cuts) {
        words.emplace_back(text.substr(byteOffset[begin], byteOffset[end] - byteOffset[begin]));
        begin = end;
    }
    return words;
}

}  // namespace tokenizer
