// Feeds every file of the GGUF corpus to the fuzz entry, without libFuzzer, so the
// corpus runs under any compiler (and under ASan/UBSan with g++). File names say
// what to expect: ok_* must parse, bad_* must be rejected, anything else (crash
// reproducers saved by libFuzzer) must merely not crash.
//   gguf_corpus_runner DIR_OR_FILE...
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "gguf_fuzz_entry.h"

namespace fs = std::filesystem;

namespace {

std::vector<fs::path> collect(int argc, char** argv) {
    std::vector<fs::path> files;
    for (int i = 1; i < argc; ++i) {
        const fs::path arg = argv[i];
        if (fs::is_directory(arg)) {
            for (const auto& entry : fs::directory_iterator(arg))
                if (entry.is_regular_file()) files.push_back(entry.path());
        } else {
            files.push_back(arg);
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<fs::path> files = collect(argc, argv);
    if (files.empty()) {
        std::fprintf(stderr, "usage: gguf_corpus_runner DIR_OR_FILE... (no corpus files found)\n");
        return 2;
    }
    int failures = 0, accepted = 0;
    for (const fs::path& path : files) {
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            std::fprintf(stderr, "FAIL %s: cannot read\n", path.c_str());
            ++failures;
            continue;
        }
        // Exactly the file's size on the heap, so a sanitizer sees any overread.
        const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const bool ok = ggufFuzzParse(bytes.data(), bytes.size());
        accepted += ok;
        const std::string name = path.filename().string();
        const bool wantOk = name.rfind("ok_", 0) == 0, wantBad = name.rfind("bad_", 0) == 0;
        if ((wantOk && !ok) || (wantBad && ok)) {
            std::fprintf(stderr, "FAIL %s: %s\n", name.c_str(), ok ? "accepted, expected rejection" : "rejected");
            ++failures;
        }
    }
    std::printf("%zu corpus files, %d accepted, %zu rejected, %d unexpected\n", files.size(), accepted,
                files.size() - static_cast<size_t>(accepted), failures);
    return failures == 0 ? 0 : 1;
}
