// Writes a quantized copy of a GGUF model: every metadata key is copied (with
// general.file_type and general.quantization_version updated), each tensor gets the
// type quant_recipe.h chooses and is converted from its F32/F16/BF16 source row by
// row on a thread pool with the reference quantizers (kernels/ref). Tensors are
// streamed one at a time; the output appears under its name only when complete.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "assistant/model_tools.h"

namespace gguf {
class File;
}

namespace quantize {

// The parameters and statistics are the public ones (assistant/model_tools.h).
using QuantizeParams = assistant::QuantizeParams;
using QuantizeStats = assistant::QuantizeStats;

assistant::Result<QuantizeStats> quantizeModel(const QuantizeParams& params);

// A GGUF image in memory of `in` with its matrices converted to `type` by the same
// rules (quant_recipe.h), from any type the kernels can read (Q8_0 included): the
// weights of a self-speculative draft (ModelParams::requantize). A tensor the recipe
// would not make smaller keeps its own type. The image holds the whole model.
assistant::Result<std::vector<uint8_t>> quantizeImage(const gguf::File& in, std::string_view type, int threads);

}  // namespace quantize
