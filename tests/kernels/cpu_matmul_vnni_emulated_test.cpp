// The VNNI code paths of the 256-bit kernels (per-row kernels on the GGUF layout and
// the x8 kernels on the interleaved one) against kernels/ref, run through an exact
// vpdpbusd emulation on AVX2, so they are checked on CPUs without VNNI too.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "cpu_matmul_vnni_emulated.h"
#include "kernels/cpu_features.h"
#include "kernels/cpu_ops_internal.h"
#include "kernels/ops.h"
#include "kernels/ref.h"
#include "prepared_activations.h"
#include "random_weights.h"

namespace {

using kernels::CpuIsa;
using kernels::GgmlType;

using kernels_test::PreparedActivations;
using kernels_test::prepare;

struct Case {
    GgmlType type;
    int64_t cols;
};

TEST(CpuMatmulVnniEmulated, EveryQuantizedKernelMatchesTheReference) {
    if (!kernels::cpuIsaSupported(CpuIsa::Avx2)) {
        if (std::getenv("CI")) FAIL() << "CI runs on AVX2 machines";
        GTEST_SKIP() << "needs AVX2";
    }
    const kernels::cpu::IsaKernels& isa = kernels_test::vnniEmulatedKernels();
    const CpuIsa saved = kernels::activeCpuIsa();
    ASSERT_TRUE(kernels::setCpuIsa(CpuIsa::Avx2));  // repackForCpu interleaves for the AVX2 table (same layouts)
    const Case cases[] = {{GgmlType::Q4_0, 96},  {GgmlType::Q4_1, 96},  {GgmlType::Q5_0, 96},   {GgmlType::Q5_1, 96},
                          {GgmlType::Q8_0, 96},  {GgmlType::IQ4_NL, 96}, {GgmlType::Q2_K, 512},  {GgmlType::Q3_K, 512},
                          {GgmlType::Q4_K, 512}, {GgmlType::Q5_K, 512}, {GgmlType::Q6_K, 512},  {GgmlType::IQ4_XS, 512},
                          {GgmlType::TQ2_0, 512}, {GgmlType::TQ1_0, 512}};
    int checkedX8 = 0;
    uint32_t seed = 100;
    for (const Case& c : cases)
        for (int64_t rows : {16, 40})
            for (int64_t tokens : {1, 3, 6}) {
                const auto w = kernels_test::randomWeights(c.type, rows, c.cols, ++seed);
                const auto x = kernels_test::randomVector(static_cast<size_t>(tokens * c.cols), ++seed);
                std::vector<float> expect(rows * tokens);
                kernels::ref::matmul(c.type, w.data(), rows, c.cols, x.data(), tokens, expect.data());
                float maxAbs = 0.0f;
                for (float e : expect) maxAbs = std::max(maxAbs, std::fabs(e));
                kernels::Matrix packed{c.type, w.data(), rows, c.cols};
                kernels::repackForCpu(packed);
                PreparedActivations a;
                prepare(c.type, x, tokens, c.cols, a);
                const auto slot = static_cast<size_t>(c.type);
                struct Run {
                    kernels::cpu::TileFn fn;
                    const void* w;
                    size_t stride;
                    const char* layout;
                };
                const Run runs[] = {{isa.tile[slot], w.data(), kernels::rowBytes(c.type, c.cols), "GGUF"},
                                    {packed.interleaved ? isa.tileX8[slot] : nullptr, packed.interleaved,
                                     packed.interleavedGroupBytes, "x8"}};
                for (const Run& run : runs) {
                    if (!run.fn) continue;
                    checkedX8 += run.w == packed.interleaved;
                    std::vector<float> got(rows * tokens, NAN);
                    kernels::cpu::MatmulJob job;
                    job.w = static_cast<const uint8_t*>(run.w);
                    job.wStride = run.stride;
                    job.k = c.cols;
                    job.act = a.act;
                    job.out = got.data();
                    job.ldo = rows;
                    run.fn(job, 0, rows, 0, tokens);
                    for (size_t i = 0; i < got.size(); ++i)
                        ASSERT_NEAR(got[i], expect[i], 1e-5f + 1e-4f * maxAbs)
                            << kernels::typeName(c.type) << " " << run.layout << " rows " << rows << " tokens " << tokens
                            << " at " << i;
                }
            }
    kernels::setCpuIsa(saved);
    // Q4_0, Q8_0, IQ4_NL, Q4_K, Q5_K, Q6_K, IQ4_XS, TQ2_0, TQ1_0: 2 row counts x 3 token counts each
    EXPECT_EQ(checkedX8, 9 * 2 * 3);
}

}  // namespace
