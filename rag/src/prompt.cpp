#include "rag/prompt.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "script.h"

namespace rag {
namespace {

constexpr const char* kInstructions =
    "Answer the question using only the numbered sources below. After every statement, cite the "
    "sources it comes from by their number in square brackets, like [1] or [2][3]. If the sources "
    "do not contain the answer, say so.\n\nSources:\n";

int defaultCount(std::string_view text) { return estimateTokens(text); }

// Cuts text to about `tokens` tokens at a space (never inside a UTF-8 sequence).
std::string truncateToTokens(const std::string& text, int tokens, const std::function<int(std::string_view)>& count) {
    size_t lo = 0, hi = text.size();
    while (lo < hi) {  // longest prefix that fits
        const size_t mid = (lo + hi + 1) / 2;
        if (count(std::string_view(text).substr(0, mid)) <= tokens) lo = mid;
        else hi = mid - 1;
    }
    size_t cut = lo;
    const size_t space = text.rfind(' ', cut);
    if (space != std::string::npos && space > cut / 2) cut = space;
    while (cut > 0 && cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    return text.substr(0, cut) + " ...";
}

}  // namespace

int estimateTokens(std::string_view text) {
    size_t ascii = 0, cjk = 0, other = 0;
    for (size_t i = 0; i < text.size();) {
        if (static_cast<unsigned char>(text[i]) < 0x80) {
            ++ascii;
            ++i;
            continue;
        }
        if (script::isCjk(utf8::decode(text, i))) ++cjk;
        else ++other;
    }
    return static_cast<int>(cjk + (other + 1) / 2 + (ascii + 3) / 4);
}

std::string sourceLabel(const Source& source) {
    const std::string file = std::filesystem::path(source.path).filename().string();
    if (source.pageFrom == source.pageTo) return file + ", p. " + std::to_string(source.pageFrom);
    return file + ", pp. " + std::to_string(source.pageFrom) + "-" + std::to_string(source.pageTo);
}

std::string sourceHeader(const Source& source) {
    return "[" + std::to_string(source.n) + "] (" + sourceLabel(source) + ")\n";
}

int sourceTokenBudget(const std::string& question, const PromptOptions& options) {
    const auto count = options.countTokens ? options.countTokens : std::function<int(std::string_view)>(defaultCount);
    // Chat-template overhead per message is small; 32 tokens cover it.
    return options.contextTokens - options.answerTokens - count(kInstructions) - count(question) - 32;
}

AssembledPrompt assemblePrompt(const std::string& question, const std::vector<SearchHit>& hits,
                               const PromptOptions& options) {
    const auto count = options.countTokens ? options.countTokens : std::function<int(std::string_view)>(defaultCount);
    AssembledPrompt out;
    std::string system = kInstructions;
    int remaining = sourceTokenBudget(question, options);
    const size_t maxChunks = static_cast<size_t>(std::max(options.maxChunks, 1));
    for (const SearchHit& hit : hits) {
        if (out.sources.size() >= maxChunks) break;
        Source s{static_cast<int>(out.sources.size()) + 1, hit.chunkId, hit.path, hit.pageFrom, hit.pageTo, hit.text};
        const std::string header = sourceHeader(s);
        const int cost = count(header) + count(s.excerpt) + 1;
        if (cost > remaining) {
            const int room = remaining - count(header) - 4;
            if (static_cast<int>(out.sources.size()) >= options.minChunks || room < 32) break;
            s.excerpt = truncateToTokens(s.excerpt, room, count);
            system += header + s.excerpt + "\n\n";
            out.sources.push_back(std::move(s));
            break;
        }
        remaining -= cost;
        system += header + s.excerpt + "\n\n";
        out.sources.push_back(std::move(s));
    }
    if (out.sources.empty()) system += "(no sources were found)\n";
    out.messages.push_back({"system", system});
    out.messages.push_back({"user", question});
    return out;
}

namespace {

// Models writing Chinese or Japanese cite with full-width brackets (【1】, ［1］) and
// commas (，、) and sometimes full-width digits: the ASCII forms, for the parser below.
std::string asciiCitations(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
        const size_t at = i;
        const char32_t c = static_cast<unsigned char>(text[i]) < 0x80 ? static_cast<unsigned char>(text[i++])
                                                                       : utf8::decode(text, i);
        if (c == 0x3010 || c == 0xFF3B) out += '[';
        else if (c == 0x3011 || c == 0xFF3D) out += ']';
        else if (c == 0xFF0C || c == 0x3001) out += ',';
        else if (c == 0xFF0D || c == 0x2013) out += '-';
        else if (c >= 0xFF10 && c <= 0xFF19) out += static_cast<char>('0' + (c - 0xFF10));
        else out.append(text.substr(at, i - at));
    }
    return out;
}

}  // namespace

std::vector<int> citationNumbers(std::string_view original) {
    const std::string ascii = asciiCitations(original);
    const std::string_view answer = ascii;
    std::vector<int> out;
    std::set<int> seen;
    auto add = [&](int n) {
        if (n > 0 && seen.insert(n).second) out.push_back(n);
    };
    for (size_t i = 0; i < answer.size(); ++i) {
        if (answer[i] != '[') continue;
        const size_t close = answer.find(']', i);
        if (close == std::string_view::npos || close - i > 40) continue;
        const std::string_view inside = answer.substr(i + 1, close - i - 1);
        // Only digits, spaces, commas and ranges: "[1]", "[1, 2]", "[2-4]".
        if (inside.empty() || inside.find_first_not_of("0123456789 ,-") != std::string_view::npos) continue;
        std::vector<int> numbers;
        std::vector<char> separators;
        int value = -1;
        for (char c : inside) {
            if (c >= '0' && c <= '9') {
                value = (value < 0 ? 0 : value) * 10 + (c - '0');
                if (value > 100000) value = 100000;
            } else {
                if (value >= 0) numbers.push_back(value);
                if (c == '-' || c == ',') separators.push_back(c);
                value = -1;
            }
        }
        if (value >= 0) numbers.push_back(value);
        for (size_t k = 0; k < numbers.size(); ++k) {
            if (k > 0 && k - 1 < separators.size() && separators[k - 1] == '-' && numbers[k] - numbers[k - 1] <= 20)
                for (int n = numbers[k - 1] + 1; n < numbers[k]; ++n) add(n);
            add(numbers[k]);
        }
        i = close;
    }
    return out;
}

std::vector<Source> citedSources(std::string_view answer, const std::vector<Source>& sources) {
    std::vector<Source> out;
    for (int n : citationNumbers(answer))
        for (const Source& s : sources)
            if (s.n == n) out.push_back(s);
    return out;
}

}  // namespace rag
