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

// "blk.<layer>.<suffix>"
std::string layerTensor(int64_t layer, const char* suffix);

}  // namespace arch
