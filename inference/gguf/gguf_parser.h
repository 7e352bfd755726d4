// Internal: validates a GGUF image (File::m_bytes) and fills the File's header,
// metadata and tensor table. Used by File::open and File::fromMemory only.
#pragma once

#include "gguf/gguf_file.h"

namespace gguf {

// Limits that are not in the format but keep a hostile file from costing much.
inline constexpr int kMaxArrayDepth = 8;          // arrays of arrays of ... (real files use 1)
inline constexpr uint32_t kMaxDims = 4;           // GGML_MAX_DIMS
inline constexpr uint64_t kDefaultAlignment = 32;

class Parser {
public:
    // Parses file.m_bytes into file; on error the File is left partially filled and
    // must be discarded.
    static assistant::Status parse(File& file);

private:
    class Reader;  // the parse state; nested so that it shares Parser's friendship with File
};

}  // namespace gguf
