// The draft model a user names for speculative decoding (--draft FILE | self:TYPE in
// generate, chat and serve): a GGUF file with the model's vocabulary, or the model's
// own file requantized at load to a low-bit type (self-speculation).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "assistant/engine.h"

namespace app {

// True for "self:TYPE" and for anything that is not "prompt-lookup" or "none": a file.
bool namesDraftModel(std::string_view choice);

// Loads the draft `choice` names for `target` (loaded from targetPath): "self:TYPE"
// loads targetPath again with ModelParams::requantize = TYPE, anything else is a file.
// The draft runs on the device the target's layers run on. Checked with
// assistant::checkDraftModel: another vocabulary is InvalidArgument naming the difference.
assistant::Result<std::shared_ptr<const assistant::Model>> loadDraftModel(std::string_view choice,
                                                                          const std::string& targetPath,
                                                                          const assistant::Model& target);

}  // namespace app
