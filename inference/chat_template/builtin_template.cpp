#include "chat_template/builtin_template.h"

#include <array>
#include <utility>

namespace chat_template {

namespace {

constexpr std::array<std::pair<std::string_view, BuiltinFormat>, 6> kNames = {{
    {"plain", BuiltinFormat::Plain},
    {"chatml", BuiltinFormat::ChatMl},
    {"llama3", BuiltinFormat::Llama3},
    {"mistral", BuiltinFormat::Mistral},
    {"phi3", BuiltinFormat::Phi3},
    {"gemma", BuiltinFormat::Gemma},
}};

bool contains(std::string_view text, std::string_view what) { return text.find(what) != std::string_view::npos; }

// The system text (if the first message is one) and where the turns start.
std::pair<std::string, size_t> splitSystem(std::span<const assistant::Message> messages) {
    if (!messages.empty() && messages.front().role == "system") return {messages.front().content, 1};
    return {"", 0};
}

std::string renderMistral(std::span<const assistant::Message> messages) {
    auto [system, first] = splitSystem(messages);
    std::string out = "<s>";
    for (size_t i = first; i < messages.size(); ++i) {
        const assistant::Message& m = messages[i];
        if (m.role == "assistant") {
            out += " " + m.content + "</s>";
            continue;
        }
        std::string content = m.content;
        if (!system.empty()) content = std::exchange(system, "") + "\n\n" + content;
        out += "[INST] " + content + " [/INST]";
    }
    return out;
}

std::string renderGemma(std::span<const assistant::Message> messages, bool addGenerationPrompt) {
    auto [system, first] = splitSystem(messages);
    std::string out = "<bos>";
    for (size_t i = first; i < messages.size(); ++i) {
        const assistant::Message& m = messages[i];
        std::string content = m.content;
        if (m.role == "user" && !system.empty()) content = std::exchange(system, "") + "\n\n" + content;
        out += "<start_of_turn>" + std::string(m.role == "assistant" ? "model" : m.role) + "\n" + content +
               "<end_of_turn>\n";
    }
    if (addGenerationPrompt) out += "<start_of_turn>model\n";
    return out;
}

}  // namespace

std::optional<BuiltinFormat> builtinFormatByName(std::string_view name) {
    for (const auto& [n, f] : kNames)
        if (n == name) return f;
    return std::nullopt;
}

std::string_view builtinFormatName(BuiltinFormat format) {
    for (const auto& [n, f] : kNames)
        if (f == format) return n;
    return "plain";
}

BuiltinFormat detectFormat(std::string_view text, std::string_view architecture, const VocabHints& vocab) {
    if (contains(text, "<|start_header_id|>")) return BuiltinFormat::Llama3;
    if (contains(text, "<|im_start|>")) return BuiltinFormat::ChatMl;
    if (contains(text, "<start_of_turn>")) return BuiltinFormat::Gemma;
    if (contains(text, "<|user|>") && contains(text, "<|end|>")) return BuiltinFormat::Phi3;
    if (contains(text, "[INST]")) return BuiltinFormat::Mistral;
    if (architecture.starts_with("gemma")) return BuiltinFormat::Gemma;
    if (architecture == "phi3") return BuiltinFormat::Phi3;
    if (architecture.starts_with("qwen")) return BuiltinFormat::ChatMl;
    if (vocab.headerId) return BuiltinFormat::Llama3;
    if (vocab.imStart) return BuiltinFormat::ChatMl;
    if (vocab.startOfTurn) return BuiltinFormat::Gemma;
    if (vocab.phiUser) return BuiltinFormat::Phi3;
    if (vocab.inst) return BuiltinFormat::Mistral;
    return BuiltinFormat::Plain;
}

std::string renderBuiltin(BuiltinFormat format, std::span<const assistant::Message> messages,
                          bool addGenerationPrompt) {
    std::string out;
    switch (format) {
    case BuiltinFormat::ChatMl:
        for (const auto& m : messages) out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
        if (addGenerationPrompt) out += "<|im_start|>assistant\n";
        break;
    case BuiltinFormat::Llama3:
        out += "<|begin_of_text|>";
        for (const auto& m : messages)
            out += "<|start_header_id|>" + m.role + "<|end_header_id|>\n\n" + m.content + "<|eot_id|>";
        if (addGenerationPrompt) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
        break;
    case BuiltinFormat::Mistral:
        out = renderMistral(messages);  // the [/INST] itself is the generation prompt
        break;
    case BuiltinFormat::Phi3:
        for (const auto& m : messages) out += "<|" + m.role + "|>\n" + m.content + "<|end|>\n";
        if (addGenerationPrompt) out += "<|assistant|>\n";
        break;
    case BuiltinFormat::Gemma:
        out = renderGemma(messages, addGenerationPrompt);
        break;
    case BuiltinFormat::Plain:
        // Not a chat model: the conversation is the text to continue.
        for (const auto& m : messages) {
            if (m.content.empty()) continue;
            if (!out.empty()) out += "\n";
            out += m.content;
        }
        break;
    }
    return out;
}

}  // namespace chat_template
