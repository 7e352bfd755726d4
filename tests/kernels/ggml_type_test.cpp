#include <gtest/gtest.h>

#include "kernels/ggml_type.h"

using kernels::GgmlType;

TEST(GgmlType, BlockGeometryMatchesTheFormat) {
    struct Case { GgmlType type; uint32_t block, bytes; };
    const Case cases[] = {
        {GgmlType::F32, 1, 4},      {GgmlType::F16, 1, 2},     {GgmlType::BF16, 1, 2},
        {GgmlType::Q4_0, 32, 18},   {GgmlType::Q4_1, 32, 20},  {GgmlType::Q5_0, 32, 22},
        {GgmlType::Q5_1, 32, 24},   {GgmlType::Q8_0, 32, 34},  {GgmlType::Q2_K, 256, 84},
        {GgmlType::Q3_K, 256, 110}, {GgmlType::Q4_K, 256, 144}, {GgmlType::Q5_K, 256, 176},
        {GgmlType::Q6_K, 256, 210}, {GgmlType::Q8_K, 256, 292}, {GgmlType::IQ4_NL, 32, 18},
        {GgmlType::IQ4_XS, 256, 136}, {GgmlType::TQ1_0, 256, 54}, {GgmlType::TQ2_0, 256, 66},
    };
    for (const Case& c : cases) {
        const auto& t = kernels::traits(c.type);
        EXPECT_EQ(t.blockSize, c.block) << t.name;
        EXPECT_EQ(t.blockBytes, c.bytes) << t.name;
    }
}

TEST(GgmlType, UnknownIdsAreRejected) {
    for (uint32_t id : {4u, 5u, 31u, 32u, 33u, 36u, 40u, 1000u, 0xFFFFFFFFu})
        EXPECT_FALSE(kernels::typeTraits(id).has_value()) << id;
    ASSERT_TRUE(kernels::typeTraits(8).has_value());
    EXPECT_EQ(kernels::typeTraits(8)->name, "Q8_0");
}

TEST(GgmlType, RowBytes) {
    EXPECT_EQ(kernels::rowBytes(GgmlType::Q4_0, 4096), 4096u / 32 * 18);
    EXPECT_EQ(kernels::rowBytes(GgmlType::F16, 7), 14u);
    EXPECT_EQ(kernels::rowBytes(GgmlType::Q6_K, 512), 2u * 210);
}
