// assistant-cli tokenize: text -> token ids (and pieces). Reads only the GGUF's
// tokenizer.* metadata, so vocabulary-only files (no weights) work, and a model of
// any architecture can be tokenized without loading its tensors.
#include <cstdio>

#include "args.h"
#include "assistant/model_tools.h"
#include "cli_common.h"
#include "commands.h"
#include "paths.h"

namespace cli {

int runTokenize(std::vector<std::string> argv) {
    const char* cmd = "tokenize";
    Args args(std::move(argv));
    std::string path = args.value("-m", "--model").value_or("");
    const bool noBos = args.flag("--no-bos");
    const bool idsOnly = args.flag("--ids");
    const auto file = args.value("-f", "--file");
    const std::vector<std::string> rest = args.positional();
    if (!args.error().empty() || (file ? !rest.empty() : rest.size() != 1))
        return usageError(args, cmd, "give the text as one argument or with -f FILE");
    if (path.empty()) path = app::defaultModelPath();
    if (path.empty()) {
        std::fprintf(stderr, "%s: no model given (-m FILE) and the embedded demo model was not found\n", cmd);
        return 2;
    }
    auto tok = assistant::VocabTokenizer::open(path);
    if (!tok) {
        printError(cmd, tok.error());
        return 1;
    }
    std::string text;
    if (file) {
        auto content = readTextFile(*file, cmd);
        if (!content) return 1;
        text = std::move(*content);
    } else {
        text = rest.front();
    }
    const std::vector<int32_t> ids = tok->encode(text, !noBos, true);
    if (idsOnly) {
        std::printf("[");
        for (size_t i = 0; i < ids.size(); ++i) std::printf(i ? ", %d" : "%d", ids[i]);
        std::printf("]\n");
        return 0;
    }
    for (int32_t id : ids) std::printf("%6d -> '%s'\n", id, tok->decode(std::span<const int32_t>(&id, 1)).c_str());
    return 0;
}

}  // namespace cli
