// bench_batch: continuous batching through the engine's public API, without HTTP.
// For each P in --parallel, P sessions share one Batcher (-t threads) and generate at
// once on P threads: a prompt of -p random tokens each (read together, in shared
// passes), then -n greedy tokens each (ignore EOS). Reported per P, median of -r runs:
//   total t/s    all generated tokens over the wall time (first prompt in -> last token out)
//   decode t/s   the sum over sessions of their decode rate (tokens after the first / time)
//   TTFT         time to first token, median and max over the sessions
// and `alone` (P = 1 without a batcher, the session's own threads) as the baseline.
// --shared S: the prompts' first S tokens are the same (a system prompt), and an
// earlier session of the batcher has read them before the clock starts (a warm
// server): the sessions copy those rows instead of evaluating them (prefix sharing).
//
// usage: bench_batch -m FILE [-p 32] [-n 32] [--parallel 1,2,4,8] [-t THREADS] [-r 3]
//                    [--shared S] [--device ID] [--gpu-layers N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "args.h"
#include "assistant/engine.h"
#include "kernels/cpu_features.h"

namespace {

struct Run {
    double totalTps = 0, decodeTps = 0, ttftMedianMs = 0, ttftMaxMs = 0;
};

std::vector<int> intList(const std::string& text) {
    std::vector<int> out;
    std::stringstream in(text);
    for (std::string item; std::getline(in, item, ',');) out.push_back(std::atoi(item.c_str()));
    return out;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// One run of `parallel` sessions (sharing `batcher` unless it is null).
bool runOnce(const std::shared_ptr<const assistant::Model>& model, const std::shared_ptr<assistant::Batcher>& batcher,
             int parallel, int threads, int prompt, int shared, int gen, uint32_t seed, Run& out) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int32_t> token(0, model->info().vocabSize - 1);
    std::vector<int32_t> system;
    for (int i = 0; i < shared; ++i) system.push_back(token(rng));
    std::vector<std::vector<int32_t>> prompts(static_cast<size_t>(parallel), system);
    for (auto& p : prompts)
        for (int i = shared; i < prompt; ++i) p.push_back(token(rng));
    std::unique_ptr<assistant::Session> earlier;  // a warm server's slot that has read the system prompt
    if (shared > 0 && batcher) {
        assistant::SessionParams sp;
        sp.contextLength = prompt + gen + 16;
        sp.batcher = batcher;
        auto s = assistant::Session::create(model, sp);
        if (!s) return false;
        earlier = std::move(*s);
        std::vector<int32_t> first = system;
        first.push_back(token(rng));
        assistant::GenerateParams gp;
        gp.maxTokens = 1;
        if (!earlier->generate(std::span<const int32_t>(first), gp, nullptr)) return false;
    }
    std::vector<std::unique_ptr<assistant::Session>> sessions;
    for (int i = 0; i < parallel; ++i) {
        assistant::SessionParams sp;
        sp.contextLength = prompt + gen + 16;
        sp.threads = threads;
        sp.batcher = batcher;
        auto s = assistant::Session::create(model, sp);
        if (!s) {
            std::fprintf(stderr, "bench_batch: %s\n", s.error().message.c_str());
            return false;
        }
        sessions.push_back(std::move(*s));
    }
    std::vector<assistant::GenerateStats> stats(static_cast<size_t>(parallel));
    std::vector<std::string> errors(static_cast<size_t>(parallel));
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> workers;
    for (int i = 0; i < parallel; ++i)
        workers.emplace_back([&, i] {
            assistant::GenerateParams gp;
            gp.sampling.temperature = 0;
            gp.maxTokens = gen;
            gp.ignoreEos = true;
            auto r = sessions[i]->generate(std::span<const int32_t>(prompts[i]), gp, nullptr);
            if (r) stats[i] = r->stats;
            else errors[i] = r.error().message;
        });
    for (std::thread& w : workers) w.join();
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::vector<double> ttft;
    out = {};
    for (int i = 0; i < parallel; ++i) {
        if (!errors[i].empty()) {
            std::fprintf(stderr, "bench_batch: %s\n", errors[i].c_str());
            return false;
        }
        out.decodeTps += stats[i].generatedTokensPerSecond;
        ttft.push_back(stats[i].timeToFirstTokenMs);
    }
    out.totalTps = static_cast<double>(parallel) * gen / wall;
    out.ttftMedianMs = median(ttft);
    out.ttftMaxMs = *std::max_element(ttft.begin(), ttft.end());
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    cli::Args args(std::vector<std::string>(argv + 1, argv + argc));
    const auto path = args.value("-m", "--model");
    const int prompt = static_cast<int>(args.integer("-p").value_or(32));
    const int gen = static_cast<int>(args.integer("-n").value_or(32));
    const std::vector<int> levels = intList(args.value("--parallel").value_or("1,2,4,8"));
    const int threads = static_cast<int>(args.integer("-t", "--threads").value_or(0));
    const int reps = static_cast<int>(args.integer("-r").value_or(3));
    const int shared = static_cast<int>(args.integer("--shared").value_or(0));
    assistant::ModelParams mp;
    mp.device = args.value("--device").value_or("cpu");
    mp.gpuLayers = static_cast<int>(args.integer("--gpu-layers").value_or(-1));
    args.positional();
    if (!path || !args.error().empty() || prompt < 1 || gen < 2 || reps < 1 || shared < 0 || shared >= prompt) {
        std::fprintf(stderr, "usage: bench_batch -m FILE [-p 32] [-n 32] [--parallel 1,2,4,8] [-t THREADS] [-r 3]\n"
                             "                   [--shared S (< -p)] [--device ID] [--gpu-layers N]\n");
        return 2;
    }
    auto model = assistant::Model::load(*path, mp);
    if (!model) {
        std::fprintf(stderr, "bench_batch: %s\n", model.error().message.c_str());
        return 1;
    }
    std::printf("%s, %s; %s (%s); -p %d (%d shared) -n %d, -t %d, median of %d\n", (*model)->info().path.c_str(),
                (*model)->info().device.c_str(), kernels::cpuFeatures().brand.c_str(),
                kernels::cpuIsaName(kernels::activeCpuIsa()), prompt, shared, gen, threads, reps);
    std::printf("| sessions | total t/s | vs alone | decode t/s | TTFT median / max (ms) |\n| --- | --- | --- | --- | --- |\n");
    double alone = 0;
    auto row = [&](const char* label, int parallel, const std::shared_ptr<assistant::Batcher>& batcher) {
        std::vector<Run> runs(static_cast<size_t>(reps));
        runOnce(*model, batcher, parallel, threads, prompt, shared, gen, 99, runs[0]);  // warm-up
        for (int r = 0; r < reps; ++r)
            if (!runOnce(*model, batcher, parallel, threads, prompt, shared, gen, 1234 + r, runs[r])) return false;
        auto pick = [&](double Run::*f) {
            std::vector<double> v;
            for (const Run& x : runs) v.push_back(x.*f);
            return median(v);
        };
        const double total = pick(&Run::totalTps);
        if (alone == 0) alone = total;
        std::printf("| %s | %.1f | %.2fx | %.1f | %.0f / %.0f |\n", label, total, total / alone, pick(&Run::decodeTps),
                    pick(&Run::ttftMedianMs), pick(&Run::ttftMaxMs));
        std::fflush(stdout);
        return true;
    };
    if (!row("1 alone", 1, nullptr)) return 1;
    for (int p : levels) {
        assistant::BatcherParams bp;
        bp.threads = threads;
        auto batcher = assistant::Batcher::create(*model, bp);
        if (!batcher) {
            std::fprintf(stderr, "bench_batch: %s\n", batcher.error().message.c_str());
            return 1;
        }
        if (!row(std::to_string(p).c_str(), p, *batcher)) return 1;
        const assistant::Batcher::Stats st = (*batcher)->stats();
        std::fprintf(stderr, "  %d sessions: %.2f sequences per pass, %llu prompt tokens copied from another session\n", p,
                     static_cast<double>(st.sequences) / static_cast<double>(std::max<uint64_t>(1, st.passes)),
                     static_cast<unsigned long long>(st.sharedPromptTokens));
    }
    return 0;
}
