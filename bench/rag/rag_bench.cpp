// bench_rag quality|throughput|latency [options]. See each mode's comment and
// bench/RESULTS.md ("RAG") for the commands that produced the published numbers.
#include <cstdio>
#include <string>

#include "rag_bench.h"

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + (argc > 1 ? 2 : 1), argv + argc);
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "quality") return ragbench::runQuality(args);
    if (mode == "throughput") return ragbench::runThroughput(args);
    if (mode == "latency") return ragbench::runLatency(args);
    if (mode == "languages") return ragbench::runLanguages(args);
    std::fprintf(stderr,
                 "usage: bench_rag quality [--data DIR] [--embedder FILE] [--db FILE]\n"
                 "       bench_rag throughput [--pdfs DIR] [--embedder FILE] [--runs N (3)]\n"
                 "       bench_rag latency [--data DIR] [--sizes 10000,100000] [--dims 512] [--embedder FILE]\n"
                 "       bench_rag languages [--data DIR] [--mb 4] [--runs 3]\n");
    return 2;
}
