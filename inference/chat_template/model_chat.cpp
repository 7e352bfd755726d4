#include "chat_template/model_chat.h"

#include "src/log.h"

namespace chat_template {

ModelChat prepareModelChat(std::string_view ggufTemplate, std::string_view overrideText, BuiltinFormat detected,
                           std::string bosToken, std::string eosToken) {
    ModelChat chat;
    chat.builtin = detected;
    chat.bosToken = std::move(bosToken);
    chat.eosToken = std::move(eosToken);
    if (auto named = builtinFormatByName(overrideText)) {
        chat.builtin = *named;
        return chat;
    }
    const std::string_view text = overrideText.empty() ? ggufTemplate : overrideText;
    if (text.empty()) return chat;
    auto compiled = Template::parse(text);
    if (compiled) {
        chat.jinja = std::move(*compiled);
    } else {
        assistant::detail::log(assistant::LogLevel::Warning, overrideText.empty() ? "the model's" : "the override",
                               " chat template is not supported (", compiled.error().describe(),
                               "); using the built-in '", builtinFormatName(detected), "' format");
    }
    return chat;
}

assistant::Result<std::string> renderMessages(const ModelChat& chat, std::span<const assistant::Message> messages,
                                              bool addGenerationPrompt) {
    if (!chat.jinja) return renderBuiltin(chat.builtin, messages, addGenerationPrompt);
    json::Value list = json::Value(json::Array{});
    for (const assistant::Message& m : messages) {
        json::Value msg = json::Value(json::Object{});
        msg.set("role", m.role);
        msg.set("content", m.content);
        list.push(std::move(msg));
    }
    json::Value context = json::Value(json::Object{});
    context.set("messages", std::move(list));
    // transformers always passes these two, None when the caller gives none: templates
    // written against it test `tools is not none` as often as `tools is defined`.
    context.set("tools", json::Value());
    context.set("documents", json::Value());
    context.set("add_generation_prompt", addGenerationPrompt);
    context.set("bos_token", chat.bosToken);
    context.set("eos_token", chat.eosToken);
    auto out = chat.jinja->render(context, RenderOptions{});
    if (out) return std::move(*out);
    if (out.error().kind == TemplateError::Kind::Raised)
        return std::unexpected(assistant::Error{assistant::ErrorCode::TemplateError,
                                                "chat template: " + out.error().message});
    assistant::detail::log(assistant::LogLevel::Warning, "chat template failed (", out.error().describe(),
                           "); using the built-in '", builtinFormatName(chat.builtin), "' format");
    return renderBuiltin(chat.builtin, messages, addGenerationPrompt);
}

}  // namespace chat_template
