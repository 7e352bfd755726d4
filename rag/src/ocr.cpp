#include "ocr.h"

#include <tesseract/baseapi.h>

#include <memory>

namespace rag {

std::expected<std::string, std::string> ocrGrayImage(const uint8_t* image, int width, int height,
                                                     int stride, int dpi, const std::string& language,
                                                     int) {
    if (!image || width <= 0 || height <= 0 || stride < width)
        return std::unexpected("OCR: empty page image");
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
