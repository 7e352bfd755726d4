#include "rag/retrieve.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_map>

#include "rag/language.h"

namespace rag {
namespace {

// Plain loops over contiguous rows: -O3 vectorizes them for the baseline ISA.
// 16 independent lanes so -O3 vectorizes without reassociation flags (SSE2 baseline:
// four 4-wide accumulators; AVX builds of the same loop use two 8-wide ones).
float dotF32(const float* a, const float* b, size_t n) {
    constexpr size_t kLanes = 16;
    float acc[kLanes] = {};
    size_t i = 0;
    for (; i + kLanes <= n; i += kLanes)
        for (size_t j = 0; j < kLanes; ++j) acc[j] += a[i + j] * b[i + j];
    float s = 0;
    for (; i < n; ++i) s += a[i] * b[i];
    for (size_t j = 0; j < kLanes; ++j) s += acc[j];
    return s;
}

int32_t dotI8(const int8_t* a, const int8_t* b, size_t n) {
    constexpr size_t kLanes = 16;
    int32_t acc[kLanes] = {};
    size_t i = 0;
    for (; i + kLanes <= n; i += kLanes)
        for (size_t j = 0; j < kLanes; ++j) acc[j] += int32_t(a[i + j]) * int32_t(b[i + j]);
    int32_t s = 0;
    for (; i < n; ++i) s += int32_t(a[i]) * int32_t(b[i]);
    for (size_t j = 0; j < kLanes; ++j) s += acc[j];
    return s;
}

float quantizeRow(const float* v, size_t n, int8_t* out) {
    float maxAbs = 0;
    for (size_t i = 0; i < n; ++i) maxAbs = std::max(maxAbs, std::fabs(v[i]));
    const float scale = maxAbs > 0 ? maxAbs / 127.0f : 1.0f;
    for (size_t i = 0; i < n; ++i) out[i] = static_cast<int8_t>(std::lrint(v[i] / scale));
    return scale;
}

// Indices of the k best scores, best first (ties: lower index first). A k-sized
// min-heap: one pass, O(n log k), no n-sized index array.
std::vector<uint32_t> topIndices(const std::vector<float>& scores, size_t k) {
    k = std::min(k, scores.size());
    std::vector<uint32_t> heap;
    heap.reserve(k + 1);
    // `better(a, b)`: a ranks before b. The heap's front is the worst kept entry.
    auto better = [&](uint32_t a, uint32_t b) { return scores[a] > scores[b] || (scores[a] == scores[b] && a < b); };
    for (uint32_t i = 0; i < scores.size() && k > 0; ++i) {
        if (heap.size() < k) {
            heap.push_back(i);
            std::push_heap(heap.begin(), heap.end(), better);
        } else if (better(i, heap.front())) {
            std::pop_heap(heap.begin(), heap.end(), better);
            heap.back() = i;
            std::push_heap(heap.begin(), heap.end(), better);
        }
    }
    std::sort(heap.begin(), heap.end(), better);
    return heap;
}

}  // namespace

DenseIndex::DenseIndex(EmbeddingMatrix matrix, bool forcePrefilter)
    : m_dims(matrix.dims), m_ids(std::move(matrix.chunkIds)), m_values(std::move(matrix.values)) {
    if (m_ids.size() > kPrefilterRows || forcePrefilter) {
        const size_t d = static_cast<size_t>(m_dims);
        m_q8.resize(m_values.size());
        m_scales.resize(m_ids.size());
        for (size_t r = 0; r < m_ids.size(); ++r) m_scales[r] = quantizeRow(&m_values[r * d], d, &m_q8[r * d]);
    }
}

std::vector<ScoredChunk> DenseIndex::exact(std::span<const float> query, int k) const {
    const size_t d = static_cast<size_t>(m_dims);
    std::vector<float> scores(m_ids.size());
    for (size_t r = 0; r < m_ids.size(); ++r) scores[r] = dotF32(&m_values[r * d], query.data(), d);
    std::vector<ScoredChunk> out;
    for (uint32_t i : topIndices(scores, static_cast<size_t>(k))) out.push_back({m_ids[i], scores[i]});
    return out;
}

std::vector<ScoredChunk> DenseIndex::search(std::span<const float> query, int k) const {
    if (k <= 0 || m_ids.empty() || query.size() != static_cast<size_t>(m_dims)) return {};
    if (m_q8.empty()) return exact(query, k);
    const size_t d = static_cast<size_t>(m_dims);
    std::vector<int8_t> q(d);
    quantizeRow(query.data(), d, q.data());
    std::vector<float> approx(m_ids.size());
    for (size_t r = 0; r < m_ids.size(); ++r)
        approx[r] = static_cast<float>(dotI8(&m_q8[r * d], q.data(), d)) * m_scales[r];
    const size_t candidates = std::max<size_t>(static_cast<size_t>(k) * 20, 256);
    std::vector<float> exactScores;
    std::vector<uint32_t> rows = topIndices(approx, candidates);
    for (uint32_t r : rows) exactScores.push_back(dotF32(&m_values[r * d], query.data(), d));
    std::vector<ScoredChunk> out;
    for (uint32_t i : topIndices(exactScores, static_cast<size_t>(k))) out.push_back({m_ids[rows[i]], exactScores[i]});
    return out;
}

StoreResult<DenseIndex> loadDenseIndex(Store& store, const Embedder& embedder, const std::string& collection) {
    auto id = store.embedderId(embedder.name(), embedder.fileHash(), embedder.dims());
    if (!id) return std::unexpected(id.error());
    auto matrix = store.loadEmbeddings(*id, collection);
    if (!matrix) return std::unexpected(matrix.error());
    return DenseIndex(std::move(*matrix));
}

bool parseSearchMode(const std::string& text, SearchMode& mode) {
    if (text == "bm25") mode = SearchMode::Bm25;
    else if (text == "dense") mode = SearchMode::Dense;
    else if (text == "hybrid") mode = SearchMode::Hybrid;
    else return false;
    return true;
}

std::vector<ScoredChunk> reciprocalRankFusion(const std::vector<std::vector<ScoredChunk>>& lists, int k, int rrfK) {
    std::unordered_map<int64_t, float> fused;
    std::vector<int64_t> order;  // first appearance, for a stable tie-break
    for (const auto& list : lists)
        for (size_t rank = 0; rank < list.size(); ++rank) {
            auto [it, inserted] = fused.try_emplace(list[rank].chunkId, 0.0f);
            if (inserted) order.push_back(list[rank].chunkId);
            it->second += 1.0f / static_cast<float>(rrfK + static_cast<int>(rank) + 1);
        }
    std::vector<ScoredChunk> out;
    for (int64_t id : order) out.push_back({id, fused[id]});
    std::stable_sort(out.begin(), out.end(), [](const ScoredChunk& a, const ScoredChunk& b) { return a.score > b.score; });
    if (k >= 0 && out.size() > static_cast<size_t>(k)) out.resize(static_cast<size_t>(k));
    return out;
}

StoreResult<std::vector<SearchHit>> Retriever::search(const std::string& query, const SearchOptions& options) {
    std::vector<ScoredChunk> bm25, dense, ranked;
    const int n = std::max(options.candidates, options.k);
    SearchMode mode = options.mode;
    // An embedder's vectors for a language it was not trained on are noise that would
    // outvote BM25 in the fusion: such a question is answered by BM25 alone.
    if (mode == SearchMode::Hybrid && m_embedder && !m_embedder->languages().empty() &&
        !m_embedder->covers(detectLanguage(query)))
        mode = SearchMode::Bm25;
    if (mode != SearchMode::Dense) {
        auto r = m_store.searchBm25(query, n, options.collection);
        if (!r) return std::unexpected(r.error());
        bm25 = std::move(*r);
    }
    if (mode != SearchMode::Bm25) {
        if (!m_embedder || !m_index)
            return std::unexpected("dense search needs an embedding model (--embedder) and its vectors");
        auto q = m_embedder->embed({query});
        if (!q) return std::unexpected(q.error());
        dense = m_index->search((*q)[0], n);
    }
    if (mode == SearchMode::Bm25) ranked = std::move(bm25);
    else if (mode == SearchMode::Dense) ranked = std::move(dense);
    else ranked = reciprocalRankFusion({bm25, dense}, options.k, options.rrfK);
    if (ranked.size() > static_cast<size_t>(options.k)) ranked.resize(static_cast<size_t>(options.k));
    std::vector<int64_t> ids;
    for (const auto& s : ranked) ids.push_back(s.chunkId);
    auto records = m_store.chunks(ids);
    if (!records) return std::unexpected(records.error());
    std::unordered_map<int64_t, const ChunkRecord*> byId;
    for (const ChunkRecord& c : *records) byId[c.id] = &c;
    std::vector<SearchHit> hits;
    for (const auto& s : ranked) {
        auto it = byId.find(s.chunkId);
        if (it == byId.end()) continue;
        const ChunkRecord& c = *it->second;
        hits.push_back({c.id, c.documentId, c.path, c.pageFrom, c.pageTo, s.score, c.text});
    }
    return hits;
}

}  // namespace rag
