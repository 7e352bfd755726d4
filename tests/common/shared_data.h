// Test data from ../shared (ASSISTANT_SHARED_DIR). A missing file skips the test
// locally but FAILS it when CI=true, naming the path: it never passes silently.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace testdata {

inline std::string sharedPath(const std::string& relative) {
    const char* env = std::getenv("ASSISTANT_SHARED_DIR");
    const std::string root = env && *env ? env : ASSISTANT_SHARED_DIR;
    return root + "/" + relative;
}

inline bool inCi() {
    const char* ci = std::getenv("CI");
    return ci && std::string(ci) == "true";
}

}  // namespace testdata

// Use at the top of a test: REQUIRE_SHARED(path) with a path from testdata::sharedPath.
#define REQUIRE_SHARED(path)                                                              \
    do {                                                                                  \
        if (!std::filesystem::exists(path)) {                                             \
            if (testdata::inCi()) FAIL() << "missing test data: " << (path);              \
            GTEST_SKIP() << "missing test data: " << (path);                              \
        }                                                                                 \
    } while (0)
