#include "openai_protocol.h"

#include <cmath>
#include <cstring>
#include <optional>

#include "json_fields.h"
#include "tool_protocol.h"

namespace server {

using json::Array;
using json::Object;
using json::Value;

namespace {

std::optional<ApiError> readModel(const Value& body, std::string& out) { return readString(body, "model", out); }

// Our extension: "speculative": {"draft": "prompt-lookup" | "none" | the server's draft
// model (serve --draft FILE|self:TYPE, as given there), "max_draft_tokens": N,
// "min_draft_probability": P}. The server checks a draft model's name.
std::optional<ApiError> readSpeculative(const Value& body, GenerationRequest& r) {
    const Value* s = field(body, "speculative");
    if (!s) return std::nullopt;
    if (!s->isObject()) return badParam("speculative", "'speculative' must be an object");
    r.speculativeGiven = true;
    assistant::SpeculativeParams& p = r.params.speculative;
    std::string draft = "prompt-lookup";
    if (auto e = readString(*s, "draft", draft)) return badParam("speculative.draft", e->message);
    if (draft == "none") p.draft = assistant::SpeculativeParams::Draft::None;
    else if (draft == "prompt-lookup") p.draft = assistant::SpeculativeParams::Draft::PromptLookup;
    else if (!draft.empty()) {
        p.draft = assistant::SpeculativeParams::Draft::Model;
        r.draftName = draft;
    } else {
        return badParam("speculative.draft", "'speculative.draft' must be \"prompt-lookup\", \"none\" or the server's draft model");
    }
    int64_t n = p.maxDraftTokens;
    if (auto e = readInt(*s, "max_draft_tokens", 1, 64, n)) return badParam("speculative.max_draft_tokens", e->message);
    p.maxDraftTokens = static_cast<int>(n);
    if (auto e = readNumber(*s, "min_draft_probability", 0, 1, p.minDraftProbability))
        return badParam("speculative.min_draft_probability", e->message);
    return std::nullopt;
}

// Structured output: OpenAI's response_format ({"type": "text" | "json_object" |
// "json_schema", "json_schema": {"name", "schema", "strict"}}) and our extension
// "grammar" (GBNF text, as llama.cpp's server takes it), one of them at most.
// "strict" is accepted either way: the grammar always holds the output to the schema.
std::optional<ApiError> readResponseFormat(const Value& body, GenerationRequest& r) {
    if (const Value* g = field(body, "grammar")) {
        if (!g->isString()) return badParam("grammar", "'grammar' must be a string (GBNF)");
        if (auto ok = assistant::checkGrammar(g->asString()); !ok) return badParam("grammar", ok.error().message);
        r.params.grammar = g->asString();
    }
    const Value* f = field(body, "response_format");
    if (!f) return std::nullopt;
    if (!f->isObject() || !(*f)["type"].isString())
        return badParam("response_format", "'response_format' must be an object with a string 'type'");
    const std::string type = (*f)["type"].asString();
    if (type == "text") return std::nullopt;
    if (!r.params.grammar.empty()) return badParam("grammar", "'grammar' and a JSON 'response_format' exclude each other");
    if (type == "json_object") {
        r.params.grammar = assistant::jsonObjectGrammar();
        return std::nullopt;
    }
    if (type != "json_schema")
        return badParam("response_format.type", "'response_format.type' must be \"text\", \"json_object\" or \"json_schema\"");
    const Value* spec = field(*f, "json_schema");
    if (!spec || !spec->isObject())
        return badParam("response_format.json_schema", "'response_format.json_schema' must be an object");
    const Value* name = field(*spec, "name");
    if (!name || !name->isString() || name->asString().empty())
        return badParam("response_format.json_schema.name", "'response_format.json_schema.name' must be a non-empty string");
    bool strict = false;
    if (auto e = readBool(*spec, "strict", strict)) return badParam("response_format.json_schema.strict", e->message);
    const Value* schema = field(*spec, "schema");
    if (!schema) {  // OpenAI allows it absent: any JSON object then
        r.params.grammar = assistant::jsonObjectGrammar();
        return std::nullopt;
    }
    if (!schema->isObject() && !schema->isBool())
        return badParam("response_format.json_schema.schema", "'response_format.json_schema.schema' must be a JSON Schema object");
    auto gbnf = assistant::jsonSchemaToGrammar(dumpJson(*schema));
    if (!gbnf) return badParam("response_format.json_schema.schema", "invalid 'response_format.json_schema.schema': " + gbnf.error().message);
    r.params.grammar = std::move(*gbnf);
    return std::nullopt;
}

// Sampling and length fields shared by chat and legacy completions.
std::optional<ApiError> readCommon(const Value& body, GenerationRequest& r, bool chat) {
    if (auto e = readModel(body, r.model)) return e;
    if (auto e = readBool(body, "stream", r.stream)) return e;
    if (const Value* so = field(body, "stream_options")) {
        if (!so->isObject()) return badParam("stream_options", "'stream_options' must be an object");
        if (auto e = readBool(*so, "include_usage", r.includeUsage)) {
            e->param = "stream_options.include_usage";
            return e;
        }
    }
    assistant::SamplingParams& s = r.params.sampling;
    if (auto e = readNumber(body, "temperature", 0, 2, s.temperature)) return e;
    if (auto e = readNumber(body, "top_p", 0, 1, s.topP)) return e;
    if (auto e = readNumber(body, "min_p", 0, 1, s.minP)) return e;
    if (auto e = readNumber(body, "frequency_penalty", -2, 2, s.frequencyPenalty)) return e;
    if (auto e = readNumber(body, "presence_penalty", -2, 2, s.presencePenalty)) return e;
    if (auto e = readNumber(body, "repeat_penalty", 0, 10, s.repeatPenalty)) return e;
    int64_t i = 0;
    if (field(body, "top_k")) {
        if (auto e = readInt(body, "top_k", 0, 1 << 20, i)) return e;
        s.topK = static_cast<int>(i);
    }
    if (field(body, "seed")) {
        if (auto e = readInt(body, "seed", INT64_MIN, INT64_MAX, i)) return e;
        s.seed = static_cast<uint64_t>(i);
    }
    // OpenAI: max_completion_tokens supersedes max_tokens; legacy completions default to 16.
    r.params.maxTokens = chat ? 0 : 16;
    for (const char* name : {"max_tokens", "max_completion_tokens"}) {
        if (!field(body, name)) continue;
        if (auto e = readInt(body, name, 1, 1 << 24, i)) return e;
        r.params.maxTokens = static_cast<int>(i);
    }
    if (field(body, "n")) {
        if (auto e = readInt(body, "n", 1, 128, i)) return e;
        if (i != 1) return badParam("n", "only n=1 is supported");
    }
    if (const Value* stop = field(body, "stop")) {
        if (stop->isString()) {
            r.params.stop.push_back(stop->asString());
        } else if (stop->isArray() && stop->size() <= 4) {
            for (const Value& s1 : stop->asArray()) {
                if (!s1.isString()) return badParam("stop", "'stop' must be a string or an array of up to 4 strings");
                r.params.stop.push_back(s1.asString());
            }
        } else {
            return badParam("stop", "'stop' must be a string or an array of up to 4 strings");
        }
        std::erase(r.params.stop, std::string());
    }
    if (const Value* bias = field(body, "logit_bias")) {
        if (!bias->isObject()) return badParam("logit_bias", "'logit_bias' must be an object of token id -> bias");
        for (const auto& [key, value] : bias->asObject()) {
            char* end = nullptr;
            const long id = std::strtol(key.c_str(), &end, 10);
            if (key.empty() || *end != '\0' || id < 0 || id > INT32_MAX || !value.isNumber())
                return badParam("logit_bias", "'logit_bias' must map token ids to numbers");
            const double b = value.asNumber();
            if (!(b >= -100 && b <= 100)) return badParam("logit_bias", "'logit_bias' values must be between -100 and 100");
            s.logitBias.emplace_back(static_cast<int32_t>(id), b <= -100 ? -INFINITY : static_cast<float>(b));
        }
    }
    if (auto e = readSpeculative(body, r)) return e;
    if (auto e = readResponseFormat(body, r)) return e;
    return readBool(body, "ignore_eos", r.params.ignoreEos);
}

// content: a string, null, or an array of {"type":"text","text":...} parts.
std::optional<ApiError> readContent(const Value& message, size_t index, std::string& out) {
    const std::string param = "messages[" + std::to_string(index) + "].content";
    const Value* c = field(message, "content");
    if (!c) return std::nullopt;
    if (c->isString()) {
        out = c->asString();
        return std::nullopt;
    }
    if (!c->isArray()) return badParam(param, "'" + param + "' must be a string or an array of text parts");
    for (const Value& part : c->asArray()) {
        if (!part.isObject() || part["type"].asString() != "text" || !part["text"].isString())
            return badParam(param, "'" + param + "': only parts of type \"text\" are supported");
        out += part["text"].asString();
    }
    return std::nullopt;
}

}  // namespace

Value errorBody(const ApiError& e) {
    return Object{{"error", Object{{"message", e.message},
                                   {"type", e.type},
                                   {"param", e.param.empty() ? Value() : Value(e.param)},
                                   {"code", e.code.empty() ? Value() : Value(e.code)}}}};
}

std::string errorJson(const ApiError& error) { return dumpJson(errorBody(error)); }

std::string dumpJson(const Value& value) {
    // Keys sorted: the wire format clients and tests have seen since the first release.
    return value.dump(-1, true);
}

ApiResult<Value> parseBody(std::string_view body) {
    auto parsed = Value::parse(body);
    if (!parsed)
        return std::unexpected(ApiError{400, "the request body is not valid JSON", "invalid_request_error", "", "invalid_json"});
    if (!parsed->isObject())
        return std::unexpected(ApiError{400, "the request body must be a JSON object", "invalid_request_error", "", "invalid_json"});
    return std::move(*parsed);
}

ApiResult<GenerationRequest> parseChatRequest(const Value& body) {
    GenerationRequest r;
    const Value* messages = field(body, "messages");
    if (!messages || !messages->isArray() || messages->size() == 0)
        return std::unexpected(badParam("messages", "'messages' must be a non-empty array"));
    for (size_t i = 0; i < messages->size(); ++i) {
        const Value& m = (*messages)[i];
        const std::string param = "messages[" + std::to_string(i) + "]";
        if (!m.isObject()) return std::unexpected(badParam(param, "'" + param + "' must be an object"));
        const Value* role = field(m, "role");
        if (!role || !role->isString())
            return std::unexpected(badParam(param + ".role", "'" + param + ".role' must be a string"));
        std::string roleName = role->asString();
        if (roleName == "developer") roleName = "system";  // OpenAI's newer name for the system role
        if (roleName != "system" && roleName != "user" && roleName != "assistant" && roleName != "tool")
            return std::unexpected(badParam(param + ".role", "unknown role '" + roleName + "'"));
        assistant::Message msg{roleName, ""};
        if (auto e = readContent(m, i, msg.content)) return std::unexpected(*e);
        if (auto e = readMessageToolFields(m, param, msg)) return std::unexpected(*e);
        r.messages.push_back(std::move(msg));
    }
    if (auto e = readCommon(body, r, true)) return std::unexpected(*e);
    if (auto e = readTools(body, r)) return std::unexpected(*e);
    return r;
}

ApiResult<GenerationRequest> parseCompletionRequest(const Value& body) {
    GenerationRequest r;
    const Value* prompt = field(body, "prompt");
    if (prompt && prompt->isArray() && prompt->size() == 1 && prompt->asArray()[0].isString()) prompt = &prompt->asArray()[0];
    if (!prompt || !prompt->isString())
        return std::unexpected(badParam("prompt", "'prompt' must be a string (or an array of one string)"));
    r.prompt = prompt->asString();
    if (r.prompt.empty()) return std::unexpected(badParam("prompt", "'prompt' must not be empty"));
    if (auto e = readBool(body, "echo", r.echo)) return std::unexpected(*e);
    if (auto e = readCommon(body, r, false)) return std::unexpected(*e);
    return r;
}

ApiResult<EmbeddingRequest> parseEmbeddingRequest(const Value& body) {
    EmbeddingRequest r;
    if (auto e = readModel(body, r.model)) return std::unexpected(*e);
    const Value* input = field(body, "input");
    if (input && input->isString()) {
        r.inputs.push_back(input->asString());
    } else if (input && input->isArray() && input->size() > 0 && input->size() <= 2048) {
        for (const Value& s : input->asArray()) {
            if (!s.isString())
                return std::unexpected(badParam("input", "'input' must be a string or an array of strings (token arrays are not supported)"));
            r.inputs.push_back(s.asString());
        }
    } else {
        return std::unexpected(badParam("input", "'input' must be a string or a non-empty array of at most 2048 strings"));
    }
    if (const Value* f = field(body, "encoding_format")) {
        if (f->asString() == "base64") r.base64 = true;
        else if (f->asString() != "float" || !f->isString()) return std::unexpected(badParam("encoding_format", "'encoding_format' must be \"float\" or \"base64\""));
    }
    if (field(body, "dimensions"))
        return std::unexpected(badParam("dimensions", "'dimensions' is not supported: the embedder has a fixed size"));
    return r;
}

const char* finishReason(assistant::StopReason reason, bool toolCalls) {
    switch (reason) {
        case assistant::StopReason::MaxTokens:
        case assistant::StopReason::ContextFull: return "length";
        default: return toolCalls ? "tool_calls" : "stop";
    }
}

std::string base64Encode(const void* data, size_t size) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const auto* p = static_cast<const unsigned char*>(data);
    std::string out;
    out.reserve((size + 2) / 3 * 4);
    for (size_t i = 0; i < size; i += 3) {
        const uint32_t b0 = p[i], b1 = i + 1 < size ? p[i + 1] : 0, b2 = i + 2 < size ? p[i + 2] : 0;
        const uint32_t triple = (b0 << 16) | (b1 << 8) | b2;
        out += kAlphabet[(triple >> 18) & 63];
        out += kAlphabet[(triple >> 12) & 63];
        out += i + 1 < size ? kAlphabet[(triple >> 6) & 63] : '=';
        out += i + 2 < size ? kAlphabet[triple & 63] : '=';
    }
    return out;
}

ResponseBuilder::ResponseBuilder(bool chat, std::string model, std::string id, int64_t created)
    : m_chat(chat), m_model(std::move(model)), m_id(std::move(id)), m_created(created) {}

Value ResponseBuilder::envelope(bool chunk) const {
    const char* object = m_chat ? (chunk ? "chat.completion.chunk" : "chat.completion") : "text_completion";
    return Object{{"id", m_id}, {"object", object}, {"created", m_created}, {"model", m_model}};
}

Value ResponseBuilder::usage(const assistant::GenerateStats& st) {
    Value u = Object{{"prompt_tokens", st.promptTokens},
                     {"completion_tokens", st.generatedTokens},
                     {"total_tokens", st.promptTokens + st.generatedTokens}};
    // Speculative decoding, in the fields OpenAI uses for its predicted outputs.
    if (st.draftedTokens > 0)
        u.set("completion_tokens_details", Object{{"accepted_prediction_tokens", st.acceptedDraftTokens},
                                                  {"rejected_prediction_tokens", st.draftedTokens - st.acceptedDraftTokens}});
    return u;
}

Value ResponseBuilder::roleChunk() const {
    return chatChunk(Object{{"role", "assistant"}, {"content", ""}});
}

Value ResponseBuilder::deltaChunk(std::string_view text, bool reasoning) const {
    Value j = envelope(true);
    Value choice = Object{{"index", 0}, {"finish_reason", nullptr}};
    if (m_chat) {
        choice.set("delta", Object{{reasoning ? "reasoning_content" : "content", text}});
    } else {
        choice.set("text", text);
        choice.set("logprobs", nullptr);
    }
    j.set("choices", Array{std::move(choice)});
    return j;
}

Value ResponseBuilder::chatChunk(Value delta) const {
    Value j = envelope(true);
    j.set("choices", Array{Object{{"index", 0}, {"delta", std::move(delta)}, {"finish_reason", nullptr}}});
    return j;
}

Value ResponseBuilder::finishChunk(assistant::StopReason reason, bool toolCalls) const {
    Value j = envelope(true);
    Value choice = Object{{"index", 0}, {"finish_reason", finishReason(reason, toolCalls)}};
    if (m_chat) choice.set("delta", Object{});
    else {
        choice.set("text", "");
        choice.set("logprobs", nullptr);
    }
    j.set("choices", Array{std::move(choice)});
    return j;
}

Value ResponseBuilder::usageChunk(const assistant::GenerateStats& stats) const {
    Value j = envelope(true);
    j.set("choices", Array{});
    j.set("usage", usage(stats));
    return j;
}

Value ResponseBuilder::full(const assistant::GenerateResult& result, std::string_view textPrefix,
                            const assistant::ParsedToolCalls* tools) const {
    Value j = envelope(false);
    const bool called = tools && !tools->calls.empty();
    Value choice = Object{{"index", 0}, {"finish_reason", finishReason(result.stopReason, called)}, {"logprobs", nullptr}};
    if (m_chat) {
        Value message = Object{{"role", "assistant"}, {"content", result.text}};
        if (called) {
            message.set("content", tools->content.empty() ? Value() : Value(tools->content));
            message.set("tool_calls", openAiToolCalls(tools->calls));
        }
        if (!result.reasoning.empty()) message.set("reasoning_content", result.reasoning);
        choice.set("message", std::move(message));
    } else {
        choice.set("text", std::string(textPrefix) + result.text);
    }
    j.set("choices", Array{std::move(choice)});
    j.set("usage", usage(result.stats));
    return j;
}

std::string sseEvent(const Value& data) {
    // dump() escapes newlines inside strings, so the event is one "data:" line.
    return "data: " + dumpJson(data) + "\n\n";
}

}  // namespace server
