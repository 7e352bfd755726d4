// Writes a quantized copy of a GGUF model: every metadata key is copied (with
// general.file_type and general.quantization_version updated), each tensor gets the
// type quant_recipe.h chooses and is converted from its F32/F16/BF16 source row by
// row on a thread pool with the reference quantizers (kernels/ref). Tensors are
// streamed one at a time; the output appears under its name only when complete.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "assistant/engine.h"

namespace quantize {

struct QuantizeParams {
    std::string input;
    std::string output;
    std::string type;    // a recipe name (quant_recipe.h)
    int threads = 0;     // 0: the physical core count
    // Called after each tensor with (tensors done, total); return false to cancel.
    std::function<bool(size_t done, size_t total)> progress;
};

struct QuantizeStats {
    uint64_t inputBytes = 0, outputBytes = 0;  // tensor data only
    size_t tensors = 0;
    std::map<std::string, size_t> typeCounts;  // type name -> tensors of that type
    double seconds = 0.0;
};

assistant::Result<QuantizeStats> quantizeModel(const QuantizeParams& params);

}  // namespace quantize
