// json::Value::parse: a strict RFC 8259 parser (iterative: no recursion).
//  - exactly one value, surrounded by optional whitespace (space, tab, LF, CR)
//  - strings: all escapes, \uXXXX surrogate pairs -> UTF-8, lone surrogates and
//    unescaped control characters rejected, raw bytes must be valid UTF-8
//  - numbers per the grammar (no leading zeros, no '+', no NaN/Infinity);
//    overflow is an error, underflow gives (signed) zero
//  - duplicate keys: the last value wins, at the first key's position
//  - nesting depth limited; every error names the byte offset where it was found
// Work is linear in the input size (duplicate keys are found through a hash
// index once an object grows), so hostile input cannot make it hang.
#include "json/json.h"

#include <charconv>
#include <cstring>
#include <functional>
#include <memory>
#include <unordered_set>
#include <vector>

#include "common/utf8.h"

namespace json {

namespace {

// Whatever the caller asks: dump, copy, compare and destroy recurse per level.
constexpr int kMaxDepthCap = 1000;  // destroying a tree recurses once per level
constexpr size_t kIndexThreshold = 16;  // members before duplicate lookup is hashed

class Parser {
public:
    Parser(std::string_view text, int maxDepth)
        : m_text(text), m_maxDepth(maxDepth < kMaxDepthCap ? maxDepth : kMaxDepthCap) {}

    // Iterative: open containers live on an explicit stack (m_frames), so the
    // depth of the document never turns into depth of the C++ call stack.
    std::expected<Value, std::string> run() {
        Value value;  // the value most recently completed
        for (;;) {
            // A value starts here.
            skipWhitespace();
            if (atEnd()) return error(fail(m_pos, "unexpected end of input, expected a value"));
            const unsigned char c = peek();
            if (c == '[' || c == '{') {
                const bool isObject = c == '{';
                if (m_depth >= m_maxDepth)
                    return error(fail(m_pos, "nesting deeper than " + std::to_string(m_maxDepth) + " levels"));
                Frame& f = pushFrame(isObject);
                ++m_pos;
                skipWhitespace();
                if (!atEnd() && peek() == (isObject ? '}' : ']')) {
                    ++m_pos;
                    value = popFrame();
                } else {
                    if (isObject && !parseKey(f)) return error(false);
                    continue;  // parse the first element
                }
            } else if (!parseScalar(value)) {
                return error(false);
            }

            // `value` is complete: hand it to its container, closing every
            // container that ends right after it.
            for (;;) {
                if (m_depth == 0) {
                    skipWhitespace();
                    if (!atEnd()) return error(fail(m_pos, "unexpected data after the value"));
                    return value;
                }
                Frame& f = *m_frames[m_depth - 1];
                if (f.isObject) addMember(f, std::move(value));
                else f.array.push_back(std::move(value));
                skipWhitespace();
                if (!atEnd() && peek() == ',') {
                    ++m_pos;
                    if (f.isObject && !parseKey(f)) return error(false);
                    break;  // parse the next element
                }
                if (!atEnd() && peek() == (f.isObject ? '}' : ']')) {
                    ++m_pos;
                    value = popFrame();
                    continue;
                }
                return error(failUnexpected(f.isObject ? "',' or '}'" : "',' or ']'"));
            }
        }
    }

private:
    // Hashes member indices of one object by their key, so a new key is looked
    // up in O(1) once the object is large.
    struct KeyHash {
        const Object* obj;
        size_t operator()(size_t i) const { return std::hash<std::string>()((*obj)[i].first); }
    };
    struct KeyEq {
        const Object* obj;
        bool operator()(size_t a, size_t b) const { return (*obj)[a].first == (*obj)[b].first; }
    };

    // One open container. Frames are heap-allocated (the index points at `object`)
    // and reused level by level.
    struct Frame {
        bool isObject = false;
        Array array;
        Object object;
        std::string key;  // key of the member whose value is being parsed
        std::unordered_set<size_t, KeyHash, KeyEq> index{0, KeyHash{&object}, KeyEq{&object}};
    };

    std::string_view m_text;
    size_t m_pos = 0;
    int m_maxDepth;
    int m_depth = 0;  // open containers: m_frames[0 .. m_depth)
    std::vector<std::unique_ptr<Frame>> m_frames;
    std::string m_error;

    std::unexpected<std::string> error(bool) { return std::unexpected(std::move(m_error)); }

    Frame& pushFrame(bool isObject) {
        if (m_frames.size() <= static_cast<size_t>(m_depth)) m_frames.push_back(std::make_unique<Frame>());
        Frame& f = *m_frames[m_depth++];
        f.isObject = isObject;
        return f;
    }

    Value popFrame() {
        Frame& f = *m_frames[--m_depth];
        Value v;
        if (f.isObject) {
            v = Value(std::move(f.object));
            f.object.clear();
            f.index.clear();
        } else {
            v = Value(std::move(f.array));
            f.array.clear();
        }
        return v;
    }

    // Object member: string key, ':'; leaves m_pos at the start of the value.
    bool parseKey(Frame& f) {
        skipWhitespace();
        if (atEnd() || peek() != '"') return failUnexpected("a string key");
        f.key.clear();
        if (!parseString(f.key)) return false;
        skipWhitespace();
        if (atEnd() || peek() != ':') return failUnexpected("':'");
        ++m_pos;
        return true;
    }

    // Duplicate keys: the last value wins, at the position of the first.
    static void addMember(Frame& f, Value value) {
        Object& members = f.object;
        if (members.size() < kIndexThreshold) {
            for (auto& [k, v] : members) {
                if (k == f.key) {
                    v = std::move(value);
                    return;
                }
            }
            members.emplace_back(std::move(f.key), std::move(value));
            if (members.size() == kIndexThreshold)
                for (size_t i = 0; i < members.size(); ++i) f.index.insert(i);
            return;
        }
        // The index hashes members by position: append, then look the new one up.
        members.emplace_back(std::move(f.key), std::move(value));
        const size_t added = members.size() - 1;
        auto [it, inserted] = f.index.insert(added);
        if (!inserted) {
            members[*it].second = std::move(members[added].second);
            members.pop_back();
        }
    }

    bool fail(size_t offset, std::string_view message) {
        m_error = "offset " + std::to_string(offset) + ": ";
        m_error += message;
        return false;
    }

    bool atEnd() const { return m_pos >= m_text.size(); }
    unsigned char peek() const { return static_cast<unsigned char>(m_text[m_pos]); }

    void skipWhitespace() {
        while (!atEnd()) {
            const char c = m_text[m_pos];
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
            ++m_pos;
        }
    }

    bool failUnexpected(std::string_view expected) {
        if (atEnd()) return fail(m_pos, "unexpected end of input, expected " + std::string(expected));
        const unsigned char c = peek();
        std::string what;
        if (c >= 0x21 && c < 0x7F) {
            what = "unexpected character '";
            what += static_cast<char>(c);
            what += "'";
        } else {
            static const char kHex[] = "0123456789abcdef";
            what = "unexpected byte 0x";
            what += kHex[c >> 4];
            what += kHex[c & 0xF];
        }
        return fail(m_pos, what + ", expected " + std::string(expected));
    }

    bool parseLiteral(std::string_view word, Value value, Value& out) {
        if (m_text.substr(m_pos, word.size()) != word) {
            // Point at the first byte that differs.
            size_t i = 0;
            while (m_pos + i < m_text.size() && i < word.size() && m_text[m_pos + i] == word[i]) ++i;
            m_pos += i;
            std::string expected = "'";
            expected.append(word);
            expected += '\'';
            return failUnexpected(expected);
        }
        m_pos += word.size();
        out = std::move(value);
        return true;
    }

    bool parseScalar(Value& out) {
        switch (peek()) {
        case '"': {
            std::string str;
            if (!parseString(str)) return false;
            out = Value(std::move(str));
            return true;
        }
        case 't': return parseLiteral("true", Value(true), out);
        case 'f': return parseLiteral("false", Value(false), out);
        case 'n': return parseLiteral("null", Value(), out);
        default:
            if (peek() == '-' || (peek() >= '0' && peek() <= '9')) return parseNumber(out);
            return failUnexpected("a value");
        }
    }

    static int hexValue(char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }

    // Reads the 4 hex digits of a \u escape; m_pos is just past the 'u'.
    bool readHex4(uint32_t& cp) {
        if (m_text.size() - m_pos < 4) {
            // Point at the first missing or non-hex digit.
            while (!atEnd() && hexValue(m_text[m_pos]) >= 0) ++m_pos;
            if (atEnd()) return fail(m_pos, "unterminated \\u escape");
            return fail(m_pos, "invalid hex digit in \\u escape");
        }
        cp = 0;
        for (int i = 0; i < 4; ++i) {
            const int h = hexValue(m_text[m_pos + i]);
            if (h < 0) return fail(m_pos + i, "invalid hex digit in \\u escape");
            cp = cp * 16 + static_cast<uint32_t>(h);
        }
        m_pos += 4;
        return true;
    }

    bool parseString(std::string& out) {
        const size_t open = m_pos;
        ++m_pos;  // '"'
        const auto* p = reinterpret_cast<const unsigned char*>(m_text.data());
        const size_t n = m_text.size();
        for (;;) {
            // Copy the run of plain ASCII bytes at once.
            size_t run = m_pos;
            while (run < n && p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' && p[run] != '\\') ++run;
            out.append(m_text.data() + m_pos, run - m_pos);
            m_pos = run;
            if (atEnd())
                return fail(m_pos, "unterminated string (opened at offset " + std::to_string(open) + ")");
            const unsigned char c = p[m_pos];
            if (c == '"') {
                ++m_pos;
                return true;
            }
            if (c < 0x20) return fail(m_pos, "unescaped control character in string");
            if (c >= 0x80) {
                const size_t len = utf8::sequenceLength(p + m_pos, n - m_pos);
                if (len == 0) return fail(m_pos, "invalid UTF-8 in string");
                out.append(m_text.data() + m_pos, len);
                m_pos += len;
                continue;
            }
            // Backslash escape.
            const size_t escape = m_pos;
            ++m_pos;
            if (atEnd()) return fail(m_pos, "unterminated escape sequence");
            const char e = m_text[m_pos++];
            switch (e) {
            case '"': out += '"'; break;
            case '\\': out += '\\'; break;
            case '/': out += '/'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'u': {
                uint32_t cp = 0;
                if (!readHex4(cp)) return false;
                if (cp >= 0xDC00 && cp <= 0xDFFF)
                    return fail(escape, "lone low surrogate in \\u escape");
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    if (n - m_pos < 2 || m_text[m_pos] != '\\' || m_text[m_pos + 1] != 'u')
                        return fail(escape, "high surrogate not followed by a low surrogate escape");
                    const size_t second = m_pos;
                    m_pos += 2;
                    uint32_t lo = 0;
                    if (!readHex4(lo)) return false;
                    if (lo < 0xDC00 || lo > 0xDFFF)
                        return fail(second, "high surrogate not followed by a low surrogate escape");
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                }
                utf8::append(out, static_cast<char32_t>(cp));
                break;
            }
            default: return fail(escape, "invalid escape sequence");
            }
        }
    }

    bool parseNumber(Value& out) {
        const size_t start = m_pos;
        const size_t n = m_text.size();
        auto isDigit = [&](size_t i) { return i < n && m_text[i] >= '0' && m_text[i] <= '9'; };
        size_t i = m_pos;
        if (m_text[i] == '-') ++i;
        // Integer part: '0' or [1-9][0-9]*
        if (!isDigit(i)) {
            m_pos = i;
            return failUnexpected("a digit");
        }
        const size_t intStart = i;
        if (m_text[i] == '0') {
            ++i;
            if (isDigit(i)) return fail(i, "leading zeros are not allowed in numbers");
        } else {
            while (isDigit(i)) ++i;
        }
        const size_t intEnd = i;
        size_t fracStart = i, fracEnd = i;
        if (i < n && m_text[i] == '.') {
            ++i;
            if (!isDigit(i)) {
                m_pos = i;
                return failUnexpected("a digit after the decimal point");
            }
            fracStart = i;
            while (isDigit(i)) ++i;
            fracEnd = i;
        }
        if (i < n && (m_text[i] == 'e' || m_text[i] == 'E')) {
            ++i;
            if (i < n && (m_text[i] == '+' || m_text[i] == '-')) ++i;
            if (!isDigit(i)) {
                m_pos = i;
                return failUnexpected("a digit in the exponent");
            }
            while (isDigit(i)) ++i;
        }
        m_pos = i;

        // An integer literal is exact when it fits int64; "-0" stays the double -0.
        const bool negativeZero = i - start == 2 && m_text[start] == '-' && m_text[start + 1] == '0';
        if (fracStart == fracEnd && intEnd == i && !negativeZero) {
            int64_t v = 0;
            const auto r = std::from_chars(m_text.data() + start, m_text.data() + i, v);
            if (r.ec == std::errc() && r.ptr == m_text.data() + i) {
                out = Value(v);
                return true;
            }
        }
        double d = 0;
        const auto r = std::from_chars(m_text.data() + start, m_text.data() + i, d);
        if (r.ec == std::errc::result_out_of_range) {
            // Overflow or underflow: decide by the decimal order of magnitude.
            if (decimalOrder(intStart, intEnd, fracStart, fracEnd, i) > 0)
                return fail(start, "number out of range");
            d = m_text[start] == '-' ? -0.0 : 0.0;
        } else if (r.ec != std::errc() || r.ptr != m_text.data() + i) {
            return fail(start, "invalid number");  // not reached: the grammar was checked
        }
        out = Value(d);
        return true;
    }

    // Rough decimal exponent of the first significant digit (only its sign
    // matters: positive means huge, negative means tiny).
    long long decimalOrder(size_t intStart, size_t intEnd, size_t fracStart, size_t fracEnd,
                           size_t end) const {
        long long order;
        if (!(intEnd - intStart == 1 && m_text[intStart] == '0')) {
            order = static_cast<long long>(intEnd - intStart) - 1;
        } else {
            size_t z = fracStart;
            while (z < fracEnd && m_text[z] == '0') ++z;
            order = -static_cast<long long>(z - fracStart) - 1;
        }
        // Exponent, saturated.
        size_t e = fracEnd;
        if (e < end && (m_text[e] == 'e' || m_text[e] == 'E')) {
            ++e;
            bool neg = false;
            if (m_text[e] == '+' || m_text[e] == '-') neg = m_text[e++] == '-';
            long long exp = 0;
            for (; e < end; ++e) {
                exp = exp * 10 + (m_text[e] - '0');
                if (exp > 1000000000LL) exp = 1000000000LL;
            }
            order += neg ? -exp : exp;
        }
        return order;
    }
};

}  // namespace

std::expected<Value, std::string> Value::parse(std::string_view text, int maxDepth) {
    return Parser(text, maxDepth).run();
}

}  // namespace json
