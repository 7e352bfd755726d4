#include "chat_template/model_chat.h"

#include <algorithm>
#include <cctype>

#include "assistant/tools.h"
#include "common/log.h"

namespace chat_template {

namespace {

bool mentionsTools(std::span<const assistant::Message> messages, std::span<const assistant::ToolDefinition> tools) {
    if (!tools.empty()) return true;
    for (const assistant::Message& m : messages)
        if (!m.toolCalls.empty() || m.role == "tool") return true;
    return false;
}

// JSON text as a value (arguments, parameters); text that is not JSON stays a string.
json::Value jsonOrString(const std::string& text, json::Value fallback) {
    if (text.empty()) return fallback;
    auto parsed = json::Value::parse(text);
    return parsed ? std::move(*parsed) : json::Value(text);
}

// Mistral's templates insist on 9 alphanumeric characters; other ids map onto such
// a name stably, so a call and its result still pair up.
std::string mistralCallId(const std::string& id) {
    const bool fits = id.size() == 9 && std::all_of(id.begin(), id.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
    if (fits) return id;
    static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    uint64_t h = 1469598103934665603ull;  // FNV-1a
    for (unsigned char c : id) h = (h ^ c) * 1099511628211ull;
    std::string out;
    for (int i = 0; i < 9; ++i, h /= 62) out += kChars[h % 62];
    return out;
}

json::Value messageValue(const assistant::Message& m, assistant::ToolCallSyntax syntax) {
    json::Value msg = json::Value(json::Object{});
    msg.set("role", m.role);
    msg.set("content", m.content);
    auto callId = [&](const std::string& id) { return syntax == assistant::ToolCallSyntax::Mistral ? mistralCallId(id) : id; };
    // Only present when set: Llama 3.1's template tests `'tool_calls' in message`.
    if (!m.toolCalls.empty()) {
        json::Value calls = json::Value(json::Array{});
        for (const assistant::ToolCall& c : m.toolCalls) {
            json::Value function = json::Value(json::Object{});
            function.set("name", c.name);
            // DeepSeek's and functionary's templates print the arguments as they are: JSON text.
            const bool asText = syntax == assistant::ToolCallSyntax::DeepSeek || syntax == assistant::ToolCallSyntax::Functionary;
            function.set("arguments", asText ? json::Value(c.arguments.empty() ? std::string("{}") : c.arguments)
                                             : jsonOrString(c.arguments, json::Value(json::Object{})));
            json::Value call = json::Value(json::Object{});
            call.set("id", callId(c.id));
            call.set("type", "function");
            call.set("function", std::move(function));
            calls.push(std::move(call));
        }
        msg.set("tool_calls", std::move(calls));
    }
    if (!m.toolCallId.empty()) msg.set("tool_call_id", callId(m.toolCallId));
    if (!m.name.empty()) msg.set("name", m.name);
    return msg;
}

json::Value toolsValue(std::span<const assistant::ToolDefinition> tools) {
    if (tools.empty()) return json::Value();
    json::Value list = json::Value(json::Array{});
    for (const assistant::ToolDefinition& t : tools) {
        json::Value function = json::Value(json::Object{});
        function.set("name", t.name);
        function.set("description", t.description);
        function.set("parameters", jsonOrString(t.parameters, json::Value(json::Object{{"type", "object"}, {"properties", json::Value(json::Object{})}})));
        list.push(json::Value(json::Object{{"type", "function"}, {"function", std::move(function)}}));
    }
    return list;
}

}  // namespace

std::vector<assistant::Message> genericToolMessages(std::span<const assistant::Message> messages,
                                                    std::span<const assistant::ToolDefinition> tools, bool systemRole) {
    std::vector<assistant::Message> out;
    if (!tools.empty()) {
        const std::string prompt = assistant::genericToolsPrompt(tools);
        if (!systemRole && !messages.empty() && messages.front().role == "user") {
            out.push_back({"user", prompt + "\n\n" + messages.front().content});
            messages = messages.subspan(1);
        } else if (!messages.empty() && messages.front().role == "system") {
            out.push_back({"system", messages.front().content + "\n\n" + prompt});
            messages = messages.subspan(1);
        } else {
            out.push_back({"system", prompt});
        }
    }
    for (const assistant::Message& m : messages) {
        if (m.role == "tool") {
            const std::string response = "<tool_response>\n" + m.content + "\n</tool_response>";
            // Consecutive results share one user turn: templates want roles to alternate.
            if (!out.empty() && out.back().role == "user" && out.back().content.starts_with("<tool_response>"))
                out.back().content += "\n" + response;
            else
                out.push_back({"user", response});
            continue;
        }
        assistant::Message plain{m.role, m.content};
        for (const assistant::ToolCall& c : m.toolCalls) {
            if (!plain.content.empty()) plain.content += "\n";
            plain.content += assistant::formatToolCall(assistant::ToolCallSyntax::Generic, c);
        }
        out.push_back(std::move(plain));
    }
    return out;
}

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
        chat.toolSyntax = assistant::toolCallSyntaxOf(text);
    } else {
        assistant::detail::log(assistant::LogLevel::Warning, overrideText.empty() ? "the model's" : "the override",
                               " chat template is not supported (", compiled.error().describe(),
                               "); using the built-in '", builtinFormatName(detected), "' format");
    }
    return chat;
}

assistant::Result<std::string> renderMessages(const ModelChat& chat, std::span<const assistant::Message> messages,
                                              bool addGenerationPrompt, std::span<const assistant::ToolDefinition> tools,
                                              const RenderOptions& options) {
    if (chat.toolSyntax == assistant::ToolCallSyntax::Generic && mentionsTools(messages, tools)) {
        auto out = renderMessages(chat, genericToolMessages(messages, tools), addGenerationPrompt, {}, options);
        if (out || tools.empty() || messages.empty() || messages.front().role != "user") return out;
        // A template without a system role (Gemma 2 raises): the tools open the first user turn.
        return renderMessages(chat, genericToolMessages(messages, tools, false), addGenerationPrompt, {}, options);
    }
    if (!chat.jinja) return renderBuiltin(chat.builtin, messages, addGenerationPrompt);
    json::Value list = json::Value(json::Array{});
    for (const assistant::Message& m : messages) list.push(messageValue(m, chat.toolSyntax));
    json::Value context = json::Value(json::Object{});
    context.set("messages", std::move(list));
    // transformers always passes these two, None when the caller gives none: templates
    // written against it test `tools is not none` as often as `tools is defined`.
    context.set("tools", toolsValue(tools));
    context.set("documents", json::Value());
    context.set("add_generation_prompt", addGenerationPrompt);
    context.set("bos_token", chat.bosToken);
    context.set("eos_token", chat.eosToken);
    auto out = chat.jinja->render(context, options);
    if (out) return std::move(*out);
    if (out.error().kind == TemplateError::Kind::Raised)
        return std::unexpected(assistant::Error{assistant::ErrorCode::TemplateError,
                                                "chat template: " + out.error().message});
    assistant::detail::log(assistant::LogLevel::Warning, "chat template failed (", out.error().describe(),
                           "); using the built-in '", builtinFormatName(chat.builtin), "' format");
    return renderBuiltin(chat.builtin, messages, addGenerationPrompt);
}

}  // namespace chat_template
