// Prompt prefixes shared among the sessions of one Batcher (batcher.h). Server slots
// share a batcher, and office clients send the same long system prompt (and often the
// same document) with every request: the second slot to see it copies the first one's
// KV rows (a few MB, milliseconds) instead of evaluating them again (seconds on a
// laptop CPU). Rows are copied layer by layer on the backend that holds the layer,
// holding a device's lock like a forward pass does.
#include <algorithm>
#include <mutex>

#include "arch/placed_layers.h"
#include "kernels/ggml_type.h"
#include "engine/batcher.h"

namespace assistant {
namespace {

size_t commonPrefix(std::span<const int32_t> a, std::span<const int32_t> b) {
    size_t n = 0;
    while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
    return n;
}

// The two sessions' caches have the same layout (layers on the same backends, same row types).
bool sameLayout(const arch::SessionPlacement& a, const arch::SessionPlacement& b) {
    if (a.model != b.model || a.attention.size() != b.attention.size() || a.k.size() != b.k.size()) return false;
    for (size_t l = 0; l < a.attention.size(); ++l)
        if (a.attention[l].kvType != b.attention[l].kvType || a.attention[l].headsKv != b.attention[l].headsKv ||
            a.attention[l].headDim != b.attention[l].headDim)
            return false;
    return true;
}

}  // namespace

void Batcher::Impl::publish(const void* owner, const arch::SessionPlacement& cache, std::span<const int32_t> tokens) {
    std::lock_guard lock(m_shareMutex);
    auto it = std::find_if(m_published.begin(), m_published.end(), [&](const Published& p) { return p.owner == owner; });
    if (it == m_published.end()) it = m_published.insert(m_published.end(), Published{owner, &cache, {}});
    it->cache = &cache;
    it->tokens.assign(tokens.begin(), tokens.end());
}

void Batcher::Impl::withdraw(const void* owner, size_t keep) {
    std::lock_guard lock(m_shareMutex);
    for (Published& p : m_published)
        if (p.owner == owner && p.tokens.size() > keep) p.tokens.resize(keep);
}

void Batcher::Impl::forget(const void* owner) {
    std::lock_guard lock(m_shareMutex);
    std::erase_if(m_published, [&](const Published& p) { return p.owner == owner; });
}

size_t Batcher::Impl::adoptPrefix(const void* owner, arch::SessionPlacement& cache, std::span<const int32_t> prompt,
                                  size_t from, size_t limit) {
    std::lock_guard lock(m_shareMutex);
    const Published* best = nullptr;
    size_t n = from;
    for (const Published& p : m_published) {
        if (p.owner == owner || !sameLayout(*p.cache, cache)) continue;
        const size_t c = std::min(commonPrefix(p.tokens, prompt), limit);
        if (c > n) n = c, best = &p;
    }
    if (!best) return from;
    for (size_t l = 0; l < cache.k.size(); ++l) {
        const int device = cache.model->layers[l].device;
        kernels::Backend& be = cache.backend(device);
        const kernels::AttentionOp& op = cache.attention[l];
        const size_t row = kernels::rowBytes(op.kvType, op.headsKv * op.headDim);
        std::unique_lock<std::mutex> held;
        if (device != arch::kOnCpu) held = std::unique_lock<std::mutex>(be.lock());
        be.copy(*best->cache->k[l], from * row, *cache.k[l], from * row, (n - from) * row);
        be.copy(*best->cache->v[l], from * row, *cache.v[l], from * row, (n - from) * row);
    }
    {
        std::lock_guard statsLock(mutex);
        stats.sharedPromptTokens += n - from;
    }
    return n;
}

}  // namespace assistant
