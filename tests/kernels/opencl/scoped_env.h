// An environment variable set (or, with a null value, unset) for one scope, restored
// after: the GPU tests' knobs (ASSISTANT_MOE_STREAM and its kin).
#pragma once

#include <cstdlib>
#include <optional>
#include <string>

namespace kernels_test {

class ScopedEnv {
public:
    ScopedEnv(const char* name, const char* value) : m_name(name) {
        if (const char* old = std::getenv(name)) m_old = old;
        if (value) setenv(name, value, 1);
        else unsetenv(name);
    }
    ~ScopedEnv() {
        if (m_old) setenv(m_name, m_old->c_str(), 1);
        else unsetenv(m_name);
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    const char* m_name;
    std::optional<std::string> m_old;
};

}  // namespace kernels_test
