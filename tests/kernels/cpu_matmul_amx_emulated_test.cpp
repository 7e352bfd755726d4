// The AMX prefill kernels (kernels/cpu/matmul_amx.inc) run through an emulated tile
// unit on any CPU and are checked against kernels/ref, so their layout, panel packing
// and tails are tested in CI; the device machine's Xeon runs the real instructions
// through kernels_cpu_test (CpuIsa::Amx). The emulation follows the instruction
// definitions: LDTILECFG's palette-1 shapes, TILELOADD / TILESTORED rows of colsb
// bytes at a stride, TDPBSSD's C[m][n] += sum over k of 4 signed byte products
// A[m][4k+j] x B[k][4n+j], and it fails on shapes the hardware would refuse (#UD).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../../kernels/cpu/matmul_isa.h"
#include "kernels/cpu_features.h"
#include "kernels/cpu_ops_internal.h"
#include "kernels/ops.h"
#include "kernels/ref.h"
#include "prepared_activations.h"
#include "random_weights.h"

namespace amx_emulation {

struct Tiles {
    uint16_t colsb[8] = {};
    uint8_t rows[8] = {};
    bool configured = false;
    alignas(64) uint8_t data[8][16][64] = {};
    int64_t products = 0;
};
thread_local Tiles tiles;

[[noreturn]] void refuse(const char* what) {
    std::fprintf(stderr, "emulated AMX: %s\n", what);
    std::abort();
}

void configure(const void* cfg) {
    const auto* b = static_cast<const uint8_t*>(cfg);
    if (b[0] != 1) refuse("palette must be 1");
    for (int t = 0; t < 8; ++t) {
        std::memcpy(&tiles.colsb[t], b + 16 + 2 * t, 2);
        tiles.rows[t] = b[48 + t];
        if (tiles.colsb[t] > 64 || tiles.rows[t] > 16 || tiles.colsb[t] % 4) refuse("tile shape beyond palette 1");
    }
    tiles.configured = true;
}

void check(int t) {
    if (!tiles.configured) refuse("tile used before LDTILECFG");
    if (t < 0 || t > 7 || tiles.rows[t] == 0) refuse("tile not configured");
}

void zero(int t) {
    check(t);
    std::memset(tiles.data[t], 0, sizeof tiles.data[t]);
}

void load(int t, const void* p, long stride) {
    check(t);
    std::memset(tiles.data[t], 0, sizeof tiles.data[t]);
    for (int r = 0; r < tiles.rows[t]; ++r)
        std::memcpy(tiles.data[t][r], static_cast<const uint8_t*>(p) + r * stride, tiles.colsb[t]);
}

void store(int t, void* p, long stride) {
    check(t);
    for (int r = 0; r < tiles.rows[t]; ++r) std::memcpy(static_cast<uint8_t*>(p) + r * stride, tiles.data[t][r], tiles.colsb[t]);
}

void dpbssd(int c, int a, int b) {
    check(c), check(a), check(b);
    if (tiles.rows[c] != tiles.rows[a] || tiles.colsb[c] != tiles.colsb[b] || tiles.colsb[a] != 4 * tiles.rows[b])
        refuse("TDPBSSD shapes do not match");
    for (int m = 0; m < tiles.rows[c]; ++m)
        for (int n = 0; n < tiles.colsb[c] / 4; ++n) {
            int32_t acc;
            std::memcpy(&acc, &tiles.data[c][m][4 * n], 4);
            for (int k = 0; k < tiles.colsb[a] / 4; ++k)
                for (int j = 0; j < 4; ++j)
                    acc += static_cast<int8_t>(tiles.data[a][m][4 * k + j]) * static_cast<int8_t>(tiles.data[b][k][4 * n + j]);
            std::memcpy(&tiles.data[c][m][4 * n], &acc, 4);
        }
    ++tiles.products;
}

void release() { tiles.configured = false; }

}  // namespace amx_emulation

#define AMX_CONFIGURE(cfg) amx_emulation::configure(cfg)
#define AMX_RELEASE() amx_emulation::release()
#define AMX_ZERO(t) amx_emulation::zero(t)
#define AMX_LOAD(t, p, stride) amx_emulation::load(t, p, stride)
#define AMX_DPBSSD(c, a, b) amx_emulation::dpbssd(c, a, b)
#define AMX_STORE(t, p, stride) amx_emulation::store(t, p, stride)
#define AMX_FALLBACK() kernelsAvx2()
#include "../../kernels/cpu/matmul_amx.inc"

namespace {

using kernels::CpuIsa;
using kernels::GgmlType;

using kernels_test::PreparedActivations;
using kernels_test::prepare;

TEST(CpuMatmulAmxEmulated, PrefillTilesMatchTheReference) {
    if (!kernels::cpuIsaSupported(CpuIsa::Avx2)) {
        if (std::getenv("CI")) FAIL() << "CI runs on AVX2 machines";
        GTEST_SKIP() << "the tails run on the AVX2 x8 kernels";
    }
    kernels::cpu::IsaKernels table = kernels::cpu::kernelsAvx2();
    kernels::cpu::addAmxPrefill(table);
    EXPECT_EQ(table.prefillMinTokens, 16);
    const CpuIsa saved = kernels::activeCpuIsa();
    ASSERT_TRUE(kernels::setCpuIsa(CpuIsa::Avx2));  // interleaved by 8 rows, the layout every x86 table reads
    uint32_t seed = 500;
    int runs = 0;
    for (GgmlType type : {GgmlType::Q4_0, GgmlType::Q8_0})
        for (int64_t cols : {32, 96, 512})
            for (int64_t rows : {16, 40, 64})
                for (int64_t tokens : {16, 21, 37}) {
                    const auto w = kernels_test::randomWeights(type, rows, cols, ++seed);
                    const auto x = kernels_test::randomVector(static_cast<size_t>(tokens * cols), ++seed);
                    std::vector<float> expect(rows * tokens);
                    kernels::ref::matmul(type, w.data(), rows, cols, x.data(), tokens, expect.data());
                    float maxAbs = 0.0f;
                    for (float e : expect) maxAbs = std::max(maxAbs, std::fabs(e));
                    kernels::Matrix packed{type, w.data(), rows, cols};
                    ASSERT_TRUE(kernels::repackForCpu(packed));
                    ASSERT_NE(packed.interleaved, nullptr);
                    PreparedActivations a;
                    prepare(type, x, tokens, cols, a);
                    kernels::cpu::MatmulJob job;
                    job.w = static_cast<const uint8_t*>(packed.interleaved);
                    job.wStride = packed.interleavedGroupBytes;
                    job.k = cols;
                    job.act = a.act;
                    job.ldo = rows;
                    // the whole product, then a block of rows and tokens that starts inside
                    for (const auto& [r0, t0] : {std::pair<int64_t, int64_t>{0, 0}, {16, 3}}) {
                        if (r0 >= rows) continue;
                        std::vector<float> got(rows * tokens, NAN);
                        job.out = got.data();
                        const int64_t before = amx_emulation::tiles.products;
                        table.prefillX8[static_cast<size_t>(type)](job, r0, rows, t0, tokens);
                        const int64_t wholeTiles = (rows - r0) / 16 * ((tokens - t0) / 16);
                        EXPECT_EQ(amx_emulation::tiles.products - before, wholeTiles * (cols / 32));
                        for (int64_t t = 0; t < tokens; ++t)
                            for (int64_t r = 0; r < rows; ++r) {
                                const size_t i = static_cast<size_t>(t * rows + r);
                                if (t < t0 || r < r0) {
                                    ASSERT_TRUE(std::isnan(got[i])) << "wrote outside its block at token " << t << " row " << r;
                                    continue;
                                }
                                ASSERT_NEAR(got[i], expect[i], 1e-5f + 1e-4f * maxAbs)
                                    << kernels::typeName(type) << " cols " << cols << " rows " << rows << " tokens "
                                    << tokens << " from row " << r0 << " token " << t0 << ": token " << t << " row " << r;
                            }
                        ++runs;
                    }
                }
    kernels::setCpuIsa(saved);
    EXPECT_EQ(runs, 2 * 3 * 3 * (1 + 2 + 2));  // types x cols x tokens x (rows 16: whole only; 40, 64: both)
}

}  // namespace
