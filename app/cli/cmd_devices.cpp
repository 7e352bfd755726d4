// assistant-cli devices: every device the compiled backends can see.
#include <cstdio>

#include "assistant/engine.h"
#include "args.h"
#include "commands.h"

namespace cli {

int runDevices(std::vector<std::string> argv) {
    Args args(std::move(argv));
    args.positional();
    if (!args.error().empty()) {
        std::fprintf(stderr, "devices: %s\n", args.error().c_str());
        return 2;
    }
    for (const assistant::DeviceInfo& d : assistant::listDevices()) {
        std::printf("%-16s %-4s %s\n", d.id.c_str(), d.type.c_str(), d.name.c_str());
        if (d.freeBytes)
            std::printf("%-16s memory %.1f GiB total, %.1f GiB free\n", "", d.memoryBytes / 1073741824.0,
                        d.freeBytes / 1073741824.0);
        else
            std::printf("%-16s memory %.1f GiB total, free: unknown\n", "", d.memoryBytes / 1073741824.0);
        if (!d.details.empty()) std::printf("%-16s %s\n", "", d.details.c_str());
    }
    return 0;
}

}  // namespace cli
