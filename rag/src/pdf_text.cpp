// PDF -> pages of text. The only file that includes poppler.
//
// Per page: poppler's reading-order text (non-raw, non-physical layout; the physical
// layout interleaves columns), NFKC, de-hyphenation. Lines at the top/bottom edge
// that repeat on many pages (running headers, footers, page numbers; found from word
// boxes) are removed. Pages with no usable text layer are rendered and OCR'd.
#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-global.h>
#include <poppler/cpp/poppler-image.h>
#include <poppler/cpp/poppler-page-renderer.h>
#include <poppler/cpp/poppler-page.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>

#include "ocr.h"
#include "rag/document.h"
#include "text_util.h"

namespace rag {
namespace {

// Poppler reports problems through one process-wide callback; keep the last message
// per thread so a failed load can say why.
thread_local std::string t_lastPopplerError;

void installPopplerErrorSink() {
    static std::once_flag once;
    std::call_once(once, [] {
        poppler::set_debug_error_function(
            [](const std::string& message, void*) {
                if (!t_lastPopplerError.empty()) return;  // the first is the cause
                t_lastPopplerError = message;
                // Poppler escapes the trailing newline as "<0a>".
                for (const char* tail : {"<0a>", "\n"})
                    if (t_lastPopplerError.ends_with(tail)) t_lastPopplerError.resize(t_lastPopplerError.size() - std::strlen(tail));
            },
            nullptr);
    });
}

std::string utf8(const poppler::ustring& s) {
    const poppler::byte_array bytes = s.to_utf8();
    return std::string(bytes.begin(), bytes.end());
}

// Fewer letters/digits than this and a page counts as having no text layer (a stamp
// or a page number on a scanned image).
constexpr size_t kMinPageAlnum = 20;
// Below this readable fraction a text layer is glyph garbage (no Unicode map).
constexpr double kMinReadable = 0.6;
// Top/bottom band, as a fraction of the page height, searched for running headers.
constexpr double kEdgeBand = 0.1;

// Comparison key of a header/footer line: lower-case words without digits, so
// "12 Federal Register / Vol. 85" and "Federal Register / Vol. 85 13" match; a line
// of digits only (a page number) has the key "#".
std::string edgeKey(std::string_view line) {
    const std::string words = wordsLower(line);
    std::string key;
    bool digits = false;
    for (char c : words) {
        if (c >= '0' && c <= '9') {
            digits = true;
            continue;
        }
        if (c == ' ' && (key.empty() || key.back() == ' ')) continue;
        key.push_back(c);
    }
    while (!key.empty() && key.back() == ' ') key.pop_back();
    if (key.empty() && digits) return "#";
    return key;
}

// Keys of the lines (word boxes grouped by baseline) in the top and bottom bands.
std::set<std::string> edgeLineKeys(const poppler::page& page) {
    const poppler::rectf rect = page.page_rect();
    const double height = rect.height();
    std::map<long, std::vector<std::pair<double, std::string>>> lines;  // y bucket -> (x, word)
    for (const poppler::text_box& box : page.text_list()) {
        const poppler::rectf b = box.bbox();
        const double y = b.y() + b.height() / 2 - rect.y();
        if (y > height * kEdgeBand && y < height * (1 - kEdgeBand)) continue;
        lines[static_cast<long>(y / 4)].emplace_back(b.x(), utf8(box.text()));
    }
    std::set<std::string> keys;
    for (auto& [bucket, words] : lines) {
        std::sort(words.begin(), words.end());
        std::string line;
        for (const auto& w : words) line += w.second + " ";
        std::string key = edgeKey(line);
        if (!key.empty()) keys.insert(std::move(key));
    }
    return keys;
}

// Drops up to three leading and trailing non-empty lines whose key is a repeated edge line.
std::string stripEdges(const std::string& text, const std::set<std::string>& repeated) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    auto strip = [&](auto begin, auto end) {
        int seen = 0;
        for (auto it = begin; it != end && seen < 3; ++it) {
            if (edgeKey(*it).empty()) continue;
            ++seen;
            // Repeated edge lines, and bare page numbers ("17", "xii" is left alone).
            const std::string key = edgeKey(*it);
            if (repeated.count(key) || (key == "#" && wordsLower(*it).size() <= 4)) it->clear();
        }
    };
    strip(lines.begin(), lines.end());
    strip(lines.rbegin(), lines.rend());
    std::string out;
    for (const std::string& line : lines) {
        out += line;
        out.push_back('\n');
    }
    while (out.size() > 1 && out[out.size() - 1] == '\n' && out[out.size() - 2] == '\n') out.pop_back();
    return out;
}

// Text: a usable text layer. Sparse: a few readable characters (a stamp on a scan, or
// a genuinely short page): OCR'd when OCR is on, kept when OCR finds less. NoText:
// nothing. Garbage: glyph codes without a Unicode map (symbol soup or unassigned code
// points).
enum class PageKind { Text, Sparse, NoText, Garbage };

struct PageText {
    std::string text;
    PageKind kind = PageKind::NoText;
    std::set<std::string> edgeKeys;
};

PageKind classify(const std::string& text) {
    size_t nonSpace = 0;  // code points, not bytes (CJK letters are 3 bytes)
    for (char c : text)
        if (c != ' ' && c != '\n' && c != '\t' && (static_cast<unsigned char>(c) & 0xC0) != 0x80) ++nonSpace;
    const size_t alnum = countAlnum(text);
    if (nonSpace == 0) return PageKind::NoText;
    bool letters = false;
    for (char c : text) letters = letters || (!(c >= '0' && c <= '9') && c != ' ' && c != '\n' && c != '\t');
    // A lone page number or date stamp on a scanned page is not a text layer.
    if (!letters && alnum < kMinPageAlnum) return PageKind::NoText;
    // Mostly symbols ("7+%-$") or unassigned/private-use code points.
    if (readableFraction(text) < kMinReadable || (nonSpace >= 3 && alnum * 2 < nonSpace))
        return alnum >= kMinPageAlnum * 10 ? PageKind::Text : PageKind::Garbage;
    return alnum >= kMinPageAlnum ? PageKind::Text : PageKind::Sparse;
}

PageText readPage(const poppler::page& page) {
    PageText p;
    p.text = normalizeText(utf8(page.text(page.page_rect(), poppler::page::non_raw_non_physical_layout)));
    p.kind = classify(p.text);
    if (p.kind == PageKind::Text) p.edgeKeys = edgeLineKeys(page);
    return p;
}

std::expected<std::string, std::string> ocrPage(const poppler::page& page, const ExtractOptions& options) {
    poppler::page_renderer renderer;
    renderer.set_render_hint(poppler::page_renderer::antialiasing, true);
    renderer.set_render_hint(poppler::page_renderer::text_antialiasing, true);
    renderer.set_image_format(poppler::image::format_gray8);
    // Cap the bitmap at ~40 Mpixel (A0 posters at 300 dpi would need gigabytes).
    const poppler::rectf rect = page.page_rect();
    double dpi = std::clamp(options.ocrDpi, 72, 600);
    const double pixels = rect.width() * rect.height() * (dpi / 72) * (dpi / 72);
    if (pixels > 40e6) dpi *= std::sqrt(40e6 / pixels);
    const poppler::image image = renderer.render_page(&page, dpi, dpi);
    if (!image.is_valid() || image.format() != poppler::image::format_gray8)
        return std::unexpected("could not render the page for OCR");
    return ocrGrayImage(reinterpret_cast<const uint8_t*>(image.const_data()), image.width(),
                        image.height(), image.bytes_per_row(), static_cast<int>(dpi),
                        options.ocrLanguage, 1);
}

// Phase 1: the file, loaded and unlocked; null with out's status and error set otherwise.
std::unique_ptr<poppler::document> openPdf(const std::string& path, const ExtractOptions& options,
                                           ExtractedDocument& out) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) {
        out.error = "cannot read: " + ec.message();
        return nullptr;
    }
    if (size == 0) {
        out.error = "empty file (0 bytes)";
        return nullptr;
    }
    installPopplerErrorSink();
    t_lastPopplerError.clear();
    std::unique_ptr<poppler::document> doc(
        poppler::document::load_from_file(path, options.password, options.password));
    auto why = [] { return t_lastPopplerError.empty() ? std::string() : ": " + t_lastPopplerError; };
    if (!doc) {
        out.error = "not a readable PDF" + why();
        return nullptr;
    }
    if (doc->is_locked()) {
        out.status = DocumentStatus::Encrypted;
        out.error = options.password.empty() ? "password required" : "wrong password";
        return nullptr;
    }
    if (doc->pages() <= 0) {
        out.error = "the PDF has no pages" + why();
        return nullptr;
    }
    return doc;
}

// Every page's text layer, classified, and the lines repeated at page edges
// (running heads, page numbers) that are stripped from the text pages.
struct TextLayer {
    std::vector<PageText> pages;
    std::set<std::string> repeated;
    int textPages = 0;
};

// Phase 2. False when cancelled.
bool readTextLayer(poppler::document& doc, const ExtractOptions& options, TextLayer& layer) {
    const int count = doc.pages();
    layer.pages.resize(static_cast<size_t>(count));
    std::map<std::string, int> edgeCounts;
    for (int i = 0; i < count; ++i) {
        if (options.cancel && options.cancel->load()) return false;
        std::unique_ptr<poppler::page> page(doc.create_page(i));
        if (!page) continue;
        PageText& p = layer.pages[static_cast<size_t>(i)];
        p = readPage(*page);
        if (p.kind == PageKind::Text) ++layer.textPages;
        for (const std::string& key : p.edgeKeys) ++edgeCounts[key];
    }
    if (layer.textPages >= 3) {
        layer.repeated.insert("#");  // page numbers
        for (const auto& [key, n] : edgeCounts)
            if (n >= 3 && n * 3 >= layer.textPages) layer.repeated.insert(key);
    }
    return true;
}

// What the pages without a usable text layer turned out to be.
struct PageCounts {
    int noText = 0, garbage = 0, sparse = 0;
    std::string ocrError;  // the last OCR failure
};

// Phase 3: out.pages from the text layer, OCR where it has no usable text and OCR
// reads more. False when cancelled.
bool fillPages(poppler::document& doc, const TextLayer& layer, const ExtractOptions& options,
               ExtractedDocument& out, PageCounts& counts) {
    out.pages.resize(layer.pages.size());
    for (size_t i = 0; i < layer.pages.size(); ++i) {
        const PageText& p = layer.pages[i];
        if (p.kind == PageKind::Text) {
            out.pages[i] = dehyphenate(layer.repeated.empty() ? p.text : stripEdges(p.text, layer.repeated));
            continue;
        }
        if (p.kind == PageKind::Sparse) {
            out.pages[i] = dehyphenate(p.text);
            ++counts.sparse;
        } else {
            (p.kind == PageKind::Garbage ? counts.garbage : counts.noText)++;
        }
        if (!options.ocr) continue;
        if (options.cancel && options.cancel->load()) return false;
        std::unique_ptr<poppler::page> page(doc.create_page(static_cast<int>(i)));
        if (!page) continue;
        auto text = ocrPage(*page, options);
        if (!text) {
            counts.ocrError = text.error();
            continue;
        }
        std::string ocrText = dehyphenate(normalizeText(*text));
        if (countAlnum(ocrText) > countAlnum(out.pages[i]) && countAlnum(ocrText) >= 3) {
            out.pages[i] = std::move(ocrText);
            ++out.ocrPages;
            if (p.kind == PageKind::Sparse) --counts.sparse;
        }
    }
    return true;
}

// Phase 4: the document's status and the note that says what was found.
void describeExtraction(int count, int textPages, const PageCounts& c, const ExtractOptions& options,
                        ExtractedDocument& out) {
    const std::string pagesOf = " of " + std::to_string(count) + " page" + (count == 1 ? "" : "s");
    if (out.ocrPages > 0) {
        out.status = DocumentStatus::Ocr;
        out.error = std::to_string(out.ocrPages) + pagesOf + " OCR'd";
        if (c.garbage > 0) out.error += " (" + std::to_string(c.garbage) + " with unreadable text)";
    } else if (textPages + c.sparse > 0) {
        out.status = DocumentStatus::Indexed;
        if (c.noText + c.garbage > 0)
            out.error = std::to_string(c.noText + c.garbage) + pagesOf + " without usable text" +
                        (options.ocr ? "" : " (OCR off)");
    } else if (c.garbage > 0) {
        out.status = DocumentStatus::Unreadable;
        out.error = "the text layer has no Unicode map (glyph codes only)" +
                    std::string(options.ocr ? "; OCR found no text" : "; OCR off");
    } else if (!t_lastPopplerError.empty()) {
        // Nothing readable and poppler complained: a damaged file, not a scan.
        out.error = "damaged PDF: " + t_lastPopplerError;
        out.pages.clear();
    } else {
        out.status = DocumentStatus::NoText;
        out.error = std::string("no text layer (scanned or drawn as curves)") +
                    (options.ocr ? "; OCR found no text" : "; OCR off");
    }
    if (!c.ocrError.empty() && out.ocrPages == 0) out.error += "; " + c.ocrError;
    if (out.status == DocumentStatus::Unreadable || out.status == DocumentStatus::NoText)
        out.pages.assign(static_cast<size_t>(count), {});
}

}  // namespace

ExtractedDocument extractPdf(const std::string& path, const ExtractOptions& options) {
    ExtractedDocument out;
    std::unique_ptr<poppler::document> doc = openPdf(path, options, out);
    if (!doc) return out;
    TextLayer layer;
    PageCounts counts;
    if (!readTextLayer(*doc, options, layer) || !fillPages(*doc, layer, options, out, counts)) {
        out.cancelled = true;
        return out;
    }
    describeExtraction(doc->pages(), layer.textPages, counts, options, out);
    return out;
}

}  // namespace rag
