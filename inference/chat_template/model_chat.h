// How a loaded model turns a conversation into its prompt: its own Jinja template
// (tokenizer.chat_template, or the user's override), else a built-in format.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "assistant/engine.h"
#include "chat_template/builtin_template.h"
#include "chat_template/chat_template.h"

namespace chat_template {

struct ModelChat {
    std::shared_ptr<const Template> jinja;  // null: render with `builtin`
    BuiltinFormat builtin = BuiltinFormat::Plain;  // also the fallback when the template fails at run time
    std::string bosToken, eosToken;         // the template's bos_token / eos_token variables
};

// overrideText: ModelParams::chatTemplateOverride (a built-in name or Jinja text);
// ggufTemplate: tokenizer.chat_template; detected: the built-in format that fits the
// model. A template that does not parse logs a warning (with line and column) and
// falls back to `detected`.
ModelChat prepareModelChat(std::string_view ggufTemplate, std::string_view overrideText, BuiltinFormat detected,
                           std::string bosToken, std::string eosToken);

// Renders messages with add_generation_prompt, bos_token and eos_token set. A
// raise_exception from the template is a TemplateError (the model's own rule, e.g.
// "System role not supported"); any other render failure logs a warning and uses
// the built-in format.
assistant::Result<std::string> renderMessages(const ModelChat& chat, std::span<const assistant::Message> messages,
                                              bool addGenerationPrompt);

}  // namespace chat_template
