// The hot-expert cache (hot_experts.h): the split of each token's experts between the
// device and the CPU, the counts, and the choice of swaps a refresh makes.
#include "arch/hot_experts.h"

#include <algorithm>
#include <chrono>
#include <numeric>

#include "arch/placed_layers.h"

namespace arch {

using kernels::ExpertChoice;

HotExperts::HotExperts(int64_t experts, const std::vector<int32_t>& resident, kernels::WeightPtr slots)
    : m_count(static_cast<size_t>(experts), 0), m_slotOf(static_cast<size_t>(experts), -1), m_expertIn(resident),
      m_slots(std::move(slots)) {
    for (size_t s = 0; s < resident.size(); ++s) m_slotOf[resident[s]] = static_cast<int32_t>(s);
}

double HotExperts::missRate() const {
    const uint64_t p = picks.load(), h = hits.load();
    if (p == 0) return 1.0 - static_cast<double>(slotCount()) / static_cast<double>(m_slotOf.size());
    return 1.0 - static_cast<double>(std::min(h, p)) / static_cast<double>(p);
}

std::vector<int32_t> spreadExperts(int64_t experts, int64_t slots) {
    std::vector<int32_t> ids;
    for (int64_t i = 0; i < slots; ++i) ids.push_back(static_cast<int32_t>(i * experts / slots));
    return ids;
}

void HotExperts::split(std::span<const ExpertChoice> choice, int64_t n, int64_t K, std::vector<ExpertChoice>& onDevice,
                       int64_t& Kd, std::vector<ExpertChoice>& onHost) {
    onHost.assign(choice.begin(), choice.begin() + n * K);
    Kd = 0;
    uint64_t hit = 0;
    for (int64_t t = 0; t < n; ++t) {
        int64_t here = 0;
        for (int64_t k = 0; k < K; ++k) {
            const int32_t e = choice[t * K + k].expert;
            ++m_count[e];
            if (m_slotOf[e] >= 0) ++here;
        }
        Kd = std::max(Kd, here);
        hit += static_cast<uint64_t>(here);
    }
    // Slot order kept on both sides: each part sums its experts by descending weight.
    onDevice.assign(static_cast<size_t>(n * Kd), ExpertChoice{-1, 0.0f});
    for (int64_t t = 0; t < n; ++t) {
        int64_t j = 0;
        for (int64_t k = 0; k < K; ++k) {
            ExpertChoice& c = onHost[t * K + k];
            if (const int32_t slot = m_slotOf[c.expert]; slot >= 0) {
                onDevice[t * Kd + j++] = ExpertChoice{slot, c.weight};
                c.expert = -1;
            }
        }
    }
    picks += static_cast<uint64_t>(n * K);
    hits += hit;
}

std::vector<std::pair<int64_t, int32_t>> HotExperts::plan() const {
    const int32_t X = static_cast<int32_t>(m_count.size());
    std::vector<int32_t> outside, inside;  // not cached, most picked first; cached, least picked first
    for (int32_t e = 0; e < X; ++e) (m_slotOf[e] >= 0 ? inside : outside).push_back(e);
    auto more = [&](int32_t a, int32_t b) { return m_count[a] > m_count[b] || (m_count[a] == m_count[b] && a < b); };
    std::sort(outside.begin(), outside.end(), more);
    std::sort(inside.begin(), inside.end(), [&](int32_t a, int32_t b) { return more(b, a); });
    std::vector<std::pair<int64_t, int32_t>> swaps;
    for (size_t i = 0; i < std::min(outside.size(), inside.size()); ++i) {
        // Only a clear lead swaps (an eighth more, and at least 2): picks that differ by
        // chance would otherwise move experts back and forth at every refresh.
        const uint64_t out = m_count[outside[i]], in = m_count[inside[i]];
        if (out < in + std::max<uint64_t>(2, in / 8)) break;
        swaps.emplace_back(m_slotOf[inside[i]], outside[i]);
    }
    return swaps;
}

void HotExperts::swap(int64_t slot, int32_t expert) {
    m_slotOf[m_expertIn[slot]] = -1;
    m_expertIn[slot] = expert;
    m_slotOf[expert] = static_cast<int32_t>(slot);
    ++swaps;
}

void HotExperts::decay() {
    for (uint64_t& c : m_count) c /= 2;
}

void placedHostExperts(SessionPlacement& sp, const PlacedLayer& L, HotExperts* hot, int64_t n, int64_t E, int64_t K,
                       kernels::Backend& be, Activations& a) {
    kernels::Backend& cpu = *sp.cpu;
    const size_t bytes = static_cast<size_t>(n * E) * 4;
    kernels::copyBetween(be, *a.cur, cpu, *sp.onCpu.cur, bytes);
    // The CPU experts' wall time per token of picks, for the stream's threshold (a layer
    // with a stream, batches large enough: StreamCosts).
    const bool timed = sp.model->stream(L.device) && n >= StreamCosts::kMinCpuTokens;
    const auto t0 = std::chrono::steady_clock::now();
    const auto took = [&](double tokens) {
        if (timed)
            sp.model->streamCosts.addCpu(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                                         tokens);
    };
    if (!hot) {
        cpu.experts(*L.experts, *sp.onCpu.cur, n, *sp.onCpu.ffn);
        took(static_cast<double>(n));
        kernels::copyBetween(cpu, *sp.onCpu.ffn, be, *a.ffn, bytes);
        return;
    }
    std::vector<ExpertChoice> choice(static_cast<size_t>(n * K)), onDevice, onHost;  // [n][K], [n][Kd], [n][K]
    cpu.routeExperts(*L.experts, *sp.onCpu.cur, n, choice);
    int64_t Kd = 0;
    hot->split(choice, n, K, onDevice, Kd, onHost);
    // The device starts on its share (expertsChosen flushes) while the CPU computes the rest.
    if (Kd > 0) be.expertsChosen(hot->slots(), *a.cur, n, onDevice, Kd, *a.ffn);
    const auto hostPicks =
        std::count_if(onHost.begin(), onHost.end(), [](const ExpertChoice& c) { return c.expert >= 0; });
    if (hostPicks == 0) return;  // every token's experts all cached
    cpu.expertsChosen(*L.experts, *sp.onCpu.cur, n, onHost, K, *sp.onCpu.ffn);
    took(static_cast<double>(hostPicks) / static_cast<double>(K));
    if (Kd == 0) return kernels::copyBetween(cpu, *sp.onCpu.ffn, be, *a.ffn, bytes);
    kernels::copyBetween(cpu, *sp.onCpu.ffn, be, *a.hostShare, bytes);
    be.add(*a.ffn, *a.hostShare, n * E);
}

}  // namespace arch
