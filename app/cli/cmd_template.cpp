// assistant-cli template: render a chat template exactly as the engine does (the
// conformance tests take the same path: assistant::renderChatTemplate). Prints the
// prompt byte for byte, with no newline added. Exit codes: 0 ok, 1 failure,
// 2 usage, 3 the template called raise_exception (its message on stderr).
#include <cstdio>

#include "assistant/model_tools.h"
#include "cli_common.h"
#include "commands.h"
#include "json/json.h"

namespace cli {

namespace {

constexpr int kExitRaised = 3;

std::optional<json::Value> readJsonFile(const std::string& path, const char* what, const char* cmd) {
    auto text = readTextFile(path, cmd);
    if (!text) return std::nullopt;
    auto value = json::Value::parse(*text, 1000);
    if (!value) {
        std::fprintf(stderr, "%s: %s %s: %s\n", cmd, what, path.c_str(), value.error().c_str());
        return std::nullopt;
    }
    return std::move(*value);
}

// The GGUF's tokenizer.chat_template, and its BOS/EOS texts as default variables.
bool readModelTemplate(const std::string& path, std::string& text, json::Value& vars, const char* cmd) {
    auto file = assistant::GgufInfo::open(path);
    if (!file) {
        printError(cmd, file.error());
        return false;
    }
    const auto tmpl = file->getString("tokenizer.chat_template");
    if (!tmpl) {
        std::fprintf(stderr, "%s: %s has no tokenizer.chat_template (use --template-file)\n", cmd, path.c_str());
        return false;
    }
    text = *tmpl;
    auto tokenText = [&](const char* key) -> std::optional<std::string> {
        const auto id = file->getUInt(key);
        return id ? file->arrayString("tokenizer.ggml.tokens", *id) : std::nullopt;
    };
    if (auto bos = tokenText("tokenizer.ggml.bos_token_id")) vars.set("bos_token", *bos);
    if (auto eos = tokenText("tokenizer.ggml.eos_token_id")) vars.set("eos_token", *eos);
    return true;
}

}  // namespace

int runTemplate(std::vector<std::string> argv) {
    const char* cmd = "template";
    Args args(std::move(argv));
    const auto modelPath = args.value("-m", "--model");
    const auto templateFile = args.value("--template-file");
    const auto messagesFile = args.value("--messages");
    const auto varsFile = args.value("--vars");
    const auto now = args.value("--now");
    const std::vector<std::string> rest = args.positional();
    if (!args.error().empty() || !rest.empty() || modelPath.has_value() == templateFile.has_value() || !messagesFile)
        return usageError(args, cmd,
                          !rest.empty() ? "unexpected argument"
                                        : "give one of -m MODEL.gguf or --template-file FILE, and --messages FILE");
    assistant::TemplateRenderOptions options;
    if (now) {
        options.now = assistant::parseTemplateTime(*now);
        if (!options.now) {
            std::fprintf(stderr, "%s: --now wants a time like 2025-07-26T14:05:09, not '%s'\n", cmd, now->c_str());
            return 2;
        }
    }

    std::string templateText;
    json::Value vars = json::Value(json::Object{});
    if (modelPath) {
        if (!readModelTemplate(*modelPath, templateText, vars, cmd)) return 1;
    } else {
        auto text = readTextFile(*templateFile, cmd);
        if (!text) return 1;
        templateText = std::move(*text);
    }
    auto messages = readJsonFile(*messagesFile, "messages", cmd);
    if (!messages) return 1;
    if (messages->isObject() && messages->find("messages")) messages = (*messages)["messages"];
    if (!messages->isArray()) {
        std::fprintf(stderr, "%s: %s must hold a JSON array of messages\n", cmd, messagesFile->c_str());
        return 1;
    }
    if (varsFile) {
        auto given = readJsonFile(*varsFile, "variables", cmd);
        if (!given) return 1;
        if (!given->isObject()) {
            std::fprintf(stderr, "%s: %s must hold a JSON object of template variables\n", cmd, varsFile->c_str());
            return 1;
        }
        for (const auto& [k, v] : given->asObject()) vars.set(k, v);
    }

    auto out = assistant::renderChatTemplate(templateText, *messages, vars, options);
    if (!out) {
        const bool raised = out.error().raised;
        std::fprintf(stderr, "%s: %s%s\n", cmd, raised ? "the template raised an exception: " : "",
                     out.error().message.c_str());
        return raised ? kExitRaised : 1;
    }
    std::fwrite(out->data(), 1, out->size(), stdout);
    return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace cli
