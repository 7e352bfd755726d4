// Which tool-call syntax a chat template asks for, and the text of the generic one:
// the system message that describes the tools and a call written the model's way.
#include "assistant/tools.h"
#include "json/json.h"

namespace assistant {

namespace {

bool contains(std::string_view text, std::string_view what) { return text.find(what) != std::string_view::npos; }

// The arguments as JSON: the text itself when it is JSON, else as a JSON string.
std::string argumentsJson(const std::string& arguments) {
    if (arguments.empty()) return "{}";
    return json::Value::parse(arguments) ? arguments : json::quote(arguments);
}

}  // namespace

ToolCallSyntax toolCallSyntaxOf(std::string_view text) {
    // The specific markers first: GLM and Qwen3-Coder also name <tool_call>.
    if (contains(text, "<｜tool▁calls▁begin｜>") || contains(text, "<｜tool▁call▁begin｜>")) return ToolCallSyntax::DeepSeek;
    if (contains(text, "<|tool_calls_section_begin|>")) return ToolCallSyntax::Kimi;
    if (contains(text, "<|tool_call|>")) return ToolCallSyntax::Granite;
    if (contains(text, "to=functions.") || (contains(text, "<|channel|>") && contains(text, "<|call|>")))
        return ToolCallSyntax::Harmony;
    if (contains(text, "<tool_call>") && contains(text, "<arg_key>")) return ToolCallSyntax::Glm;
    if (contains(text, "<tool_call>") && contains(text, "<function=")) return ToolCallSyntax::Qwen3Coder;
    if (contains(text, "<tool_call>")) return ToolCallSyntax::Hermes;
    if (contains(text, "Action:") && contains(text, "tool_name")) return ToolCallSyntax::CommandR;
    if (contains(text, ">>>") && contains(text, "recipient")) return ToolCallSyntax::Functionary;
    if (contains(text, "[TOOL_CALLS]")) return ToolCallSyntax::Mistral;
    if (contains(text, "functools[")) return ToolCallSyntax::Phi4;
    // Llama 3.1 names <|python_tag|>; 3.2 and 3.3 only describe {"name", "parameters"}.
    if (contains(text, "<|python_tag|>") || (contains(text, "<|start_header_id|>") && contains(text, "\"parameters\"")))
        return ToolCallSyntax::Llama3;
    return ToolCallSyntax::Generic;
}

std::string_view toolCallSyntaxName(ToolCallSyntax syntax) {
    switch (syntax) {
        case ToolCallSyntax::Hermes: return "hermes";
        case ToolCallSyntax::Llama3: return "llama3";
        case ToolCallSyntax::Mistral: return "mistral";
        case ToolCallSyntax::Phi4: return "phi4";
        case ToolCallSyntax::DeepSeek: return "deepseek";
        case ToolCallSyntax::Granite: return "granite";
        case ToolCallSyntax::CommandR: return "command-r";
        case ToolCallSyntax::Functionary: return "functionary";
        case ToolCallSyntax::Kimi: return "kimi";
        case ToolCallSyntax::Glm: return "glm";
        case ToolCallSyntax::Qwen3Coder: return "qwen3-coder";
        case ToolCallSyntax::Harmony: return "harmony";
        case ToolCallSyntax::Generic: break;
    }
    return "generic";
}

std::string genericToolsPrompt(std::span<const ToolDefinition> tools) {
    std::string out =
        "You can call functions (tools) to help answer. Each one is listed as JSON: its name, what it does, "
        "and the JSON Schema of its arguments.\n<tools>\n";
    for (const ToolDefinition& t : tools) {
        json::Value entry = json::Value(json::Object{});
        entry.set("name", t.name);
        if (!t.description.empty()) entry.set("description", t.description);
        auto parameters = json::Value::parse(t.parameters);
        entry.set("parameters", parameters ? std::move(*parameters) : json::Value(json::Object{}));
        out += entry.dump() + "\n";
    }
    out +=
        "</tools>\nTo call a function, answer with its name and arguments as a JSON object inside "
        "<tool_call></tool_call> tags:\n<tool_call>\n{\"name\": \"<function name>\", \"arguments\": {<arguments>}}\n"
        "</tool_call>";
    return out;
}

std::string formatToolCall(ToolCallSyntax syntax, const ToolCall& call) {
    const std::string name = json::quote(call.name), args = argumentsJson(call.arguments);
    switch (syntax) {
        case ToolCallSyntax::Llama3: return "{\"name\": " + name + ", \"parameters\": " + args + "}";
        case ToolCallSyntax::Mistral: return "[TOOL_CALLS][{\"name\": " + name + ", \"arguments\": " + args + "}]";
        case ToolCallSyntax::Phi4: return "functools[{\"name\": " + name + ", \"arguments\": " + args + "}]";
        case ToolCallSyntax::DeepSeek:
            return "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>" + call.name + "<｜tool▁sep｜>" + args +
                   "<｜tool▁call▁end｜><｜tool▁calls▁end｜>";
        case ToolCallSyntax::Granite: return "<|tool_call|>[{\"name\": " + name + ", \"arguments\": " + args + "}]";
        case ToolCallSyntax::CommandR:
            return "Action: ```json\n[{\"tool_name\": " + name + ", \"parameters\": " + args + "}]\n```";
        case ToolCallSyntax::Functionary: return ">>>" + call.name + "\n" + args;
        case ToolCallSyntax::Kimi:
            return "<|tool_calls_section_begin|><|tool_call_begin|>functions." + call.name + ":0<|tool_call_argument_begin|>" +
                   args + "<|tool_call_end|><|tool_calls_section_end|>";
        case ToolCallSyntax::Harmony:
            return "<|channel|>commentary to=functions." + call.name + " <|constrain|>json<|message|>" + args + "<|call|>";
        case ToolCallSyntax::Glm:
        case ToolCallSyntax::Qwen3Coder:
        case ToolCallSyntax::Hermes:
        case ToolCallSyntax::Generic: break;
    }
    return "<tool_call>\n{\"name\": " + name + ", \"arguments\": " + args + "}\n</tool_call>";
}

}  // namespace assistant
