// concat(a, b, ...): the arguments streamed into one string (GCC 12 has no <format>).
#pragma once

#include <sstream>
#include <string>

namespace grammar::detail {

template <class... Args>
std::string concat(const Args&... args) {
    std::ostringstream out;
    (out << ... << args);
    return out.str();
}

}  // namespace grammar::detail
