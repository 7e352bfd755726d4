// assistant-gpu-bench: llama-bench style prefill (pp) and decode (tg) tokens/s of a
// model on a device, median of repeated runs, then (--profile) device time per kernel
// from OpenCL profiling events with achieved GB/s and % of a given peak bandwidth.
//
//   assistant-gpu-bench -m MODEL.gguf [--device auto|cpu|opencl:P.D] [--gpu-layers N]
//       [-p 512] [-n 128] [-r 3] [--profile] [--peak-gbs 3350]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "assistant/engine.h"
#include "kernels/opencl_backend.h"
#include "engine/engine_access.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
    std::string model, device = "auto";
    int gpuLayers = -1, pp = 512, tg = 128, reps = 3;
    bool profile = false;
    double peakGbs = 3350.0;  // H100 SXM HBM3
};

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

std::vector<int32_t> randomTokens(int n, int vocab, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<int32_t> t(static_cast<size_t>(n));
    for (int32_t& id : t) id = static_cast<int32_t>(3 + rng() % static_cast<uint32_t>(vocab - 3));
    return t;
}

std::unique_ptr<assistant::Session> session(const std::shared_ptr<const assistant::Model>& m, const Options& o) {
    assistant::SessionParams sp;
    sp.contextLength = std::max(o.pp, o.tg) + 16;
    sp.batchSize = std::max(o.pp, 1);
    sp.kvType = assistant::KvType::F16;
    auto s = assistant::Session::create(m, sp);
    if (!s) {
        std::fprintf(stderr, "session: %s\n", s.error().message.c_str());
        std::exit(1);
    }
    return std::move(*s);
}

// Seconds for one prefill of o.pp tokens (one micro-batch), fresh context.
double runPp(assistant::Session& s, const Options& o, int vocab, uint32_t seed) {
    s.reset();
    const std::vector<int32_t> t = randomTokens(o.pp, vocab, seed);
    const auto t0 = Clock::now();
    auto r = s.evaluate(t, false);
    if (!r) {
        std::fprintf(stderr, "pp: %s\n", r.error().message.c_str());
        std::exit(1);
    }
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Seconds for o.tg single-token steps from an empty context (llama-bench's tg).
double runTg(assistant::Session& s, const Options& o, int vocab, uint32_t seed) {
    s.reset();
    const std::vector<int32_t> t = randomTokens(o.tg, vocab, seed);
    const auto t0 = Clock::now();
    for (int i = 0; i < o.tg; ++i) {
        auto r = s.evaluate(std::span<const int32_t>(&t[static_cast<size_t>(i)], 1), false);
        if (!r) {
            std::fprintf(stderr, "tg: %s\n", r.error().message.c_str());
            std::exit(1);
        }
    }
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::shared_ptr<const assistant::Model> load(const Options& o) {
    assistant::ModelParams mp;
    mp.device = o.device;
    mp.gpuLayers = o.gpuLayers;
    const auto t0 = Clock::now();
    auto m = assistant::Model::load(o.model, mp);
    if (!m) {
        std::fprintf(stderr, "load: %s\n", m.error().message.c_str());
        std::exit(1);
    }
    const auto& info = (*m)->info();
    std::printf("model %s: %s, %d layers, %s; device %s, %d GPU layers%s%s; load %.1f s\n", o.model.c_str(),
                info.fileType.c_str(), info.layerCount, info.architecture.c_str(), info.device.c_str(),
                info.gpuLayers, info.deviceNote.empty() ? "" : "; ", info.deviceNote.c_str(),
                std::chrono::duration<double>(Clock::now() - t0).count());
    return *m;
}

void printStats(const char* phase, const std::vector<kernels::opencl::KernelStat>& stats, double peakGbs,
                int tokens) {
    double total = 0;
    for (const auto& s : stats) total += s.seconds;
    std::printf("\n%s: device time per kernel (%d tokens; total %.3f ms, %.1f us/token)\n", phase, tokens,
                total * 1e3, total * 1e6 / tokens);
    std::printf("%-16s %8s %10s %9s %8s %8s %7s\n", "kernel", "calls", "ms", "us/call", "share", "GB/s", "%peak");
    std::vector<kernels::opencl::KernelStat> sorted = stats;
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.seconds > b.seconds; });
    for (const auto& s : sorted) {
        const double gbs = s.seconds > 0 ? s.bytes / s.seconds / 1e9 : 0;
        std::printf("%-16s %8lld %10.3f %9.2f %7.1f%% %8.1f %6.1f%%\n", s.name.c_str(),
                    static_cast<long long>(s.calls), s.seconds * 1e3, s.seconds * 1e6 / std::max<int64_t>(s.calls, 1),
                    100.0 * s.seconds / std::max(total, 1e-12), gbs, 100.0 * gbs / peakGbs);
    }
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "%s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "-m" || a == "--model") o.model = next();
        else if (a == "--device") o.device = next();
        else if (a == "--gpu-layers") o.gpuLayers = std::atoi(next().c_str());
        else if (a == "-p") o.pp = std::atoi(next().c_str());
        else if (a == "-n") o.tg = std::atoi(next().c_str());
        else if (a == "-r") o.reps = std::max(1, std::atoi(next().c_str()));
        else if (a == "--profile") o.profile = true;
        else if (a == "--peak-gbs") o.peakGbs = std::atof(next().c_str());
        else {
            std::fprintf(stderr,
                         "usage: assistant-gpu-bench -m MODEL [--device ID] [--gpu-layers N] [-p 512] [-n 128] "
                         "[-r 3] [--profile] [--peak-gbs 3350]\n");
            return 2;
        }
    }
    if (o.model.empty()) {
        std::fprintf(stderr, "assistant-gpu-bench: -m MODEL is required\n");
        return 2;
    }
    {
        auto model = load(o);
        const int vocab = model->info().vocabSize;
        auto s = session(model, o);
        runTg(*s, Options{o.model, o.device, o.gpuLayers, 16, 16, 1}, vocab, 99);  // warm-up (first launches)
        std::vector<double> pp, tg;
        for (int r = 0; r < o.reps; ++r) {
            if (o.pp > 0) pp.push_back(o.pp / runPp(*s, o, vocab, 1000 + r));
            if (o.tg > 0) tg.push_back(o.tg / runTg(*s, o, vocab, 2000 + r));
        }
        if (o.pp > 0) std::printf("pp%d: %.1f tokens/s (median of %d; runs", o.pp, median(pp), o.reps);
        for (double v : pp) std::printf(" %.1f", v);
        if (o.pp > 0) std::printf(")\n");
        if (o.tg > 0) std::printf("tg%d: %.1f tokens/s (median of %d; runs", o.tg, median(tg), o.reps);
        for (double v : tg) std::printf(" %.1f", v);
        if (o.tg > 0) std::printf(")\n");
    }
    if (o.profile) {
        setenv("ASSISTANT_OPENCL_PROFILE", "1", 1);
        auto model = load(o);
        const arch::Placement* gpu = assistant::modelImpl(*model).placement.get();
        if (!gpu || gpu->deviceLayers() == 0) {
            std::printf("profile: no GPU layers\n");
            return 0;
        }
        const int vocab = model->info().vocabSize;
        auto s = session(model, o);
        runTg(*s, Options{o.model, o.device, o.gpuLayers, 16, 16, 1}, vocab, 99);
        gpu->takeStats();
        if (o.tg > 0) {
            runTg(*s, o, vocab, 3000);
            printStats("decode", gpu->takeStats(), o.peakGbs, o.tg);
        }
        if (o.pp > 0) {
            runPp(*s, o, vocab, 4000);
            printStats("prefill", gpu->takeStats(), o.peakGbs, o.pp);
        }
    }
    return 0;
}
