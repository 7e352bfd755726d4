// The engine's only way to say something: forwards to the callback set with
// assistant::setLogCallback (default: discard). g++ 12 has no <format>, so messages
// are built with cat(...), which streams its arguments.
#pragma once

#include <sstream>
#include <string>
#include <string_view>

#include "assistant/engine.h"

namespace assistant::detail {

template <class... Args>
std::string cat(const Args&... args) {
    std::ostringstream out;
    (out << ... << args);
    return out.str();
}

void logMessage(LogLevel level, std::string_view message);
bool logEnabled();

template <class... Args>
void log(LogLevel level, const Args&... args) {
    if (logEnabled()) logMessage(level, cat(args...));
}

template <class... Args>
Error makeError(ErrorCode code, const Args&... args) {
    return Error{code, cat(args...)};
}

}  // namespace assistant::detail
