// bench_rag throughput: indexes a folder of PDFs from scratch (OCR on) --runs times;
// reports the median total time and pages/s, then chunks/s embedded on one run's
// chunks when --embedder is given.
// bench_rag latency: query latency (median, p95) over synthetic indexes of --sizes
// chunks built from the BEIR corpus texts (repeated with a copy number), with
// --dims-wide random unit vectors for the dense part. Query embedding time is
// reported on its own (it does not depend on the index size).
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "json/json.h"
#include "rag/indexer.h"
#include "rag/retrieve.h"
#include "rag_bench.h"

namespace fs = std::filesystem;

namespace ragbench {

int runThroughput(const std::vector<std::string>& args) {
    const std::string pdfs = option(args, "--pdfs", std::string(ASSISTANT_SHARED_DIR) + "/datasets/pdfs");
    const std::string embedderPath = option(args, "--embedder", "");
    const int runs = std::max(1, std::stoi(option(args, "--runs", "3")));
    const bool ocr = option(args, "--ocr", "on") != "off";
    std::vector<double> totals, pageRates;
    int pages = 0, files = 0;
    int64_t chunks = 0;
    const std::string db = (fs::temp_directory_path() / "bench_rag_throughput.db").string();
    for (int r = 0; r < runs; ++r) {
        for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db + suffix);
        rag::IndexOptions options;
        options.extract.ocr = ocr;
        rag::IndexProgress last;
        options.onProgress = [&](const rag::IndexProgress& p) { last = p; };
        rag::Indexer indexer(db, options);
        const auto start = std::chrono::steady_clock::now();
        auto summary = indexer.run({pdfs});
        const double total = seconds(start);
        if (!summary.error.empty()) {
            std::fprintf(stderr, "%s\n", summary.error.c_str());
            return 1;
        }
        totals.push_back(total);
        pageRates.push_back(last.pagesDone / total);
        pages = last.pagesDone;
        files = last.filesDone;
        chunks = last.chunksDone;
        std::printf("run %d: %d files, %d pages, %lld chunks in %.2f s (%.1f pages/s)\n", r + 1, files, pages,
                    static_cast<long long>(chunks), total, last.pagesDone / total);
    }
    const auto t = percentiles(totals);
    const auto p = percentiles(pageRates);
    std::printf("index %s (OCR %s): median %.2f s total, %.1f pages/s over %d runs\n", pdfs.c_str(), ocr ? "on" : "off",
                t.median, p.median, runs);
    if (embedderPath.empty()) return 0;
    auto embedder = rag::Embedder::load(embedderPath);
    if (!embedder) {
        std::fprintf(stderr, "%s\n", embedder.error().c_str());
        return 1;
    }
    auto store = rag::Store::open(db);
    auto id = store->embedderId(embedder->name(), embedder->fileHash(), embedder->dims());
    auto todo = store->chunksWithoutEmbedding(*id, 1 << 30);
    std::vector<std::string> texts;
    for (auto& c : *todo) texts.push_back(c.text);
    const auto start = std::chrono::steady_clock::now();
    auto vectors = embedder->embed(texts, 32);
    const double s = seconds(start);
    if (!vectors) {
        std::fprintf(stderr, "%s\n", vectors.error().c_str());
        return 1;
    }
    std::printf("embed %zu chunks with %s (%d dims, batch 32): %.2f s, %.1f chunks/s\n", texts.size(),
                embedder->name().c_str(), embedder->dims(), s, texts.size() / s);
    return 0;
}

namespace {

std::vector<std::string> corpusTexts(const std::string& dir) {
    std::vector<std::string> out;
    std::ifstream in(dir + "/corpus.jsonl");
    for (std::string line; std::getline(in, line);)
        if (auto v = json::Value::parse(line)) out.push_back((*v)["title"].asString() + "\n\n" + (*v)["text"].asString());
    return out;
}

std::vector<std::string> queryTexts(const std::string& dir) {
    std::vector<std::string> out;
    std::ifstream in(dir + "/queries.jsonl");
    for (std::string line; std::getline(in, line);)
        if (auto v = json::Value::parse(line)) out.push_back((*v)["text"].asString());
    return out;
}

}  // namespace

int runLatency(const std::vector<std::string>& args) {
    const std::string data = option(args, "--data", std::string(ASSISTANT_SHARED_DIR) + "/datasets/dbpedia-entity-subset-5k");
    const int dims = std::stoi(option(args, "--dims", "512"));
    const std::string embedderPath = option(args, "--embedder", "");
    std::vector<size_t> sizes;
    {
        std::stringstream s(option(args, "--sizes", "10000,100000"));
        for (std::string part; std::getline(s, part, ',');) sizes.push_back(std::stoul(part));
    }
    const auto texts = corpusTexts(data);
    const auto queries = queryTexts(data);
    if (texts.empty() || queries.empty()) {
        std::fprintf(stderr, "cannot read %s\n", data.c_str());
        return 1;
    }
    if (!embedderPath.empty()) {
        auto embedder = rag::Embedder::load(embedderPath);
        if (!embedder) return 1;
        std::vector<double> ms;
        for (int rep = 0; rep < 3; ++rep)
            for (const std::string& q : queries) {
                const auto start = std::chrono::steady_clock::now();
                if (!embedder->embed({q})) return 1;
                ms.push_back(seconds(start) * 1000);
            }
        const auto p = percentiles(ms);
        std::printf("query embedding (%s): median %.2f ms, p95 %.2f ms\n", embedder->name().c_str(), p.median, p.p95);
    }
    std::mt19937 rng(7);
    std::normal_distribution<float> normal;
    auto unit = [&] {
        std::vector<float> v(static_cast<size_t>(dims));
        float n = 0;
        for (float& x : v) {
            x = normal(rng);
            n += x * x;
        }
        for (float& x : v) x /= std::sqrt(n);
        return v;
    };
    for (size_t size : sizes) {
        const std::string db = (fs::temp_directory_path() / ("bench_rag_latency_" + std::to_string(size) + ".db")).string();
        for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db + suffix);
        auto store = rag::Store::open(db);
        if (!store) return 1;
        // 100 chunks per document row; chunk i is corpus text i % 5000 tagged with its copy.
        const auto build = std::chrono::steady_clock::now();
        rag::EmbeddingMatrix matrix;
        matrix.dims = dims;
        for (size_t base = 0; base < size; base += 100) {
            rag::DocumentRecord d;
            d.path = "synthetic/" + std::to_string(base / 100);
            d.status = "indexed";
            std::vector<rag::Chunk> chunks;
            for (size_t i = base; i < std::min(size, base + 100); ++i) {
                rag::Chunk c;
                c.ordinal = static_cast<int>(i - base);
                c.text = texts[i % texts.size()] + " copy" + std::to_string(i / texts.size());
                chunks.push_back(std::move(c));
            }
            if (!store->commitDocument(d, chunks, "bench")) return 1;
        }
        auto count = store->chunkCount();
        for (int64_t id = 1; id <= *count; ++id) {
            matrix.chunkIds.push_back(id);
            auto v = unit();
            matrix.values.insert(matrix.values.end(), v.begin(), v.end());
        }
        rag::DenseIndex index(std::move(matrix));
        std::printf("%zu chunks: built in %.1f s (FTS5 + %d-d float matrix%s)\n", size, seconds(build), dims,
                    index.prefiltered() ? ", int8 prefilter" : "");
        std::vector<std::vector<float>> queryVectors;
        for (size_t i = 0; i < queries.size(); ++i) queryVectors.push_back(unit());
        std::vector<double> bm25Ms, denseMs, hybridMs;
        for (int rep = 0; rep < 3; ++rep)
            for (size_t i = 0; i < queries.size(); ++i) {
                auto start = std::chrono::steady_clock::now();
                auto bm25 = store->searchBm25(queries[i], 50);
                bm25Ms.push_back(seconds(start) * 1000);
                start = std::chrono::steady_clock::now();
                auto dense = index.search(queryVectors[i], 50);
                denseMs.push_back(seconds(start) * 1000);
                // Hybrid as Retriever runs it, minus the query embedding: both rankers,
                // fusion, and reading the 8 winning chunks.
                start = std::chrono::steady_clock::now();
                auto b = store->searchBm25(queries[i], 50);
                auto d = index.search(queryVectors[i], 50);
                auto fused = rag::reciprocalRankFusion({*b, d}, 8);
                std::vector<int64_t> ids;
                for (const auto& f : fused) ids.push_back(f.chunkId);
                auto rows = store->chunks(ids);
                hybridMs.push_back(seconds(start) * 1000);
                if (!bm25 || !rows) return 1;
            }
        for (const auto& [name, v] : {std::pair<const char*, std::vector<double>*>{"bm25", &bm25Ms}, {"dense", &denseMs}, {"hybrid", &hybridMs}}) {
            const auto p = percentiles(*v);
            std::printf("  %-6s median %.2f ms, p95 %.2f ms (%zu queries)\n", name, p.median, p.p95, v->size());
        }
        for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db + suffix);
    }
    return 0;
}

}  // namespace ragbench
