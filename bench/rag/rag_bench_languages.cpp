// bench_rag languages: indexing speed by language. For each language of the
// multilingual test set (tests/rag/data/multilingual), a corpus of --mb MB made of its
// notes (numbered copies, ~20 KB files) is indexed BM25-only from scratch --runs
// times; then, on the same chunks, FTS5 rebuilds with our tokenizer and with the
// former 'porter unicode61 remove_diacritics 2' time the tokenizer alone.
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "fts_tokenizer.h"
#include "rag/indexer.h"
#include "rag_bench.h"

namespace fs = std::filesystem;

namespace ragbench {
namespace {

double timedExec(sqlite3* db, const char* sql) {
    const auto start = std::chrono::steady_clock::now();
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        std::fprintf(stderr, "%s: %s\n", sql, err ? err : "?");
        sqlite3_free(err);
        return -1;
    }
    return seconds(start);
}

}  // namespace

int runLanguages(const std::vector<std::string>& args) {
    const fs::path data = option(args, "--data", ASSISTANT_SOURCE_DIR "/tests/rag/data/multilingual");
    const int runs = std::max(1, std::stoi(option(args, "--runs", "3")));
    const double mb = std::stod(option(args, "--mb", "4"));
    std::map<std::string, std::string> notes;  // language -> its notes joined
    for (const auto& e : fs::directory_iterator(data)) {
        if (e.path().extension() != ".md") continue;
        std::ifstream in(e.path());
        std::stringstream text;
        text << in.rdbuf();
        notes[e.path().filename().string().substr(0, 2)] += text.str() + "\n\n";
    }
    const fs::path root = fs::temp_directory_path() / "bench_rag_languages";
    std::printf("language  MB   files  chunks  index s (median of %d)  MB/s  | FTS rebuild: ours s  porter s\n", runs);
    for (const auto& [lang, text] : notes) {
        const fs::path dir = root / lang;
        fs::remove_all(dir);
        fs::create_directories(dir / "docs");
        size_t bytes = 0;
        int files = 0;
        for (int copy = 0; bytes < mb * 1e6; ++files) {
            std::ofstream out(dir / "docs" / (lang + "_" + std::to_string(files) + ".txt"));
            for (size_t fileBytes = 0; fileBytes < 20000; ++copy) {
                const std::string piece = std::to_string(copy) + "\n\n" + text;
                out << piece;
                fileBytes += piece.size();
                bytes += piece.size();
            }
        }
        const std::string db = (dir / "index.db").string();
        std::vector<double> times;
        int64_t chunks = 0;
        for (int r = 0; r < runs; ++r) {
            for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db + suffix);
            rag::IndexOptions options;
            rag::IndexProgress last;
            options.onProgress = [&](const rag::IndexProgress& p) { last = p; };
            rag::Indexer indexer(db, options);
            const auto start = std::chrono::steady_clock::now();
            auto summary = indexer.run({(dir / "docs").string()});
            times.push_back(seconds(start));
            if (!summary.error.empty()) {
                std::fprintf(stderr, "%s\n", summary.error.c_str());
                return 1;
            }
            chunks = last.chunksDone;
        }
        sqlite3* conn = nullptr;
        sqlite3_open(db.c_str(), &conn);
        std::string error;
        if (!rag::fts::install(conn, error)) {
            std::fprintf(stderr, "%s\n", error.c_str());
            return 1;
        }
        const double ours = timedExec(conn, "INSERT INTO chunks_fts(chunks_fts) VALUES('rebuild')");
        timedExec(conn, "CREATE VIRTUAL TABLE porter_fts USING fts5(text, content='chunks', content_rowid='id',"
                        " tokenize='porter unicode61 remove_diacritics 2')");
        const double porter = timedExec(conn, "INSERT INTO porter_fts(porter_fts) VALUES('rebuild')");
        sqlite3_close(conn);
        const double median = percentiles(times).median;
        std::printf("%-8s  %4.1f  %5d  %6lld  %8.2f                 %5.2f |  %6.2f   %6.2f\n", lang.c_str(),
                    static_cast<double>(bytes) / 1e6, files, static_cast<long long>(chunks), median,
                    static_cast<double>(bytes) / 1e6 / median, ours, porter);
        fs::remove_all(dir);
    }
    return 0;
}

}  // namespace ragbench
