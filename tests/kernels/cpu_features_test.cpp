#include <gtest/gtest.h>

#include "kernels/cpu_features.h"

TEST(CpuFeatures, ImplicationsHold) {
    const kernels::CpuFeatures& f = kernels::cpuFeatures();
    // Every x86-64 CPU that runs these tests has SSE4.2 (x86-64-v2) in practice;
    // wider levels imply narrower ones.
    EXPECT_TRUE(!f.avx2 || f.avx);
    EXPECT_TRUE(!(f.avx512bw || f.avx512vl || f.avx512vnni) || f.avx512f);
    EXPECT_TRUE(!f.avx512f || f.avx2);
    EXPECT_TRUE(!f.amxInt8 || f.amxTile);
    EXPECT_GE(f.logicalCores, 1);
    EXPECT_GE(f.physicalCores, 1);
    EXPECT_LE(f.physicalCores, f.logicalCores);
}

TEST(CpuFeatures, FeatureStringListsDetectedOnes) {
    kernels::CpuFeatures f;
    f.avx2 = true;
    f.avx512vnni = true;
    EXPECT_EQ(kernels::cpuFeatureString(f), "avx2 avx512vnni");
    EXPECT_EQ(kernels::cpuFeatureString(kernels::CpuFeatures{}), "");
}
