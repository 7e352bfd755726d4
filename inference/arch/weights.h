// Binding named GGUF tensors to the shapes an architecture expects. Matrices stay
// in the mapping; small vectors (norm weights, biases) are converted to float.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "assistant/engine.h"
#include "kernels/ops.h"

namespace gguf {
class File;
}

namespace arch {

// Tensor `name` of shape [cols, rows] (GGUF order), in a type the kernels compute.
assistant::Result<kernels::Matrix> bindMatrix(const gguf::File& f, const std::string& name, int64_t cols,
                                              int64_t rows);
// Same, but a missing tensor is not an error (nullopt).
assistant::Result<std::optional<kernels::Matrix>> bindOptionalMatrix(const gguf::File& f, const std::string& name,
                                                                     int64_t cols, int64_t rows);
// A 1-D tensor of n elements as floats.
assistant::Result<std::vector<float>> bindVector(const gguf::File& f, const std::string& name, int64_t n);
assistant::Result<std::optional<std::vector<float>>> bindOptionalVector(const gguf::File& f, const std::string& name,
                                                                        int64_t n);

// Rows [firstRow, firstRow + rows) of a 2-D tensor of shape [cols, totalRows]: a view
// into the mapping, for fused tensors (Phi-3's attn_qkv = [q; k; v], ffn_up = [gate; up]).
assistant::Result<kernels::Matrix> bindMatrixRows(const gguf::File& f, const std::string& name, int64_t cols,
                                                  int64_t totalRows, int64_t firstRow, int64_t rows);

// The nExpert matrices of a 3-D expert tensor of shape [cols, rows, nExpert]. When all
// the file's experts fit in half of physical memory they are repacked for the CPU
// kernels (repackForCpu) and the mapping released; otherwise each is a view into the
// mapping, so a model larger than RAM pages its experts in as they are routed to.
// ASSISTANT_MOE_REPACK=0 or 1 overrides the choice.
assistant::Result<std::vector<kernels::Matrix>> bindExperts(const gguf::File& f, const std::string& name,
                                                            int64_t cols, int64_t rows, int64_t nExpert);

// "blk.<layer>.<suffix>"
std::string layerTensor(int64_t layer, const char* suffix);

// dst = *expr, or return its error from the enclosing function (Result or Status).
#define BIND(dst, expr)                                  \
    do {                                                 \
        auto r_ = (expr);                                \
        if (!r_) return std::unexpected(r_.error());     \
        dst = std::move(*r_);                            \
    } while (0)

}  // namespace arch
