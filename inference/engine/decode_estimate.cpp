// The decode estimate of assistant-cli info and the app's model list: this machine's
// memory figures (a short probe, cached per machine in the user's config dir) and the
// tokens/s a placement's traffic (PlacementReport::decode*) gives with them.
#include <algorithm>
#include <chrono>
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
#include "kernels/opencl_backend.h"
#include "kernels/thread_pool.h"

namespace assistant {

namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kProbeBytes = size_t{256} << 20;
constexpr double kDefaultCpu = 20e9, kDefaultCpuOp = 5e-6, kDefaultDevice = 300e9, kDefaultOp = 10e-6,
                 kDefaultCrossing = 30e-6;

double seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

std::filesystem::path cachePath() {
    const char* xdg = std::getenv("XDG_CONFIG_HOME");
    const char* home = std::getenv("HOME");
    if (xdg && *xdg) return std::filesystem::path(xdg) / "assistant" / "bandwidth.tsv";
    if (home && *home) return std::filesystem::path(home) / ".config" / "assistant" / "bandwidth.tsv";
    return {};
}

// The best of three timed reads of a 256 MiB buffer, split among `threads` threads.
double probeCpu(int threads) {
    const size_t words = kProbeBytes / 8;
    std::vector<uint64_t> buf(words, 1);  // written once: the pages exist before timing
    double best = 0;
    std::vector<uint64_t> sums(static_cast<size_t>(threads));
    for (int rep = 0; rep < 3; ++rep) {
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

// One CPU op's fixed cost (MemoryBandwidth::cpuOpSeconds): a matmul that takes almost no
// time of its own (512 x 256 Q4_0, 72 KiB, one token: the smallest the CPU kernels still
// spread over the threads) on a CPU backend of `threads` threads.
double probeCpuOp(int threads) {
    constexpr int64_t kRows = 512, kCols = 256;
    std::vector<uint8_t> bytes(kernels::rowBytes(kernels::GgmlType::Q4_0, kCols) * kRows, 0);  // zero scales: valid
    kernels::Matrix w{kernels::GgmlType::Q4_0, bytes.data(), kRows, kCols};
    kernels::repackForCpu(w);  // the layout the model's weights have
    kernels::ThreadPool pool(threads);
    std::unique_ptr<kernels::Backend> cpu = kernels::makeCpuBackend(&pool);
    const kernels::Matrix* parts[] = {&w};
    auto weight = cpu->upload(parts);
    auto x = cpu->upload(std::vector<float>(kCols, 0.5f));
    auto out = cpu->alloc(kRows * 4);
    if (!weight || !x || !out) return 0.0;
    constexpr int kOps = 500;
    double best = 0;
    for (int rep = 0; rep < 4; ++rep) {  // the first: warm-up
        const Clock::time_point t0 = Clock::now();
        for (int i = 0; i < kOps; ++i) cpu->matmul(**weight, **x, kCols, 1, **out, kRows, 0, false);
        const double s = seconds(t0, Clock::now()) / kOps;
        if (rep > 0 && s > 0) best = best == 0 ? s : std::min(best, s);
    }
    return best;
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

// "cpu:T" (bandwidth) / "cpuop:T" (an op's cost: its own row, so files written before
// it existed still read) / "<id>" -> the figures, from the cache file.
std::string cacheKey(const std::string& device, int threads) {
    return device == "cpu" || device == "cpuop" ? device + ":" + std::to_string(threads) : device;
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

}  // namespace

MemoryBandwidth memoryBandwidth(const std::string& device, int threads, bool probe) {
    if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    MemoryBandwidth bw{kDefaultCpu, device == "cpu" ? 0.0 : kDefaultDevice, device == "cpu" ? 0.0 : kDefaultOp,
                       device == "cpu" ? 0.0 : kDefaultCrossing, kDefaultCpuOp, "defaults (no probe)"};
    const std::filesystem::path path = cachePath();
    std::vector<double> cpu, op, dev;
    const bool cpuCached = !path.empty() && readCache(path, cacheKey("cpu", threads), cpu) && cpu.size() == 1 &&
                           readCache(path, cacheKey("cpuop", threads), op) && op.size() == 1;
    const bool devCached = device == "cpu" || (!path.empty() && readCache(path, cacheKey(device, threads), dev) && dev.size() == 3);
    if (cpuCached) {
        bw.cpuBytesPerSecond = cpu[0];
        bw.cpuOpSeconds = op[0];
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
        if (const double measured = probeCpuOp(threads); measured > 0) {
            bw.cpuOpSeconds = measured;
            if (!path.empty()) writeCache(path, cacheKey("cpuop", threads), {measured});
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
    if (bw.cpuBytesPerSecond > 0) e.cpuSeconds = static_cast<double>(plan.decodeCpuBytes) / bw.cpuBytesPerSecond;
    if (plan.decodeDeviceBytes > 0 && bw.deviceBytesPerSecond > 0)
        e.deviceSeconds = static_cast<double>(plan.decodeDeviceBytes) / bw.deviceBytesPerSecond;
    e.overheadSeconds = plan.decodeCrossings * bw.crossingSeconds + plan.decodeDeviceOps * bw.deviceOpSeconds;
    e.cpuOpSeconds = plan.decodeCpuOps * bw.cpuOpSeconds;
    const double total = e.cpuSeconds + e.deviceSeconds + e.overheadSeconds + e.cpuOpSeconds;
    e.tokensPerSecond = total > 0 ? 1.0 / total : 0.0;
    return e;
}

}  // namespace assistant
