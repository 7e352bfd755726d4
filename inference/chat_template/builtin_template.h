// Built-in chat formats used when a model carries no tokenizer.chat_template (or
// until the Jinja interpreter renders it): ChatML, Llama-3, and plain text for
// models that are not chat models (the demo story model continues the text).
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "assistant/engine.h"

namespace chat_template {

enum class BuiltinFormat { Plain, ChatMl, Llama3 };

// Chooses a format from the template text and the vocabulary's special tokens.
BuiltinFormat detectFormat(std::string_view templateText, bool vocabHasImStart, bool vocabHasHeaderId);

std::string renderBuiltin(BuiltinFormat format, std::span<const assistant::Message> messages,
                          bool addGenerationPrompt);

}  // namespace chat_template
