#include "chat_template/lexer.h"

#include <algorithm>

#include "chat_template/value.h"
#include "common/utf8.h"

namespace chat_template {

namespace {

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool isNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool isDigit(char c) { return c >= '0' && c <= '9'; }


class Lexer {
public:
    Lexer(std::string_view src, const LexOptions& o) : m_src(src), m_opt(o) {
        m_lineStarts.push_back(0);
        for (size_t i = 0; i < src.size(); ++i)
            if (src[i] == '\n') m_lineStarts.push_back(i + 1);
    }

    std::vector<Token> run() {
        size_t pos = 0;
        bool lineStarting = true;  // the previous tag's match ended with a newline
        while (pos < m_src.size()) {
            const size_t at = nextTag(pos);
            std::string text(m_src.substr(pos, at - pos));
            if (at == m_src.size()) {
                push(TokenType::Text, std::move(text), pos);
                break;
            }
            const char kind = m_src[at + 1];
            const char sign = at + 2 < m_src.size() && (m_src[at + 2] == '-' || m_src[at + 2] == '+') ? m_src[at + 2] : 0;
            if (sign == '-') {
                while (!text.empty() && isSpace(text.back())) text.pop_back();
            } else if (sign != '+' && m_opt.lstripBlocks && kind != '{') {
                const size_t l = text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
                if ((l > 0 || lineStarting) && l < text.size() &&
                    std::all_of(text.begin() + static_cast<std::ptrdiff_t>(l), text.end(), isSpace))
                    text.resize(l);
            }
            push(TokenType::Text, std::move(text), pos);
            size_t p = at + 2 + (sign ? 1 : 0);
            if (kind == '#') p = comment(at, p);
            else if (kind != '%' || !rawBlock(at, p, p)) p = tag(kind == '{', at, p);
            lineStarting = p > 0 && m_src[p - 1] == '\n';
            pos = p;
        }
        push(TokenType::End, "", m_src.size());
        return std::move(m_tokens);
    }

private:
    size_t nextTag(size_t pos) const {
        for (size_t i = m_src.find('{', pos); i != std::string_view::npos; i = m_src.find('{', i + 1)) {
            if (i + 1 < m_src.size() && (m_src[i + 1] == '{' || m_src[i + 1] == '%' || m_src[i + 1] == '#')) return i;
        }
        return m_src.size();
    }

    [[noreturn]] void error(size_t offset, const std::string& message) const {
        auto [line, col] = position(offset);
        throw Failure{Failure::Kind::Syntax, message, line, col};
    }

    std::pair<int, int> position(size_t offset) const {
        const auto it = std::upper_bound(m_lineStarts.begin(), m_lineStarts.end(), offset) - 1;
        return {static_cast<int>(it - m_lineStarts.begin()) + 1, static_cast<int>(offset - *it) + 1};
    }

    void push(TokenType type, std::string text, size_t offset) {
        if (type == TokenType::Text && text.empty()) return;
        auto [line, col] = position(offset);
        m_tokens.push_back({type, std::move(text), line, col});
    }

    // After a tag's closing marker: "-" eats all following whitespace; a block or
    // comment (not a {{ }}) eats one newline under trim_blocks unless marked "+".
    size_t afterClose(size_t p, char sign, bool isBlock) const {
        if (sign == '-') {
            while (p < m_src.size() && isSpace(m_src[p])) ++p;
        } else if (sign != '+' && isBlock && m_opt.trimBlocks && p < m_src.size() && m_src[p] == '\n') {
            ++p;
        }
        return p;
    }

    // {% raw %}...{% endraw %}: the body is text, tags in it are not interpreted.
    // On success sets next to just past the closing tag.
    bool rawBlock(size_t open, size_t p, size_t& next) {
        auto skipSpace = [&](size_t q) {
            while (q < m_src.size() && isSpace(m_src[q])) ++q;
            return q;
        };
        size_t q = skipSpace(p);
        if (m_src.substr(q, 3) != "raw") return false;
        q = skipSpace(q + 3);
        const char openSign = q < m_src.size() && (m_src[q] == '-' || m_src[q] == '+') ? m_src[q] : 0;
        if (m_src.substr(q + (openSign ? 1 : 0), 2) != "%}") return false;
        const size_t bodyStart = afterClose(q + (openSign ? 1 : 0) + 2, openSign == '-' ? '-' : '+', true);
        for (size_t at = m_src.find("{%", bodyStart); at != std::string_view::npos; at = m_src.find("{%", at + 2)) {
            size_t e = at + 2;
            const char endSign = e < m_src.size() && (m_src[e] == '-' || m_src[e] == '+') ? m_src[e] : 0;
            e = skipSpace(e + (endSign ? 1 : 0));
            if (m_src.substr(e, 6) != "endraw") continue;
            e = skipSpace(e + 6);
            const char closeSign = e < m_src.size() && (m_src[e] == '-' || m_src[e] == '+') ? m_src[e] : 0;
            if (m_src.substr(e + (closeSign ? 1 : 0), 2) != "%}") continue;
            std::string body(m_src.substr(bodyStart, at - bodyStart));
            if (endSign == '-')
                while (!body.empty() && isSpace(body.back())) body.pop_back();
            push(TokenType::Text, std::move(body), bodyStart);
            next = afterClose(e + (closeSign ? 1 : 0) + 2, closeSign, true);
            return true;
        }
        error(open, "unclosed raw block (missing '{% endraw %}')");
    }

    size_t comment(size_t open, size_t p) {
        const size_t close = m_src.find("#}", p);
        if (close == std::string_view::npos) error(open, "unclosed comment (missing '#}')");
        const char sign = close > p && (m_src[close - 1] == '-' || m_src[close - 1] == '+') ? m_src[close - 1] : 0;
        return afterClose(close + 2, sign, true);
    }

    size_t tag(bool isVar, size_t open, size_t p) {
        push(isVar ? TokenType::VarBegin : TokenType::BlockBegin, "", open);
        const std::string_view close = isVar ? "}}" : "%}";
        int depth = 0;  // open brackets: a "}}" inside a dict literal does not close the tag
        for (;;) {
            while (p < m_src.size() && isSpace(m_src[p])) ++p;
            if (p >= m_src.size()) error(open, std::string("unclosed tag (missing '") + std::string(close) + "')");
            if (depth == 0) {
                const char sign = m_src[p] == '-' || m_src[p] == '+' ? m_src[p] : 0;
                if (m_src.substr(p + (sign ? 1 : 0), 2) == close && (sign != '+' || !isVar)) {
                    push(isVar ? TokenType::VarEnd : TokenType::BlockEnd, "", p);
                    return afterClose(p + (sign ? 1 : 0) + 2, sign, !isVar);
                }
            }
            p = token(p, depth);
        }
    }

    size_t token(size_t p, int& depth) {
        const char c = m_src[p];
        if (c == '\'' || c == '"') return stringLiteral(p);
        if (isDigit(c)) {
            size_t e = p;
            while (e < m_src.size() && (isDigit(m_src[e]) || m_src[e] == '_')) ++e;
            bool isFloat = false;
            if (e + 1 < m_src.size() && m_src[e] == '.' && isDigit(m_src[e + 1])) {
                isFloat = true;
                ++e;
                while (e < m_src.size() && isDigit(m_src[e])) ++e;
            }
            if (e < m_src.size() && (m_src[e] == 'e' || m_src[e] == 'E')) {
                size_t f = e + 1;
                if (f < m_src.size() && (m_src[f] == '+' || m_src[f] == '-')) ++f;
                if (f < m_src.size() && isDigit(m_src[f])) {
                    isFloat = true;
                    e = f;
                    while (e < m_src.size() && isDigit(m_src[e])) ++e;
                }
            }
            std::string num(m_src.substr(p, e - p));
            num.erase(std::remove(num.begin(), num.end(), '_'), num.end());
            push(isFloat ? TokenType::Float : TokenType::Int, std::move(num), p);
            return e;
        }
        if (isNameStart(c)) {
            size_t e = p;
            while (e < m_src.size() && (isNameStart(m_src[e]) || isDigit(m_src[e]))) ++e;
            push(TokenType::Name, std::string(m_src.substr(p, e - p)), p);
            return e;
        }
        static constexpr std::string_view kTwo[] = {"**", "//", "==", "!=", "<=", ">="};
        for (std::string_view op : kTwo) {
            if (m_src.substr(p, 2) == op) {
                push(TokenType::Op, std::string(op), p);
                return p + 2;
            }
        }
        if (std::string_view("+-*/%~<>=()[]{},.:|").find(c) != std::string_view::npos) {
            if (c == '(' || c == '[' || c == '{') ++depth;
            if (c == ')' || c == ']' || c == '}') {
                if (depth == 0) error(p, std::string("unexpected '") + c + "'");
                --depth;
            }
            push(TokenType::Op, std::string(1, c), p);
            return p + 1;
        }
        error(p, std::string("unexpected character '") + c + "'");
    }

    size_t stringLiteral(size_t p) {
        const char quote = m_src[p];
        std::string out;
        size_t i = p + 1;
        for (;;) {
            if (i >= m_src.size()) error(p, "unterminated string literal");
            const char c = m_src[i];
            if (c == quote) break;
            if (c != '\\') {
                out += c;
                ++i;
                continue;
            }
            if (i + 1 >= m_src.size()) error(p, "unterminated string literal");
            const char e = m_src[i + 1];
            i += 2;
            switch (e) {
            case 'n': out += '\n'; break;
            case 't': out += '\t'; break;
            case 'r': out += '\r'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'v': out += '\v'; break;
            case 'a': out += '\a'; break;
            case '0': out += '\0'; break;
            case '\\': out += '\\'; break;
            case '\'': out += '\''; break;
            case '"': out += '"'; break;
            case '\n': break;  // line continuation
            case 'x':
            case 'u':
            case 'U': {
                const size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                if (i + n > m_src.size()) error(i - 2, "truncated \\" + std::string(1, e) + " escape");
                uint32_t cp = 0;
                for (size_t k = 0; k < n; ++k) {
                    const char h = m_src[i + k];
                    const int d = isDigit(h) ? h - '0' : (h >= 'a' && h <= 'f') ? h - 'a' + 10 : (h >= 'A' && h <= 'F') ? h - 'A' + 10 : -1;
                    if (d < 0) error(i - 2, "invalid \\" + std::string(1, e) + " escape");
                    cp = cp * 16 + static_cast<uint32_t>(d);
                }
                if (cp > 0x10FFFF) error(i - 2, "escape outside Unicode");
                utf8::append(out, static_cast<char32_t>(cp));
                i += n;
                break;
            }
            default:  // Python keeps unknown escapes as written
                out += '\\';
                out += e;
            }
        }
        push(TokenType::String, std::move(out), p);
        return i + 1;
    }

    std::string_view m_src;
    LexOptions m_opt;
    std::vector<size_t> m_lineStarts;
    std::vector<Token> m_tokens;
};

}  // namespace

std::vector<Token> lex(std::string_view source, const LexOptions& options) {
    return Lexer(source, options).run();
}

}  // namespace chat_template
