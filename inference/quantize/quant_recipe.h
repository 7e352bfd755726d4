// Which type each tensor of a model gets when it is quantized to a target
// ("Q4_K_M", "Q8_0", "TQ2_0", ...). The rules, in order:
//  - 1-D tensors, norms, biases, routers (ffn_gate_inp), position / token-type
//    embeddings and rope factor tables stay F32;
//  - the output projection (or the token embedding when it is tied to the output)
//    gets Q6_K unless the target is Q8_0, Q6_K or a float type;
//  - the "_M" recipes give attn_v and ffn_down Q6_K on the layers that matter most
//    (the first and last eighth of the stack and every third layer between);
//  - an untied token embedding of a ternary target gets Q4_K (ternary embeddings
//    lose too much);
//  - a type whose block does not divide the row length falls back to the closest
//    32-element type (Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0, Q2_K/Q3_K/IQ4_XS -> IQ4_NL,
//    TQ1_0/TQ2_0 -> Q4_0), and to F16 when not even 32 divides it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/ggml_type.h"

namespace quantize {

struct Recipe {
    std::string name;            // as the user typed it, upper case ("Q4_K_M")
    kernels::GgmlType base;      // the type most matrices get
    bool moreBitsOnSensitive = false;  // the _M recipes
    uint32_t fileType = 0;       // general.file_type (llama.cpp's LLAMA_FTYPE numbering)
};

// nullopt for an unknown name. Accepted: F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0
// Q2_K Q3_K Q4_K Q5_K Q6_K Q4_K_M Q5_K_M IQ4_NL IQ4_XS TQ1_0 TQ2_0 (case-insensitive).
std::optional<Recipe> findRecipe(std::string_view name);
std::string recipeNames();  // "F32, F16, ..." for messages

struct TensorDesc {
    std::string_view name;
    std::vector<int64_t> shape;  // shape[0] = row length
};

// The type tensor `t` gets. nLayer is the model's block count; outputTied is true
// when the model has no output.weight (token_embd doubles as the output).
kernels::GgmlType chooseType(const Recipe& recipe, const TensorDesc& t, int64_t nLayer, bool outputTied);

}  // namespace quantize
