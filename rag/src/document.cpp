// extractDocument: dispatch by extension; plain text, Markdown, DOCX and ODT readers.
// PDFs live in pdf_text.cpp.
#include <libxml/xmlreader.h>
#include <zip.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <expected>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "rag/document.h"
#include "text_util.h"

namespace rag {
namespace {

constexpr std::array<std::string_view, 6> kStatusNames = {"indexed", "ocr", "encrypted",
                                                          "no_text", "unreadable", "failed"};

std::string lowerExtension(const std::string& path) {
    std::string ext = std::filesystem::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    return ext;
}

// Files larger than this are not read as text (logs, dumps): 64 MiB.
constexpr uintmax_t kMaxTextBytes = 64ull << 20;

ExtractedDocument finish(std::string text) {
    ExtractedDocument out;
    text = dehyphenate(normalizeText(text));
    if (countAlnum(text) == 0) {
        out.status = DocumentStatus::NoText;
        out.error = "the file contains no text";
        out.pages.assign(1, {});
        return out;
    }
    out.status = DocumentStatus::Indexed;
    out.pages.push_back(std::move(text));
    return out;
}

ExtractedDocument extractPlain(const std::string& path) {
    ExtractedDocument out;
    std::error_code ec;
    const uintmax_t size = std::filesystem::file_size(path, ec);
    if (ec) {
        out.error = "cannot read: " + ec.message();
        return out;
    }
    if (size > kMaxTextBytes) {
        out.error = "text file larger than 64 MiB";
        return out;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        out.error = "cannot open the file";
        return out;
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    std::string text = buffer.str();
    if (text.find('\0') != std::string::npos) {
        out.error = "binary data in a text file";
        return out;
    }
    return finish(std::move(text));
}

// One entry of a zip archive; empty optional error string on success.
std::expected<std::string, std::string> readZipEntry(const std::string& path, const char* entry) {
    int err = 0;
    zip_t* archive = zip_open(path.c_str(), ZIP_RDONLY, &err);
    if (!archive) {
        zip_error_t error;
        zip_error_init_with_code(&error, err);
        std::string message = std::string("not a readable zip archive: ") + zip_error_strerror(&error);
        zip_error_fini(&error);
        return std::unexpected(message);
    }
    std::string data;
    std::string failure;
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat(archive, entry, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE)) {
        failure = std::string("the archive has no ") + entry;
    } else if (st.size > kMaxTextBytes) {
        failure = std::string(entry) + " is larger than 64 MiB";
    } else if (zip_file_t* file = zip_fopen(archive, entry, 0)) {
        data.resize(st.size);
        const zip_int64_t n = zip_fread(file, data.data(), st.size);
        if (n < 0 || static_cast<zip_uint64_t>(n) != st.size) failure = std::string("cannot read ") + entry;
        zip_fclose(file);
    } else {
        failure = std::string("cannot open ") + entry;
    }
    zip_discard(archive);
    if (!failure.empty()) return std::unexpected(failure);
    return data;
}

// Walks OOXML (word/document.xml) or ODF (content.xml) and keeps paragraph text:
// DOCX text lives in <w:t>, ODT text anywhere inside <text:p>/<text:h>.
std::expected<std::string, std::string> xmlText(const std::string& xml, bool odf) {
    xmlTextReaderPtr reader = xmlReaderForMemory(xml.data(), static_cast<int>(xml.size()), nullptr,
                                                 nullptr, XML_PARSE_NONET | XML_PARSE_NOERROR |
                                                              XML_PARSE_NOWARNING);
    if (!reader) return std::unexpected("cannot parse the document XML");
    std::string text;
    int paragraphDepth = 0;  // ODF: open <text:p>/<text:h> elements
    bool inDocxText = false;
    int rc = 0;
    while ((rc = xmlTextReaderRead(reader)) == 1) {
        const int type = xmlTextReaderNodeType(reader);
        const char* name = reinterpret_cast<const char*>(xmlTextReaderConstLocalName(reader));
        const std::string_view local = name ? name : "";
        const bool empty = xmlTextReaderIsEmptyElement(reader);
        if (type == XML_READER_TYPE_ELEMENT) {
            if (odf && (local == "p" || local == "h") && !empty) ++paragraphDepth;
            else if (!odf && local == "t" && !empty) inDocxText = true;
            else if (local == "tab") text.push_back('\t');
            else if (local == "br" || local == "line-break") text.push_back('\n');
            else if (odf && local == "s") text.push_back(' ');
            if (empty && (local == "p" || local == "h")) text += "\n\n";
        } else if (type == XML_READER_TYPE_END_ELEMENT) {
            if (local == "p" || local == "h") {
                if (odf && paragraphDepth > 0) --paragraphDepth;
                text += "\n\n";
            } else if (!odf && local == "t") {
                inDocxText = false;
            }
        } else if (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE) {
            if ((odf && paragraphDepth > 0) || (!odf && inDocxText)) {
                const xmlChar* value = xmlTextReaderConstValue(reader);
                if (value) text += reinterpret_cast<const char*>(value);
            }
        }
    }
    xmlFreeTextReader(reader);
    if (rc < 0) return std::unexpected("malformed document XML");
    return text;
}

ExtractedDocument extractOffice(const std::string& path, bool odf) {
    ExtractedDocument out;
    auto xml = readZipEntry(path, odf ? "content.xml" : "word/document.xml");
    if (!xml) {
        out.error = xml.error();
        return out;
    }
    auto text = xmlText(*xml, odf);
    if (!text) {
        out.error = text.error();
        return out;
    }
    return finish(std::move(*text));
}

}  // namespace

std::string_view statusName(DocumentStatus status) {
    return kStatusNames[static_cast<size_t>(status)];
}

bool isSupportedDocument(const std::string& path) {
    const std::string ext = lowerExtension(path);
    return ext == ".pdf" || ext == ".txt" || ext == ".text" || ext == ".md" || ext == ".markdown" ||
           ext == ".docx" || ext == ".odt";
}

ExtractedDocument extractDocument(const std::string& path, const ExtractOptions& options) {
    const std::string ext = lowerExtension(path);
    if (ext == ".pdf") return extractPdf(path, options);
    if (ext == ".docx") return extractOffice(path, false);
    if (ext == ".odt") return extractOffice(path, true);
    if (ext == ".txt" || ext == ".text" || ext == ".md" || ext == ".markdown") return extractPlain(path);
    ExtractedDocument out;
    out.error = "unsupported file type '" + ext + "'";
    return out;
}

}  // namespace rag
