#include "ocr.h"

#include <tesseract/baseapi.h>

#include <cstdlib>
#include <memory>
#include <mutex>

namespace rag {

std::expected<std::string, std::string> ocrGrayImage(const uint8_t* image, int width, int height,
                                                     int stride, int dpi, const std::string& language,
                                                     int threads) {
    if (!image || width <= 0 || height <= 0 || stride < width)
        return std::unexpected("OCR: empty page image");
    // Tesseract's OpenMP pool reads OMP_THREAD_LIMIT once; several indexer threads each
    // running a parallel OCR would oversubscribe small machines.
    static std::once_flag once;
    std::call_once(once, [threads] {
        const std::string n = std::to_string(threads > 0 ? threads : 1);
        setenv("OMP_THREAD_LIMIT", n.c_str(), 0);
    });
    auto api = std::make_unique<tesseract::TessBaseAPI>();
    if (api->Init(nullptr, language.c_str(), tesseract::OEM_DEFAULT) != 0)
        return std::unexpected("OCR: Tesseract has no language data for '" + language +
                               "' (install tesseract-ocr-" + language + ")");
    api->SetVariable("debug_file", "/dev/null");
    api->SetPageSegMode(tesseract::PSM_AUTO);
    api->SetImage(image, width, height, 1, stride);
    api->SetSourceResolution(dpi);
    std::unique_ptr<char[]> text(api->GetUTF8Text());
    api->End();
    if (!text) return std::unexpected("OCR: recognition failed");
    return std::string(text.get());
}

}  // namespace rag
