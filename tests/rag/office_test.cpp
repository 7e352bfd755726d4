// DOCX and ODT through libzip + libxml2, on archives written here (stored entries).
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "rag/document.h"

namespace {

uint32_t crc32(const std::string& data) {
    uint32_t crc = 0xFFFFFFFFu;
    for (unsigned char c : data) {
        crc ^= c;
        for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

void put16(std::string& s, uint16_t v) { s.append({char(v & 0xFF), char(v >> 8)}); }
void put32(std::string& s, uint32_t v) { for (int i = 0; i < 4; ++i) s.push_back(char((v >> (8 * i)) & 0xFF)); }

// A zip archive with uncompressed ("stored") entries: local headers, central directory, end record.
std::string makeZip(const std::vector<std::pair<std::string, std::string>>& entries) {
    std::string out, central;
    for (const auto& [name, data] : entries) {
        const uint32_t offset = static_cast<uint32_t>(out.size());
        const uint32_t crc = crc32(data);
        put32(out, 0x04034b50); put16(out, 20); put16(out, 0); put16(out, 0); put16(out, 0); put16(out, 0);
        put32(out, crc); put32(out, static_cast<uint32_t>(data.size())); put32(out, static_cast<uint32_t>(data.size()));
        put16(out, static_cast<uint16_t>(name.size())); put16(out, 0);
        out += name + data;
        put32(central, 0x02014b50); put16(central, 20); put16(central, 20); put16(central, 0); put16(central, 0);
        put16(central, 0); put16(central, 0); put32(central, crc); put32(central, static_cast<uint32_t>(data.size()));
        put32(central, static_cast<uint32_t>(data.size())); put16(central, static_cast<uint16_t>(name.size()));
        put16(central, 0); put16(central, 0); put16(central, 0); put16(central, 0); put32(central, 0); put32(central, offset);
        central += name;
    }
    const uint32_t centralOffset = static_cast<uint32_t>(out.size());
    out += central;
    put32(out, 0x06054b50); put16(out, 0); put16(out, 0);
    put16(out, static_cast<uint16_t>(entries.size())); put16(out, static_cast<uint16_t>(entries.size()));
    put32(out, static_cast<uint32_t>(central.size())); put32(out, centralOffset); put16(out, 0);
    return out;
}

std::string writeTemp(const std::string& name, const std::string& bytes) {
    const std::string path = ::testing::TempDir() + "/" + name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
}

}  // namespace

TEST(RagOffice, DocxParagraphsTabsAndBreaks) {
    const std::string xml =
        R"(<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>)"
        R"(<w:p><w:r><w:t>First </w:t></w:r><w:r><w:t>paragraph</w:t><w:tab/><w:t>tabbed.</w:t></w:r></w:p>)"
        R"(<w:p><w:r><w:instrText>PAGE</w:instrText><w:t xml:space="preserve">Second &amp; last</w:t><w:br/><w:t>line.</w:t></w:r></w:p>)"
        R"(</w:body></w:document>)";
    const std::string path = writeTemp("test.docx", makeZip({{"[Content_Types].xml", "<Types/>"}, {"word/document.xml", xml}}));
    const auto d = rag::extractDocument(path);
    ASSERT_EQ(d.status, rag::DocumentStatus::Indexed) << d.error;
    ASSERT_EQ(d.pages.size(), 1u);
    EXPECT_NE(d.pages[0].find("First paragraph\ttabbed."), std::string::npos) << d.pages[0];
    EXPECT_NE(d.pages[0].find("\n\nSecond & last\nline."), std::string::npos) << d.pages[0];
    EXPECT_EQ(d.pages[0].find("PAGE"), std::string::npos) << "field codes are not text";
}

TEST(RagOffice, OdtHeadingsSpansAndSpaces) {
    const std::string xml =
        R"(<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" )"
        R"(xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>)"
        R"(<text:h>Title</text:h><text:p>Some <text:span>styled</text:span> text<text:s/>here.</text:p><text:p/>)"
        R"(<text:p>Caf&#233; end.</text:p></office:text></office:body></office:document-content>)";
    const std::string path = writeTemp("test.odt", makeZip({{"mimetype", "application/vnd.oasis.opendocument.text"}, {"content.xml", xml}}));
    const auto d = rag::extractDocument(path);
    ASSERT_EQ(d.status, rag::DocumentStatus::Indexed) << d.error;
    EXPECT_NE(d.pages.at(0).find("Title\n\nSome styled text here."), std::string::npos) << d.pages[0];
    EXPECT_NE(d.pages[0].find("Caf\xC3\xA9 end."), std::string::npos) << d.pages[0];
}

TEST(RagOffice, BrokenArchivesAreClearFailures) {
    auto d = rag::extractDocument(writeTemp("nodoc.docx", makeZip({{"other.xml", "<a/>"}})));
    EXPECT_EQ(d.status, rag::DocumentStatus::Failed);
    EXPECT_NE(d.error.find("word/document.xml"), std::string::npos) << d.error;
    d = rag::extractDocument(writeTemp("badxml.odt", makeZip({{"content.xml", "<text:p>unclosed"}})));
    EXPECT_EQ(d.status, rag::DocumentStatus::Failed) << d.error;
    d = rag::extractDocument(writeTemp("truncated.docx", makeZip({{"word/document.xml", "<w:p/>"}}).substr(0, 30)));
    EXPECT_EQ(d.status, rag::DocumentStatus::Failed);
}
