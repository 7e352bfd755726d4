// Structure-aware chunking: a document's pages become overlapping chunks of about
// `targetChars` characters, cut at paragraph boundaries first, then sentence
// boundaries, then word boundaries (a single over-long word is cut at a UTF-8
// character boundary).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace rag {

struct ChunkerOptions {
    int targetChars = 1000;  // upper bound on a chunk's length in bytes of UTF-8 (>= 50)
    int overlapChars = 150;  // text repeated from the previous chunk (~15%); < targetChars / 2
};

struct Chunk {
    int64_t documentId = 0;  // set by the caller (the store's documents.id)
    int ordinal = 0;         // 0, 1, 2 ... within the document
    int pageFrom = 1;        // 1-based page of the first character
    int pageTo = 1;          // 1-based page of the last character
    int64_t charStart = 0;   // byte offsets into documentText(pages): [charStart, charEnd)
    int64_t charEnd = 0;
    std::string text;
};

// The whole document as one string: pages joined by "\n\n" (the chunker's offsets
// refer to this string).
std::string documentText(const std::vector<std::string>& pages);

// Chunks in order; empty when the pages hold no non-space text.
std::vector<Chunk> chunkDocument(const std::vector<std::string>& pages, const ChunkerOptions& options = {});

}  // namespace rag
