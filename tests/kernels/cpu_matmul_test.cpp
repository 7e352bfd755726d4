// Optimized CPU matmul kernels against kernels/ref, for every weight type and every
// ISA family this machine can run (the others are reported as skipped), on odd
// shapes: rows not a multiple of the 4-row tile, token counts around the 2- and
// 4-token tiles, several K. Weights are random blocks (random quants, sane scales),
// so every bit pattern of the quants is exercised, not only what a quantizer writes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <tuple>
#include <vector>

#include "kernels/cpu_features.h"
#include "kernels/ops.h"
#include "kernels/ref.h"
#include "kernels/thread_pool.h"
#include "random_weights.h"

namespace {

using kernels::CpuIsa;
using kernels::GgmlType;

using kernels_test::randomVector;
using kernels_test::randomWeights;

struct IsaGuard {
    CpuIsa saved = kernels::activeCpuIsa();
    ~IsaGuard() { kernels::setCpuIsa(saved); }
};

std::vector<CpuIsa> runnableIsas() {
    std::vector<CpuIsa> out;
    for (int i = 0; i < kernels::kCpuIsaCount; ++i)
        if (kernels::cpuIsaSupported(static_cast<CpuIsa>(i))) out.push_back(static_cast<CpuIsa>(i));
    return out;
}

void checkType(GgmlType type, std::initializer_list<int64_t> colsList) {
    IsaGuard guard;
    kernels::ThreadPool pool1(1), pool3(3);
    uint32_t seed = 1;
    for (CpuIsa isa : runnableIsas()) {
        ASSERT_TRUE(kernels::setCpuIsa(isa));
        for (int64_t cols : colsList)
            for (int64_t rows : {1, 6, 37, 40})
                for (int64_t tokens : {1, 2, 3, 5, 7, 9, 20}) {
                    const auto w = randomWeights(type, rows, cols, ++seed);
                    const auto x = randomVector(static_cast<size_t>(tokens * cols), ++seed);
                    std::vector<float> expect(tokens * rows);
                    kernels::ref::matmul(type, w.data(), rows, cols, x.data(), tokens, expect.data());
                    kernels::ThreadPool& pool = (rows + tokens) % 2 ? pool3 : pool1;
                    float maxAbs = 0.0f;
                    for (float e : expect) maxAbs = std::max(maxAbs, std::fabs(e));
                    // the GGUF layout, then the layout the loader makes for this ISA
                    kernels::Matrix packed{type, w.data(), rows, cols};
                    const bool repacked = kernels::repackForCpu(packed);
                    for (const kernels::Matrix& m : {kernels::Matrix{type, w.data(), rows, cols}, packed}) {
                        std::vector<float> got(tokens * rows, NAN);
                        kernels::matmul(pool, m, x.data(), tokens, got.data());
                        for (size_t i = 0; i < got.size(); ++i)
                            ASSERT_NEAR(got[i], expect[i], 1e-5f + 1e-4f * maxAbs)
                                << kernels::typeName(type) << " isa " << kernels::cpuIsaName(isa) << " rows " << rows
                                << " cols " << cols << " tokens " << tokens << " at " << i
                                << (m.interleaved ? " (interleaved)" : repacked ? " (repacked)" : "");
                        if (!repacked) break;
                    }
                }
    }
}

// A tensor's experts repacked together: their interleaved copies lie back to back in one
// allocation (no malloc'd block each, whose mmap would carry a page of slack: 72 MiB over
// a 30B-A3B's 18,432 experts), each the copy repacking it alone makes; matrices unlike
// the first (another shape) are repacked one by one.
TEST(CpuMatmul, ExpertsRepackedTogetherShareOneBlock) {
    IsaGuard guard;
    for (CpuIsa isa : runnableIsas()) {
        ASSERT_TRUE(kernels::setCpuIsa(isa));
        for (GgmlType type : {GgmlType::Q4_0, GgmlType::Q8_0}) {
            constexpr int64_t kRows = 16, kCols = 64;
            std::vector<std::vector<uint8_t>> bytes;
            std::vector<kernels::Matrix> experts;
            for (uint32_t e = 0; e < 4; ++e) bytes.push_back(randomWeights(type, kRows, kCols, 900 + e));
            for (auto& b : bytes) experts.push_back({type, b.data(), kRows, kCols});
            kernels::Matrix alone{type, bytes[2].data(), kRows, kCols};
            if (!kernels::repackForCpu(alone)) continue;  // this ISA reads the GGUF layout
            ASSERT_TRUE(kernels::repackForCpu(std::span<kernels::Matrix>(experts))) << kernels::cpuIsaName(isa);
            const size_t copyBytes = alone.interleavedGroupBytes * kRows / 8;
            for (size_t e = 0; e < experts.size(); ++e) {
                ASSERT_NE(experts[e].interleaved, nullptr);
                EXPECT_EQ(static_cast<const uint8_t*>(experts[e].interleaved),
                          static_cast<const uint8_t*>(experts[0].interleaved) + e * copyBytes)
                    << kernels::typeName(type) << " expert " << e;
            }
            EXPECT_EQ(0, std::memcmp(experts[2].interleaved, alone.interleaved, copyBytes));
            // Unlike shapes: each its own copy, as repackForCpu(Matrix&) makes.
            auto other = randomWeights(type, 2 * kRows, kCols, 950);
            std::vector<kernels::Matrix> mixed = {{type, bytes[0].data(), kRows, kCols}, {type, other.data(), 2 * kRows, kCols}};
            ASSERT_TRUE(kernels::repackForCpu(std::span<kernels::Matrix>(mixed)));
            EXPECT_NE(mixed[1].interleaved, nullptr);
        }
    }
}

TEST(CpuMatmul, IsaSelectionRespectsSupport) {
    IsaGuard guard;
    EXPECT_TRUE(kernels::cpuIsaSupported(CpuIsa::Scalar));
    for (CpuIsa isa : runnableIsas()) {
        EXPECT_TRUE(kernels::setCpuIsa(isa));
        EXPECT_EQ(kernels::activeCpuIsa(), isa);
    }
    for (int i = 0; i < kernels::kCpuIsaCount; ++i) {
        const auto isa = static_cast<CpuIsa>(i);
        if (!kernels::cpuIsaSupported(isa)) {
            EXPECT_FALSE(kernels::setCpuIsa(isa)) << kernels::cpuIsaName(isa);
        }
    }
    std::printf("[ info ] ISA families here:");
    for (CpuIsa isa : runnableIsas()) std::printf(" %s", kernels::cpuIsaName(isa));
    std::printf("\n");
}

TEST(CpuMatmul, F32) { checkType(GgmlType::F32, {8, 37, 256}); }
TEST(CpuMatmul, F16) { checkType(GgmlType::F16, {8, 37, 256}); }
TEST(CpuMatmul, Q4_0) { checkType(GgmlType::Q4_0, {32, 96, 512}); }
TEST(CpuMatmul, Q4_1) { checkType(GgmlType::Q4_1, {32, 96}); }
TEST(CpuMatmul, Q5_0) { checkType(GgmlType::Q5_0, {32, 96}); }
TEST(CpuMatmul, Q5_1) { checkType(GgmlType::Q5_1, {32, 96}); }
TEST(CpuMatmul, Q8_0) { checkType(GgmlType::Q8_0, {32, 96, 512}); }
TEST(CpuMatmul, IQ4_NL) { checkType(GgmlType::IQ4_NL, {32, 96}); }
TEST(CpuMatmul, Q2_K) { checkType(GgmlType::Q2_K, {256, 768}); }
TEST(CpuMatmul, Q3_K) { checkType(GgmlType::Q3_K, {256, 768}); }
TEST(CpuMatmul, Q4_K) { checkType(GgmlType::Q4_K, {256, 768}); }
TEST(CpuMatmul, Q5_K) { checkType(GgmlType::Q5_K, {256, 768}); }
TEST(CpuMatmul, Q6_K) { checkType(GgmlType::Q6_K, {256, 768}); }
TEST(CpuMatmul, TQ1_0) { checkType(GgmlType::TQ1_0, {256, 768}); }
TEST(CpuMatmul, TQ2_0) { checkType(GgmlType::TQ2_0, {256, 768}); }
TEST(CpuMatmul, BF16) { checkType(GgmlType::BF16, {8, 37, 256}); }
TEST(CpuMatmul, IQ4_XS) { checkType(GgmlType::IQ4_XS, {256, 768}); }

// matmulMany (decode's MoE experts): several products in one loop, inputs shared or
// not, interleaved or GGUF layout, types with and without kernels: each result is
// bit for bit what matmul() gives for that product alone.
TEST(CpuMatmul, ManyProductsInOneLoopEqualOneByOne) {
    IsaGuard guard;
    kernels::ThreadPool pool(3);
    uint32_t seed = 100;
    for (CpuIsa isa : runnableIsas()) {
        ASSERT_TRUE(kernels::setCpuIsa(isa));
        const int64_t cols = 512;
        const auto x1 = randomVector(cols, ++seed), x2 = randomVector(2 * cols, ++seed);
        struct Product {
            std::vector<uint8_t> bytes;
            kernels::Matrix m;
            const float* x;
            int64_t tokens;
        };
        std::vector<Product> products;
        const GgmlType types[] = {GgmlType::Q4_0, GgmlType::Q4_0, GgmlType::Q8_0, GgmlType::Q4_K, GgmlType::Q5_1, GgmlType::F16};
        for (size_t i = 0; i < std::size(types); ++i) {
            const int64_t rows = i % 2 ? 40 : 37;
            Product p{randomWeights(types[i], rows, cols, ++seed), {}, i % 3 == 2 ? x2.data() : x1.data(), i % 3 == 2 ? 2 : 1};
            products.push_back(std::move(p));
        }
        for (size_t i = 0; i < products.size(); ++i) {
            Product& p = products[i];
            p.m = kernels::Matrix{types[i], p.bytes.data(), i % 2 ? 40 : 37, cols};
            if (i % 2) kernels::repackForCpu(p.m);
        }
        std::vector<std::vector<float>> alone, together;
        std::vector<kernels::MatmulItem> items;
        for (const Product& p : products) {
            alone.emplace_back(static_cast<size_t>(p.tokens * p.m.rows));
            together.emplace_back(static_cast<size_t>(p.tokens * p.m.rows), NAN);
            kernels::matmul(pool, p.m, p.x, p.tokens, alone.back().data());
        }
        for (size_t i = 0; i < products.size(); ++i)
            items.push_back({&products[i].m, products[i].x, products[i].tokens, together[i].data()});
        kernels::matmulMany(pool, items);
        for (size_t i = 0; i < products.size(); ++i)
            EXPECT_EQ(0, std::memcmp(alone[i].data(), together[i].data(), alone[i].size() * sizeof(float)))
                << "product " << i << " (" << kernels::typeName(types[i]) << ") isa " << kernels::cpuIsaName(isa);
    }
}

// matmulMany with gathered rows (prefill's MoE: each expert's tokens out of the layer's
// input, quantized once): each item bit for bit what matmul() gives on its rows copied
// out as floats, for types with and without kernels, interleaved or not, an input read
// whole by one item and gathered by others in the same loop.
TEST(CpuMatmul, GatheredRowsEqualTheirRowsCopiedOut) {
    IsaGuard guard;
    kernels::ThreadPool pool(3);
    uint32_t seed = 500;
    const int64_t cols = 512, baseRows = 10;
    const std::vector<std::vector<int32_t>> rowSets = {{3, 7, 0, 3}, {9}, {1, 2, 4, 5, 6, 8, 0}};
    for (CpuIsa isa : runnableIsas()) {
        ASSERT_TRUE(kernels::setCpuIsa(isa));
        for (GgmlType type : {GgmlType::Q4_0, GgmlType::Q8_0, GgmlType::Q4_K, GgmlType::Q5_1, GgmlType::F16, GgmlType::F32})
            for (bool repack : {false, true}) {
                const int64_t rows = 40;
                auto bytes = randomWeights(type, rows, cols, ++seed);
                kernels::Matrix m{type, bytes.data(), rows, cols};
                if (repack) kernels::repackForCpu(m);
                const auto x = randomVector(static_cast<size_t>(baseRows * cols), ++seed);
                std::vector<std::vector<float>> alone, together;
                std::vector<kernels::MatmulItem> items;
                for (const auto& set : rowSets) {
                    const auto n = static_cast<int64_t>(set.size());
                    std::vector<float> copied(static_cast<size_t>(n * cols));
                    for (int64_t t = 0; t < n; ++t) std::copy_n(&x[set[t] * cols], cols, &copied[t * cols]);
                    alone.emplace_back(static_cast<size_t>(n * rows));
                    kernels::matmul(pool, m, copied.data(), n, alone.back().data());
                    together.emplace_back(static_cast<size_t>(n * rows), NAN);
                }
                alone.emplace_back(static_cast<size_t>(baseRows * rows));
                kernels::matmul(pool, m, x.data(), baseRows, alone.back().data());
                together.emplace_back(static_cast<size_t>(baseRows * rows), NAN);
                for (size_t i = 0; i < rowSets.size(); ++i)
                    items.push_back({&m, x.data(), static_cast<int64_t>(rowSets[i].size()), together[i].data(), rowSets[i].data()});
                items.push_back({&m, x.data(), baseRows, together.back().data()});  // the whole input too
                kernels::matmulMany(pool, items);
                for (size_t i = 0; i < alone.size(); ++i)
                    EXPECT_EQ(0, std::memcmp(alone[i].data(), together[i].data(), alone[i].size() * sizeof(float)))
                        << "item " << i << " " << kernels::typeName(type) << (repack ? " repacked" : "") << " isa "
                        << kernels::cpuIsaName(isa);
            }
    }
}

// A prefill must compute each token's product exactly as the decode step computes it
// alone (else a token's int8 activation codes downstream could flip and a greedy run
// leave the batched one): on interleaved rows every token tile size (4, 3, 2, 1 tokens)
// sums a token's blocks in the same order with the same float operations.
TEST(CpuMatmul, InterleavedTokensInABatchGiveTheirOneTokenBits) {
    IsaGuard guard;
    kernels::ThreadPool pool(2);
    uint32_t seed = 300;
    for (CpuIsa isa : runnableIsas()) {
        ASSERT_TRUE(kernels::setCpuIsa(isa));
        for (GgmlType type : {GgmlType::Q4_0, GgmlType::Q8_0}) {
            const int64_t rows = 48, cols = 1024, tokens = 11;  // tiles 4 + 4 + 3
            auto w = randomWeights(type, rows, cols, ++seed);
            const auto x = randomVector(static_cast<size_t>(tokens * cols), ++seed);
            kernels::Matrix m{type, w.data(), rows, cols};
            kernels::repackForCpu(m);
            if (!m.interleaved) continue;
            std::vector<float> batch(tokens * rows, NAN), one(rows, NAN);
            kernels::matmul(pool, m, x.data(), tokens, batch.data());
            for (int64_t t = 0; t < tokens; ++t) {
                kernels::matmul(pool, m, &x[t * cols], 1, one.data());
                EXPECT_EQ(0, std::memcmp(one.data(), &batch[t * rows], rows * sizeof(float)))
                    << kernels::typeName(type) << " isa " << kernels::cpuIsaName(isa) << " token " << t;
            }
        }
    }
}

}  // namespace

namespace {

TEST(CpuRepack, Tq1ToTq2KeepsEveryValueAndTheProduct) {
    const int64_t rows = 7, cols = 512;
    const auto w = randomWeights(GgmlType::TQ1_0, rows, cols, 42);
    kernels::Matrix m{GgmlType::TQ1_0, w.data(), rows, cols};
    ASSERT_TRUE(kernels::repackForCpu(m));
    EXPECT_EQ(m.type, GgmlType::TQ2_0);
    EXPECT_NE(m.data, static_cast<const void*>(w.data()));
    std::vector<float> a(cols), b(cols);
    for (int64_t r = 0; r < rows; ++r) {
        kernels::ref::dequantizeRow(GgmlType::TQ1_0, &w[r * kernels::rowBytes(GgmlType::TQ1_0, cols)], a.data(), cols);
        kernels::getRow(m, r, b.data());
        for (int64_t i = 0; i < cols; ++i) ASSERT_EQ(a[i], b[i]) << "row " << r << " col " << i;
    }
    // binding the same tensor again shares the packed copy
    kernels::Matrix again{GgmlType::TQ1_0, w.data(), rows, cols};
    ASSERT_TRUE(kernels::repackForCpu(again));
    EXPECT_EQ(again.data, m.data);
    again = kernels::Matrix{};
    // the copy keeps the packed data alive
    kernels::Matrix copy = m;
    m = kernels::Matrix{};
    const auto x = randomVector(cols * 3, 43);
    std::vector<float> got(rows * 3), expect(rows * 3);
    kernels::ThreadPool pool(2);
    kernels::matmul(pool, copy, x.data(), 3, got.data());
    kernels::ref::matmul(GgmlType::TQ1_0, w.data(), rows, cols, x.data(), 3, expect.data());
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expect[i], 1e-4f * (1.0f + std::fabs(expect[i])));
    // types without a repacked layout are left alone
    kernels::Matrix q{GgmlType::Q3_K, w.data(), 1, 256};
    EXPECT_FALSE(kernels::repackForCpu(q));
    EXPECT_EQ(q.data, static_cast<const void*>(w.data()));
}

// The interleaved copy read back into the GGUF layout (experts streamed to a device after
// their mapped pages were released): every byte of every group, for the types that have
// the inverse; false for the others and for a matrix without the copy.
TEST(CpuRepack, DeinterleavedGroupsAreTheFileBytes) {
    const int64_t rows = 24, cols = 256;
    for (GgmlType type : {GgmlType::Q4_0, GgmlType::Q8_0, GgmlType::IQ4_NL, GgmlType::Q4_K}) {
        const auto w = randomWeights(type, rows, cols, 7);
        kernels::Matrix m{type, w.data(), rows, cols};
        std::vector<uint8_t> back(8 * m.rowStride());
        EXPECT_FALSE(kernels::deinterleaveGroup(m, 0, back.data())) << kernels::typeName(type);
        if (!kernels::repackForCpu(m) || !m.interleaved) continue;  // this CPU keeps the file's layout
        const bool inverse = type != GgmlType::Q4_K;
        for (int64_t g = 0; g < rows / 8; ++g) {
            ASSERT_EQ(kernels::deinterleaveGroup(m, g, back.data()), inverse) << kernels::typeName(type);
            if (inverse)
                EXPECT_EQ(std::memcmp(back.data(), w.data() + g * 8 * m.rowStride(), back.size()), 0)
                    << kernels::typeName(type) << " group " << g;
            // Q4_0 / Q8_0 with quants and scales apart (a device's layout): the blocks' bytes.
            const size_t q = type == GgmlType::Q8_0 ? 32 : 16, nb = cols / 32;
            std::vector<uint8_t> quants(8 * nb * q), scales(8 * nb * 2);
            const bool split = type == GgmlType::Q4_0 || type == GgmlType::Q8_0;
            ASSERT_EQ(kernels::deinterleaveGroupSplit(m, g, quants.data(), nb * q, scales.data(), nb * 2), split);
            for (size_t i = 0; split && i < 8; ++i)
                for (size_t b = 0; b < nb; ++b) {
                    const uint8_t* blk = w.data() + (g * 8 + i) * m.rowStride() + b * (q + 2);
                    EXPECT_EQ(std::memcmp(&scales[(i * nb + b) * 2], blk, 2), 0) << kernels::typeName(type);
                    EXPECT_EQ(std::memcmp(&quants[(i * nb + b) * q], blk + 2, q), 0) << kernels::typeName(type);
                }
        }
    }
}

// Q4_0 / Q8_0 / IQ4_NL / Q4_K / Q5_K / Q6_K / IQ4_XS / TQ2_0 / TQ1_0 rows interleaved
// by 8 on the ISA paths that have kernels for it: the GGUF layout stays readable, row
// slices of whole groups keep the interleaved copy, and every ISA (with or without
// such kernels) computes the same products.
TEST(CpuRepack, InterleavedRowsGiveTheSameProducts) {
    IsaGuard guard;
    kernels::ThreadPool pool(2);
    for (GgmlType type : {GgmlType::Q4_0, GgmlType::Q8_0, GgmlType::IQ4_NL, GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K,
                          GgmlType::IQ4_XS, GgmlType::TQ2_0, GgmlType::TQ1_0}) {
        const int64_t rows = 48, cols = 512, tokens = 5;
        const auto w = randomWeights(type, rows, cols, 7);
        const auto x = randomVector(cols * tokens, 8);
        std::vector<float> expect(rows * tokens);
        kernels::ref::matmul(type, w.data(), rows, cols, x.data(), tokens, expect.data());
        for (CpuIsa loadIsa : runnableIsas()) {
            ASSERT_TRUE(kernels::setCpuIsa(loadIsa));
            kernels::Matrix m{type, w.data(), rows, cols};
            const bool repacked = kernels::repackForCpu(m);  // TQ1_0 elsewhere: converted to TQ2_0
            const bool interleaved = m.interleaved != nullptr;
            if (interleaved) {
                EXPECT_TRUE(repacked);
                EXPECT_EQ(m.data, static_cast<const void*>(w.data()));  // the GGUF layout stays
            }
            if (loadIsa == CpuIsa::Avx2 || loadIsa == CpuIsa::AvxVnni) {
                EXPECT_TRUE(interleaved) << kernels::cpuIsaName(loadIsa);
            }
            // a row slice (a fused QKV's K part) of whole groups, and one that is not
            const kernels::Matrix whole = kernels::sliceRows(m, 16, 24), odd = kernels::sliceRows(m, 4, 12);
            EXPECT_EQ(whole.interleaved != nullptr, interleaved);
            EXPECT_EQ(odd.interleaved, nullptr);
            for (CpuIsa runIsa : runnableIsas()) {  // tests and benches switch ISA after loading
                ASSERT_TRUE(kernels::setCpuIsa(runIsa));
                for (const auto& [slice, first] : {std::pair{m, int64_t{0}}, std::pair{whole, int64_t{16}},
                                                   std::pair{odd, int64_t{4}}}) {
                    std::vector<float> got(slice.rows * tokens, NAN);
                    kernels::matmul(pool, slice, x.data(), tokens, got.data());
                    for (int64_t t = 0; t < tokens; ++t)
                        for (int64_t r = 0; r < slice.rows; ++r) {
                            const float e = expect[t * rows + first + r];
                            ASSERT_NEAR(got[t * slice.rows + r], e, 1e-4f * (1.0f + std::fabs(e)))
                                << kernels::typeName(type) << " loaded on " << kernels::cpuIsaName(loadIsa) << ", run on "
                                << kernels::cpuIsaName(runIsa) << ", slice from " << first << " row " << r << " token " << t;
                        }
                }
            }
        }
    }
}

}  // namespace

#include "../../kernels/cpu/matmul_isa.h"
#include "kernels/cpu_ops_internal.h"

namespace {

TEST(CpuMatmul, SimdActivationQuantizationIsBitIdentical) {
    const int64_t n = 32 * 40;
    auto x = randomVector(n, 77);
    for (int64_t i = 0; i < 32; ++i) x[i] = 0.0f;                  // all-zero block
    x[40] = 1e-9f;                                                  // tiny scale (f16 subnormal)
    for (int64_t i = 64; i < 96; ++i) x[i] = (i % 2 ? 1 : -1) * 0.5f * (i - 63);  // ties
    std::vector<uint8_t> want(kernels::rowBytes(GgmlType::Q8_0, n)), got(want.size());
    kernels::quantizeActivations(GgmlType::Q8_0, x.data(), want.data(), n);
    for (int i = 0; i < kernels::kCpuIsaCount; ++i) {
        const auto isa = static_cast<CpuIsa>(i);
        // a table is built by code compiled for its ISA: only ask for supported ones
        if (!kernels::cpuIsaSupported(isa)) continue;
        const kernels::cpu::IsaKernels* k = kernels::cpu::isaKernels(isa);
        if (!k || !k->quantizeQ8_0) continue;
        std::vector<float> d(n / 32);
        std::vector<int32_t> sums(n / 32);
        k->quantizeQ8_0(x.data(), n, got.data(), d.data(), sums.data());
        ASSERT_EQ(got, want) << kernels::cpuIsaName(isa);
        for (int64_t b = 0; b < n / 32; ++b) {
            int32_t s = 0;
            for (int e = 0; e < 32; ++e) s += static_cast<int8_t>(want[b * 34 + 2 + e]);
            uint16_t h;
            std::memcpy(&h, &want[b * 34], 2);
            EXPECT_EQ(sums[b], s);
            EXPECT_EQ(d[b], kernels::ref::fp16ToFp32(h));
        }
    }
}

}  // namespace

namespace {

TEST(CpuMatmul, SimdQ8KQuantizationIsBitIdentical) {
    const int64_t n = 256 * 6;
    auto x = randomVector(n, 78);
    for (int64_t i = 0; i < 256; ++i) x[i] = 0.0f;  // all-zero block
    x[300] = 9.0f;                                    // +max and -max: the first one wins
    x[400] = -9.0f;
    x[600] = -7.5f;                                   // negative extreme
    for (int64_t i = 768; i < 1024; ++i) x[i] = 0.25f * static_cast<float>(i % 9) - 1.0f;  // ties
    std::vector<uint8_t> want(kernels::rowBytes(GgmlType::Q8_K, n)), got(want.size());
    ASSERT_TRUE(kernels::ref::quantizeRow(GgmlType::Q8_K, x.data(), want.data(), n));
    for (int i = 0; i < kernels::kCpuIsaCount; ++i) {
        const auto isa = static_cast<CpuIsa>(i);
        // a table is built by code compiled for its ISA: only ask for supported ones
        if (!kernels::cpuIsaSupported(isa)) continue;
        const kernels::cpu::IsaKernels* k = kernels::cpu::isaKernels(isa);
        if (!k || !k->quantizeQ8_K) continue;
        std::fill(got.begin(), got.end(), 0xAA);
        k->quantizeQ8_K(x.data(), n, got.data());
        ASSERT_EQ(got, want) << kernels::cpuIsaName(isa);
    }
}

}  // namespace

namespace {

// Every weight type has a SIMD kernel in every ISA table this CPU can run (the checks
// above would pass on the scalar fallback too; this one fails when a type loses its
// kernel). Tables of ISAs the CPU lacks are not built here: their makeTable runs
// that ISA's instructions.
TEST(CpuMatmul, EveryTypeHasAKernelOnEverySimdIsa) {
    const GgmlType types[] = {GgmlType::F32,  GgmlType::F16,  GgmlType::BF16, GgmlType::Q4_0,   GgmlType::Q4_1,
                              GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q8_0, GgmlType::IQ4_NL, GgmlType::IQ4_XS,
                              GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_K, GgmlType::Q5_K,   GgmlType::Q6_K,
                              GgmlType::TQ2_0};
    for (int i = 0; i < kernels::kCpuIsaCount; ++i) {
        const auto isa = static_cast<CpuIsa>(i);
        if (isa == CpuIsa::Scalar || !kernels::cpuIsaSupported(isa)) continue;
        const kernels::cpu::IsaKernels* k = kernels::cpu::isaKernels(isa);
        ASSERT_NE(k, nullptr) << kernels::cpuIsaName(isa);
        for (GgmlType t : types)
            EXPECT_NE(k->tile[static_cast<size_t>(t)], nullptr) << kernels::typeName(t) << " on " << kernels::cpuIsaName(isa);
    }
}

// Prefill-sized products of the types with prefill kernels (AMX tiles on CPUs that
// have them): whole 16 x 16 tiles, row and token tails, several threads.
TEST(CpuMatmul, PrefillShapesOfQ4_0AndQ8_0) {
    IsaGuard guard;
    kernels::ThreadPool pool(3);
    uint32_t seed = 900;
    for (CpuIsa isa : runnableIsas()) {
        ASSERT_TRUE(kernels::setCpuIsa(isa));
        for (GgmlType type : {GgmlType::Q4_0, GgmlType::Q8_0})
            for (const auto& [rows, cols, tokens] : {std::tuple<int64_t, int64_t, int64_t>{256, 512, 64}, {72, 96, 37},
                                                    {48, 2048, 16}}) {
                const auto w = randomWeights(type, rows, cols, ++seed);
                const auto x = randomVector(static_cast<size_t>(tokens * cols), ++seed);
                // the oracle: the reference dot of each row with the activations quantized as
                // the engine does (kernels::ref::matmul's own rounding can differ by a step)
                std::vector<float> expect(tokens * rows), got(tokens * rows, NAN);
                std::vector<uint8_t> act(kernels::rowBytes(GgmlType::Q8_0, cols));
                for (int64_t t = 0; t < tokens; ++t) {
                    kernels::quantizeActivations(GgmlType::Q8_0, &x[t * cols], act.data(), cols);
                    for (int64_t r = 0; r < rows; ++r)
                        expect[t * rows + r] =
                            kernels::ref::vecDot(type, cols, &w[r * kernels::rowBytes(type, cols)], act.data());
                }
                float maxAbs = 0.0f;
                for (float e : expect) maxAbs = std::max(maxAbs, std::fabs(e));
                kernels::Matrix m{type, w.data(), rows, cols};
                kernels::repackForCpu(m);
                kernels::matmul(pool, m, x.data(), tokens, got.data());
                for (size_t i = 0; i < got.size(); ++i)
                    ASSERT_NEAR(got[i], expect[i], 1e-5f + 1e-4f * maxAbs)
                        << kernels::typeName(type) << " isa " << kernels::cpuIsaName(isa) << " rows " << rows << " cols "
                        << cols << " tokens " << tokens << " at " << i;
            }
    }
}

}  // namespace
