// GBNF text -> RawGrammar (grammar_builder.h). A recursive-descent parser over the
// bytes of the text; literals and classes are decoded from UTF-8 to code points.
// Groups and repetitions become generated rules here:
//   S*      R ::= S R |            S+  ->  S R*        S?  ->  R ::= S |
//   S{m,n}  S..S (m times), then O(n-m) with O(k) ::= S O(k-1) |   (O(0) empty)
//   S{m,}   S..S (m times), then S*
#include <charconv>
#include <optional>

#include "grammar/grammar_builder.h"
#include "grammar/text.h"
#include "common/utf8.h"

namespace grammar {

namespace {

using detail::RawElement;
using detail::RawGrammar;
using detail::RawSequence;

constexpr int kMaxRepeat = 4096;  // {m,n} bounds: copies of the repeated sequence
constexpr char32_t kMaxCodePoint = 0x10FFFF;

bool isNameChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

class Parser {
public:
    explicit Parser(std::string_view text) : m_text(text) {}

    std::expected<RawGrammar, GrammarError> run() {
        skipSpace();
        while (!atEnd()) {
            if (!parseRule()) return std::unexpected(m_error);
            skipSpace();
        }
        return std::move(m_grammar);
    }

private:
    std::string_view m_text;
    size_t m_pos = 0;
    RawGrammar m_grammar;
    GrammarError m_error;
    bool m_failed = false;

    bool atEnd() const { return m_pos >= m_text.size(); }
    char peek(size_t ahead = 0) const { return m_pos + ahead < m_text.size() ? m_text[m_pos + ahead] : '\0'; }

    std::pair<int, int> position(size_t at) const {
        int line = 1, column = 1;
        for (size_t i = 0; i < at && i < m_text.size(); ++i) {
            if (m_text[i] == '\n') {
                ++line;
                column = 1;
            } else if ((static_cast<unsigned char>(m_text[i]) & 0xC0) != 0x80) {
                ++column;
            }
        }
        return {line, column};
    }

    bool fail(std::string message, size_t at) {
        if (!m_failed) {
            auto [line, column] = position(at);
            m_error = GrammarError{std::move(message), line, column};
            m_failed = true;
        }
        return false;
    }
    bool fail(std::string message) { return fail(std::move(message), m_pos); }

    // Whitespace (newlines included) and # comments.
    void skipSpace() {
        while (!atEnd()) {
            const char c = peek();
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                ++m_pos;
            } else if (c == '#') {
                while (!atEnd() && peek() != '\n') ++m_pos;
            } else {
                break;
            }
        }
    }

    std::string_view name() {
        const size_t start = m_pos;
        while (!atEnd() && isNameChar(peek())) ++m_pos;
        return m_text.substr(start, m_pos - start);
    }

    // At a name followed by "::=": the next rule starts here, the sequence ends.
    bool atRuleStart() const {
        size_t p = m_pos;
        while (p < m_text.size() && isNameChar(m_text[p])) ++p;
        if (p == m_pos) return false;
        Parser probe(m_text);
        probe.m_pos = p;
        probe.skipSpace();
        return probe.m_text.substr(probe.m_pos).starts_with("::=");
    }

    bool parseRule() {
        const size_t start = m_pos;
        const std::string ruleName(name());
        if (ruleName.empty()) return fail(detail::concat("expected a rule name, found '", peek(), "'"));
        skipSpace();
        if (!m_text.substr(m_pos).starts_with("::="))
            return fail(detail::concat("expected '::=' after the rule name '", ruleName, "'"));
        m_pos += 3;
        auto [line, column] = position(start);
        const uint32_t id = m_grammar.idOf(ruleName, line, column);
        if (m_grammar.rules[id].defined)
            return fail(detail::concat("the rule '", ruleName, "' is defined twice"), start);
        m_grammar.rules[id].defined = true;
        m_grammar.rules[id].line = line;
        m_grammar.rules[id].column = column;
        skipSpace();
        auto alternatives = parseAlternatives(id, false);
        if (!alternatives) return false;
        m_grammar.rules[id].alternatives = std::move(*alternatives);
        return true;
    }

    std::optional<std::vector<RawSequence>> parseAlternatives(uint32_t rule, bool nested) {
        std::vector<RawSequence> alternatives;
        for (;;) {
            RawSequence sequence;
            if (!parseSequence(rule, nested, sequence)) return std::nullopt;
            alternatives.push_back(std::move(sequence));
            if (peek() != '|') break;
            ++m_pos;
            skipSpace();
        }
        return alternatives;
    }

    bool parseSequence(uint32_t rule, bool nested, RawSequence& out) {
        for (;;) {
            skipSpace();
            const char c = peek();
            if (atEnd() || c == '|' || c == ')') break;
            if (!nested && atRuleStart()) break;
            RawSequence item;
            if (!parseItem(rule, item)) return false;
            skipSpace();
            if (!parsePostfix(rule, item, out)) return false;
        }
        if (nested && atEnd()) return fail("expected ')' to close the group");
        if (!nested && peek() == ')') return fail("')' without a matching '('");
        return true;
    }

    bool parseItem(uint32_t rule, RawSequence& item) {
        const char c = peek();
        if (c == '"') return parseLiteral(item);
        if (c == '[') return parseClass(item);
        if (c == '.') {
            ++m_pos;
            item.push_back(charsElement({{0, kMaxCodePoint}}, false));
            return true;
        }
        if (c == '(') {
            ++m_pos;
            skipSpace();
            const uint32_t group = m_grammar.generated(rule);
            auto alternatives = parseAlternatives(group, true);
            if (!alternatives) return false;
            ++m_pos;  // ')'
            m_grammar.rules[group].alternatives = std::move(*alternatives);
            item.push_back(ruleElement(group));
            return true;
        }
        if (isNameChar(c)) {
            const size_t start = m_pos;
            auto [line, column] = position(start);
            item.push_back(ruleElement(m_grammar.idOf(std::string(name()), line, column)));
            return true;
        }
        if (c == '*' || c == '+' || c == '?' || c == '{') return fail(detail::concat("'", c, "' follows nothing to repeat"));
        return fail(detail::concat("unexpected character '", c, "'"));
    }

    static RawElement ruleElement(uint32_t id) { return RawElement{ElementKind::Rule, id, {}}; }
    static RawElement charsElement(std::vector<CharRange> ranges, bool negate) {
        return RawElement{ElementKind::Chars, 0, detail::normalizeSet(std::move(ranges), negate)};
    }

    // One code point of a literal or class, escapes decoded. m_pos is on it.
    std::optional<char32_t> codePoint() {
        const auto byte = static_cast<unsigned char>(peek());
        if (byte == '\\') return escape();
        if (byte < 0x80) {
            ++m_pos;
            return byte;
        }
        if (utf8::sequenceLength(m_text, m_pos) == 0) return fail("invalid UTF-8 in the grammar"), std::nullopt;
        return utf8::decode(m_text, m_pos);
    }

    std::optional<char32_t> escape() {
        const size_t start = m_pos;
        const char c = peek(1);
        m_pos += 2;
        switch (c) {
        case 'n': return U'\n';
        case 'r': return U'\r';
        case 't': return U'\t';
        case '0': return U'\0';
        case '\\': case '"': case '\'': case '[': case ']': case '-': case '/': case '^': case '.':
            return static_cast<char32_t>(c);
        case 'x': return hexDigits(2, start);
        case 'u': return hexDigits(4, start);
        case 'U': return hexDigits(8, start);
        default: break;
        }
        fail(c == '\0' ? std::string("the text ends inside an escape") : detail::concat("unknown escape '\\", c, "'"), start);
        return std::nullopt;
    }

    std::optional<char32_t> hexDigits(int count, size_t start) {
        uint32_t value = 0;
        const std::string_view digits = m_text.substr(m_pos, static_cast<size_t>(count));
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, 16);
        if (ec != std::errc{} || digits.size() != static_cast<size_t>(count) || end != digits.data() + digits.size())
            return fail(detail::concat("expected ", count, " hex digits after '", m_text.substr(start, 2), "'"), start),
                   std::nullopt;
        if (value > kMaxCodePoint) return fail("escape beyond U+10FFFF", start), std::nullopt;
        m_pos += static_cast<size_t>(count);
        return static_cast<char32_t>(value);
    }

    bool parseLiteral(RawSequence& item) {
        const size_t start = m_pos++;
        while (peek() != '"') {
            if (atEnd() || peek() == '\n') return fail("unterminated string literal", start);
            auto cp = codePoint();
            if (!cp) return false;
            item.push_back(charsElement({{*cp, *cp}}, false));
        }
        ++m_pos;
        // "" matches the empty string: an empty sequence does that.
        return true;
    }

    bool parseClass(RawSequence& item) {
        const size_t start = m_pos++;
        const bool negate = peek() == '^';
        if (negate) ++m_pos;
        std::vector<CharRange> ranges;
        while (peek() != ']') {
            if (atEnd()) return fail("unterminated character class", start);
            auto lo = codePoint();
            if (!lo) return false;
            char32_t hi = *lo;
            if (peek() == '-' && peek(1) != ']' && m_pos + 1 < m_text.size()) {
                ++m_pos;
                const size_t at = m_pos;
                auto end = codePoint();
                if (!end) return false;
                if (*end < *lo) return fail("a range whose end is below its start", at);
                hi = *end;
            }
            ranges.push_back({*lo, hi});
        }
        ++m_pos;
        if (ranges.empty() && !negate) return fail("an empty character class matches nothing", start);
        item.push_back(charsElement(std::move(ranges), negate));
        return true;
    }

    std::optional<int> number() {
        int value = 0;
        auto [end, ec] = std::from_chars(m_text.data() + m_pos, m_text.data() + m_text.size(), value);
        if (ec != std::errc{}) return std::nullopt;
        m_pos = static_cast<size_t>(end - m_text.data());
        return value;
    }

    // {m}, {m,}, {m,n}, {,n} -> (min, max); max -1 = unbounded.
    bool parseBounds(int& min, int& max) {
        const size_t start = m_pos++;
        skipSpace();
        auto first = number();
        skipSpace();
        min = first.value_or(0);
        max = min;
        if (peek() == ',') {
            ++m_pos;
            skipSpace();
            max = number().value_or(-1);
            skipSpace();
        } else if (!first) {
            return fail("expected a number in '{...}'", start);
        }
        if (peek() != '}') return fail("expected '}' to close the repetition", start);
        ++m_pos;
        if (min < 0 || (max >= 0 && max < min)) return fail("repetition bounds out of order", start);
        if (min > kMaxRepeat || max > kMaxRepeat)
            return fail(detail::concat("repetition bound above ", kMaxRepeat), start);
        return true;
    }

    uint32_t starRule(uint32_t rule, const RawSequence& item) {
        const uint32_t star = m_grammar.generated(rule);
        RawSequence again = item;
        again.push_back(ruleElement(star));
        m_grammar.rules[star].alternatives = {std::move(again), {}};
        return star;
    }

    bool parsePostfix(uint32_t rule, RawSequence& item, RawSequence& out) {
        const char c = peek();
        int min = 1, max = 1;
        if (c == '*') min = 0, max = -1;
        else if (c == '+') min = 1, max = -1;
        else if (c == '?') min = 0, max = 1;
        else if (c == '{') {
            if (!parseBounds(min, max)) return false;
        }
        if (c == '*' || c == '+' || c == '?') ++m_pos;
        if (c == '*' || c == '+' || c == '?' || c == '{') skipSpace();
        for (int i = 0; i < min; ++i) out.insert(out.end(), item.begin(), item.end());
        if (max < 0) {
            out.push_back(ruleElement(starRule(rule, item)));
        } else if (max > min) {
            uint32_t tail = 0;
            for (int k = 1; k <= max - min; ++k) {  // O(k) ::= S O(k-1) |
                const uint32_t optional = m_grammar.generated(rule);
                RawSequence once = item;
                if (k > 1) once.push_back(ruleElement(tail));
                m_grammar.rules[optional].alternatives = {std::move(once), {}};
                tail = optional;
            }
            out.push_back(ruleElement(tail));
        }
        return true;
    }
};

}  // namespace

std::string GrammarError::describe() const {
    if (line <= 0) return message;
    return detail::concat("line ", line, ", column ", column, ": ", message);
}

std::expected<Grammar, GrammarError> parseGbnf(std::string_view text) {
    auto raw = Parser(text).run();
    if (!raw) return std::unexpected(raw.error());
    return detail::finish(std::move(*raw));
}

}  // namespace grammar
