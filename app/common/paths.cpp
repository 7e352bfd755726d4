#include "paths.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace fs = std::filesystem;

namespace app {
namespace {

constexpr const char* kDemoModel = "stories260K.gguf";
constexpr const char* kDefaultEmbedder = "use-lite.gguf";

fs::path executableDir() {
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path() : exe.parent_path();
}

bool isFile(const fs::path& p) {
    std::error_code ec;
    return !p.empty() && fs::is_regular_file(p, ec);
}

// $envVar if it names a file, else <exe dir>/../share/assistant/models/<file>, else
// the source tree's resources/models/<file>; empty if none exists.
std::string findShippedModel(const char* envVar, const char* file) {
    if (const char* env = std::getenv(envVar); env && isFile(env)) return env;
    const fs::path candidates[] = {
        executableDir() / ".." / "share" / "assistant" / "models" / file,
        fs::path(ASSISTANT_SOURCE_DIR) / "resources" / "models" / file,
    };
    for (const fs::path& p : candidates)
        if (isFile(p)) return fs::weakly_canonical(p).string();
    return {};
}

}  // namespace

std::string defaultModelPath() { return findShippedModel("ASSISTANT_DEFAULT_MODEL", kDemoModel); }

std::string defaultEmbedderPath() { return findShippedModel("ASSISTANT_DEFAULT_EMBEDDER", kDefaultEmbedder); }

std::string userDataDir() {
    if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) return (fs::path(xdg) / "assistant").string();
    const char* home = std::getenv("HOME");
    return (fs::path(home && *home ? home : "/tmp") / ".local" / "share" / "assistant").string();
}

}  // namespace app
