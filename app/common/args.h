// A small command-line reader for assistant-cli subcommands and assistant-bench:
//   Args a(argv...); auto m = a.value("-m", "--model"); bool ids = a.flag("--ids");
//   auto rest = a.positional(); if (auto err = a.unknown()) ...
// Options may be given as "--opt value" or "--opt=value".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cli {

class Args {
public:
    explicit Args(std::vector<std::string> args) : m_args(std::move(args)), m_used(m_args.size(), false) {}

    // True if any of the names is present (consumed).
    bool flag(std::string_view name, std::string_view alias = {});
    // The value after the option, if present (consumed); sets error() if the value is missing.
    std::optional<std::string> value(std::string_view name, std::string_view alias = {});
    // Parsed numeric values; set error() when the text is not a number.
    std::optional<long long> integer(std::string_view name, std::string_view alias = {});
    std::optional<double> number(std::string_view name, std::string_view alias = {});
    // Everything not consumed that does not start with '-' (call after all options).
    std::vector<std::string> positional();
    // First problem seen: a missing value, a bad number, or (after positional()) an unknown option.
    const std::string& error() const { return m_error; }

private:
    std::optional<size_t> find(std::string_view name, std::string_view alias, std::string* inlineValue);
    std::vector<std::string> m_args;
    std::vector<bool> m_used;
    std::string m_error;
};

}  // namespace cli
