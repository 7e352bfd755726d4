// How a loaded model turns a conversation into its prompt: its own Jinja template
// (tokenizer.chat_template, or the user's override), else a built-in format.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "assistant/engine.h"
#include "chat_template/builtin_template.h"
#include "chat_template/chat_template.h"

namespace chat_template {

struct ModelChat {
    std::shared_ptr<const Template> jinja;  // null: render with `builtin`
    BuiltinFormat builtin = BuiltinFormat::Plain;  // also the fallback when the template fails at run time
    std::string bosToken, eosToken;         // the template's bos_token / eos_token variables
    // How the model writes tool calls: from the Jinja text; built-in formats are Generic.
    assistant::ToolCallSyntax toolSyntax = assistant::ToolCallSyntax::Generic;
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
// Tools: a template with a tool syntax gets `tools` and the messages' tool_calls,
// tool_call_id and name the way transformers passes them (arguments as objects). A
// Generic one gets plain messages instead: the tools described in the system message,
// earlier calls written as <tool_call> text, tool results as <tool_response> user turns.
assistant::Result<std::string> renderMessages(const ModelChat& chat, std::span<const assistant::Message> messages,
                                              bool addGenerationPrompt,
                                              std::span<const assistant::ToolDefinition> tools = {},
                                              const RenderOptions& options = {});

// The Generic rewrite above, on its own (the tests read it). systemRole false: the
// tools go in front of the first user message (templates that refuse a system role).
std::vector<assistant::Message> genericToolMessages(std::span<const assistant::Message> messages,
                                                    std::span<const assistant::ToolDefinition> tools,
                                                    bool systemRole = true);

}  // namespace chat_template
