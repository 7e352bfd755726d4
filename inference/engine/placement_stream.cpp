// The placement's expert streams (arch/streamed_experts.h): per device whose layers keep
// their routed experts in host memory, two slots of one layer's experts each (and a
// bounded ring of pinned host staging chunks, kernels/backend.h), planned
// within the budget after the dense part (before a hot-expert cache takes the rest) and
// made after the layers are uploaded.
#include <cstdio>

#include "arch/streamed_experts.h"
#include "common/log.h"
#include "engine/placement.h"

namespace arch {

using assistant::LogLevel;
using assistant::detail::cat;
using assistant::detail::log;

namespace {

constexpr int kSlots = 2;  // double buffering: one layer computed while the next is copied

std::string mib(double bytes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / (1024.0 * 1024.0));
    return buf;
}

// The MoE layers [first, first + count) of `d` as expert sets (views into the arch).
std::vector<kernels::ExpertSet> expertSets(const DecoderDesc& d, int64_t first, int64_t count) {
    std::vector<kernels::ExpertSet> sets;
    for (int64_t l = first; l < first + count; ++l)
        if (const MoeWeights* m = d.moe[l]) sets.push_back({&m->router, m->gate, m->up, m->down, d.h->nExpertUsed, true});
    return sets;
}

std::vector<const kernels::ExpertSet*> pointers(const std::vector<kernels::ExpertSet>& sets) {
    std::vector<const kernels::ExpertSet*> p;
    for (const kernels::ExpertSet& s : sets) p.push_back(&s);
    return p;
}

}  // namespace

void Placement::planStreams() {
    m_plan.streamBytes.assign(m_plan.count.size(), 0);
    m_plan.streamHostBytes.assign(m_plan.count.size(), 0);
    m_plan.streamNote.clear();
    m_streamMinTokens = moeStreamMinTokens();
    if (m_streamMinTokens == 0) {
        m_plan.streamNote = "turned off by ASSISTANT_MOE_STREAM=0";
        return;
    }
    int64_t first = m_plan.first;
    for (size_t i = 0; i < m_plan.count.size(); first += m_plan.count[i], ++i) {
        const kernels::Backend& dev = *m_placement.devices[i];
        const std::vector<kernels::ExpertSet> sets = expertSets(m_desc, first, m_plan.count[i]);
        if (sets.empty()) continue;
        auto bytes = dev.expertStreamBytes(pointers(sets), kSlots);
        auto host = bytes ? dev.expertStreamHostBytes(pointers(sets)) : bytes;
        if (!host) {
            m_plan.streamNote = host.error();
            continue;
        }
        const double room = denseRoom(i);
        if (static_cast<double>(*bytes) > room) {
            m_plan.streamNote = cat(dev.name(), "'s budget holds ", mib(std::max(room, 0.0)),
                                    " beside the dense part, too little for two layers' experts (", mib(*bytes), ")");
            continue;
        }
        m_plan.streamBytes[i] = *bytes;
        m_plan.streamHostBytes[i] = *host;
    }
}

// After the layers: each planned stream made on its device (a failure leaves that device
// without one, its prefill on the CPU experts as before, and says why).
void Placement::uploadStreams() {
    m_placement.streams.clear();
    m_placement.streams.resize(m_placement.devices.size());
    m_placement.streamMinTokens = m_streamMinTokens;
    m_placement.streamAdaptive = moeStreamThresholdIsDefault();
    int64_t first = m_plan.first;
    for (size_t i = 0; i < m_plan.count.size() && i < m_plan.streamBytes.size(); first += m_plan.count[i], ++i) {
        if (m_plan.streamBytes[i] == 0) continue;
        std::vector<const kernels::ExpertSet*> sets;
        for (int64_t l = first; l < first + m_plan.count[i]; ++l)
            if (m_placement.layers[l].hostSet.router) sets.push_back(&m_placement.layers[l].hostSet);
        kernels::Backend& dev = *m_placement.devices[i];
        kernels::BackendResult<kernels::StreamPtr> stream =
            std::unexpected(std::string("no layer keeps its experts in host memory"));
        if (!sets.empty()) stream = dev.makeExpertStream(sets, kSlots);
        if (!stream) {
            m_plan.streamNote = cat(dev.name(), ": ", stream.error());
            m_plan.streamBytes[i] = 0;
            m_plan.streamHostBytes[i] = 0;
            log(LogLevel::Warning, "prefill streams no experts to ", dev.name(), ": ", stream.error());
            continue;
        }
        log(LogLevel::Info, "prefill streams the routed experts to ", dev.name(), " for batches of ",
            m_streamMinTokens, " tokens or more", m_placement.streamAdaptive ? " until measured costs move it" : "",
            " (two slots, ", mib((*stream)->deviceBytes()), "; pinned host staging ",
            mib((*stream)->hostBytes()), ")");
        m_plan.streamHostBytes[i] = (*stream)->hostBytes();
        m_placement.streams[i] = std::move(*stream);
    }
}

size_t Placement::plannedStreamBytes() const {
    size_t bytes = 0;
    for (size_t b : m_plan.streamBytes) bytes += b;
    return bytes;
}

size_t Placement::plannedStreamHostBytes() const {
    size_t bytes = 0;
    for (size_t b : m_plan.streamHostBytes) bytes += b;
    return bytes;
}

}  // namespace arch
