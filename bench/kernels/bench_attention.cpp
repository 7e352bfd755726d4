// Decode-attention microbenchmark: one query token against a KV cache of DEPTH rows
// (TinyLlama-1.1B's attention shape by default: 32 query heads, 4 KV heads, head dim
// 64), timed per call and per layer-equivalent. Isolates what `assistant-bench -d`
// measures end to end, without the minutes an 8192-token prefill takes.
//
// --tokens N times a prefill step instead: N query tokens after DEPTH cached rows.
//
//   bench_attention [-t THREADS (2)] [-d DEPTH[,N...] (8192)] [-r REPS (200)] [--tokens N (1)]
//                   [--kv f16|f32|q8_0|q4_0] [--heads H] [--heads-kv K] [--head-dim D]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu_features.h"
#include "kernels/ops.h"
#include "kernels/ref.h"
#include "kernels/thread_pool.h"

int main(int argc, char** argv) {
    using kernels::GgmlType;
    int threads = 2, reps = 200;
    int64_t heads = 32, headsKv = 4, headDim = 64, tokens = 1;
    std::vector<int64_t> depths{8192};
    GgmlType kv = GgmlType::F16;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i], v = argv[i + 1];
        if (a == "-t") threads = std::stoi(v);
        else if (a == "-r") reps = std::stoi(v);
        else if (a == "--heads") heads = std::stoll(v);
        else if (a == "--tokens") tokens = std::stoll(v);
        else if (a == "--heads-kv") headsKv = std::stoll(v);
        else if (a == "--head-dim") headDim = std::stoll(v);
        else if (a == "--kv")
            kv = v == "f32" ? GgmlType::F32 : v == "q8_0" ? GgmlType::Q8_0 : v == "q4_0" ? GgmlType::Q4_0 : GgmlType::F16;
        else if (a == "-d") {
            depths.clear();
            for (size_t s = 0; s <= v.size();) {
                const size_t c = v.find(',', s);
                depths.push_back(std::stoll(v.substr(s, c == std::string::npos ? std::string::npos : c - s)));
                if (c == std::string::npos) break;
                s = c + 1;
            }
        } else {
            std::fprintf(stderr, "unknown option %s\n", a.c_str());
            return 2;
        }
    }
    kernels::ThreadPool pool(threads);
    std::printf("isa %s, %d threads, heads %lld/%lld x %lld, kv %s\n",
                kernels::cpuIsaName(kernels::activeCpuIsa()), pool.size(),
                (long long)heads, (long long)headsKv, (long long)headDim, std::string(kernels::typeName(kv)).c_str());
    std::mt19937 rng(7);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    const int64_t width = headsKv * headDim;
    for (const int64_t depth : depths) {
        const int64_t rows = depth + tokens;
        std::vector<float> kf(static_cast<size_t>(rows * width)), vf(kf.size()),
            q(static_cast<size_t>(tokens * heads * headDim));
        for (float& x : kf) x = nd(rng);
        for (float& x : vf) x = nd(rng);
        for (float& x : q) x = nd(rng);
        const size_t rowBytes = kernels::rowBytes(kv, width);
        std::vector<uint8_t> k(rowBytes * rows), v(rowBytes * rows);
        for (int64_t r = 0; r < rows; ++r) {
            kernels::ref::quantizeRow(kv, kf.data() + r * width, k.data() + r * rowBytes, width);
            kernels::ref::quantizeRow(kv, vf.data() + r * width, v.data() + r * rowBytes, width);
        }
        kernels::AttentionShape shape;
        shape.heads = heads;
        shape.headsKv = headsKv;
        shape.headDim = headDim;
        shape.scale = 0.125f;
        std::vector<float> out(q.size());
        std::vector<double> ms;
        for (int r = 0; r < reps; ++r) {
            const auto t0 = std::chrono::steady_clock::now();
            kernels::attention(pool, q.data(), tokens, depth, k.data(), v.data(), kv, shape, out.data());
            ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        }
        std::sort(ms.begin(), ms.end());
        const double med = ms[ms.size() / 2];
        const double gb = 2.0 * double(rowBytes) * double(rows) / (med * 1e6);
        std::printf("depth %6lld: %.3f ms per call (median of %d; min %.3f), KV read %.1f GB/s\n", (long long)depth, med,
                    reps, ms.front(), gb);
    }
    return 0;
}
