// assistant-bench: prompt-processing (ppN) and generation (tgN) speed of the engine,
// measured like llama-bench so the two tables compare line by line:
//   ppN: N random tokens evaluated as one batch into an empty context;
//   tgN: N tokens evaluated one at a time from an empty context;
//   with -d D, both after D context tokens (untimed; llama-bench's -d), named "tgN @ dD";
//   vK (--verify K): speculative decoding's verification pass, 1 + K tokens as one batch
//   with every row's logits, 16 passes in a row; its t/s column is passes per second, so
//   tg's t/s over vK's is what a pass costs in decode steps.
// --speculative DRAFT[,DRAFT...] runs the speculative mode instead (speculative_bench.h):
// a fixed prompt set generated with each draft kind and without, acceptance and speed-up.
// The header names the CPU and the ISA path its kernels run on (ASSISTANT_CPU_ISA
// picks a lower one).
// Each test runs once untimed (warm-up: page-in, repacking caches), then -r times;
// tokens/s is reported as mean +- sample standard deviation over the repetitions.
// Peak RSS is the process high-water mark (getrusage) after the test.
// A MoE model with a hot-expert cache (--gpu-mem): the cache is refreshed between runs
// only (each run's Session::reset, before its timer starts; the refresh waits for its
// copies), and each run prints a line to stderr: its t/s and hit rate, and the refresh
// before it (refreshes, swaps, ms, MiB uploaded); a refresh inside a timed part would be
// called out.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "args.h"
#include "assistant/engine.h"
#include "kernels/cpu_features.h"
#include "speculative_bench.h"

namespace {

struct Options {
    std::vector<std::string> models;
    std::vector<int> prompts{512}, gens{128}, threads{0}, depths{0}, verifies;
    int reps = 5;
    bool json = false;
    std::string device = "cpu";
    int gpuLayers = 0;
    assistant::MoeExperts moeExperts = assistant::MoeExperts::Auto;
    uint64_t gpuMemory = 0;  // --gpu-mem: the device budget (a MoE model's hot-expert cache fills what is left)
    assistant::KvType kvType = assistant::KvType::F16;
    bench::SpeculativeOptions speculative;  // drafts given: the speculative mode
};

struct Result {
    std::string model, type, test, backend;
    uint64_t sizeBytes = 0, params = 0;
    int threads = 0, reps = 0;
    double mean = 0, stddev = 0;
    long peakRss = 0;
    assistant::Model::HotExpertStats hot;  // the measured runs' hot-expert cache picks and hits (none: zeros)
};

const char* kUsage =
    "Usage: assistant-bench -m FILE [-m FILE...] [-p 512[,N...]] [-n 128[,N...]] [-t THREADS[,N...]]\n"
    "                       [-d DEPTH[,N...]] [-r REPS (5)] [--kv-type f16|f32|q8_0|q4_0] [--device ID]\n"
    "                       [--gpu-layers N] [--moe-experts auto|cpu|gpu] [--gpu-mem BYTES (12G, 512M)]\n"
    "                       [--verify K[,K...]] [--json]\n"
    "       assistant-bench -m FILE [-m FILE...] --speculative prompt-lookup|self:TYPE|FILE[,...] [-n 128]\n"
    "                       [-r REPS] [-t THREADS] [--draft-max K (3)] [--draft-min-p P (0.5)]\n"
    "  -p 0 or -n 0 skips that test; -d: the tests run after that many context tokens. Prints the CPU\n"
    "  and its kernels' ISA, then a markdown table (llama-bench layout), or with --json one\n"
    "  JSON array: {\"test\", \"threads\", \"tokens_per_s\", \"stddev\", \"peak_rss_bytes\", ...} per test.\n";

std::vector<int> intList(const std::string& text) {
    std::vector<int> out;
    std::stringstream in(text);
    for (std::string item; std::getline(in, item, ',');) out.push_back(std::atoi(item.c_str()));
    return out;
}

long peakRssBytes() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss * 1024L;  // Linux reports kilobytes
}

enum class Test { Prompt, Generation, Verify };
constexpr int kVerifyPasses = 16;

// The hot-expert cache's counters around one run: before its reset (which refreshes
// the cache: between runs, untimed), at the start and at the end of the timed part.
struct HotRun {
    assistant::Model::HotExpertStats before, start, end;
};

// Seconds for one run of the test, or a negative value on error (message printed).
double runOnce(assistant::Session& session, const std::vector<int32_t>& context, const std::vector<int32_t>& tokens,
               Test test, HotRun* hot = nullptr) {
    const assistant::Model& model = *session.model();
    if (hot) hot->before = model.hotExperts();
    session.reset();
    if (!context.empty())
        if (auto r = session.evaluate(context, false); !r) {
            std::fprintf(stderr, "assistant-bench: %s\n", r.error().message.c_str());
            return -1.0;
        }
    if (hot) hot->start = model.hotExperts();
    const auto start = std::chrono::steady_clock::now();
    if (test == Test::Verify) {
        for (int pass = 0; pass < kVerifyPasses; ++pass)
            if (auto r = session.evaluate(tokens, true); !r) {
                std::fprintf(stderr, "assistant-bench: %s\n", r.error().message.c_str());
                return -1.0;
            }
    } else if (test == Test::Generation) {
        for (int32_t t : tokens) {
            const int32_t one[] = {t};
            if (auto r = session.evaluate(one, false); !r) {
                std::fprintf(stderr, "assistant-bench: %s\n", r.error().message.c_str());
                return -1.0;
            }
        }
    } else if (auto r = session.evaluate(tokens, false); !r) {
        std::fprintf(stderr, "assistant-bench: %s\n", r.error().message.c_str());
        return -1.0;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (hot) hot->end = model.hotExperts();
    return seconds;
}

// One run's line about the hot-expert cache: the refresh before it (outside the timed
// part) and the run's hit rate; a refresh inside the timed part is called out.
void printHotRun(const std::string& test, int rep, double tokensPerSecond, const HotRun& h) {
    const uint64_t picks = h.end.picks - h.start.picks, hits = h.end.hits - h.start.hits;
    std::fprintf(stderr,
                 "assistant-bench: %s run %d: %.2f t/s; hit rate %.1f%% (%llu of %llu picks on the GPU); before it, "
                 "untimed: %llu refreshes, %llu swaps, %.2f ms, %.1f MiB uploaded\n",
                 test.c_str(), rep + 1, tokensPerSecond, picks ? 100.0 * static_cast<double>(hits) / static_cast<double>(picks) : 0.0,
                 static_cast<unsigned long long>(hits), static_cast<unsigned long long>(picks),
                 static_cast<unsigned long long>(h.start.refreshes - h.before.refreshes),
                 static_cast<unsigned long long>(h.start.swaps - h.before.swaps),
                 1e3 * (h.start.refreshSeconds - h.before.refreshSeconds),
                 static_cast<double>(h.start.refreshBytes - h.before.refreshBytes) / (1 << 20));
    if (h.end.refreshes != h.start.refreshes)
        std::fprintf(stderr, "assistant-bench: %s run %d: %llu refreshes (%llu swaps, %.2f ms) INSIDE the timed part\n",
                     test.c_str(), rep + 1, static_cast<unsigned long long>(h.end.refreshes - h.start.refreshes),
                     static_cast<unsigned long long>(h.end.swaps - h.start.swaps),
                     1e3 * (h.end.refreshSeconds - h.start.refreshSeconds));
}

bool runTest(const Options& opt, const std::shared_ptr<const assistant::Model>& model, int threads, int count,
             int depth, Test test, Result& out) {
    const assistant::ModelInfo& info = model->info();
    assistant::SessionParams sp;
    sp.threads = threads;
    sp.kvType = opt.kvType;
    sp.contextLength = depth + count * (test == Test::Verify ? kVerifyPasses : 1) + 16;
    sp.batchSize = std::max({count, depth > 0 ? 512 : 1, 1});
    auto session = assistant::Session::create(model, sp);
    if (!session) {
        std::fprintf(stderr, "assistant-bench: %s\n", session.error().message.c_str());
        return false;
    }
    std::mt19937 rng(1234);
    std::uniform_int_distribution<int32_t> token(0, std::max(info.vocabSize - 1, 0));
    std::vector<int32_t> tokens(static_cast<size_t>(count)), context(static_cast<size_t>(depth));
    for (int32_t& t : tokens) t = token(rng);
    for (int32_t& t : context) t = token(rng);

    if (runOnce(**session, context, tokens, test) < 0) return false;  // warm-up
    // The cache is refreshed between runs only (each run's reset(), before its timer
    // starts), never inside the timed part: what the warm-up picked goes in at the first.
    const assistant::Model::HotExpertStats hot0 = model->hotExperts();
    const bool cached = info.hotExpertsPerLayer > 0;
    const char* name = test == Test::Generation ? "tg" : test == Test::Prompt ? "pp" : "v";
    out.test = name + std::to_string(test == Test::Verify ? count - 1 : count) +
               (depth > 0 ? " @ d" + std::to_string(depth) : "");
    std::vector<double> rates;
    for (int r = 0; r < opt.reps; ++r) {
        HotRun hot;
        const double s = runOnce(**session, context, tokens, test, cached ? &hot : nullptr);
        if (s < 0) return false;
        rates.push_back(test == Test::Verify ? kVerifyPasses / s : count / s);
        if (cached) printHotRun(out.test, r, rates.back(), hot);
    }
    double mean = 0, var = 0;
    for (double v : rates) mean += v;
    mean /= static_cast<double>(rates.size());
    for (double v : rates) var += (v - mean) * (v - mean);
    out.mean = mean;
    out.stddev = rates.size() > 1 ? std::sqrt(var / static_cast<double>(rates.size() - 1)) : 0.0;
    out.reps = opt.reps;
    out.threads = threads;
    out.peakRss = peakRssBytes();
    const assistant::Model::HotExpertStats hot1 = model->hotExperts();
    out.hot.picks = hot1.picks - hot0.picks;
    out.hot.hits = hot1.hits - hot0.hits;
    out.hot.swaps = hot1.swaps - hot0.swaps;
    out.hot.refreshes = hot1.refreshes - hot0.refreshes;
    out.hot.refreshSeconds = hot1.refreshSeconds - hot0.refreshSeconds;
    out.hot.refreshBytes = hot1.refreshBytes - hot0.refreshBytes;
    out.hot.streamedLayers = hot1.streamedLayers - hot0.streamedLayers;
    out.hot.streamThresholdTokens = hot1.streamThresholdTokens;  // now, not a difference
    out.hot.streamSecondsPerLayer = hot1.streamSecondsPerLayer;
    out.hot.cpuSecondsPerTokenPerLayer = hot1.cpuSecondsPerTokenPerLayer;
    return true;
}

void printMarkdownHeader() {
    std::printf("| model | size | params | backend | threads | test | t/s | peak RSS |\n");
    std::printf("| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |\n");
}

std::string humanSize(uint64_t bytes) {
    char buf[32];
    if (bytes >= (1ull << 30)) std::snprintf(buf, sizeof buf, "%.2f GiB", static_cast<double>(bytes) / (1ull << 30));
    else std::snprintf(buf, sizeof buf, "%.2f MiB", static_cast<double>(bytes) / (1ull << 20));
    return buf;
}

std::string humanCount(uint64_t n) {
    char buf[32];
    if (n >= 1000000000ull) std::snprintf(buf, sizeof buf, "%.2f B", static_cast<double>(n) / 1e9);
    else std::snprintf(buf, sizeof buf, "%.2f M", static_cast<double>(n) / 1e6);
    return buf;
}

void printMarkdownRow(const Result& r) {
    std::printf("| %s %s | %s | %s | %s | %d | %s | %.2f ± %.2f | %.0f MiB |\n", r.model.c_str(), r.type.c_str(),
                humanSize(r.sizeBytes).c_str(), humanCount(r.params).c_str(), r.backend.c_str(), r.threads,
                r.test.c_str(), r.mean, r.stddev, static_cast<double>(r.peakRss) / (1024.0 * 1024));
    if (r.hot.picks > 0)
        std::fprintf(stderr, "assistant-bench: %s: hot-expert hit rate %.1f%% (%llu of %llu picks on the GPU; %llu swaps "
                             "in %llu refreshes, %.2f ms, between the runs: not in t/s)\n",
                     r.test.c_str(), 100.0 * r.hot.hitRate(), static_cast<unsigned long long>(r.hot.hits),
                     static_cast<unsigned long long>(r.hot.picks), static_cast<unsigned long long>(r.hot.swaps),
                     static_cast<unsigned long long>(r.hot.refreshes), 1e3 * r.hot.refreshSeconds);
    if (r.hot.streamThresholdTokens > 0)
        std::fprintf(stderr, "assistant-bench: %s: experts stream from batches of %lld tokens (measured a layer: stream "
                             "%.2f ms, CPU %.3f ms a token; 0: not yet); %llu layers streamed\n",
                     r.test.c_str(), static_cast<long long>(r.hot.streamThresholdTokens), 1e3 * r.hot.streamSecondsPerLayer,
                     1e3 * r.hot.cpuSecondsPerTokenPerLayer, static_cast<unsigned long long>(r.hot.streamedLayers));
    std::fflush(stdout);
}

std::string jsonEscape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        if (static_cast<unsigned char>(c) < 0x20) continue;
        out += c;
    }
    return out;
}

void printJson(const std::vector<Result>& results) {
    std::printf("[\n");
    for (size_t i = 0; i < results.size(); ++i) {
        const Result& r = results[i];
        std::printf(
            "  {\"test\": \"%s\", \"threads\": %d, \"tokens_per_s\": %.4f, \"stddev\": %.4f, \"peak_rss_bytes\": %ld, "
            "\"model\": \"%s\", \"type\": \"%s\", \"file_bytes\": %llu, \"params\": %llu, \"backend\": \"%s\", "
            "\"reps\": %d, \"hot_expert_hit_rate\": %.4f, \"hot_expert_swaps\": %llu, \"hot_expert_refresh_ms\": %.3f, "
            "\"cpu\": \"%s\", \"isa\": \"%s\"}%s\n",
            r.test.c_str(), r.threads, r.mean, r.stddev, r.peakRss, jsonEscape(r.model).c_str(), r.type.c_str(),
            static_cast<unsigned long long>(r.sizeBytes), static_cast<unsigned long long>(r.params),
            r.backend.c_str(), r.reps, r.hot.hitRate(), static_cast<unsigned long long>(r.hot.swaps),
            1e3 * r.hot.refreshSeconds, jsonEscape(kernels::cpuFeatures().brand).c_str(),
            kernels::cpuIsaName(kernels::activeCpuIsa()), i + 1 < results.size() ? "," : "");
    }
    std::printf("]\n");
}

std::optional<Options> parse(int argc, char** argv) {
    cli::Args args(std::vector<std::string>(argv + 1, argv + argc));
    Options opt;
    if (args.flag("-h", "--help")) {
        std::printf("%s", kUsage);
        std::exit(0);
    }
    while (auto m = args.value("-m", "--model")) opt.models.push_back(*m);
    if (auto p = args.value("-p", "--n-prompt")) opt.prompts = intList(*p);
    if (auto n = args.value("-n", "--n-gen")) opt.gens = intList(*n);
    if (auto t = args.value("-t", "--threads")) opt.threads = intList(*t);
    if (auto d = args.value("-d", "--n-depth")) opt.depths = intList(*d);
    if (auto r = args.integer("-r", "--repetitions")) opt.reps = static_cast<int>(*r);
    if (auto v = args.value("--verify")) opt.verifies = intList(*v);
    if (auto d = args.value("--device")) opt.device = *d;
    if (auto g = args.integer("--gpu-layers")) opt.gpuLayers = static_cast<int>(*g);
    if (auto m = args.value("--moe-experts"); m && !assistant::parseMoeExperts(*m, opt.moeExperts)) {
        std::fprintf(stderr, "assistant-bench: --moe-experts must be auto, cpu or gpu (got '%s')\n", m->c_str());
        return std::nullopt;
    }
    if (auto g = args.value("--gpu-mem")) {  // 12G, 512M, 4096K or bytes
        char* end = nullptr;
        const double v = std::strtod(g->c_str(), &end);
        const std::string unit = end ? end : "";
        const double scale = unit.empty() ? 1.0 : unit == "K" ? 1024.0 : unit == "M" ? 1048576.0 : unit == "G" ? 1073741824.0 : 0.0;
        if (end == g->c_str() || !(v > 0) || scale == 0.0) {
            std::fprintf(stderr, "assistant-bench: --gpu-mem: '%s' is not a size like 12G, 512M or a byte count\n", g->c_str());
            return std::nullopt;
        }
        opt.gpuMemory = static_cast<uint64_t>(v * scale);
    }
    if (auto kv = args.value("--kv-type")) {
        if (*kv == "f16") opt.kvType = assistant::KvType::F16;
        else if (*kv == "f32") opt.kvType = assistant::KvType::F32;
        else if (*kv == "q8_0") opt.kvType = assistant::KvType::Q8_0;
        else if (*kv == "q4_0") opt.kvType = assistant::KvType::Q4_0;
        else {
            std::fprintf(stderr, "assistant-bench: unknown --kv-type '%s'\n", kv->c_str());
            return std::nullopt;
        }
    }
    opt.json = args.flag("--json");
    if (auto s = args.value("--speculative")) {
        std::stringstream in(*s);
        for (std::string item; std::getline(in, item, ',');) opt.speculative.drafts.push_back(item);
        if (auto k = args.integer("--draft-max")) opt.speculative.maxDraftTokens = static_cast<int>(*k);
        if (auto p = args.number("--draft-min-p")) opt.speculative.minDraftProbability = static_cast<float>(*p);
    }
    args.positional();
    if (!args.error().empty() || opt.models.empty() || opt.reps < 1) {
        std::fprintf(stderr, "assistant-bench: %s\n%s",
                     args.error().empty() ? "give a model with -m and -r >= 1" : args.error().c_str(), kUsage);
        return std::nullopt;
    }
    return opt;
}

}  // namespace

int main(int argc, char** argv) {
    const std::optional<Options> opt = parse(argc, argv);
    if (!opt) return 2;
    if (!opt->speculative.drafts.empty()) {
        bench::SpeculativeOptions s = opt->speculative;
        s.models = opt->models;
        s.tokens = opt->gens.empty() ? s.tokens : opt->gens.front();
        s.reps = opt->reps;
        s.threads = opt->threads.empty() ? 0 : opt->threads.front();
        std::printf("CPU: %s; kernels: %s\n\n", kernels::cpuFeatures().brand.c_str(),
                    kernels::cpuIsaName(kernels::activeCpuIsa()));
        return bench::runSpeculative(s);
    }
    std::vector<Result> results;
    if (!opt->json) {
        std::printf("CPU: %s; kernels: %s\n\n", kernels::cpuFeatures().brand.c_str(),
                    kernels::cpuIsaName(kernels::activeCpuIsa()));
        printMarkdownHeader();
    }
    for (const std::string& path : opt->models) {
        for (int threads : opt->threads) {
            assistant::ModelParams mp;
            mp.device = opt->device;
            mp.gpuLayers = opt->gpuLayers;
            mp.moeExperts = opt->moeExperts;
            mp.gpuMemory = opt->gpuMemory;
            mp.threads = threads > 0 ? threads : 0;
            auto model = assistant::Model::load(path, mp);
            if (!model) {
                std::fprintf(stderr, "assistant-bench: %s: %s\n", path.c_str(), model.error().message.c_str());
                return 1;
            }
            const assistant::ModelInfo& info = (*model)->info();
            Result base;
            base.model = std::filesystem::path(path).stem().string();
            base.type = info.fileType;
            base.sizeBytes = info.fileSize;
            base.params = info.parameterCount;
            base.backend = opt->device == "cpu" || opt->gpuLayers == 0 ? "CPU" : opt->device;
            if (info.gpuLayers > 0)
                std::fprintf(stderr, "assistant-bench: %d of %d layers on %s%s\n", info.gpuLayers, info.layerCount,
                             info.device.c_str(), info.expertsOnGpu ? " with their routed experts" : "");
            if (info.hotExpertsPerLayer > 0)
                std::fprintf(stderr, "assistant-bench: hot-expert cache: %d of %d experts per layer on the GPU\n",
                             info.hotExpertsPerLayer, info.expertCount);
            const int resolvedThreads = threads > 0 ? threads : kernels::cpuFeatures().physicalCores;
            for (int depth : opt->depths) {
                for (int p : opt->prompts) {
                    if (p <= 0) continue;
                    Result r = base;
                    if (!runTest(*opt, *model, resolvedThreads, p, std::max(depth, 0), Test::Prompt, r)) return 1;
                    results.push_back(r);
                    if (!opt->json) printMarkdownRow(r);
                }
                for (int n : opt->gens) {
                    if (n <= 0) continue;
                    Result r = base;
                    if (!runTest(*opt, *model, resolvedThreads, n, std::max(depth, 0), Test::Generation, r)) return 1;
                    results.push_back(r);
                    if (!opt->json) printMarkdownRow(r);
                }
                for (int k : opt->verifies) {
                    if (k <= 0) continue;
                    Result r = base;
                    if (!runTest(*opt, *model, resolvedThreads, k + 1, std::max(depth, 0), Test::Verify, r)) return 1;
                    results.push_back(r);
                    if (!opt->json) printMarkdownRow(r);
                }
            }
        }
    }
    if (opt->json) printJson(results);
    return 0;
}
