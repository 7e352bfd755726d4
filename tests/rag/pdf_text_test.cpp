// Every PDF of ../shared/datasets/pdfs ends with the right status; reading order of
// the three-column file; OCR of the scanned two-column page against its ground truth.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "rag/document.h"
#include "rag/indexer.h"
#include "shared_data.h"
#include "text_util.h"
#include "temp_dir.h"

namespace {

std::string pdf(const std::string& name) { return testdata::sharedPath("datasets/pdfs/" + name); }

struct StatusCase {
    const char* file;
    rag::DocumentStatus status;
    int pages;  // -1: do not check
};

// OCR off: what the file itself holds.
const StatusCase kStatusCases[] = {
    {"ocrmypdf-epson-printed-wikipedia.pdf", rag::DocumentStatus::NoText, 1},
    {"ocrmypdf-font-no-unicode-mapping.pdf", rag::DocumentStatus::Unreadable, 1},
    {"ocrmypdf-francais-diacritics.pdf", rag::DocumentStatus::NoText, 1},
    {"ocrmypdf-invalid-toc-kcs.pdf", rag::DocumentStatus::NoText, 1},
    {"ocrmypdf-malformed-invalid.pdf", rag::DocumentStatus::Failed, 0},
    {"ocrmypdf-multipage-mixed.pdf", rag::DocumentStatus::Indexed, 6},
    {"ocrmypdf-scanned-huckfinn-c02-22.pdf", rag::DocumentStatus::NoText, 1},
    {"ocrmypdf-scanned-two-column-linn.pdf", rag::DocumentStatus::NoText, 1},
    {"ocrmypdf-text-as-vector-curves.pdf", rag::DocumentStatus::NoText, 1},
    {"pdfplumber-empty-0-bytes.pdf", rag::DocumentStatus::Failed, 0},
    {"pdfplumber-federal-register-3col.pdf", rag::DocumentStatus::Indexed, 15},
    {"pdfplumber-malformed-issue-932.pdf", rag::DocumentStatus::NoText, 1},
    {"pdfplumber-nics-table.pdf", rag::DocumentStatus::Indexed, 1},
    {"pdfplumber-password-example.pdf", rag::DocumentStatus::Encrypted, 0},
    {"pdfplumber-scotus-transcript-p1.pdf", rag::DocumentStatus::Indexed, 1},
    {"pypdf-arabic-habibi.pdf", rag::DocumentStatus::Indexed, 1},
    {"pypdf-geotopo-117pages-de.pdf", rag::DocumentStatus::Indexed, 117},
    {"pypdf-google-doc.pdf", rag::DocumentStatus::Indexed, 1},
    {"pypdf-image-only-ccitt.pdf", rag::DocumentStatus::NoText, 1},
    {"pypdf-pdfa-crazyones.pdf", rag::DocumentStatus::Indexed, 1},
    {"pypdf-pdflatex-4-pages.pdf", rag::DocumentStatus::Indexed, 4},
    {"pypdf-unreadable-metadata.pdf", rag::DocumentStatus::Failed, 0},
};

rag::ExtractOptions noOcr() {
    rag::ExtractOptions o;
    o.ocr = false;
    return o;
}

// 1 - (word edit distance / reference words), on lower-cased letter/digit words.
double wordAccuracy(const std::string& reference, const std::string& hypothesis) {
    auto split = [](const std::string& s) {
        std::vector<std::string> words;
        std::istringstream in(rag::wordsLower(s));
        for (std::string w; in >> w;) words.push_back(w);
        return words;
    };
    const auto ref = split(reference), hyp = split(hypothesis);
    std::vector<size_t> prev(hyp.size() + 1), cur(hyp.size() + 1);
    for (size_t j = 0; j <= hyp.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= ref.size(); ++i) {
        cur[0] = i;
        for (size_t j = 1; j <= hyp.size(); ++j)
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ref[i - 1] == hyp[j - 1] ? 0 : 1)});
        std::swap(prev, cur);
    }
    return ref.empty() ? 0.0 : 1.0 - static_cast<double>(prev[hyp.size()]) / static_cast<double>(ref.size());
}

size_t positionOf(const std::string& text, const std::string& needle) {
    const size_t p = text.find(needle);
    EXPECT_NE(p, std::string::npos) << "missing: " << needle;
    return p;
}

}  // namespace

// Through the indexer, as a user runs it (OCR off here; OCR is tested below on the
// pages that need it): every file ends with its status, pages and chunks in the store.
TEST(RagPdf, IndexingTheDatasetGivesEveryPdfTheRightStatus) {
    const std::string folder = testdata::sharedPath("datasets/pdfs");
    REQUIRE_SHARED(folder);
    const std::string db = rag_test::tempDb("pdf-statuses.db").string();
    rag::IndexOptions options;
    options.extract = noOcr();
    rag::Indexer indexer(db, options);
    const rag::IndexSummary summary = indexer.run({folder});
    ASSERT_TRUE(summary.error.empty()) << summary.error;
    size_t pdfs = 0;  // the folder also holds README.md and the OCR ground truth
    for (const auto& f : summary.files) pdfs += f.path.ends_with(".pdf");
    EXPECT_EQ(pdfs, std::size(kStatusCases));
    auto store = rag::Store::open(db);
    ASSERT_TRUE(store.has_value());
    for (const StatusCase& c : kStatusCases) {
        auto doc = store->findDocument(std::filesystem::path(folder + "/" + c.file).lexically_normal().string());
        ASSERT_TRUE(doc.has_value() && doc->has_value()) << c.file;
        const rag::DocumentRecord& d = **doc;
        EXPECT_EQ(d.status, rag::statusName(c.status)) << c.file << ": " << d.error;
        EXPECT_EQ(d.sha256.size(), 64u) << c.file;
        if (c.status != rag::DocumentStatus::Failed && c.status != rag::DocumentStatus::Encrypted) {
            EXPECT_EQ(d.pages, c.pages) << c.file;
        }
        if (c.status == rag::DocumentStatus::Indexed) {
            EXPECT_GT(d.chunks, 0) << c.file;
        } else {
            EXPECT_FALSE(d.error.empty()) << c.file << " needs a reason";
        }
    }
    auto geo = store->findDocument(std::filesystem::path(folder + "/pypdf-geotopo-117pages-de.pdf").lexically_normal().string());
    ASSERT_TRUE(geo.has_value() && geo->has_value());
    EXPECT_GT((*geo)->chunks, 100);
    std::filesystem::remove(db);
}

TEST(RagPdf, PasswordUnlocksTheEncryptedFile) {
    const std::string path = pdf("pdfplumber-password-example.pdf");
    REQUIRE_SHARED(path);
    rag::ExtractOptions o = noOcr();
    o.password = "wrong";
    auto d = rag::extractDocument(path, o);
    EXPECT_EQ(d.status, rag::DocumentStatus::Encrypted);
    EXPECT_EQ(d.error, "wrong password");
    o.password = "test";
    d = rag::extractDocument(path, o);
    EXPECT_EQ(d.status, rag::DocumentStatus::Indexed) << d.error;
    ASSERT_FALSE(d.pages.empty());
    EXPECT_GT(rag::countAlnum(d.pages[0]), 20u);
}

TEST(RagPdf, ThreeColumnPageComesOutInReadingOrder) {
    const std::string path = pdf("pdfplumber-federal-register-3col.pdf");
    REQUIRE_SHARED(path);
    const auto d = rag::extractDocument(path, noOcr());
    ASSERT_EQ(d.pages.size(), 15u);
    const std::string& page = d.pages[1];  // page 2: three full columns
    // Column 1 top, its lines kept together (the physical layout would put column 2
    // and 3 text between "Jakarta," and "Indonesia").
    const size_t c1 = positionOf(page, "Hatta International Airport in Jakarta,\nIndonesia, resulting in 189 fatalities.\n"
                                       "Investigation of the accident has been\ncompleted by the Indonesian authorities");
    const size_t c1end = positionOf(page, "These effects include stall warning\nactivation, airspeed disagree alert, and");
    const size_t c2 = positionOf(page, "altitude disagree alert,5 and may affect\nthe flightcrew\u2019s ability to accomplish\n"
                                       "continued safe flight and landing.");
    const size_t c3 = positionOf(page, "and the Ethiopian Civil Aviation\nAuthority (ECAA).\nThe data from the flight data");
    EXPECT_LT(c1, c1end);
    EXPECT_LT(c1end, c2);
    EXPECT_LT(c2, c3);
}

TEST(RagPdf, RunningHeadersAndPageNumbersAreStripped) {
    const std::string path = pdf("pdfplumber-federal-register-3col.pdf");
    REQUIRE_SHARED(path);
    const auto d = rag::extractDocument(path, noOcr());
    ASSERT_EQ(d.pages.size(), 15u);
    for (size_t i = 1; i < d.pages.size(); ++i)
        EXPECT_EQ(d.pages[i].find("Federal Register / Vol. 85, No. 152"), std::string::npos) << "page " << i + 1;
    const std::string geo = pdf("pypdf-geotopo-117pages-de.pdf");
    REQUIRE_SHARED(geo);
    const auto g = rag::extractDocument(geo, noOcr());
    ASSERT_EQ(g.pages.size(), 117u);
    int numbered = 0;
    for (const std::string& p : g.pages) {
        const size_t first = p.find_first_not_of("\n ");
        const size_t nl = p.find('\n', first);
        const std::string line = first == std::string::npos ? "" : p.substr(first, nl - first);
        if (!line.empty() && line.find_first_not_of("0123456789") == std::string::npos) ++numbered;
    }
    EXPECT_LT(numbered, 5) << "pages still starting with a bare page number";
}

TEST(RagPdf, ScannedTwoColumnPageIsOcrdInReadingOrder) {
    const std::string path = pdf("ocrmypdf-scanned-two-column-linn.pdf");
    const std::string truthPath = pdf("ocrmypdf-scanned-two-column-linn.groundtruth.txt");
    REQUIRE_SHARED(path);
    REQUIRE_SHARED(truthPath);
    std::ifstream in(truthPath);
    std::stringstream truth;
    truth << in.rdbuf();
    const auto d = rag::extractDocument(path);  // OCR on (the default)
    ASSERT_EQ(d.status, rag::DocumentStatus::Ocr) << d.error;
    ASSERT_EQ(d.pages.size(), 1u);
    EXPECT_EQ(d.ocrPages, 1);
    const double accuracy = wordAccuracy(truth.str(), d.pages[0]);
    EXPECT_GE(accuracy, 0.90) << d.pages[0];
    // Order: the left column's "Recording a Sequence" before the right column's text.
    const std::string words = rag::wordsLower(d.pages[0]);
    const size_t left = positionOf(words, "to record a sequence simply press record and play");
    const size_t right = positionOf(words, "any additional notes played will be added into the track");
    EXPECT_LT(left, right);
}

TEST(RagPdf, TextDrawnAsCurvesIsOcrd) {
    const std::string path = pdf("ocrmypdf-text-as-vector-curves.pdf");
    REQUIRE_SHARED(path);
    const auto d = rag::extractDocument(path);
    ASSERT_EQ(d.status, rag::DocumentStatus::Ocr) << d.error;
    EXPECT_NE(rag::wordsLower(d.pages.at(0)).find("sample vector pdf for testing"), std::string::npos) << d.pages[0];
}

TEST(RagDocument, PlainTextMarkdownAndUnsupportedFiles) {
    const std::string dir = ::testing::TempDir();
    const std::string md = dir + "/note.md";
    std::ofstream(md) << "# Title\n\nThe e\xEF\xAC\x83" "cient infor-\nmation.\n";
    auto d = rag::extractDocument(md);
    ASSERT_EQ(d.status, rag::DocumentStatus::Indexed) << d.error;
    EXPECT_NE(d.pages.at(0).find("efficient information."), std::string::npos) << d.pages[0];
    const std::string empty = dir + "/empty.txt";
    std::ofstream(empty) << "  \n\n";
    EXPECT_EQ(rag::extractDocument(empty).status, rag::DocumentStatus::NoText);
    const std::string bin = dir + "/binary.txt";
    std::ofstream(bin) << std::string("ab\0cd", 5);
    d = rag::extractDocument(bin);
    EXPECT_EQ(d.status, rag::DocumentStatus::Failed);
    const std::string docx = dir + "/fake.docx";
    std::ofstream(docx) << "not a zip";
    d = rag::extractDocument(docx);
    EXPECT_EQ(d.status, rag::DocumentStatus::Failed);
    EXPECT_NE(d.error.find("zip"), std::string::npos) << d.error;
    EXPECT_EQ(rag::extractDocument(dir + "/x.xyz").status, rag::DocumentStatus::Failed);
    EXPECT_TRUE(rag::isSupportedDocument("/a/B.PDF"));
    EXPECT_FALSE(rag::isSupportedDocument("/a/b.exe"));
}
