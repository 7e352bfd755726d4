// bench_rag quality: nDCG@10 of BM25, dense and hybrid retrieval on a BEIR-format set
// (default ../shared/datasets/dbpedia-entity-subset-5k). Each corpus document (title,
// blank line, text) is one indexed document; its chunks map back to its _id and a
// document's rank is that of its best chunk. Linear gain, judged queries only.
// Vectors are kept in --db, so a second run only re-scores.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "json/json.h"
#include "rag/retrieve.h"
#include "rag_bench.h"

namespace ragbench {
namespace {

struct Beir {
    std::vector<std::pair<std::string, std::string>> corpus;  // id, title + text
    std::vector<std::pair<std::string, std::string>> queries;
    std::map<std::string, std::map<std::string, int>> qrels;  // query -> doc -> grade
};

bool loadBeir(const std::string& dir, Beir& b) {
    auto lines = [](const std::string& path, auto&& fn) {
        std::ifstream in(path);
        if (!in) return false;
        for (std::string line; std::getline(in, line);)
            if (auto v = json::Value::parse(line)) fn(*v);
        return true;
    };
    if (!lines(dir + "/corpus.jsonl", [&](const json::Value& v) {
            b.corpus.emplace_back(v["_id"].asString(), v["title"].asString() + "\n\n" + v["text"].asString());
        }))
        return false;
    if (!lines(dir + "/queries.jsonl", [&](const json::Value& v) { b.queries.emplace_back(v["_id"].asString(), v["text"].asString()); }))
        return false;
    std::ifstream q(dir + "/qrels/test.tsv");
    std::string header, line;
    std::getline(q, header);
    while (std::getline(q, line)) {
        std::istringstream f(line);
        std::string qid, did;
        int grade = 0;
        if (f >> qid >> did >> grade) b.qrels[qid][did] = grade;
    }
    return !b.corpus.empty() && !b.queries.empty();
}

double ndcgAt10(const std::vector<std::string>& ranked, const std::map<std::string, int>& judged) {
    double dcg = 0;
    for (size_t i = 0; i < ranked.size() && i < 10; ++i) {
        auto it = judged.find(ranked[i]);
        if (it != judged.end()) dcg += it->second / std::log2(static_cast<double>(i) + 2);
    }
    std::vector<int> ideal;
    for (const auto& [d, g] : judged) ideal.push_back(g);
    std::sort(ideal.rbegin(), ideal.rend());
    double idcg = 0;
    for (size_t i = 0; i < ideal.size() && i < 10; ++i) idcg += ideal[i] / std::log2(static_cast<double>(i) + 2);
    return idcg > 0 ? dcg / idcg : 0;
}

}  // namespace

int runQuality(const std::vector<std::string>& args) {
    const std::string data = option(args, "--data", std::string(ASSISTANT_SHARED_DIR) + "/datasets/dbpedia-entity-subset-5k");
    const std::string embedderPath = option(args, "--embedder", "");
    const std::string dbPath = option(args, "--db", (std::filesystem::temp_directory_path() / "bench_rag_quality.db").string());
    Beir beir;
    if (!loadBeir(data, beir)) {
        std::fprintf(stderr, "cannot read BEIR data from %s\n", data.c_str());
        return 1;
    }
    auto store = rag::Store::open(dbPath);
    if (!store) {
        std::fprintf(stderr, "%s\n", store.error().c_str());
        return 1;
    }
    auto t0 = std::chrono::steady_clock::now();
    size_t added = 0;
    for (const auto& [id, text] : beir.corpus) {
        auto existing = store->findDocument(id);
        if (existing && *existing) continue;
        rag::DocumentRecord d;
        d.path = id;
        d.status = "indexed";
        d.pages = 1;
        if (auto r = store->commitDocument(d, rag::chunkDocument({text}), "beir"); !r) {
            std::fprintf(stderr, "%s\n", r.error().c_str());
            return 1;
        }
        ++added;
    }
    std::printf("corpus: %zu documents (%zu added in %.2f s), %zu queries, db %s\n", beir.corpus.size(), added,
                seconds(t0), beir.queries.size(), dbPath.c_str());

    std::optional<rag::Embedder> embedder;
    rag::DenseIndex index;
    if (!embedderPath.empty()) {
        auto e = rag::Embedder::load(embedderPath);
        if (!e) {
            std::fprintf(stderr, "%s\n", e.error().c_str());
            return 1;
        }
        embedder = std::move(*e);
        auto id = store->embedderId(embedder->name(), embedder->fileHash(), embedder->dims());
        if (!id) return 1;
        t0 = std::chrono::steady_clock::now();
        size_t embedded = 0;
        while (true) {
            auto todo = store->chunksWithoutEmbedding(*id, 64);
            if (!todo || todo->empty()) break;
            std::vector<std::string> texts;
            std::vector<int64_t> ids;
            for (auto& c : *todo) {
                ids.push_back(c.id);
                texts.push_back(c.text);
            }
            auto v = embedder->embed(texts, 32);
            if (!v || !store->putEmbeddings(*id, ids, *v)) {
                std::fprintf(stderr, "embedding failed: %s\n", v ? "store" : v.error().c_str());
                return 1;
            }
            embedded += ids.size();
            std::fprintf(stderr, "\rembedded %zu chunks (%.1f/s)", embedded, embedded / seconds(t0));
        }
        if (embedded) std::fprintf(stderr, "\n");
        auto loaded = rag::loadDenseIndex(*store, *embedder);
        if (!loaded) return 1;
        index = std::move(*loaded);
        std::printf("embedder: %s (%d dims), %zu vectors\n", embedder->name().c_str(), embedder->dims(), index.size());
    }

    rag::Retriever retriever(*store, embedder ? &*embedder : nullptr, &index);
    std::vector<std::pair<rag::SearchMode, const char*>> modes = {{rag::SearchMode::Bm25, "bm25"}};
    if (embedder) modes.insert(modes.end(), {{rag::SearchMode::Dense, "dense"}, {rag::SearchMode::Hybrid, "hybrid"}});
    for (const auto& [mode, name] : modes) {
        double sum = 0;
        int judged = 0;
        std::vector<double> ms;
        for (const auto& [qid, text] : beir.queries) {
            auto q = beir.qrels.find(qid);
            if (q == beir.qrels.end() || std::none_of(q->second.begin(), q->second.end(), [](auto& p) { return p.second > 0; }))
                continue;
            rag::SearchOptions o;
            o.mode = mode;
            o.k = 50;          // chunks; collapsed to documents below
            o.candidates = 100;
            const auto start = std::chrono::steady_clock::now();
            auto hits = retriever.search(text, o);
            ms.push_back(seconds(start) * 1000);
            if (!hits) {
                std::fprintf(stderr, "%s\n", hits.error().c_str());
                return 1;
            }
            std::vector<std::string> ranked;
            std::set<std::string> seen;
            for (const auto& h : *hits)
                if (seen.insert(h.path).second) ranked.push_back(h.path);
            sum += ndcgAt10(ranked, q->second);
            ++judged;
        }
        const auto p = percentiles(ms);
        std::printf("%-7s nDCG@10 = %.3f over %d judged queries (query median %.1f ms, p95 %.1f ms)\n", name,
                    judged ? sum / judged : 0.0, judged, p.median, p.p95);
    }
    return 0;
}

}  // namespace ragbench
