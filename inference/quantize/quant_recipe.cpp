#include "quantize/quant_recipe.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace quantize {
namespace {

using kernels::GgmlType;

constexpr struct {
    const char* name;
    GgmlType base;
    bool more;
    uint32_t fileType;
} kRecipes[] = {
    {"F32", GgmlType::F32, false, 0},      {"F16", GgmlType::F16, false, 1},
    {"Q4_0", GgmlType::Q4_0, false, 2},    {"Q4_1", GgmlType::Q4_1, false, 3},
    {"Q8_0", GgmlType::Q8_0, false, 7},    {"Q5_0", GgmlType::Q5_0, false, 8},
    {"Q5_1", GgmlType::Q5_1, false, 9},    {"Q2_K", GgmlType::Q2_K, false, 10},
    {"Q3_K", GgmlType::Q3_K, false, 11},   {"Q4_K", GgmlType::Q4_K, false, 14},
    {"Q4_K_M", GgmlType::Q4_K, true, 15},  {"Q5_K", GgmlType::Q5_K, false, 16},
    {"Q5_K_M", GgmlType::Q5_K, true, 17},  {"Q6_K", GgmlType::Q6_K, false, 18},
    {"IQ4_NL", GgmlType::IQ4_NL, false, 25}, {"IQ4_XS", GgmlType::IQ4_XS, false, 30},
    {"BF16", GgmlType::BF16, false, 32},
    {"TQ1_0", GgmlType::TQ1_0, false, 36}, {"TQ2_0", GgmlType::TQ2_0, false, 37},
};

bool contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }
bool isFloat(GgmlType t) { return t == GgmlType::F32 || t == GgmlType::F16 || t == GgmlType::BF16; }
bool isTernary(GgmlType t) { return t == GgmlType::TQ1_0 || t == GgmlType::TQ2_0; }

// "blk.12.ffn_down.weight" -> 12; -1 when the name has no block index.
int64_t layerOf(std::string_view name) {
    if (!name.starts_with("blk.")) return -1;
    return std::strtoll(std::string(name.substr(4)).c_str(), nullptr, 10);
}

// The layers where attn_v / ffn_down get more bits: first and last eighth, and every
// third layer in between.
bool sensitiveLayer(int64_t layer, int64_t nLayer) {
    if (layer < 0 || nLayer <= 0) return false;
    return layer < nLayer / 8 || layer >= 7 * nLayer / 8 || (layer - nLayer / 8) % 3 == 2;
}

GgmlType fitRow(GgmlType type, int64_t rowLength) {
    if (rowLength % kernels::traits(type).blockSize == 0) return type;
    GgmlType fallback = GgmlType::F16;
    switch (type) {
        case GgmlType::Q4_K: fallback = GgmlType::Q5_0; break;
        case GgmlType::Q5_K: fallback = GgmlType::Q5_1; break;
        case GgmlType::Q6_K: fallback = GgmlType::Q8_0; break;
        case GgmlType::Q2_K:
        case GgmlType::Q3_K:
        case GgmlType::IQ4_XS: fallback = GgmlType::IQ4_NL; break;
        case GgmlType::TQ1_0:
        case GgmlType::TQ2_0: fallback = GgmlType::Q4_0; break;
        default: break;
    }
    return rowLength % kernels::traits(fallback).blockSize == 0 ? fallback : GgmlType::F16;
}

}  // namespace

std::optional<Recipe> findRecipe(std::string_view name) {
    std::string upper(name);
    std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
    for (const auto& r : kRecipes)
        if (upper == r.name) return Recipe{upper, r.base, r.more, r.fileType};
    return std::nullopt;
}

std::string recipeNames() {
    std::string out;
    for (const auto& r : kRecipes) out += (out.empty() ? "" : ", ") + std::string(r.name);
    return out;
}

GgmlType chooseType(const Recipe& recipe, const TensorDesc& t, int64_t nLayer, bool outputTied) {
    const std::string_view n = t.name;
    const bool matrix = t.shape.size() >= 2 && n.ends_with(".weight");
    if (!matrix || contains(n, "norm") || contains(n, "ffn_gate_inp") || contains(n, "position_embd") ||
        contains(n, "token_types") || contains(n, "rope_"))
        return GgmlType::F32;
    if (isFloat(recipe.base)) return recipe.base;

    const bool isOutput = n == "output.weight" || (outputTied && n == "token_embd.weight");
    GgmlType type = recipe.base;
    if (isOutput) {
        if (recipe.base != GgmlType::Q8_0) type = GgmlType::Q6_K;
    } else if (n == "token_embd.weight") {
        if (isTernary(recipe.base)) type = GgmlType::Q4_K;
    } else if (recipe.moreBitsOnSensitive && (contains(n, "attn_v.") || contains(n, "ffn_down")) &&
               sensitiveLayer(layerOf(n), nLayer)) {
        type = GgmlType::Q6_K;
    }
    return fitRow(type, t.shape[0]);
}

}  // namespace quantize
