// Switches of the OpenCL backend's fused paths read from the environment (for timing one
// path against the other, and for tests of the unfused one).
#pragma once

#include <cstdlib>
#include <string_view>

namespace kernels::opencl {

// On unless the variable `name` is "0".
inline bool envSwitchOn(const char* name) {
    const char* e = std::getenv(name);
    return !e || std::string_view(e) != "0";
}

}  // namespace kernels::opencl
