// Turning one file into text: PDF (poppler, reading order, OCR of pages without a
// text layer), plain text, Markdown, DOCX and ODT. Thread-safe: each call works on
// its own file.
#pragma once

#include <atomic>
#include <string>
#include <string_view>
#include <vector>

namespace rag {

// What became of a file. Stored as the strings of statusName() in documents.status.
enum class DocumentStatus {
    Indexed,      // text extracted from the file's own text layer
    Ocr,          // at least one page had no usable text layer and was OCR'd
    Encrypted,    // password-protected: no password, or a wrong one, was given
    NoText,       // no text layer (scanned or text drawn as curves) and OCR off or empty
    Unreadable,   // a text layer without a Unicode map (garbage glyph codes), not recovered
    Failed,       // not readable at all (empty, damaged, unsupported); error says why
};

// "indexed", "ocr", "encrypted", "no_text", "unreadable", "failed".
std::string_view statusName(DocumentStatus status);

struct ExtractOptions {
    std::string password;          // PDF user (or owner) password; empty = none
    bool ocr = true;               // OCR pages that have no usable text layer
    std::string ocrLanguage = "eng";  // Tesseract language(s), "eng+fra"
    int ocrDpi = 300;              // rendering resolution for OCR
    const std::atomic<bool>* cancel = nullptr;  // checked between pages
};

struct ExtractedDocument {
    DocumentStatus status = DocumentStatus::Failed;
    std::string error;               // why (Failed, Encrypted), or notes ("3 pages OCR'd")
    std::vector<std::string> pages;  // UTF-8, NFKC, one entry per page (text files: one)
    int ocrPages = 0;                // pages whose text came from OCR
    bool cancelled = false;
};

// Dispatches on the extension (.pdf, .txt, .text, .md, .markdown, .docx, .odt; case-
// insensitive). Never throws; a bad file gives status Failed with a reason.
ExtractedDocument extractDocument(const std::string& path, const ExtractOptions& options = {});

// True for extensions extractDocument handles (used when walking folders).
bool isSupportedDocument(const std::string& path);

// PDF only (pdf_text.cpp, the only file that includes poppler).
ExtractedDocument extractPdf(const std::string& path, const ExtractOptions& options);

}  // namespace rag
