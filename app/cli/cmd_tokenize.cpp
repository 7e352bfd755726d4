// assistant-cli tokenize: text -> token ids (and pieces).
#include <cstdio>

#include "cli_common.h"
#include "commands.h"

namespace cli {

int runTokenize(std::vector<std::string> argv) {
    const char* cmd = "tokenize";
    Args args(std::move(argv));
    auto model = loadModel(args, cmd);
    const bool noBos = args.flag("--no-bos");
    const bool idsOnly = args.flag("--ids");
    const auto file = args.value("-f", "--file");
    const std::vector<std::string> rest = args.positional();
    if (!args.error().empty() || (file ? !rest.empty() : rest.size() != 1)) {
        std::fprintf(stderr, "%s: %s\n", cmd,
                     args.error().empty() ? "give the text as one argument or with -f FILE" : args.error().c_str());
        return 2;
    }
    if (!model) return 1;
    std::string text;
    if (file) {
        auto content = readTextFile(*file, cmd);
        if (!content) return 1;
        text = std::move(*content);
    } else {
        text = rest.front();
    }
    auto ids = model->tokenize(text, !noBos, true);
    if (!ids) {
        printError(cmd, ids.error());
        return 1;
    }
    if (idsOnly) {
        std::printf("[");
        for (size_t i = 0; i < ids->size(); ++i) std::printf(i ? ", %d" : "%d", (*ids)[i]);
        std::printf("]\n");
        return 0;
    }
    for (int32_t id : *ids) {
        const int32_t one[] = {id};
        std::printf("%6d -> '%s'\n", id, model->detokenize(one).c_str());
    }
    return 0;
}

}  // namespace cli
