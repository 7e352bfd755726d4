// assistant-cli embed: texts (or token ids) -> one L2-normalized vector per input,
// through Model::embed (batched). Without -m, the shipped default embedder.
#include <chrono>
#include <cstdio>
#include <sstream>

#include "cli_common.h"
#include "commands.h"
#include "paths.h"

namespace cli {

namespace {

void printVectors(const std::vector<std::vector<float>>& vectors, bool json) {
    if (json) std::printf("[");
    for (size_t i = 0; i < vectors.size(); ++i) {
        if (json) std::printf(i ? ",\n [" : "[");
        for (size_t k = 0; k < vectors[i].size(); ++k)
            std::printf(k ? (json ? ", %.8g" : " %.8g") : "%.8g", static_cast<double>(vectors[i][k]));
        std::printf(json ? "]" : "\n");
    }
    if (json) std::printf("]\n");
}

// The non-empty lines of a file (one text each; \r\n endings too); nullopt after
// printing why not.
std::optional<std::vector<std::string>> linesOf(const std::string& path, const char* cmd) {
    auto content = readTextFile(path, cmd);
    if (!content) return std::nullopt;
    std::vector<std::string> texts;
    std::istringstream lines(*content);
    for (std::string line; std::getline(lines, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty()) texts.push_back(std::move(line));  // blank lines are not texts
    }
    if (texts.empty()) {
        std::fprintf(stderr, "%s: %s has no non-empty line\n", cmd, path.c_str());
        return std::nullopt;
    }
    return texts;
}

}  // namespace

int runEmbed(std::vector<std::string> argv) {
    const char* cmd = "embed";
    bool hasModel = false;
    for (const std::string& a : argv)
        hasModel = hasModel || a == "-m" || a == "--model" || a.starts_with("--model=");
    if (!hasModel) {
        const std::string embedder = app::defaultEmbedderPath();
        if (embedder.empty()) {
            std::fprintf(stderr, "%s: no model given (-m FILE) and the default embedder was not found\n", cmd);
            return 2;
        }
        argv.insert(argv.end(), {"-m", embedder});
    }
    Args args(std::move(argv));
    const bool json = args.flag("--json");
    const bool timing = args.flag("--timing");
    std::vector<std::string> idLists;
    while (auto ids = args.value("--token-ids")) idLists.push_back(*ids);
    const auto file = args.value("-f", "--file");
    auto model = loadModel(args, cmd);
    const std::vector<std::string> rest = args.positional();
    const int sources = (idLists.empty() ? 0 : 1) + (file ? 1 : 0) + (rest.empty() ? 0 : 1);
    if (!args.error().empty() || sources != 1)
        return usageError(args, cmd,
                          "give the texts as arguments, with -f FILE (one per line), or "
                          "--token-ids 1,2,3 (repeatable), one of them");
    if (!model) return 1;
    if (!model->info().isEmbeddingModel) {
        std::fprintf(stderr, "%s: %s is a %s model, not an embedding model (bert, use-lite)\n", cmd,
                     model->info().path.c_str(), model->info().architecture.c_str());
        return 1;
    }

    const auto t0 = std::chrono::steady_clock::now();
    assistant::Result<std::vector<std::vector<float>>> vectors;
    size_t inputs = 0;
    if (!idLists.empty()) {
        std::vector<std::vector<int32_t>> sequences;
        for (const std::string& list : idLists) {
            auto ids = parseTokenIds(list, cmd);
            if (!ids) return 2;
            sequences.push_back(std::move(*ids));
        }
        inputs = sequences.size();
        vectors = model->embedTokens(sequences);
    } else {
        std::optional<std::vector<std::string>> texts = file ? linesOf(*file, cmd) : rest;
        if (!texts) return 1;
        inputs = texts->size();
        vectors = model->embed(*texts);
    }
    if (!vectors) {
        printError(cmd, vectors.error());
        return 1;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    printVectors(*vectors, json);
    if (timing)
        std::fprintf(stderr, "%s: %zu inputs in %.1f ms (%.1f inputs/s)\n", cmd, inputs, seconds * 1e3,
                     static_cast<double>(inputs) / seconds);
    return 0;
}

}  // namespace cli
