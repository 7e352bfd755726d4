// CPU-backend ops against straightforward double-precision formulas.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/cpu_features.h"
#include "kernels/ops.h"
#include "kernels/ref.h"
#include "kernels/thread_pool.h"

namespace {

std::vector<float> randomVector(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    std::vector<float> v(n);
    for (float& x : v) x = dist(rng);
    return v;
}

TEST(ThreadPool, RunsEveryTaskOnce) {
    for (int threads : {1, 2, 5}) {
        kernels::ThreadPool pool(threads);
        EXPECT_EQ(pool.size(), threads);
        for (int64_t tasks : {0, 1, 7, 1000}) {
            std::vector<std::atomic<int>> hits(static_cast<size_t>(tasks));
            pool.parallelFor(tasks, [&](int64_t t, int thread) {
                EXPECT_GE(thread, 0);
                EXPECT_LT(thread, threads);
                hits[static_cast<size_t>(t)]++;
            });
            for (auto& h : hits) EXPECT_EQ(h.load(), 1);
        }
    }
}

// Many short loops back to back on more threads than cores: workers wake late, miss
// whole loops, and must never run a task of a loop twice or of the wrong loop.
TEST(ThreadPool, BackToBackLoopsOnAnOversubscribedMachine) {
    kernels::ThreadPool pool(6);
    std::vector<std::atomic<int>> hits(9);
    std::atomic<int64_t> total{0};
    int64_t expected = 0;
    for (int loop = 0; loop < 20000; ++loop) {
        const int64_t tasks = 1 + loop % 9;
        for (int64_t t = 0; t < tasks; ++t) hits[static_cast<size_t>(t)].store(0);
        pool.parallelFor(tasks, [&](int64_t t, int) {
            hits[static_cast<size_t>(t)]++;
            total += loop;
        });
        for (int64_t t = 0; t < tasks; ++t) ASSERT_EQ(hits[static_cast<size_t>(t)].load(), 1) << "loop " << loop;
        expected += tasks * loop;
    }
    EXPECT_EQ(total.load(), expected);
}

// A pool destroyed right after a loop that its workers woke too late for: every
// worker must still see the stop (a worker that read the destructor's generation as
// a new loop's would sleep forever and the join would hang).
TEST(ThreadPool, DestroyedRightAfterShortLoops) {
    for (int round = 0; round < 3000; ++round) {
        kernels::ThreadPool pool(3);
        std::atomic<int> n{0};
        pool.parallelFor(2, [&](int64_t, int) { n++; });
        ASSERT_EQ(n.load(), 2);
    }
}

// A busy machine: as many threads spinning beside the pool as there are cores, so
// the scheduler preempts workers that hold tasks and the caller waits a time slice
// for them; the pool gives fewer threads work, and every task still runs once.
TEST(ThreadPool, FewerThreadsTakePartOnABusyMachine) {
    const int cores = std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
    std::atomic<bool> quit{false};
    std::vector<std::thread> load;
    for (int i = 0; i < cores; ++i)
        load.emplace_back([&] {
            while (!quit.load(std::memory_order_relaxed)) {
            }
        });
    kernels::ThreadPool pool(cores);
    EXPECT_EQ(pool.activeThreads(), cores);
    auto spin = [](std::chrono::microseconds d) {
        const auto end = std::chrono::steady_clock::now() + d;
        while (std::chrono::steady_clock::now() < end) {
        }
    };
    std::vector<std::atomic<int>> hits(static_cast<size_t>(cores * 4));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (pool.activeThreads() == cores && std::chrono::steady_clock::now() < deadline) {
        for (auto& h : hits) h.store(0);
        pool.parallelFor(static_cast<int64_t>(hits.size()), [&](int64_t t, int thread) {
            ASSERT_LT(thread, cores);
            hits[static_cast<size_t>(t)]++;
            spin(std::chrono::microseconds(20));
        });
        for (auto& h : hits) ASSERT_EQ(h.load(), 1);
    }
    const int shrunk = pool.activeThreads();
    for (int loop = 0; loop < 200; ++loop) {  // parked workers take nothing; every task runs once
        std::atomic<int> n{0};
        pool.parallelFor(100, [&](int64_t, int) { n++; });
        ASSERT_EQ(n.load(), 100);
    }
    quit = true;
    for (std::thread& t : load) t.join();
    EXPECT_LT(shrunk, cores);
    EXPECT_GE(shrunk, 1);
}

// More tasks than one claim word counts run as several loops, each task once.
TEST(ThreadPool, HugeTaskCounts) {
    kernels::ThreadPool pool(3);
    const int64_t tasks = (int64_t{1} << 20) + 5;
    std::vector<uint8_t> hits(static_cast<size_t>(tasks), 0);
    pool.parallelFor(tasks, [&](int64_t t, int) { hits[static_cast<size_t>(t)]++; });
    for (int64_t t = 0; t < tasks; ++t) ASSERT_EQ(hits[static_cast<size_t>(t)], 1) << t;
}

TEST(CpuOps, RmsNorm) {
    const auto x = randomVector(100, 1), w = randomVector(100, 2);
    std::vector<float> out(100);
    kernels::rmsNorm(x.data(), w.data(), 100, 1e-5f, out.data());
    double ss = 0;
    for (float v : x) ss += double(v) * v;
    const double scale = 1.0 / std::sqrt(ss / 100 + 1e-5);
    for (int i = 0; i < 100; ++i) EXPECT_NEAR(out[i], x[i] * scale * w[i], 1e-5);
}

// SwiGLU on every ISA: within 1e-6 (relative) of the double formula, including the
// saturated ends, and an element's bits do not depend on where a call's range starts
// or ends (a decode step's pieces must give the prefill's bits).
TEST(CpuOps, SwigluOnEveryIsaIsAccurateAndPositionFree) {
    const kernels::CpuIsa saved = kernels::activeCpuIsa();
    std::vector<float> g = randomVector(61, 5), u = randomVector(61, 6);
    for (float& x : g) x *= 6.0f;
    g[3] = -100.0f, g[4] = 100.0f, g[5] = 0.0f, g[6] = -20.0f;
    for (int i = 0; i < kernels::kCpuIsaCount; ++i) {
        const auto isa = static_cast<kernels::CpuIsa>(i);
        if (!kernels::cpuIsaSupported(isa)) continue;
        ASSERT_TRUE(kernels::setCpuIsa(isa));
        std::vector<float> whole(g.size());
        kernels::swiglu(g.data(), u.data(), static_cast<int64_t>(g.size()), whole.data());
        for (size_t k = 0; k < g.size(); ++k) {
            const double e = g[k] / (1.0 + std::exp(-static_cast<double>(g[k]))) * u[k];
            EXPECT_NEAR(whole[k], e, 1e-6 * std::fabs(e) + 1e-30) << kernels::cpuIsaName(isa) << " at " << k;
        }
        for (int64_t piece : {1, 3, 5, 13}) {  // pieces of other lengths, in place as the backends call it
            std::vector<float> out(g);
            for (int64_t b = 0; b < static_cast<int64_t>(g.size()); b += piece) {
                const int64_t e = std::min<int64_t>(static_cast<int64_t>(g.size()), b + piece);
                kernels::swiglu(out.data() + b, u.data() + b, e - b, out.data() + b);
            }
            EXPECT_EQ(0, std::memcmp(out.data(), whole.data(), whole.size() * sizeof(float)))
                << kernels::cpuIsaName(isa) << " in pieces of " << piece;
        }
    }
    kernels::setCpuIsa(saved);
}

TEST(CpuOps, RopeRotatesPairsByTheRightAngle) {
    for (bool neox : {false, true}) {
        const int64_t heads = 2, headDim = 8;
        const auto x = randomVector(heads * headDim, 3);
        std::vector<float> y = x;
        const float factors[] = {1.0f, 2.0f, 4.0f};
        kernels::RopeParams p{6, 10000.0f, 0.5f, neox, factors};  // 6 of 8 dims rotated
        kernels::rope(y.data(), heads, headDim, 5, p);
        for (int64_t h = 0; h < heads; ++h) {
            for (int64_t i = 0; i < 3; ++i) {
                const double angle = 5 * 0.5 * std::pow(10000.0, -2.0 * i / 6) / factors[i];
                const int64_t a = h * headDim + (neox ? i : 2 * i), b = h * headDim + (neox ? i + 3 : 2 * i + 1);
                EXPECT_NEAR(y[a], x[a] * std::cos(angle) - x[b] * std::sin(angle), 1e-5);
                EXPECT_NEAR(y[b], x[a] * std::sin(angle) + x[b] * std::cos(angle), 1e-5);
            }
            for (int64_t d = 6; d < 8; ++d) EXPECT_EQ(y[h * headDim + d], x[h * headDim + d]);  // not rotated
        }
    }
}

// Naive causal GQA attention in double.
std::vector<double> naiveAttention(const std::vector<float>& q, const std::vector<float>& k,
                                   const std::vector<float>& v, int64_t tokens, int64_t pos0,
                                   const kernels::AttentionShape& s) {
    const int64_t qW = s.heads * s.headDim, kvW = s.headsKv * s.headDim;
    std::vector<double> out(static_cast<size_t>(tokens * qW), 0.0);
    for (int64_t t = 0; t < tokens; ++t)
        for (int64_t h = 0; h < s.heads; ++h) {
            const int64_t kvh = h / (s.heads / s.headsKv), pos = pos0 + t;
            std::vector<double> w;
            int64_t first = s.window > 0 ? std::max<int64_t>(0, pos - s.window + 1) : 0;
            double mx = -1e300, sum = 0;
            for (int64_t j = first; j <= pos; ++j) {
                double d = 0;
                for (int64_t e = 0; e < s.headDim; ++e) d += double(q[t * qW + h * s.headDim + e]) * k[j * kvW + kvh * s.headDim + e];
                d *= s.scale;
                if (s.softCap > 0) d = s.softCap * std::tanh(d / s.softCap);
                w.push_back(d);
                mx = std::max(mx, d);
            }
            for (double& x : w) sum += (x = std::exp(x - mx));
            for (int64_t j = first; j <= pos; ++j)
                for (int64_t e = 0; e < s.headDim; ++e)
                    out[t * qW + h * s.headDim + e] += w[j - first] / sum * v[j * kvW + kvh * s.headDim + e];
        }
    return out;
}

TEST(CpuOps, AttentionMatchesNaiveForEveryCacheType) {
    kernels::ThreadPool pool(2);
    const int64_t tokens = 5, pos0 = 11, len = pos0 + tokens;
    for (auto type : {kernels::GgmlType::F32, kernels::GgmlType::F16, kernels::GgmlType::Q8_0})
        for (int64_t window : {0, 4})
            for (float cap : {0.0f, 2.0f}) {
                kernels::AttentionShape s{8, 2, 32, 1.0f / std::sqrt(32.0f), window, cap};
                const int64_t kvW = s.headsKv * s.headDim;
                const auto q = randomVector(tokens * s.heads * s.headDim, 4);
                const auto k = randomVector(len * kvW, 5), v = randomVector(len * kvW, 6);
                const size_t stride = kernels::rowBytes(type, kvW);
                std::vector<uint8_t> kc(stride * len), vc(stride * len);
                std::vector<float> kq(len * kvW), vq(len * kvW);  // what the cache holds, as floats
                for (int64_t r = 0; r < len; ++r) {
                    kernels::storeRow(type, &k[r * kvW], kvW, &kc[r * stride]);
                    kernels::storeRow(type, &v[r * kvW], kvW, &vc[r * stride]);
                    kernels::ref::dequantizeRow(type, &kc[r * stride], &kq[r * kvW], kvW);
                    kernels::ref::dequantizeRow(type, &vc[r * stride], &vq[r * kvW], kvW);
                }
                std::vector<float> out(q.size());
                kernels::attention(pool, q.data(), tokens, pos0, kc.data(), vc.data(), type, s, out.data());
                const auto expect = naiveAttention(q, kq, vq, tokens, pos0, s);
                for (size_t i = 0; i < out.size(); ++i)
                    ASSERT_NEAR(out[i], expect[i], 1e-4) << kernels::typeName(type) << " window " << window;
            }
}

// Same weights and bit-identical activation quantization on both sides: the integer
// block sums are exact, so the kernels and the reference differ only in the order of
// their float additions and scale products. Any order of n additions is within
// (n + 4) * FLT_EPSILON * sum |w_k * a_k| of the exact value (|w|, |a| as the
// product sees them: dequantized weights, activations after their own rounding).
TEST(CpuOps, MatmulMatchesReferenceOnOddShapes) {
    struct IsaGuard {
        kernels::CpuIsa saved = kernels::activeCpuIsa();
        ~IsaGuard() { kernels::setCpuIsa(saved); }
    } guard;
    kernels::ThreadPool pool(3);
    const int64_t rows = 37;
    for (int i = 0; i < kernels::kCpuIsaCount; ++i) {
        const auto isa = static_cast<kernels::CpuIsa>(i);
        if (!kernels::cpuIsaSupported(isa)) continue;
        ASSERT_TRUE(kernels::setCpuIsa(isa));
        for (auto type : {kernels::GgmlType::F32, kernels::GgmlType::F16, kernels::GgmlType::Q8_0, kernels::GgmlType::Q4_0})
            for (int64_t cols : {96, 512})
                for (int64_t tokens : {1, 3, 6}) {
                    const auto wf = randomVector(rows * cols, 7);
                    const size_t wRow = kernels::rowBytes(type, cols);
                    std::vector<uint8_t> w(wRow * rows);
                    std::vector<float> wDeq(rows * cols);
                    for (int64_t r = 0; r < rows; ++r) {
                        ASSERT_TRUE(kernels::ref::quantizeRow(type, &wf[r * cols], &w[r * wRow], cols));
                        kernels::ref::dequantizeRow(type, &w[r * wRow], &wDeq[r * cols], cols);
                    }
                    const auto x = randomVector(tokens * cols, 8);
                    const kernels::GgmlType actType = kernels::ref::vecDotType(type);
                    std::vector<uint8_t> act(kernels::rowBytes(actType, cols));
                    std::vector<float> aDeq(tokens * cols);
                    for (int64_t t = 0; t < tokens; ++t) {
                        ASSERT_TRUE(kernels::ref::quantizeRow(actType, &x[t * cols], act.data(), cols));
                        kernels::ref::dequantizeRow(actType, act.data(), &aDeq[t * cols], cols);
                    }
                    std::vector<float> got(tokens * rows), expect(tokens * rows);
                    kernels::matmul(pool, kernels::Matrix{type, w.data(), rows, cols}, x.data(), tokens, got.data());
                    kernels::ref::matmul(type, w.data(), rows, cols, x.data(), tokens, expect.data());
                    for (int64_t t = 0; t < tokens; ++t)
                        for (int64_t r = 0; r < rows; ++r) {
                            double magnitude = 0;
                            for (int64_t k = 0; k < cols; ++k)
                                magnitude += std::fabs(double(wDeq[r * cols + k]) * aDeq[t * cols + k]);
                            const double tol = (cols + 4) * double(FLT_EPSILON) * magnitude;
                            ASSERT_NEAR(got[t * rows + r], expect[t * rows + r], tol)
                                << kernels::typeName(type) << " isa " << kernels::cpuIsaName(isa) << " cols " << cols
                                << " tokens " << tokens << " row " << r;
                        }
                }
    }
}

}  // namespace
