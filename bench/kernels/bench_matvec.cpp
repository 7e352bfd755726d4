// Kernel microbenchmark (llm.c dev/cuda style): every ISA version of the CPU matmul
// is first checked against kernels/ref, then timed on the weight shapes of a real
// model (TinyLlama-1.1B: 2048x2048 q/o, 256x2048 k/v, 5632x2048 gate/up, 2048x5632
// down). Decode (1 token) cycles through enough copies of the weights to defeat the
// caches (>= 512 MiB streamed per rep), so its GB/s is the DRAM rate the kernel
// sustains; prefill runs 128 tokens. Reports the median of --reps runs.
//
//   bench_kernels [-t THREADS] [-r REPS] [--types Q4_0,Q8_0,...] [--isa avx512vnni,...] [--tokens N]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu_features.h"
#include "kernels/ops.h"
#include "kernels/ref.h"
#include "kernels/thread_pool.h"

namespace {

using kernels::GgmlType;

struct Shape {
    const char* name;
    int64_t rows, cols;
};
constexpr Shape kShapes[] = {{"attn_q", 2048, 2048}, {"attn_k", 256, 2048}, {"ffn_up", 5632, 2048},
                             {"ffn_down", 2048, 5632}};

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= s.size()) {
        const size_t comma = s.find(',', start);
        out.push_back(s.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return out;
}

std::vector<size_t> halfFields(GgmlType type) {
    switch (type) {
        case GgmlType::Q4_0: case GgmlType::Q5_0: case GgmlType::Q8_0: case GgmlType::IQ4_NL: return {0};
        case GgmlType::IQ4_XS: return {0};
        case GgmlType::Q4_1: case GgmlType::Q5_1: case GgmlType::Q4_K: case GgmlType::Q5_K: return {0, 2};
        case GgmlType::Q2_K: return {80, 82};
        case GgmlType::Q3_K: return {108};
        case GgmlType::Q6_K: return {208};
        case GgmlType::TQ1_0: return {52};
        case GgmlType::TQ2_0: return {64};
        default: return {};
    }
}

// Random weights: random quant bytes with sane f16 scales (F16/F32: random values).
std::vector<uint8_t> randomWeights(GgmlType type, int64_t rows, int64_t cols, uint32_t seed) {
    std::mt19937 rng(seed);
    const size_t bytes = kernels::rowBytes(type, cols) * static_cast<size_t>(rows);
    std::vector<uint8_t> w(bytes);
    if (type == GgmlType::F32 || type == GgmlType::F16 || type == GgmlType::BF16) {
        std::normal_distribution<float> nd(0.0f, 0.02f);
        std::vector<float> row(static_cast<size_t>(cols));
        for (int64_t r = 0; r < rows; ++r) {
            for (float& v : row) v = nd(rng);
            kernels::ref::quantizeRow(type, row.data(), &w[r * kernels::rowBytes(type, cols)], cols);
        }
        return w;
    }
    for (size_t i = 0; i + 4 <= bytes; i += 4) {
        const uint32_t v = rng();
        std::memcpy(&w[i], &v, 4);
    }
    std::uniform_real_distribution<float> sd(0.002f, 0.02f);
    const auto& t = kernels::traits(type);
    for (size_t blk = 0; blk < bytes / t.blockBytes; ++blk)
        for (size_t off : halfFields(type)) {
            const uint16_t h = kernels::ref::fp32ToFp16(sd(rng));
            std::memcpy(&w[blk * t.blockBytes + off], &h, 2);
        }
    return w;
}

double nowS() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// CPU time of the whole process (all pool threads): on a shared, loaded machine the
// work per CPU-second is steadier than the wall-clock rate.
double cpuS() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// Max |got - ref| relative to max |ref| on a 40-row slice of the shape, 3 tokens.
double validate(kernels::ThreadPool& pool, GgmlType type, int64_t cols) {
    const int64_t rows = 40, tokens = 3;
    const auto w = randomWeights(type, rows, cols, 99);
    std::mt19937 rng(5);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    std::vector<float> x(static_cast<size_t>(tokens * cols));
    for (float& v : x) v = nd(rng);
    std::vector<float> got(rows * tokens), expect(rows * tokens);
    kernels::ref::matmul(type, w.data(), rows, cols, x.data(), tokens, expect.data());
    kernels::Matrix m{type, w.data(), rows, cols};
    kernels::repackForCpu(m);  // the layout the model loader makes for this ISA
    kernels::matmul(pool, m, x.data(), tokens, got.data());
    double maxRef = 1e-30, maxErr = 0.0;
    for (size_t i = 0; i < got.size(); ++i) {
        maxRef = std::max(maxRef, std::fabs(double(expect[i])));
        maxErr = std::max(maxErr, std::fabs(double(got[i]) - expect[i]));
    }
    return maxErr / maxRef;
}

}  // namespace

int main(int argc, char** argv) {
    int threads = 2, reps = 5;
    int64_t prefillTokens = 128;
    std::vector<std::string> typeNames = {"F16", "Q8_0", "Q4_0", "Q4_K", "Q6_K", "TQ2_0", "TQ1_0"};
    std::vector<std::string> isaNames;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
        if (a == "-t") threads = std::atoi(next().c_str());
        else if (a == "-r") reps = std::max(1, std::atoi(next().c_str()));
        else if (a == "--tokens") prefillTokens = std::max(2, std::atoi(next().c_str()));
        else if (a == "--types") typeNames = split(next());
        else if (a == "--isa") isaNames = split(next());
        else {
            std::fprintf(stderr,
                         "usage: bench_kernels [-t THREADS] [-r REPS] [--tokens N] [--types Q4_0,...] [--isa avx2,...]\n");
            return 2;
        }
    }
    std::vector<kernels::CpuIsa> isas;
    for (int i = 0; i < kernels::kCpuIsaCount; ++i) {
        const auto isa = static_cast<kernels::CpuIsa>(i);
        if (!kernels::cpuIsaSupported(isa)) continue;
        if (isaNames.empty() ? isa != kernels::CpuIsa::Scalar
                             : std::find(isaNames.begin(), isaNames.end(), kernels::cpuIsaName(isa)) != isaNames.end())
            isas.push_back(isa);
    }
    kernels::ThreadPool pool(threads);
    std::printf("# bench_kernels: %s, %d threads, median of %d; decode = 1 token from DRAM, prefill = %lld tokens\n",
                kernels::cpuFeatures().brand.c_str(), threads, reps, static_cast<long long>(prefillTokens));
    // "per cpu-s": bytes or ops per CPU-second of all threads together (load-independent-ish)
    std::printf("| type | isa | shape | err | decode us | decode GB/s | GB per cpu-s | prefill ms | prefill GOP/s | GOP per cpu-s |\n");
    std::printf("|---|---|---|---|---|---|---|---|---|---|\n");
    for (const std::string& tn : typeNames) {
        GgmlType type{};
        bool found = false;
        for (uint32_t id = 0; id < 40; ++id)
            if (auto t = kernels::typeTraits(id); t && t->name == tn && t->computable) {
                type = static_cast<GgmlType>(id);
                found = true;
            }
        if (!found) {
            std::fprintf(stderr, "unknown type %s\n", tn.c_str());
            continue;
        }
        for (const Shape& s : kShapes) {
            const size_t bytes = kernels::rowBytes(type, s.cols) * static_cast<size_t>(s.rows);
            const size_t copies = std::max<size_t>(2, (512u << 20) / bytes);
            std::vector<std::vector<uint8_t>> w;
            for (size_t c = 0; c < copies; ++c) w.push_back(randomWeights(type, s.rows, s.cols, 1000 + c));
            std::vector<float> x(static_cast<size_t>(prefillTokens * s.cols), 0.5f);
            for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.37 * i);
            std::vector<float> out(static_cast<size_t>(prefillTokens * s.rows));
            for (kernels::CpuIsa isa : isas) {
                kernels::setCpuIsa(isa);
                const double err = validate(pool, type, s.cols);
                // the layout the model loader makes for this ISA (interleaved rows, TQ1_0 -> TQ2_0)
                std::vector<kernels::Matrix> mats;
                for (size_t c = 0; c < copies; ++c) {
                    mats.push_back(kernels::Matrix{type, w[c].data(), s.rows, s.cols});
                    kernels::repackForCpu(mats.back());
                }
                std::vector<double> dec, pre, decCpu, preCpu;
                for (int r = 0; r < reps; ++r) {
                    const double t0 = nowS(), c0 = cpuS();
                    for (size_t c = 0; c < copies; ++c)
                        kernels::matmul(pool, mats[c], x.data(), 1, out.data());
                    dec.push_back((nowS() - t0) / copies);
                    decCpu.push_back((cpuS() - c0) / copies);
                }
                for (int r = 0; r < reps && isa != kernels::CpuIsa::Scalar; ++r) {
                    const double t0 = nowS(), c0 = cpuS();
                    kernels::matmul(pool, mats[r % copies], x.data(),
                                    prefillTokens, out.data());
                    pre.push_back(nowS() - t0);
                    preCpu.push_back(cpuS() - c0);
                }
                const double d = median(dec), dc = median(decCpu);
                const double p = pre.empty() ? 0.0 : median(pre), pc = pre.empty() ? 0.0 : median(preCpu);
                const double ops = 2.0 * s.rows * s.cols * prefillTokens;
                std::printf("| %s | %s | %s %lldx%lld | %.1e | %.1f | %.1f | %.1f | %.2f | %.1f | %.1f |\n", tn.c_str(),
                            kernels::cpuIsaName(isa), s.name, static_cast<long long>(s.rows),
                            static_cast<long long>(s.cols), err, d * 1e6, bytes / d / 1e9, bytes / dc / 1e9, p * 1e3,
                            p > 0 ? ops / p / 1e9 : 0.0, pc > 0 ? ops / pc / 1e9 : 0.0);
                std::fflush(stdout);
            }
        }
    }
    return 0;
}
