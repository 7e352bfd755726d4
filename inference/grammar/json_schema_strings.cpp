// The fixed parts of JSON grammars: whitespace, strings, numbers, any value, the
// string formats, and integer ranges as digit patterns.
#include "grammar/json_schema_rules.h"

#include <algorithm>
#include <cstdint>
#include <string>

namespace grammar::detail {

const char* const kJsonBaseRules = R"GBNF(
ws ::= "" | " " | "\n" [ \t]{0,16}
json-char ::= [^"\\\x00-\x1F] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4})
json-string ::= "\"" json-char* "\""
json-int ::= "-"? ("0" | [1-9] [0-9]{0,15})
json-number ::= json-int ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,2})?
json-unsigned-number ::= ("0" | [1-9] [0-9]{0,15}) ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,2})?
json-bool ::= "true" | "false"
json-null ::= "null"
json-value ::= json-object | json-array | json-string | json-number | json-bool | json-null
json-object ::= "{" ws (json-string ws ":" ws json-value ws ("," ws json-string ws ":" ws json-value ws)*)? "}"
json-array ::= "[" ws (json-value ws ("," ws json-value ws)*)? "]"
)GBNF";

std::string formatRule(const std::string& format) {
    const std::string date = R"("\"" [0-9]{4} "-" ("0" [1-9] | "1" [0-2]) "-" ("0" [1-9] | [12] [0-9] | "3" [01]))";
    const std::string time =
        R"(([01] [0-9] | "2" [0-3]) ":" [0-5] [0-9] ":" [0-5] [0-9] ("." [0-9]{1,6})? ("Z" | [+-] ([01] [0-9] | "2" [0-3]) ":" [0-5] [0-9])?)";
    if (format == "date") return date + R"( "\"")";
    if (format == "time") return R"("\"" )" + time + R"( "\"")";
    if (format == "date-time") return date + R"( "T" )" + time + R"( "\"")";
    if (format == "uuid")
        return R"("\"" [0-9a-fA-F]{8} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{12} "\"")";
    if (format == "email")
        return R"("\"" [a-zA-Z0-9._%+-]{1,64} "@" [a-zA-Z0-9-]{1,63} ("." [a-zA-Z0-9-]{1,63}){1,4} "\"")";
    return {};
}

namespace {

// Decimal strings a..b of the same length (a <= b), as a GBNF sequence.
std::string sameLength(const std::string& a, const std::string& b) {
    if (a.empty()) return "\"\"";
    if (a.size() == 1) return a == b ? "\"" + a + "\"" : "[" + a + "-" + b + "]";
    const std::string restA = a.substr(1), restB = b.substr(1);
    if (a[0] == b[0]) return "\"" + a.substr(0, 1) + "\" " + sameLength(restA, restB);
    const std::string zeros(restA.size(), '0'), nines(restA.size(), '9');
    std::string out = "(\"" + a.substr(0, 1) + "\" " + sameLength(restA, nines);
    if (a[0] + 1 <= b[0] - 1) {
        out += " | [" + std::string(1, static_cast<char>(a[0] + 1)) + "-" + std::string(1, static_cast<char>(b[0] - 1)) +
               "] [0-9]{" + std::to_string(restA.size()) + "}";
    }
    out += " | \"" + b.substr(0, 1) + "\" " + sameLength(zeros, restB) + ")";
    return out;
}

std::string digitsOf(uint64_t v) { return std::to_string(v); }

// Non-negative integers in [lo, hi] without leading zeros.
std::string unsignedRange(uint64_t lo, uint64_t hi) {
    std::string out;
    for (size_t d = digitsOf(lo).size(); d <= digitsOf(hi).size(); ++d) {
        uint64_t first = 1;
        for (size_t i = 1; i < d; ++i) first *= 10;
        const uint64_t last = d >= 20 ? UINT64_MAX : first * 10 - 1;
        if (d == 1) first = 0;
        const uint64_t a = std::max(lo, first), b = std::min(hi, last);
        if (a > b) continue;
        if (!out.empty()) out += " | ";
        out += sameLength(digitsOf(a), digitsOf(b));
    }
    return "(" + out + ")";
}

constexpr int kMaxDigits = 16;  // json-int's digits: unbounded sides stop there

// Non-negative integers >= lo (up to kMaxDigits digits).
std::string unsignedAtLeast(uint64_t lo) {
    const size_t d = digitsOf(lo).size();
    std::string out = unsignedRange(lo, std::stoull(std::string(d, '9')));
    if (static_cast<int>(d) < kMaxDigits) out = "(" + out + " | [1-9] [0-9]{" + std::to_string(d) + "," + std::to_string(kMaxDigits - 1) + "})";
    return out;
}

std::string anyUnsigned() { return "(\"0\" | [1-9] [0-9]{0," + std::to_string(kMaxDigits - 1) + "})"; }
std::string anyPositive() { return "([1-9] [0-9]{0," + std::to_string(kMaxDigits - 1) + "})"; }

uint64_t magnitude(int64_t v) { return v < 0 ? uint64_t(0) - static_cast<uint64_t>(v) : static_cast<uint64_t>(v); }

}  // namespace

std::string integerRange(std::optional<int64_t> lo, std::optional<int64_t> hi) {
    if (!lo && !hi) return "json-int";
    if (lo && hi) {
        std::string out;
        if (*lo < 0) out += "\"-\" " + unsignedRange(magnitude(std::min<int64_t>(*hi, -1)), magnitude(*lo));
        if (*hi >= 0) out += std::string(out.empty() ? "" : " | ") + unsignedRange(static_cast<uint64_t>(std::max<int64_t>(*lo, 0)), static_cast<uint64_t>(*hi));
        return "(" + out + ")";
    }
    if (lo) {
        if (*lo >= 0) return unsignedAtLeast(static_cast<uint64_t>(*lo));
        return "(\"-\" " + unsignedRange(1, magnitude(*lo)) + " | " + anyUnsigned() + ")";
    }
    if (*hi >= 0) return "(\"-\" " + anyPositive() + " | " + unsignedRange(0, static_cast<uint64_t>(*hi)) + ")";
    return "(\"-\" " + unsignedAtLeast(magnitude(*hi)) + ")";
}

}  // namespace grammar::detail
