#include "chat_template/builtin_template.h"

namespace chat_template {

BuiltinFormat detectFormat(std::string_view templateText, bool vocabHasImStart, bool vocabHasHeaderId) {
    if (templateText.find("<|start_header_id|>") != std::string_view::npos) return BuiltinFormat::Llama3;
    if (templateText.find("<|im_start|>") != std::string_view::npos) return BuiltinFormat::ChatMl;
    if (templateText.empty()) {
        if (vocabHasHeaderId) return BuiltinFormat::Llama3;
        if (vocabHasImStart) return BuiltinFormat::ChatMl;
    }
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
