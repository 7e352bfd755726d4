// Scratch folders for the rag tests: one root per test program and process under the
// system's temporary folder, removed when the program exits (pass or fail), so runs
// leave nothing behind in /tmp.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace rag_test {

inline const std::filesystem::path& tempRoot() {
    struct Root {
        std::filesystem::path path =
            std::filesystem::temp_directory_path() / ("assistant-rag-tests-" + std::to_string(::getpid()));
        ~Root() {
            std::error_code ec;
            std::filesystem::remove_all(path, ec);
        }
    };
    static const Root root;
    return root.path;
}

// An empty folder `name` (emptied if a previous test of this run left one).
inline std::filesystem::path freshDir(const std::string& name) {
    const std::filesystem::path dir = tempRoot() / name;
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

// A path for a database file `name` that does not exist yet.
inline std::filesystem::path tempDb(const std::string& name) {
    std::filesystem::create_directories(tempRoot());
    const std::filesystem::path p = tempRoot() / name;
    std::filesystem::remove(p);
    return p;
}

}  // namespace rag_test
