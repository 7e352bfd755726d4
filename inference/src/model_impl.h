// What a loaded Model holds. Shared read-only by every Session of the model.
#pragma once

#include <memory>

#include "arch/arch.h"
#include "chat_template/model_chat.h"
#include "assistant/engine.h"
#include "gguf/gguf_file.h"
#include "src/gpu_offload.h"
#include "tokenizer/tokenizer.h"

namespace assistant {

struct Model::Impl {
    ModelInfo info;
    std::unique_ptr<gguf::File> file;            // the mapping the weights point into
    std::unique_ptr<tokenizer::Tokenizer> tokenizer;
    std::unique_ptr<arch::Architecture> arch;
    chat_template::ModelChat chat;               // the chat template or built-in format, chosen at load
    std::unique_ptr<arch::GpuModel> gpu;         // offloaded layers (ModelParams::device), or null
};

}  // namespace assistant
