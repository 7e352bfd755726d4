// bench_rag pieces shared by the quality and speed benchmarks.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace ragbench {

inline double seconds(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// Median and 95th percentile (nearest rank) of samples.
struct Percentiles {
    double median = 0, p95 = 0;
};
inline Percentiles percentiles(std::vector<double> v) {
    Percentiles p;
    if (v.empty()) return p;
    std::sort(v.begin(), v.end());
    p.median = v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
    p.p95 = v[std::min(v.size() - 1, static_cast<size_t>(0.95 * static_cast<double>(v.size()) + 0.999999) - 1)];
    return p;
}

int runQuality(const std::vector<std::string>& args);     // rag_bench_quality.cpp
int runThroughput(const std::vector<std::string>& args);  // rag_bench_speed.cpp
int runLatency(const std::vector<std::string>& args);     // rag_bench_speed.cpp
int runLanguages(const std::vector<std::string>& args);   // rag_bench_languages.cpp

// "--name value" from args, or fallback.
inline std::string option(const std::vector<std::string>& args, const std::string& name, const std::string& fallback) {
    for (size_t i = 0; i + 1 < args.size(); ++i)
        if (args[i] == name) return args[i + 1];
    return fallback;
}

}  // namespace ragbench
