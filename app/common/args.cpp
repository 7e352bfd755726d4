#include "args.h"

#include <charconv>
#include <cstdlib>

namespace cli {

std::optional<size_t> Args::find(std::string_view name, std::string_view alias, std::string* inlineValue) {
    for (size_t i = 0; i < m_args.size(); ++i) {
        if (m_used[i]) continue;
        const std::string_view a = m_args[i];
        for (std::string_view n : {name, alias}) {
            if (n.empty()) continue;
            if (a == n) return i;
            if (inlineValue && a.size() > n.size() && a.starts_with(n) && a[n.size()] == '=') {
                *inlineValue = std::string(a.substr(n.size() + 1));
                return i;
            }
        }
    }
    return std::nullopt;
}

bool Args::flag(std::string_view name, std::string_view alias) {
    bool found = false;
    while (auto i = find(name, alias, nullptr)) {
        m_used[*i] = true;
        found = true;
    }
    return found;
}

std::optional<std::string> Args::value(std::string_view name, std::string_view alias) {
    std::string inlineValue;
    const auto i = find(name, alias, &inlineValue);
    if (!i) return std::nullopt;
    m_used[*i] = true;
    if (m_args[*i].find('=') != std::string::npos && m_args[*i].starts_with("-") && !inlineValue.empty())
        return inlineValue;
    if (*i + 1 >= m_args.size()) {
        if (m_error.empty()) m_error = "option " + m_args[*i] + " needs a value";
        return std::nullopt;
    }
    m_used[*i + 1] = true;
    return m_args[*i + 1];
}

std::optional<long long> Args::integer(std::string_view name, std::string_view alias) {
    const auto text = value(name, alias);
    if (!text) return std::nullopt;
    long long v = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
    if (ec != std::errc() || end != text->data() + text->size()) {
        if (m_error.empty()) m_error = "option " + std::string(name) + ": '" + *text + "' is not an integer";
        return std::nullopt;
    }
    return v;
}

std::optional<double> Args::number(std::string_view name, std::string_view alias) {
    const auto text = value(name, alias);
    if (!text) return std::nullopt;
    char* end = nullptr;
    const double v = std::strtod(text->c_str(), &end);
    if (text->empty() || end != text->c_str() + text->size()) {
        if (m_error.empty()) m_error = "option " + std::string(name) + ": '" + *text + "' is not a number";
        return std::nullopt;
    }
    return v;
}

std::vector<std::string> Args::positional() {
    std::vector<std::string> out;
    for (size_t i = 0; i < m_args.size(); ++i) {
        if (m_used[i]) continue;
        if (m_args[i].size() > 1 && m_args[i][0] == '-') {
            if (m_error.empty()) m_error = "unknown option " + m_args[i];
            continue;
        }
        out.push_back(m_args[i]);
    }
    return out;
}

}  // namespace cli
