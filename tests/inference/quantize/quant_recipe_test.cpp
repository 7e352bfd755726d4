// Which type each tensor gets, recipe by recipe.
#include <gtest/gtest.h>

#include "quantize/quant_recipe.h"

using kernels::GgmlType;
using quantize::chooseType;
using quantize::findRecipe;

namespace {

GgmlType pick(const char* recipe, const char* name, std::vector<int64_t> shape, int64_t nLayer = 32,
              bool tied = false) {
    return chooseType(*findRecipe(recipe), {name, std::move(shape)}, nLayer, tied);
}

}  // namespace

TEST(QuantRecipe, NamesAreCaseInsensitiveAndUnknownIsNullopt) {
    EXPECT_TRUE(findRecipe("q4_k_m"));
    EXPECT_EQ(findRecipe("Q4_K_M")->base, GgmlType::Q4_K);
    EXPECT_FALSE(findRecipe("Q7_0"));
    ASSERT_TRUE(findRecipe("iq4_xs"));
    EXPECT_EQ(findRecipe("IQ4_XS")->base, GgmlType::IQ4_XS);
    EXPECT_EQ(findRecipe("IQ4_XS")->fileType, 30u);  // LLAMA_FTYPE_MOSTLY_IQ4_XS
    EXPECT_NE(quantize::recipeNames().find("TQ2_0"), std::string::npos);
}

TEST(QuantRecipe, Iq4XsMatricesAndAQ6KOutput) {
    EXPECT_EQ(pick("IQ4_XS", "blk.0.ffn_up.weight", {2048, 5632}), GgmlType::IQ4_XS);
    EXPECT_EQ(pick("IQ4_XS", "blk.0.attn_v.weight", {2048, 256}), GgmlType::IQ4_XS);
    EXPECT_EQ(pick("IQ4_XS", "output.weight", {2048, 32000}), GgmlType::Q6_K);
    EXPECT_EQ(pick("IQ4_XS", "blk.0.attn_norm.weight", {2048}), GgmlType::F32);
}

TEST(QuantRecipe, NormsBiasesAndRoutersStayF32) {
    EXPECT_EQ(pick("Q4_0", "blk.0.attn_norm.weight", {2048}), GgmlType::F32);
    EXPECT_EQ(pick("Q4_0", "blk.0.attn_q.bias", {2048}), GgmlType::F32);
    EXPECT_EQ(pick("Q4_0", "blk.0.ffn_gate_inp.weight", {2048, 8}), GgmlType::F32);
    EXPECT_EQ(pick("Q4_0", "blk.0.attn_q_norm.weight", {64}), GgmlType::F32);
    EXPECT_EQ(pick("Q4_0", "position_embd.weight", {768, 512}), GgmlType::F32);
}

TEST(QuantRecipe, OutputGetsQ6KExceptForQ8_0) {
    EXPECT_EQ(pick("Q4_0", "output.weight", {2048, 32000}), GgmlType::Q6_K);
    EXPECT_EQ(pick("Q4_0", "token_embd.weight", {2048, 32000}), GgmlType::Q4_0);
    EXPECT_EQ(pick("Q4_0", "token_embd.weight", {2048, 32000}, 32, true), GgmlType::Q6_K);
    EXPECT_EQ(pick("Q8_0", "output.weight", {2048, 32000}), GgmlType::Q8_0);
    EXPECT_EQ(pick("F16", "output.weight", {2048, 32000}), GgmlType::F16);
}

TEST(QuantRecipe, MediumRecipesGiveSensitiveLayersMoreBits) {
    // 32 layers: 0..3 and 28..31, plus 4 + 3k + 2 = 6, 9, ..., 27
    for (int layer : {0, 3, 6, 9, 27, 28, 31}) {
        const std::string v = "blk." + std::to_string(layer) + ".attn_v.weight";
        const std::string down = "blk." + std::to_string(layer) + ".ffn_down.weight";
        EXPECT_EQ(pick("Q4_K_M", v.c_str(), {2048, 256}), GgmlType::Q6_K) << v;
        EXPECT_EQ(pick("Q4_K_M", down.c_str(), {5632, 2048}), GgmlType::Q6_K) << down;
        EXPECT_EQ(pick("Q4_K", v.c_str(), {2048, 256}), GgmlType::Q4_K) << v;
    }
    for (int layer : {4, 5, 7, 26})
        EXPECT_EQ(pick("Q4_K_M", ("blk." + std::to_string(layer) + ".attn_v.weight").c_str(), {2048, 256}),
                  GgmlType::Q4_K);
    EXPECT_EQ(pick("Q4_K_M", "blk.6.attn_q.weight", {2048, 2048}), GgmlType::Q4_K);
    EXPECT_EQ(pick("Q5_K_M", "blk.0.ffn_down.weight", {5632, 2048}), GgmlType::Q6_K);
}

TEST(QuantRecipe, RowsThatBlocksDoNotDivideFallBack) {
    EXPECT_EQ(pick("Q4_K_M", "blk.4.attn_q.weight", {960, 960}), GgmlType::Q5_0);
    EXPECT_EQ(pick("Q5_K", "blk.4.attn_q.weight", {960, 960}), GgmlType::Q5_1);
    EXPECT_EQ(pick("Q6_K", "blk.4.attn_q.weight", {960, 960}), GgmlType::Q8_0);
    EXPECT_EQ(pick("Q2_K", "blk.4.attn_q.weight", {960, 960}), GgmlType::IQ4_NL);
    EXPECT_EQ(pick("IQ4_XS", "blk.4.attn_q.weight", {960, 960}), GgmlType::IQ4_NL);
    EXPECT_EQ(pick("TQ2_0", "blk.4.attn_q.weight", {960, 960}), GgmlType::Q4_0);
    EXPECT_EQ(pick("Q4_0", "blk.4.attn_q.weight", {100, 960}), GgmlType::F16);
}

TEST(QuantRecipe, TernaryKeepsEmbeddingsAtFourBits) {
    EXPECT_EQ(pick("TQ1_0", "blk.0.ffn_up.weight", {2048, 5632}), GgmlType::TQ1_0);
    EXPECT_EQ(pick("TQ1_0", "token_embd.weight", {2048, 32000}), GgmlType::Q4_K);
    EXPECT_EQ(pick("TQ2_0", "output.weight", {2048, 32000}), GgmlType::Q6_K);
}
