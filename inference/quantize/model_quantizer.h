// Writes a quantized copy of a GGUF model: every metadata key is copied (with
// general.file_type and general.quantization_version updated), each tensor gets the
// type quant_recipe.h chooses and is converted from its F32/F16/BF16 source row by
// row on a thread pool with the reference quantizers (kernels/ref). Tensors are
// streamed one at a time; the output appears under its name only when complete.
#pragma once

#include <string>

#include "assistant/model_tools.h"

namespace quantize {

// The parameters and statistics are the public ones (assistant/model_tools.h).
using QuantizeParams = assistant::QuantizeParams;
using QuantizeStats = assistant::QuantizeStats;

assistant::Result<QuantizeStats> quantizeModel(const QuantizeParams& params);

}  // namespace quantize
