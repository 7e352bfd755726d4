// Embedding throughput: Model::embed over a batch of texts, repeated; prints the
// median (and min/max) texts/s and tokens/s of the runs.
//   bench_embed [-m MODEL.gguf] -f TEXTS.txt [-n TEXTS] [-r RUNS (5)] [--device ID (cpu)]
//               [--gpu-layers N (-1: all)]
// Without -m, the shipped default embedder. TEXTS.txt: one text per line. --device
// opencl:P.D (or auto) runs the encoder's layers there (the last N with --gpu-layers).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "assistant/engine.h"
#include "paths.h"

int main(int argc, char** argv) {
    std::string model = app::defaultEmbedderPath(), file;
    size_t limit = 0;
    int runs = 5;
    assistant::ModelParams params;
    params.device = "cpu";
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string opt = argv[i];
        if (opt == "-m") model = argv[i + 1];
        else if (opt == "-f") file = argv[i + 1];
        else if (opt == "-n") limit = std::strtoul(argv[i + 1], nullptr, 10);
        else if (opt == "-r") runs = std::max(1, std::atoi(argv[i + 1]));
        else if (opt == "--device") params.device = argv[i + 1];
        else if (opt == "--gpu-layers") params.gpuLayers = std::atoi(argv[i + 1]);
        else {
            std::fprintf(stderr, "bench_embed: unknown option %s\n", opt.c_str());
            return 2;
        }
    }
    if (model.empty() || file.empty()) {
        std::fprintf(stderr, "usage: bench_embed [-m MODEL.gguf] -f TEXTS.txt [-n TEXTS] [-r RUNS] [--device ID] [--gpu-layers N]\n");
        return 2;
    }
    std::vector<std::string> texts;
    std::ifstream in(file);
    for (std::string line; std::getline(in, line) && (limit == 0 || texts.size() < limit);)
        if (!line.empty()) texts.push_back(line);
    auto m = assistant::Model::load(model, params);
    if (!m) {
        std::fprintf(stderr, "bench_embed: %s\n", m.error().message.c_str());
        return 1;
    }
    size_t tokens = 0;
    for (const std::string& t : texts) {
        auto ids = (*m)->tokenize(t);
        tokens += ids ? std::min<size_t>(ids->size(), static_cast<size_t>((*m)->info().contextLength)) : 0;
    }
    std::vector<double> seconds;
    for (int r = 0; r < runs; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        auto v = (*m)->embed(texts);
        seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        if (!v) {
            std::fprintf(stderr, "bench_embed: %s\n", v.error().message.c_str());
            return 1;
        }
    }
    std::sort(seconds.begin(), seconds.end());
    const double median = seconds[seconds.size() / 2];
    if (params.device != "cpu" && (*m)->info().gpuLayers == 0)
        std::fprintf(stderr, "bench_embed: on the CPU: %s\n", (*m)->info().deviceNote.c_str());
    std::printf("model %s on %s (%d of %d layers on the device)\n%zu texts, %zu tokens, %d runs\n", (*m)->info().name.c_str(), (*m)->info().device.c_str(),
                (*m)->info().gpuLayers, (*m)->info().layerCount, texts.size(), tokens, runs);
    std::printf("median %.3f s: %.1f texts/s, %.0f tokens/s (min %.3f s, max %.3f s)\n", median,
                static_cast<double>(texts.size()) / median, static_cast<double>(tokens) / median, seconds.front(),
                seconds.back());
    return 0;
}
