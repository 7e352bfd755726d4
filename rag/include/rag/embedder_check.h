// An index's vectors come from one embedder: vectors of two models (a local file and a
// remote server, or two files) cannot be compared, so adding or searching with another
// one is refused, naming the embedder that built the index (recorded in its embedders
// table: name, file hash or "remote:URL#MODEL", dimensions).
#pragma once

#include <string>

#include "rag/embedder.h"
#include "rag/store.h"

namespace rag {

// Ok when the index has no vectors or only `embedder`'s; else an error such as
// "the index holds 40 vectors from the local model use-lite (512 dimensions), not from
// the remote model m at http://h/v1".
StoreResult<void> checkIndexEmbedder(Store& store, const Embedder& embedder);

// Drops every other embedder's vectors (replacing them); returns how many went.
StoreResult<int64_t> removeOtherEmbedders(Store& store, const Embedder& embedder);

}  // namespace rag
