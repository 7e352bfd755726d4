// The placement's hot-expert caches (arch/hot_experts.h): their upload, their totals,
// and the refresh between requests.
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "arch/weights.h"
#include "common/log.h"
#include "gguf/gguf_file.h"
#include "engine/placement.h"

namespace arch {

using assistant::LogLevel;
using assistant::detail::cat;
using assistant::detail::log;

namespace {

kernels::ExpertSet expertSet(const DecoderDesc& d, int64_t l) {
    const MoeWeights& m = *d.moe[l];
    return kernels::ExpertSet{&m.router, m.gate, m.up, m.down, d.h->nExpertUsed, true};
}

// Expert e's pages in the mapping (its gate, up and down), after a device copied them.
void releaseExpert(const DecoderDesc& d, int64_t l, int32_t e) {
    if (!d.file) return;
    const MoeWeights& m = *d.moe[l];
    for (const auto* set : {&m.gate, &m.up, &m.down}) releaseMapped(*d.file, (*set)[static_cast<size_t>(e)]);
}

// Waits for what `dev` has queued (its queue runs in order: a 4-byte read waits for the
// slot copies before it), so a refresh's copies end inside the refresh.
void waitForCopies(kernels::Backend& dev) {
    auto probe = dev.alloc(16);
    if (!probe) return;
    uint32_t word = 0;
    std::lock_guard<std::mutex> g(dev.lock());
    dev.read(**probe, 0, &word, sizeof word);
}

}  // namespace

// Layer l's cache on device `device`, first holding experts spread evenly over the ids.
bool Placement::uploadHotExperts(size_t device, int64_t l, std::string& note) {
    kernels::Backend& dev = *m_placement.devices[device];
    const int64_t X = m_desc.h->nExpert;
    const std::vector<int32_t> ids = spreadExperts(X, m_plan.hotSlots[device]);
    auto slots = dev.uploadExpertSlots(expertSet(m_desc, l), ids);
    if (!slots) {
        note = cat("uploading layer ", l, "'s hot experts to ", dev.name(), " failed (", slots.error(), "): running on the CPU");
        return false;
    }
    m_placement.hotExperts.resize(m_placement.layers.size());
    m_placement.hotExperts[l] = std::make_unique<HotExperts>(X, ids, std::move(*slots));
    for (int32_t e : ids) releaseExpert(m_desc, l, e);
    return true;
}

int64_t Placement::plannedHotExperts() const {
    int64_t fewest = 0;
    for (size_t i = 0; i < m_plan.hotSlots.size(); ++i)
        if (m_plan.count[i] > 0) fewest = fewest == 0 ? m_plan.hotSlots[i] : std::min(fewest, m_plan.hotSlots[i]);
    return fewest;
}

assistant::Model::HotExpertStats Placement::hotExpertStats() const {
    assistant::Model::HotExpertStats s;
    for (const auto& hot : m_placement.hotExperts)
        if (hot) {
            s.picks += hot->picks.load();
            s.hits += hot->hits.load();
            s.swaps += hot->swaps.load();
        }
    s.refreshes = m_refreshes.load();
    s.streamedLayers = m_placement.streamedLayers.load();
    s.stagedExperts = m_placement.stagedExperts.load();
    s.stagedBytes = m_placement.stagedBytes.load();
    s.refreshSeconds = static_cast<double>(m_refreshNanos.load()) * 1e-9;
    s.refreshBytes = m_refreshBytes.load();
    const bool streams = std::any_of(m_placement.streams.begin(), m_placement.streams.end(),
                                     [](const kernels::StreamPtr& p) { return p != nullptr; });
    s.streamThresholdTokens = streams ? arch::streamThreshold(m_placement) : 0;
    s.streamSecondsPerLayer = m_placement.streamCosts.streamSeconds();
    s.cpuSecondsPerTokenPerLayer = m_placement.streamCosts.cpuSecondsPerToken();
    return s;
}

uint64_t Placement::refreshHotExperts() const {
    if (m_placement.hotExperts.empty()) return 0;
    std::lock_guard<std::mutex> one(m_refresh);
    const auto t0 = std::chrono::steady_clock::now();
    uint64_t swapped = 0, bytes = 0;
    std::vector<kernels::Backend*> copied;  // devices with slot copies queued
    std::string error;
    for (size_t l = 0; l < m_placement.hotExperts.size() && error.empty(); ++l) {
        HotExperts* hot = m_placement.hotExperts[l].get();
        if (!hot) continue;
        kernels::Backend& dev = *m_placement.devices[m_placement.layers[l].device];
        std::vector<std::pair<int64_t, int32_t>> swaps;
        {
            std::lock_guard<std::mutex> g(dev.lock());
            swaps = hot->plan();
            hot->decay();
        }
        const kernels::ExpertSet set = expertSet(m_desc, static_cast<int64_t>(l));
        for (auto [slot, expert] : swaps) {
            const int32_t staged[] = {expert};
            // Converted and uploaded outside the lock, from the file's bytes (the mapping:
            // the CPU's interleaved copy is not the device's source), whose pages go again.
            auto one = dev.uploadExpertSlots(set, staged);
            releaseExpert(m_desc, static_cast<int64_t>(l), expert);
            if (!one) {
                error = one.error();
                break;
            }
            std::lock_guard<std::mutex> g(dev.lock());
            if (hot->resident(expert)) continue;
            if (auto ok = dev.replaceExpertSlot(hot->slots(), slot, **one); !ok) {
                error = ok.error();
                break;
            }
            hot->swap(slot, expert);
            ++swapped;
            bytes += (*one)->bytes();
            if (std::find(copied.begin(), copied.end(), &dev) == copied.end()) copied.push_back(&dev);
        }
    }
    for (kernels::Backend* dev : copied) waitForCopies(*dev);
    m_refreshNanos += static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count());
    m_refreshBytes += bytes;
    ++m_refreshes;
    if (!error.empty()) log(LogLevel::Warning, "hot experts: a refresh stopped: ", error);
    const assistant::Model::HotExpertStats s = hotExpertStats();
    char rate[16];
    std::snprintf(rate, sizeof rate, "%.1f%%", 100.0 * s.hitRate());
    char took[48];
    std::snprintf(took, sizeof took, " in %.1f ms (%.1f MiB uploaded)",
                  1e3 * std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                  static_cast<double>(bytes) / (1 << 20));
    log(LogLevel::Info, "hot experts: refresh ", s.refreshes, " swapped ", swapped, " experts", took,
        "; hit rate so far ", rate, " of ", s.picks, " picks");
    return swapped;
}

}  // namespace arch
