// assistant-cli quantize IN OUT TYPE: a quantized copy of an F32/F16/BF16 GGUF model.
#include <cstdio>

#include "assistant/model_tools.h"
#include "cli_common.h"
#include "commands.h"

namespace cli {

int runQuantize(std::vector<std::string> argv) {
    const char* cmd = "quantize";
    Args args(std::move(argv));
    const auto threads = args.integer("-t", "--threads");
    const bool quiet = args.flag("-q", "--quiet");
    const std::vector<std::string> rest = args.positional();
    if (!args.error().empty() || rest.size() != 3)
        return usageError(args, cmd, "usage: assistant-cli quantize IN.gguf OUT.gguf TYPE");
    if (!assistant::isQuantizeType(rest[2])) {
        std::fprintf(stderr, "%s: unknown type '%s'; supported: %s\n", cmd, rest[2].c_str(),
                     assistant::quantizeTypeNames().c_str());
        return 2;
    }
    assistant::QuantizeParams params{rest[0], rest[1], rest[2], static_cast<int>(threads.value_or(0)), {}};
    if (!quiet)
        params.progress = [](size_t done, size_t total) {
            std::fprintf(stderr, "\r%s: %zu/%zu tensors", "quantize", done, total);
            return true;
        };
    auto stats = assistant::quantizeModel(params);
    if (!quiet) std::fprintf(stderr, "\n");
    if (!stats) {
        printError(cmd, stats.error());
        return 1;
    }
    std::printf("%s -> %s (%s): %zu tensors, %.1f MiB -> %.1f MiB in %.1f s\n", rest[0].c_str(), rest[1].c_str(),
                rest[2].c_str(), stats->tensors, static_cast<double>(stats->inputBytes) / (1 << 20),
                static_cast<double>(stats->outputBytes) / (1 << 20), stats->seconds);
    for (const auto& [type, count] : stats->typeCounts) std::printf("  %-7s %zu tensors\n", type.c_str(), count);
    return 0;
}

}  // namespace cli
