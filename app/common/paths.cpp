#include "paths.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace fs = std::filesystem;

namespace app {
namespace {

constexpr const char* kDemoModel = "stories260K.gguf";

fs::path executableDir() {
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path() : exe.parent_path();
}

bool isFile(const fs::path& p) {
    std::error_code ec;
    return !p.empty() && fs::is_regular_file(p, ec);
}

}  // namespace

std::string defaultModelPath() {
    if (const char* env = std::getenv("ASSISTANT_DEFAULT_MODEL"); env && isFile(env)) return env;
    const fs::path candidates[] = {
        executableDir() / ".." / "share" / "assistant" / "models" / kDemoModel,
        fs::path(ASSISTANT_SOURCE_DIR) / "resources" / "models" / kDemoModel,
    };
    for (const fs::path& p : candidates)
        if (isFile(p)) return fs::weakly_canonical(p).string();
    return {};
}

std::string userDataDir() {
    if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) return (fs::path(xdg) / "assistant").string();
    const char* home = std::getenv("HOME");
    return (fs::path(home && *home ? home : "/tmp") / ".local" / "share" / "assistant").string();
}

}  // namespace app
