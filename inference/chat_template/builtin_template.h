// Built-in chat formats: used when a model carries no tokenizer.chat_template, when
// its template does not parse, or when the user names one as the override.
// ChatML (Qwen, SmolLM, Hermes), Llama 3, Mistral ([INST]), Phi-3, Gemma, and plain
// text for models that are not chat models (the demo story model continues text).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "assistant/engine.h"

namespace chat_template {

enum class BuiltinFormat { Plain, ChatMl, Llama3, Mistral, Phi3, Gemma };

// "chatml", "llama3", "mistral", "phi3", "gemma", "plain" <-> format.
std::optional<BuiltinFormat> builtinFormatByName(std::string_view name);
std::string_view builtinFormatName(BuiltinFormat format);

// Which special tokens the vocabulary holds as control tokens.
struct VocabHints {
    bool imStart = false;      // <|im_start|>
    bool headerId = false;     // <|start_header_id|>
    bool inst = false;         // [INST]
    bool phiUser = false;      // <|user|>
    bool startOfTurn = false;  // <start_of_turn>
};

// The nearest built-in format: from the template text's markers first, then the
// architecture, then the vocabulary's special tokens; Plain when nothing fits.
BuiltinFormat detectFormat(std::string_view templateText, std::string_view architecture, const VocabHints& vocab);

// A system message is folded into the first user turn for formats without a system
// role (Mistral, Gemma), as those models' own templates do.
std::string renderBuiltin(BuiltinFormat format, std::span<const assistant::Message> messages,
                          bool addGenerationPrompt);

}  // namespace chat_template
