// A pre-norm decoder (RMSNorm, attention, RMSNorm, SwiGLU FFN per layer) whose
// attention projections follow `layout`; shared by qwen2.cpp and qwen3.cpp.
#pragma once

#include <memory>

#include "arch/arch.h"
#include "arch/decoder_blocks.h"

namespace arch {

assistant::Result<std::unique_ptr<Architecture>> makePreNormDecoder(const gguf::File& f, Hparams h,
                                                                   AttentionLayout layout);

}  // namespace arch
