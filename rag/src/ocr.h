// Optical character recognition of one rendered page (Tesseract). The only file that
// includes Tesseract; pdf_text.cpp renders pages and calls this.
#pragma once

#include <cstdint>
#include <expected>
#include <string>

namespace rag {

// image: 8-bit grey, rows of `stride` bytes, width x height pixels at `dpi`.
// Returns the recognized UTF-8 text (Tesseract's layout analysis orders columns), or
// why it failed (language data missing, ...). Tesseract's OpenMP threads follow
// OMP_THREAD_LIMIT, read when the process starts; `threads` is reserved.
std::expected<std::string, std::string> ocrGrayImage(const uint8_t* image, int width, int height,
                                                     int stride, int dpi, const std::string& language,
                                                     int threads);

}  // namespace rag
