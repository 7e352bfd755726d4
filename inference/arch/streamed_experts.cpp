// Streamed experts of a prefill batch (streamed_experts.h).
#include "arch/streamed_experts.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "arch/hot_experts.h"
#include "arch/placed_layers.h"

namespace arch {

int64_t moeStreamMinTokens() {
    const char* e = std::getenv("ASSISTANT_MOE_STREAM");
    if (!e || !*e) return kMoeStreamMinTokens;
    char* end = nullptr;
    const long long v = std::strtoll(e, &end, 10);
    if (end == e || *end != '\0' || v < 0) return kMoeStreamMinTokens;
    return static_cast<int64_t>(v);  // 0: off
}

bool moeStreamThresholdIsDefault() {
    const char* e = std::getenv("ASSISTANT_MOE_STREAM");
    return !e || !*e;
}

namespace {

constexpr double kRecent = 0.25;  // a new sample's weight in the moving averages

double blend(double average, double sample) { return average > 0 ? average + kRecent * (sample - average) : sample; }

}  // namespace

void StreamCosts::addStream(double seconds, double share) {
    if (!(seconds > 0) || !(share >= kMinShare) || share > 1.0) return;
    std::lock_guard lock(m_mutex);
    m_stream = blend(m_stream, seconds / share);
}

void StreamCosts::addCpu(double seconds, double tokens) {
    if (!(seconds > 0) || tokens < static_cast<double>(kMinCpuTokens)) return;
    std::lock_guard lock(m_mutex);
    m_cpuPerToken = blend(m_cpuPerToken, seconds / tokens);
}

int64_t StreamCosts::breakEvenTokens() const {
    std::lock_guard lock(m_mutex);
    if (m_stream <= 0 || m_cpuPerToken <= 0) return 0;
    const double tokens = std::ceil(m_stream / m_cpuPerToken);
    return std::max<int64_t>(kMinBreakEven, tokens > 1e9 ? int64_t{1000000000} : static_cast<int64_t>(tokens));
}

double StreamCosts::streamSeconds() const {
    std::lock_guard lock(m_mutex);
    return m_stream;
}

double StreamCosts::cpuSecondsPerToken() const {
    std::lock_guard lock(m_mutex);
    return m_cpuPerToken;
}

int64_t streamThreshold(const ModelPlacement& mp) {
    if (mp.streamMinTokens <= 0 || !mp.streamAdaptive) return mp.streamMinTokens;
    const int64_t measured = mp.streamCosts.breakEvenTokens();
    return measured > 0 ? measured : mp.streamMinTokens;
}

namespace {

// Whether layer l streams its experts for a batch of n tokens on device `dev` (its
// experts in host memory) at the pass's threshold. With a hot-expert cache the CPU
// computes only the picks the cache misses: the layer streams when those are as many as a
// batch of the threshold gives the CPU without a cache (a cache that takes 99% of the
// picks computes a 512-token prefill faster than a stream of every expert: H200, 12G).
bool streams(const ModelPlacement& mp, int64_t threshold, int64_t l, int dev, int64_t n) {
    if (l < 0 || static_cast<size_t>(l) >= mp.layers.size()) return false;
    const PlacedLayer& L = mp.layers[l];
    if (L.device != dev || !L.expertsOnHost || !L.hostSet.router || !mp.stream(dev)) return false;
    const HotExperts* hot = mp.hot(l);
    const double cpuTokens = hot ? static_cast<double>(n) * hot->missRate() : static_cast<double>(n);
    return threshold > 0 && cpuTokens >= static_cast<double>(threshold);
}

// Layer l's experts into slot l % 2: the whole layer (`experts` empty) or only those. The
// host's time counts as the stream's per whole layer (StreamCosts::addStream's share).
bool stage(SessionPlacement& sp, int64_t l, kernels::Backend& be, std::span<const int32_t> experts = {}) {
    const ModelPlacement& mp = *sp.model;
    const PlacedLayer& L = mp.layers[l];
    const auto t0 = std::chrono::steady_clock::now();
    auto ok = be.stageExperts(*mp.stream(L.device), static_cast<int>(l % 2), l, L.hostSet, sp.pool, experts);
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - t0;
    const size_t X = L.hostSet.gate.size();
    const size_t staged = experts.empty() ? X : experts.size();
    if (ok) {
        mp.streamCosts.addStream(took.count(), static_cast<double>(staged) / static_cast<double>(X));
        mp.stagedExperts += staged;
        mp.stagedBytes += *ok;
    }
    if (!ok && sp.error.empty()) sp.error = be.name() + ": layer " + std::to_string(l) + ": " + ok.error();
    sp.stagedThrough = l;
    return ok.has_value();
}

// Layer l with a hot-expert cache: the host routes the batch (as placedHostExperts does),
// the device computes the cached picks from the cache's slots while the host stages the
// uncached experts the batch picks (those alone) into slot l % 2; then the device computes
// those picks from the slot. Both parts summed into a.ffn [n][E].
void cachedStreamedExperts(SessionPlacement& sp, int64_t l, int64_t n, HotExperts& hot, kernels::Backend& be,
                           Activations& a) {
    const ModelPlacement& mp = *sp.model;
    const PlacedLayer& L = mp.layers[l];
    const int64_t K = L.hostSet.used, E = L.hostSet.gate.front().cols;
    kernels::Backend& cpu = *sp.cpu;
    kernels::copyBetween(be, *a.cur, cpu, *sp.onCpu.cur, static_cast<size_t>(n * E) * 4);
    std::vector<kernels::ExpertChoice> choice(static_cast<size_t>(n * K)), onDevice, onHost;  // [n][K], [n][Kd], [n][K]
    cpu.routeExperts(*L.experts, *sp.onCpu.cur, n, choice);
    int64_t Kd = 0;
    hot.split(choice, n, K, onDevice, Kd, onHost);
    std::vector<int32_t> missed;  // the distinct uncached experts the batch picks
    for (const kernels::ExpertChoice& c : onHost)
        if (c.expert >= 0) missed.push_back(c.expert);
    std::sort(missed.begin(), missed.end());
    missed.erase(std::unique(missed.begin(), missed.end()), missed.end());
    // The device starts on the cached picks (expertsChosen flushes) while the host stages.
    if (Kd > 0) be.expertsChosen(hot.slots(), *a.cur, n, onDevice, Kd, *a.ffn);
    if (missed.empty()) return;  // every pick cached: nothing staged
    if (!stage(sp, l, be, missed)) return;
    be.streamedExpertsChosen(*mp.stream(L.device), static_cast<int>(l % 2), *a.cur, n, onHost, K,
                             Kd > 0 ? *a.hostShare : *a.ffn);
    if (Kd > 0) be.add(*a.ffn, *a.hostShare, n * E);
}

}  // namespace

bool placedStreamedExperts(SessionPlacement& sp, int64_t l, int64_t n, kernels::Backend& be, Activations& a) {
    const ModelPlacement& mp = *sp.model;
    const int dev = mp.layers[l].device;
    if (!streams(mp, sp.streamThreshold, l, dev, n)) return false;  // (a threshold of 0: off)
    if (HotExperts* hot = mp.hot(l)) {
        cachedStreamedExperts(sp, l, n, *hot, be, a);
        sp.stagedThrough = std::max(sp.stagedThrough, l);  // (an all-cached batch stages nothing)
    } else {
        // The pass's first streamed layer on this device: nothing was staged ahead of it
        // (its attention, enqueued before, runs meanwhile).
        if (sp.stagedThrough < l && !stage(sp, l, be)) return true;
        be.streamedExperts(*mp.stream(dev), static_cast<int>(l % 2), *a.cur, n, *a.ffn);
    }
    ++mp.streamedLayers;
    // One layer ahead: l + 1 into the other slot, whose last reader (layer l - 1's experts
    // op) is done or nearly so, while the device computes layer l: the staging ring
    // (kernels/backend.h) lets the host run only its few chunks ahead of a slot's reader,
    // so staging l + 2 into this slot now would hold the host until this op is done. A
    // layer with a cache is not staged ahead: which experts it needs is known only once
    // the host routes it, after layer l's output.
    for (int64_t k = sp.stagedThrough + 1; k <= l + 1; ++k)
        if (mp.hot(k) || !streams(mp, sp.streamThreshold, k, dev, n) || !stage(sp, k, be)) break;
    return true;
}

}  // namespace arch
