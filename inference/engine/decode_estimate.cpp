// The decode estimate of assistant-cli info and the app's model list: this machine's
// memory figures (a short probe, cached per machine in the user's config dir) and the
// tokens/s a placement's traffic (PlacementReport::decode*) gives with them.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "assistant/model_tools.h"
#include "engine/placement.h"
#include "kernels/backend.h"
#include "kernels/ops.h"
#include "kernels/opencl_backend.h"
#include "kernels/thread_pool.h"

namespace assistant {

namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kProbeBytes = size_t{256} << 20;
// Reads of it the CPU probe times (~15 ms each on 2 cores): the best of 3 varied from 12 to
// 18 GB/s on a shared 2-core VM; more reads find the quiet figure more often.
constexpr int kCpuReads = 10;
constexpr double kDefaultCpu = 20e9, kDefaultCpuOp = 5e-6, kDefaultDevice = 300e9, kDefaultOp = 10e-6,
                 kDefaultCrossing = 30e-6, kDefaultSoftCap = 20e-9, kDefaultGelu = 10e-9;

double seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

std::filesystem::path cachePath() {
    const char* xdg = std::getenv("XDG_CONFIG_HOME");
    const char* home = std::getenv("HOME");
    if (xdg && *xdg) return std::filesystem::path(xdg) / "assistant" / "bandwidth.tsv";
    if (home && *home) return std::filesystem::path(home) / ".config" / "assistant" / "bandwidth.tsv";
    return {};
}

// The best of kCpuReads timed reads of a 256 MiB buffer, split among `threads` threads.
double probeCpu(int threads) {
    const size_t words = kProbeBytes / 8;
    std::vector<uint64_t> buf(words, 1);  // written once: the pages exist before timing
    double best = 0;
    std::vector<uint64_t> sums(static_cast<size_t>(threads));
    for (int rep = 0; rep < kCpuReads; ++rep) {
        const Clock::time_point t0 = Clock::now();
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t)
            pool.emplace_back([&, t] {
                const size_t a = words * static_cast<size_t>(t) / static_cast<size_t>(threads);
                const size_t b = words * static_cast<size_t>(t + 1) / static_cast<size_t>(threads);
                uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                size_t i = a;
                for (; i + 4 <= b; i += 4) {
                    s0 += buf[i];
                    s1 += buf[i + 1];
                    s2 += buf[i + 2];
                    s3 += buf[i + 3];
                }
                for (; i < b; ++i) s0 += buf[i];
                sums[static_cast<size_t>(t)] = s0 + s1 + s2 + s3;
            });
        for (std::thread& th : pool) th.join();
        const double s = seconds(t0, Clock::now());
        if (s > 0) best = std::max(best, static_cast<double>(kProbeBytes) / s);
    }
    uint64_t total = 0;
    for (uint64_t s : sums) total += s;
    return total == words ? best : 0.0;  // (the sums keep the reads from being optimized out)
}

// A cache level's size in bytes from sysfs ("32768K"), 0 when unreadable.
uint64_t sysfsCacheBytes(const std::filesystem::path& index) {
    std::ifstream in(index / "size");
    uint64_t n = 0;
    char unit = 0;
    if (!(in >> n)) return 0;
    in >> unit;
    return unit == 'K' ? n << 10 : unit == 'M' ? n << 20 : unit == 'G' ? n << 30 : n;
}

// The bytes the last-level caches of cpus 0..threads-1 hold together: each distinct
// instance of the highest data/unified level once (shared_cpu_list names an instance).
uint64_t lastLevelCacheBytes(int threads) {
    int top = 0;
    uint64_t total = 0;
    std::vector<std::string> seen;
    for (int cpu = 0; cpu < threads; ++cpu) {
        const std::filesystem::path dir = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/cache";
        std::error_code ec;
        for (int i = 0; std::filesystem::exists(dir / ("index" + std::to_string(i)), ec); ++i) {
            const std::filesystem::path index = dir / ("index" + std::to_string(i));
            int level = 0;
            std::string type, shared;
            std::ifstream(index / "level") >> level;
            std::ifstream(index / "type") >> type;
            std::ifstream(index / "shared_cpu_list") >> shared;
            if (type == "Instruction" || level < top) continue;
            if (level > top) {  // a higher level than any seen: start over
                top = level;
                total = 0;
                seen.clear();
            }
            if (std::find(seen.begin(), seen.end(), shared) != seen.end()) continue;
            seen.push_back(shared);
            total += sysfsCacheBytes(index);
        }
    }
    return total;
}

// The best time of a one-token matmul of a rows x cols matrix of `type` (zeros: valid;
// repacked as the model's weights are) on a CPU backend of `threads` threads: 3 reps of
// `ops` after a warm-up rep, the weights warm in the caches.
double timeMatmul(int threads, kernels::GgmlType type, int64_t rows, int64_t cols, int ops) {
    std::vector<uint8_t> bytes(kernels::rowBytes(type, cols) * rows, 0);
    kernels::Matrix w{type, bytes.data(), rows, cols};
    kernels::repackForCpu(w);
    kernels::ThreadPool pool(threads);
    std::unique_ptr<kernels::Backend> cpu = kernels::makeCpuBackend(&pool);
    const kernels::Matrix* parts[] = {&w};
    auto weight = cpu->upload(parts);
    auto x = cpu->upload(std::vector<float>(static_cast<size_t>(cols), 0.5f));
    auto out = cpu->alloc(static_cast<size_t>(rows) * 4);
    if (!weight || !x || !out) return 0.0;
    double best = 0;
    for (int rep = 0; rep < 4; ++rep) {
        const Clock::time_point t0 = Clock::now();
        for (int i = 0; i < ops; ++i) cpu->matmul(**weight, **x, cols, 1, **out, rows, 0, false);
        const double s = seconds(t0, Clock::now()) / ops;
        if (rep > 0 && s > 0) best = best == 0 ? s : std::min(best, s);
    }
    return best;
}

// The types whose cache rates the probe measures, in the order of the "cache:T" row.
constexpr kernels::GgmlType kCacheTypes[] = {kernels::GgmlType::F32,  kernels::GgmlType::F16,
                                              kernels::GgmlType::Q8_0, kernels::GgmlType::Q4_0,
                                              kernels::GgmlType::Q4_K, kernels::GgmlType::Q6_K};
constexpr size_t kQ4_0Slot = 3;
// The least share of the tiny matmul's time an op is counted (probeCpuKernels says why).
constexpr double kOpShare = 0.25;

struct CpuKernelFigures {
    double opSeconds = 0, cacheBytes = 0;
    std::vector<double> rates;  // per kCacheTypes; empty: no cache figures
};

// MemoryBandwidth's cpuOpSeconds, cacheBytes and cache rates, from matmuls whose weights
// stay in the caches: a tiny Q4_0 one (512 x 256, 72 KiB: the smallest the CPU kernels
// still spread over the threads) and, per type, one of up to a quarter of the last-level
// caches (at most 8192 x 1024). A big one's time less the tiny one's, over their bytes'
// difference, is the type's rate from the caches (the kernels' rate, not a plain read's:
// what a token of a small model sees); the tiny one's time less its own bytes at Q4_0's
// rate is a matmul's fixed cost (so the bytes term and the ops term do not both count
// the same reads). That is near an empty parallel loop's (0.07 us with 2 threads on Zen 3),
// but a token's other ops (norms, RoPE, attention over a short context, routing) cost
// more than their bytes: the conformance-size models on 2 Zen 3 cores fit 0.5-1 us an
// op, about a quarter of the tiny matmul, the least an op is counted. Without sysfs cache
// sizes: the tiny matmul's time is the op's cost, no cache figures.
CpuKernelFigures probeCpuKernels(int threads) {
    constexpr int64_t kSmallRows = 512, kSmallCols = 256, kBigCols = 1024;
    CpuKernelFigures f;
    const double small = timeMatmul(threads, kernels::GgmlType::Q4_0, kSmallRows, kSmallCols, 500);
    f.opSeconds = small;
    const double cache = static_cast<double>(lastLevelCacheBytes(threads));
    if (small <= 0 || cache < double{4 << 20}) return f;
    const double smallBytes = static_cast<double>(kernels::rowBytes(kernels::GgmlType::Q4_0, kSmallCols) * kSmallRows);
    std::vector<double> rates;
    for (kernels::GgmlType type : kCacheTypes) {
        const double rowBytes = static_cast<double>(kernels::rowBytes(type, kBigCols));
        const int64_t rows = std::min<int64_t>(8192, static_cast<int64_t>(cache / 4 / rowBytes)) / 64 * 64;
        const double big = timeMatmul(threads, type, rows, kBigCols, 50);
        if (big <= small) return f;
        rates.push_back((rowBytes * static_cast<double>(rows) - smallBytes) / (big - small));
    }
    f.cacheBytes = cache;
    f.rates = rates;
    f.opSeconds = std::clamp(small - smallBytes / rates[kQ4_0Slot], kOpShare * small, small);
    return f;
}

// One value's time through kernels::softCap and kernels::geglu on this thread, best of 20
// passes over 4096 values (16 KiB: in the caches, as a token's scores and rows are) spread
// over (-3, 3) as capped scores and gates are (tanh costs half again as much there as
// near 0). {0, 0} when the clock saw nothing.
std::pair<double, double> probeActivations() {
    constexpr int64_t kValues = 4096;
    std::vector<float> src(kValues), x(kValues), up(kValues, 1.0f), out(kValues);
    for (int64_t i = 0; i < kValues; ++i) src[static_cast<size_t>(i)] = static_cast<float>(i % 97) / 16.0f - 3.0f;
    double cap = 0, gelu = 0;
    for (int rep = 0; rep < 20; ++rep) {
        x = src;  // every pass caps the same values
        Clock::time_point t0 = Clock::now();
        kernels::softCap(x.data(), kValues, 1.0f);
        const double c = seconds(t0, Clock::now());
        t0 = Clock::now();
        kernels::geglu(src.data(), up.data(), kValues, out.data());
        const double g = seconds(t0, Clock::now());
        if (c > 0) cap = cap == 0 ? c : std::min(cap, c);
        if (g > 0) gelu = gelu == 0 ? g : std::min(gelu, g);
    }
    if (cap <= 0 || gelu <= 0 || !std::isfinite(out[0] + x[0])) return {0.0, 0.0};
    return {cap / kValues, gelu / kValues};
}

// A device's copy bandwidth, launch cost and crossing time; false when it cannot be opened.
bool probeDevice(const std::string& id, MemoryBandwidth& bw) {
    std::shared_ptr<kernels::opencl::Backend> opencl;
    std::string note;
    std::shared_ptr<kernels::Backend> dev = arch::openDevice(id, opencl, note);
    if (!dev) return false;
    auto a = dev->alloc(kProbeBytes), b = dev->alloc(kProbeBytes);
    auto small = dev->alloc(16384);
    if (!a || !b || !small) return false;
    std::vector<uint8_t> host(16384, 1);
    std::lock_guard<std::mutex> lock(dev->lock());
    dev->write(**a, 0, host.data(), host.size());
    dev->copy(**a, 0, **b, 0, kProbeBytes);  // warm-up
    dev->read(**b, 0, host.data(), 4);
    double best = 0;
    for (int rep = 0; rep < 3; ++rep) {
        const Clock::time_point t0 = Clock::now();
        dev->copy(**a, 0, **b, 0, kProbeBytes);
        dev->read(**b, 0, host.data(), 4);
        const double s = seconds(t0, Clock::now());
        if (s > 0) best = std::max(best, 2.0 * static_cast<double>(kProbeBytes) / s);
    }
    constexpr int kOps = 200;
    Clock::time_point t0 = Clock::now();
    for (int i = 0; i < kOps; ++i) dev->copy(**small, 0, **small, 8192, 256);
    dev->read(**small, 0, host.data(), 4);
    bw.deviceOpSeconds = seconds(t0, Clock::now()) / kOps;
    constexpr int kCrossings = 50;
    t0 = Clock::now();
    for (int i = 0; i < kCrossings; ++i) {
        dev->write(**small, 0, host.data(), host.size());
        dev->read(**small, 0, host.data(), host.size());
    }
    bw.crossingSeconds = seconds(t0, Clock::now()) / (2 * kCrossings);
    bw.deviceBytesPerSecond = best;
    return best > 0;
}

// "cpu:T" (bandwidth) / "cpuop:T" (an op's cost) / "cache:T" (the caches' size and read
// rate) / "act:T" (a soft-capped and a GELU-gated value's cost; each its own row, so
// files written before it existed still read) / "<id>" -> the figures, from the cache file.
std::string cacheKey(const std::string& device, int threads) {
    return device == "cpu" || device == "cpuop" || device == "cache" || device == "act"
               ? device + ":" + std::to_string(threads)
               : device;
}

bool readCache(const std::filesystem::path& path, const std::string& key, std::vector<double>& values) {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string k;
        if (!std::getline(fields, k, '\t') || k != key) continue;
        values.clear();
        for (double v; fields >> v;) values.push_back(v);
        return true;
    }
    return false;
}

void writeCache(const std::filesystem::path& path, const std::string& key, const std::vector<double>& values) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    std::vector<std::string> keep;
    {
        std::ifstream in(path);
        for (std::string line; std::getline(in, line);)
            if (line.rfind(key + '\t', 0) != 0 && !line.empty()) keep.push_back(line);
    }
    std::ostringstream row;
    row << std::setprecision(17) << key;
    for (double v : values) row << '\t' << v;
    keep.push_back(row.str());
    std::ofstream out(path, std::ios::trunc);
    for (const std::string& l : keep) out << l << '\n';
}

// A "cache:T" row ({bytes, then a rate per kCacheTypes}, or {0}) into bw.
void setCacheFigures(MemoryBandwidth& bw, const std::vector<double>& row) {
    bw.cacheBytes = 0;
    bw.cacheBytesPerSecond = 0;
    bw.cacheTypeBytesPerSecond.clear();
    if (row.size() != 1 + std::size(kCacheTypes) || row[0] <= 0) return;
    bw.cacheBytes = row[0];
    bw.cacheBytesPerSecond = row[1 + kQ4_0Slot];
    for (size_t i = 0; i < std::size(kCacheTypes); ++i)
        bw.cacheTypeBytesPerSecond.emplace_back(kernels::typeName(kCacheTypes[i]), row[1 + i]);
}

}  // namespace

MemoryBandwidth memoryBandwidth(const std::string& device, int threads, bool probe) {
    if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    MemoryBandwidth bw{kDefaultCpu, device == "cpu" ? 0.0 : kDefaultDevice, device == "cpu" ? 0.0 : kDefaultOp,
                       device == "cpu" ? 0.0 : kDefaultCrossing, kDefaultCpuOp, 0.0, 0.0, {}, "defaults (no probe)",
                       kDefaultSoftCap, kDefaultGelu};
    const std::filesystem::path path = cachePath();
    std::vector<double> cpu, op, cache, act, dev;
    const bool cpuCached = !path.empty() && readCache(path, cacheKey("cpu", threads), cpu) && cpu.size() == 1 &&
                           readCache(path, cacheKey("cpuop", threads), op) && op.size() == 1 &&
                           readCache(path, cacheKey("cache", threads), cache) &&
                           (cache.size() == 1 || cache.size() == 1 + std::size(kCacheTypes)) &&
                           readCache(path, cacheKey("act", threads), act) && act.size() == 2;
    const bool devCached = device == "cpu" || (!path.empty() && readCache(path, cacheKey(device, threads), dev) && dev.size() == 3);
    if (cpuCached) {
        bw.cpuBytesPerSecond = cpu[0];
        bw.cpuOpSeconds = op[0];
        setCacheFigures(bw, cache);
        bw.cpuSoftCapSeconds = act[0];
        bw.cpuGeluSeconds = act[1];
    }
    if (devCached && device != "cpu") {
        bw.deviceBytesPerSecond = dev[0];
        bw.deviceOpSeconds = dev[1];
        bw.crossingSeconds = dev[2];
    }
    if (cpuCached && devCached) {
        bw.source = "cached in " + path.string();
        return bw;
    }
    if (!probe) {
        if (cpuCached || (devCached && device != "cpu")) bw.source = "partly cached in " + path.string() + ", the rest defaults (no probe)";
        return bw;
    }
    if (!cpuCached) {
        if (const double measured = probeCpu(threads); measured > 0) {
            bw.cpuBytesPerSecond = measured;
            if (!path.empty()) writeCache(path, cacheKey("cpu", threads), {measured});
        }
        if (const CpuKernelFigures f = probeCpuKernels(threads); f.opSeconds > 0) {
            bw.cpuOpSeconds = f.opSeconds;
            std::vector<double> row = {f.cacheBytes};  // {0}: no cache figures on this machine
            row.insert(row.end(), f.rates.begin(), f.rates.end());
            setCacheFigures(bw, row);
            if (!path.empty()) {
                writeCache(path, cacheKey("cpuop", threads), {f.opSeconds});
                writeCache(path, cacheKey("cache", threads), row);
            }
        }
        if (const auto [cap, gelu] = probeActivations(); cap > 0) {
            bw.cpuSoftCapSeconds = cap;
            bw.cpuGeluSeconds = gelu;
            if (!path.empty()) writeCache(path, cacheKey("act", threads), {cap, gelu});
        }
    }
    if (!devCached) {
        MemoryBandwidth d;
        if (probeDevice(device, d)) {
            bw.deviceBytesPerSecond = d.deviceBytesPerSecond;
            bw.deviceOpSeconds = d.deviceOpSeconds;
            bw.crossingSeconds = d.crossingSeconds;
            if (!path.empty())
                writeCache(path, cacheKey(device, threads), {d.deviceBytesPerSecond, d.deviceOpSeconds, d.crossingSeconds});
        }
    }
    bw.source = path.empty() ? "measured (not cached: no HOME)" : "measured, cached in " + path.string();
    return bw;
}

DecodeEstimate estimateDecode(const PlacementReport& plan, const MemoryBandwidth& bw) {
    DecodeEstimate e;
    const double bytes = static_cast<double>(plan.decodeCpuBytes);
    const bool cached = bw.cacheBytes > 0 && bw.cacheBytesPerSecond > 0 && bytes > 0;
    if (!cached && bw.cpuBytesPerSecond > 0) e.cpuSeconds = bytes / bw.cpuBytesPerSecond;
    if (cached) {
        // Each type's bytes: the share that fits the caches at the type's rate there, the
        // rest at the slower of memory and that rate.
        const double fits = std::min(1.0, bw.cacheBytes / bytes);
        std::vector<std::pair<std::string, uint64_t>> byType = plan.decodeCpuBytesByType;
        if (byType.empty()) byType.emplace_back("", plan.decodeCpuBytes);
        for (const auto& [type, n] : byType) {
            double rate = bw.cacheBytesPerSecond;
            for (const auto& [t, r] : bw.cacheTypeBytesPerSecond)
                if (t == type && r > 0) rate = r;
            const double fromMemory = bw.cpuBytesPerSecond > 0 ? std::min(rate, bw.cpuBytesPerSecond) : rate;
            e.cpuCacheSeconds += fits * static_cast<double>(n) / rate;
            e.cpuSeconds += (1.0 - fits) * static_cast<double>(n) / fromMemory;
        }
        e.cpuSeconds += e.cpuCacheSeconds;
    }
    if (plan.decodeDeviceBytes > 0 && bw.deviceBytesPerSecond > 0)
        e.deviceSeconds = static_cast<double>(plan.decodeDeviceBytes) / bw.deviceBytesPerSecond;
    e.overheadSeconds = plan.decodeCrossings * bw.crossingSeconds + plan.decodeDeviceOps * bw.deviceOpSeconds;
    e.cpuOpSeconds = plan.decodeCpuOps * bw.cpuOpSeconds;
    e.cpuValueSeconds = static_cast<double>(plan.decodeCpuSoftCaps) * bw.cpuSoftCapSeconds +
                        static_cast<double>(plan.decodeCpuGelus) * bw.cpuGeluSeconds;
    const double total = e.cpuSeconds + e.deviceSeconds + e.overheadSeconds + e.cpuOpSeconds + e.cpuValueSeconds;
    e.tokensPerSecond = total > 0 ? 1.0 / total : 0.0;
    return e;
}

}  // namespace assistant
