// The placement's hot-expert caches (arch/hot_experts.h): their upload, their totals,
// and the refresh between requests.
#include <algorithm>
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
    return s;
}

uint64_t Placement::refreshHotExperts() const {
    if (m_placement.hotExperts.empty()) return 0;
    std::lock_guard<std::mutex> one(m_refresh);
    uint64_t swapped = 0;
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
        }
    }
    ++m_refreshes;
    if (!error.empty()) log(LogLevel::Warning, "hot experts: a refresh stopped: ", error);
    const assistant::Model::HotExpertStats s = hotExpertStats();
    char rate[16];
    std::snprintf(rate, sizeof rate, "%.1f%%", 100.0 * s.hitRate());
    log(LogLevel::Info, "hot experts: refresh ", s.refreshes, " swapped ", swapped, " experts; hit rate so far ", rate,
        " of ", s.picks, " picks");
    return swapped;
}

}  // namespace arch
