#include "ollama_protocol.h"

#include <cstdio>
#include <ctime>
#include <functional>

#include "json_fields.h"
#include "tool_protocol.h"

namespace server::ollama {

using json::Array;
using json::Object;
using json::Value;

namespace {

// Sampling under "options". Unknown options are ignored, as Ollama does; options that
// size the runtime (num_ctx, num_thread, num_gpu, ...) are the server's to choose.
std::optional<ApiError> readOptions(const Value& body, GenerationRequest& r) {
    r.params.maxTokens = 0;  // Ollama's num_predict default: until the end of text or the context
    const Value* o = field(body, "options");
    if (!o) return std::nullopt;
    if (!o->isObject()) return badParam("options", "'options' must be an object");
    assistant::SamplingParams& s = r.params.sampling;
    auto tagged = [](std::optional<ApiError> e) {
        if (e) e->param = "options." + e->param;
        return e;
    };
    if (auto e = tagged(readNumber(*o, "temperature", 0, 2, s.temperature))) return e;
    if (auto e = tagged(readNumber(*o, "top_p", 0, 1, s.topP))) return e;
    if (auto e = tagged(readNumber(*o, "min_p", 0, 1, s.minP))) return e;
    if (auto e = tagged(readNumber(*o, "repeat_penalty", 0, 10, s.repeatPenalty))) return e;
    if (auto e = tagged(readNumber(*o, "frequency_penalty", -2, 2, s.frequencyPenalty))) return e;
    if (auto e = tagged(readNumber(*o, "presence_penalty", -2, 2, s.presencePenalty))) return e;
    int64_t i = 0;
    if (field(*o, "top_k")) {
        if (auto e = tagged(readInt(*o, "top_k", 0, 1 << 20, i))) return e;
        s.topK = static_cast<int>(i);
    }
    if (field(*o, "repeat_last_n")) {
        if (auto e = tagged(readInt(*o, "repeat_last_n", -1, 1 << 20, i))) return e;
        s.repeatLastN = static_cast<int>(i);
    }
    if (field(*o, "seed")) {
        if (auto e = tagged(readInt(*o, "seed", INT64_MIN, INT64_MAX, i))) return e;
        s.seed = static_cast<uint64_t>(i);
    }
    if (field(*o, "num_predict")) {
        // -1: no limit; -2: until the context is full (the same here).
        if (auto e = tagged(readInt(*o, "num_predict", -2, 1 << 24, i))) return e;
        r.params.maxTokens = i > 0 ? static_cast<int>(i) : 0;
        if (i == 0) return badParam("options.num_predict", "'options.num_predict' must not be 0");
    }
    if (const Value* stop = field(*o, "stop")) {
        if (!stop->isArray()) return badParam("options.stop", "'options.stop' must be an array of strings");
        for (const Value& x : stop->asArray()) {
            if (!x.isString()) return badParam("options.stop", "'options.stop' must be an array of strings");
            if (!x.asString().empty()) r.params.stop.push_back(x.asString());
        }
    }
    return std::nullopt;
}

// Fields of both generation endpoints: model (required), stream (default true), options.
std::optional<ApiError> readCommon(const Value& body, GenerationRequest& r) {
    if (auto e = readString(body, "model", r.model)) return e;
    if (r.model.empty()) return badParam("model", "'model' is required");
    r.model = modelName(r.model);
    r.stream = true;
    if (auto e = readBool(body, "stream", r.stream)) return e;
    if (const Value* format = field(body, "format")) {  // "json", or a JSON Schema object
        if (format->isString() && format->asString() == "json") {
            r.params.grammar = assistant::jsonObjectGrammar();
        } else if (format->isObject()) {
            auto gbnf = assistant::jsonSchemaToGrammar(dumpJson(*format));
            if (!gbnf) return badParam("format", "invalid 'format' schema: " + gbnf.error().message);
            r.params.grammar = std::move(*gbnf);
        } else if (!(format->isString() && format->asString().empty())) {
            return badParam("format", "'format' must be \"json\" or a JSON Schema object");
        }
    }
    if (field(body, "images")) return badParam("images", "this server runs text models only: 'images' is not supported");
    return readOptions(body, r);
}

std::string parameterSize(uint64_t n) {
    char buf[32];
    if (n >= 1'000'000'000) std::snprintf(buf, sizeof buf, "%.1fB", double(n) / 1e9);
    else if (n >= 1'000'000) std::snprintf(buf, sizeof buf, "%.2fM", double(n) / 1e6);
    else std::snprintf(buf, sizeof buf, "%.2fK", double(n) / 1e3);
    return buf;
}

Value details(const assistant::ModelInfo& info) {
    return Object{{"parent_model", ""},
                  {"format", "gguf"},
                  {"family", info.architecture},
                  {"families", Array{info.architecture}},
                  {"parameter_size", parameterSize(info.parameterCount)},
                  {"quantization_level", info.fileType}};
}

}  // namespace

std::string modelName(std::string_view name) {
    constexpr std::string_view kLatest = ":latest";
    if (name.size() > kLatest.size() && name.ends_with(kLatest)) name.remove_suffix(kLatest.size());
    return std::string(name);
}

ApiResult<GenerationRequest> parseChat(const Value& body) {
    GenerationRequest r;
    if (auto e = readCommon(body, r)) return std::unexpected(*e);
    if (auto e = readTools(body, r)) return std::unexpected(*e);
    const Value* messages = field(body, "messages");
    if (!messages || !messages->isArray()) return std::unexpected(badParam("messages", "'messages' must be an array"));
    for (size_t i = 0; i < messages->size(); ++i) {
        const Value& m = messages->asArray()[i];
        const std::string param = "messages[" + std::to_string(i) + "]";
        if (!m.isObject()) return std::unexpected(badParam(param, "'" + param + "' must be an object"));
        assistant::Message msg;
        if (auto e = readString(m, "role", msg.role)) return std::unexpected(badParam(param + ".role", e->message));
        if (msg.role != "system" && msg.role != "user" && msg.role != "assistant" && msg.role != "tool")
            return std::unexpected(badParam(param + ".role", "'" + param + ".role' must be system, user, assistant or tool"));
        if (auto e = readString(m, "content", msg.content)) return std::unexpected(badParam(param + ".content", e->message));
        if (auto e = readMessageToolFields(m, param, msg)) return std::unexpected(*e);
        if (auto e = readString(m, "tool_name", msg.name)) return std::unexpected(badParam(param + ".tool_name", e->message));
        if (field(m, "images"))
            return std::unexpected(badParam(param + ".images", "this server runs text models only: 'images' is not supported"));
        r.messages.push_back(std::move(msg));
    }
    if (r.messages.empty()) return std::unexpected(badParam("messages", "'messages' must not be empty"));
    return r;
}

ApiResult<GenerateRequest> parseGenerate(const Value& body) {
    GenerateRequest g;
    GenerationRequest& r = g.request;
    if (auto e = readCommon(body, r)) return std::unexpected(*e);
    std::string prompt, system;
    if (auto e = readString(body, "prompt", prompt)) return std::unexpected(*e);
    if (auto e = readString(body, "system", system)) return std::unexpected(*e);
    if (auto e = readBool(body, "raw", g.raw)) return std::unexpected(*e);
    if (field(body, "suffix")) return std::unexpected(badParam("suffix", "'suffix' (fill-in-the-middle) is not supported"));
    if (field(body, "template"))
        return std::unexpected(badParam("template", "'template' is not supported: the model's own chat template is used"));
    if (field(body, "context"))
        return std::unexpected(badParam("context", "'context' (token ids of an earlier answer) is not supported; use /api/chat"));
    if (prompt.empty()) {
        g.loadOnly = true;
        return g;
    }
    if (g.raw) {
        r.prompt = std::move(prompt);
    } else {
        if (!system.empty()) r.messages.push_back({"system", std::move(system)});
        r.messages.push_back({"user", std::move(prompt)});
    }
    return g;
}

ApiResult<EmbeddingRequest> parseEmbed(const Value& body, bool legacy) {
    EmbeddingRequest r;
    if (auto e = readString(body, "model", r.model)) return std::unexpected(*e);
    r.model = modelName(r.model);
    const char* name = legacy ? "prompt" : "input";
    const Value* input = field(body, name);
    if (input && input->isString()) {
        r.inputs.push_back(input->asString());
    } else if (!legacy && input && input->isArray() && input->size() > 0 && input->size() <= 2048) {
        for (const Value& s : input->asArray()) {
            if (!s.isString()) return std::unexpected(badParam(name, "'input' must be a string or an array of strings"));
            r.inputs.push_back(s.asString());
        }
    } else {
        return std::unexpected(badParam(name, legacy ? "'prompt' must be a string"
                                                     : "'input' must be a string or a non-empty array of at most 2048 strings"));
    }
    return r;
}

const char* doneReason(assistant::StopReason reason) {
    return reason == assistant::StopReason::MaxTokens || reason == assistant::StopReason::ContextFull ? "length" : "stop";
}

std::string timestamp(std::chrono::system_clock::time_point t) {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
    const std::time_t secs = static_cast<std::time_t>(ns / 1'000'000'000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(buf + n, sizeof buf - n, ".%09lldZ", static_cast<long long>(ns % 1'000'000'000));
    return buf;
}

Value chunk(bool chat, const std::string& model, std::string_view text, bool reasoning) {
    Value j = Object{{"model", model}, {"created_at", timestamp(std::chrono::system_clock::now())}};
    if (chat) {
        Value& message = j.set("message", Object{{"role", "assistant"}, {"content", reasoning ? "" : text}});
        if (reasoning) message.set("thinking", text);
    } else {
        j.set("response", reasoning ? "" : text);
        if (reasoning) j.set("thinking", text);
    }
    j.set("done", false);
    return j;
}

Value final(bool chat, const std::string& model, const assistant::GenerateResult& result, std::chrono::nanoseconds total,
            bool withText, const assistant::ParsedToolCalls* tools) {
    const assistant::GenerateStats& st = result.stats;
    Value j = Object{{"model", model}, {"created_at", timestamp(std::chrono::system_clock::now())}};
    const bool called = withText && tools && !tools->calls.empty();
    const std::string text = called ? tools->content : withText ? result.text : std::string();
    if (chat) {
        Value& message = j.set("message", Object{{"role", "assistant"}, {"content", text}});
        if (called) message.set("tool_calls", ollamaToolCalls(tools->calls));
        if (withText && !result.reasoning.empty()) message.set("thinking", result.reasoning);
    } else {
        j.set("response", text);
        if (withText && !result.reasoning.empty()) j.set("thinking", result.reasoning);
    }
    const auto promptNs = static_cast<int64_t>(st.timeToFirstTokenMs * 1e6);
    const auto evalNs = st.generatedTokensPerSecond > 0
                            ? static_cast<int64_t>(st.generatedTokens / st.generatedTokensPerSecond * 1e9) : 0;
    j.set("done", true);
    j.set("done_reason", doneReason(result.stopReason));
    j.set("total_duration", static_cast<int64_t>(total.count()));
    j.set("load_duration", 0);  // the server loads its models at start
    j.set("prompt_eval_count", st.promptTokens);
    j.set("prompt_eval_duration", promptNs);
    j.set("eval_count", st.generatedTokens);
    j.set("eval_duration", evalNs);
    return j;
}

Value tagEntry(const std::string& name, const assistant::ModelInfo& info) {
    // Not the file's sha256 (hashing gigabytes per listing): a stable id of path and size.
    char digest[17];
    std::snprintf(digest, sizeof digest, "%016zx", std::hash<std::string>{}(info.path + "|" + std::to_string(info.fileSize)));
    return Object{{"name", name},
                  {"model", name},
                  {"modified_at", timestamp(std::chrono::system_clock::now())},
                  {"size", info.fileSize},
                  {"digest", digest},
                  {"details", details(info)}};
}

Value show(const assistant::ModelInfo& info) {
    const std::string& a = info.architecture;
    Object modelInfo{{"general.architecture", a},
                     {"general.name", info.name},
                     {"general.parameter_count", info.parameterCount},
                     {a + ".context_length", info.contextLength},
                     {a + ".embedding_length", info.embeddingLength},
                     {a + ".block_count", info.layerCount},
                     {a + ".attention.head_count", info.headCount},
                     {a + ".attention.head_count_kv", info.headCountKv},
                     {a + ".vocab_size", info.vocabSize}};
    return Object{{"modelfile", "FROM " + info.path + "\n"},
                  {"parameters", ""},
                  {"template", info.chatTemplate},
                  {"details", details(info)},
                  {"model_info", std::move(modelInfo)},
                  // Every chat model takes tools (a template without a tool syntax gets the generic one).
                  {"capabilities", info.isEmbeddingModel ? Array{"embedding"} : Array{"completion", "tools"}},
                  {"modified_at", timestamp(std::chrono::system_clock::now())}};
}

Value errorBody(const ApiError& error) { return Object{{"error", error.message}}; }

}  // namespace server::ollama
