// The hot-expert cache (issue 14): a device layer whose routed experts stay in host
// memory keeps some of them on its device as well. The CPU routes each token; the
// token's experts that are cached run on the device, the rest on the CPU at the same
// time, and the layer adds both weighted parts. Picks are counted per expert; a refresh
// (between requests: Placement::refreshHotExperts) swaps the most-picked experts that
// are not cached for the least-picked ones that are.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <vector>

#include "kernels/backend.h"

namespace arch {

struct Activations;
struct SessionPlacement;
struct PlacedLayer;

class HotExperts {
public:
    // `slots` holds experts `resident` (slot i: expert resident[i]) of a layer of `experts`.
    HotExperts(int64_t experts, const std::vector<int32_t>& resident, kernels::WeightPtr slots);

    int64_t slotCount() const { return static_cast<int64_t>(m_expertIn.size()); }
    kernels::DeviceWeight& slots() { return *m_slots; }
    int32_t expertIn(int64_t slot) const { return m_expertIn[slot]; }
    bool resident(int32_t expert) const { return m_slotOf[expert] >= 0; }
    uint64_t count(int32_t expert) const { return m_count[expert]; }  // its picks (halved at refreshes)

    // Counts the picks of choice [n][K] and splits them: onDevice [n][Kd] (Kd: the most
    // any token has cached; slot ids, -1 where a token has fewer) and onHost [n][K]
    // (expert ids, -1 where cached). Called holding the device's lock.
    void split(std::span<const kernels::ExpertChoice> choice, int64_t n, int64_t K,
               std::vector<kernels::ExpertChoice>& onDevice, int64_t& Kd, std::vector<kernels::ExpertChoice>& onHost);

    // The swaps a refresh makes, (slot, new expert): the most-picked experts not cached
    // take the slots of the least-picked cached ones while they were picked clearly more
    // often (an eighth more, at least 2 picks more).
    // Called holding the device's lock, as are swap() and decay().
    std::vector<std::pair<int64_t, int32_t>> plan() const;
    // Slot `slot` now holds `expert` (its data already copied there).
    void swap(int64_t slot, int32_t expert);
    void decay();  // halves the counts: the next refresh weighs recent picks most

    // The share of picks the cache misses: so far, or before any pick the uncached share
    // of the experts (routing spread evenly).
    double missRate() const;

    std::atomic<uint64_t> picks{0}, hits{0}, swaps{0};

private:
    std::vector<uint64_t> m_count;    // [experts] picks, halved at each refresh
    std::vector<int32_t> m_slotOf;    // [experts] its slot, or -1
    std::vector<int32_t> m_expertIn;  // [slots] the expert it holds
    kernels::WeightPtr m_slots;
};

// The initial residents of a cache of `slots` of `experts`: spread evenly over the ids
// (nothing is known of the conversation yet).
std::vector<int32_t> spreadExperts(int64_t experts, int64_t slots);

// The routed experts of device layer l whose experts stay in host memory: into a.ffn
// [n][E] on the layer's backend `be` (the device). With a hot-expert cache the device
// computes the cached share of each token's experts while the CPU computes the rest.
// K: experts per token.
void placedHostExperts(SessionPlacement& sp, const PlacedLayer& L, HotExperts* hot, int64_t n, int64_t E, int64_t K,
                       kernels::Backend& be, Activations& a);

}  // namespace arch
