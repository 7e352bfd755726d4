#include "rag/embedder_check.h"

namespace rag {

namespace {

bool same(const EmbedderRecord& r, const Embedder& e) { return r.name == e.name() && r.fileHash == e.fileHash(); }

}  // namespace

StoreResult<void> checkIndexEmbedder(Store& store, const Embedder& embedder) {
    auto stored = store.embeddersWithVectors();
    if (!stored) return std::unexpected(stored.error());
    for (const EmbedderRecord& r : *stored) {
        if (same(r, embedder)) continue;
        return std::unexpected("the index holds " + std::to_string(r.vectors) + " vectors from " +
                               Embedder::describeEmbedder(r.name, r.fileHash) + " (" + std::to_string(r.dims) +
                               " dimensions), not from " + embedder.describe() + " (" +
                               std::to_string(embedder.dims()) + " dimensions); vectors of two models cannot be mixed");
    }
    return {};
}

StoreResult<int64_t> removeOtherEmbedders(Store& store, const Embedder& embedder) {
    auto stored = store.embeddersWithVectors();
    if (!stored) return std::unexpected(stored.error());
    int64_t removed = 0;
    for (const EmbedderRecord& r : *stored) {
        if (same(r, embedder)) continue;
        if (auto done = store.removeEmbedder(r.id); !done) return std::unexpected(done.error());
        removed += r.vectors;
    }
    return removed;
}

}  // namespace rag
