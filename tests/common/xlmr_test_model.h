// An XLM-RoBERTa-shaped encoder for tests: tests/inference/embedding/make_xlmr_gguf.py
// writes a small random-weight `bert` GGUF with the 250,048-piece t5 (UGM) vocabulary
// of ../shared/models/vocab/ggml-vocab-nomic-bert-moe.gguf into a folder of its own
// under the system's temporary folder (about 40 MB), removed when the program exits.
// No multilingual weights can be downloaded here, so this stands in for bge-m3 /
// multilingual-e5 in the end-to-end tests.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

#include "shared_data.h"

namespace testdata {

inline const std::string& xlmrVocabPath() {
    static const std::string path = sharedPath("models/vocab/ggml-vocab-nomic-bert-moe.gguf");
    return path;
}

// Path of the generated model ("" with `why` set when the generator fails). `extraArgs`
// go to the generator (e.g. "--no-token-types"); each distinct set is made once.
inline std::string makeXlmrTestModel(std::string* why, const std::string& extraArgs = "") {
    struct Dir {
        std::filesystem::path path =
            std::filesystem::temp_directory_path() / ("assistant-xlmr-" + std::to_string(::getpid()));
        ~Dir() {
            std::error_code ec;
            std::filesystem::remove_all(path, ec);
        }
    };
    static const Dir dir;
    std::string name = "xlmr" + extraArgs + ".gguf";
    for (char& c : name)
        if (c == ' ' || c == '-') c = '_';
    const std::filesystem::path out = dir.path / name;
    if (std::filesystem::exists(out)) return out.string();
    std::filesystem::create_directories(dir.path);
    const std::string command = "/usr/bin/python3 '" ASSISTANT_SOURCE_DIR
                                "/tests/inference/embedding/make_xlmr_gguf.py' '" +
                                xlmrVocabPath() + "' '" + out.string() + "' " + extraArgs;
    if (std::system(command.c_str()) != 0 || !std::filesystem::exists(out)) {
        *why = "generator failed: " + command;
        return {};
    }
    return out.string();
}

}  // namespace testdata
