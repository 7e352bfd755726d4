// Layout of the generated tables in unicode_tables.cpp (private to unicode.cpp).
#pragma once

#include <cstddef>
#include <cstdint>

#include "unicode.h"

namespace tokenizer::unicode::tables {

struct CategoryRange {
    char32_t first, last;
    Category category;
};
// A code point mapped to data[offset, offset + length).
struct MappingEntry {
    char32_t cp;
    uint32_t offset;
    uint8_t length;
};

extern const char* const kUnicodeVersion;
extern const CategoryRange kCategoryRanges[];  // sorted, gaps are Cn
extern const size_t kCategoryRangeCount;
extern const MappingEntry kLowerEntries[];     // sorted by cp
extern const size_t kLowerEntryCount;
extern const char32_t kLowerData[];
extern const MappingEntry kNfdEntries[];       // sorted by cp, Hangul excluded
extern const size_t kNfdEntryCount;
extern const char32_t kNfdData[];

}  // namespace tokenizer::unicode::tables
