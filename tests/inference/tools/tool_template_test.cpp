// Every conformance case with tools or tool calls whose template names a tool syntax
// renders from the engine's types (Message, ToolCall, ToolDefinition: arguments and
// parameters as JSON text) exactly as transformers renders the case's JSON; and a
// forced call on the demo model wearing a Hermes, Llama 3.1, Mistral, Phi-4-mini,
// DeepSeek, Granite, functionary, Kimi, GLM, Qwen3-Coder, gpt-oss or Command-R template parses.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "assistant/tools.h"
#include "chat_template/model_chat.h"
#include "json/json.h"
#include "shared_data.h"

namespace {

const std::string kDir = "conformance/chat_templates";

std::string readFile(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::string jsonText(const json::Value& v) { return v.isString() ? v.asString() : v.dump(); }

std::vector<assistant::Message> messagesOf(const json::Value& list) {
    std::vector<assistant::Message> out;
    for (const json::Value& m : list.asArray()) {
        assistant::Message msg{m["role"].asString(), m["content"].asString()};
        for (const json::Value& c : m["tool_calls"].asArray())
            msg.toolCalls.push_back({c["id"].asString(), c["function"]["name"].asString(), jsonText(c["function"]["arguments"])});
        msg.toolCallId = m["tool_call_id"].asString();
        msg.name = m["name"].asString();
        out.push_back(std::move(msg));
    }
    return out;
}

std::vector<assistant::ToolDefinition> toolsOf(const json::Value& list) {
    std::vector<assistant::ToolDefinition> out;
    for (const json::Value& t : list.asArray())
        out.push_back({t["function"]["name"].asString(), t["function"]["description"].asString(),
                       t["function"]["parameters"].dump()});
    return out;
}

}  // namespace

TEST(ToolTemplates, RenderLikeTransformers) {
    const std::string dir = testdata::sharedPath(kDir + "/cases");
    REQUIRE_SHARED(dir);
    std::vector<std::string> rendered;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        auto doc = json::Value::parse(readFile(entry.path().string()));
        ASSERT_TRUE(doc.has_value()) << entry.path();
        const std::string templateText = readFile(testdata::sharedPath(kDir + "/" + (*doc)["template_file"].asString()));
        if (assistant::toolCallSyntaxOf(templateText) == assistant::ToolCallSyntax::Generic) continue;
        chat_template::RenderOptions options;
        options.now = chat_template::parseIsoTime((*doc)["strftime_now_fixed_clock"].asString());
        for (const json::Value& c : (*doc)["cases"].asArray()) {
            const json::Value& vars = c["variables"];
            const json::Value* expected = c.find("expected");
            // DeepSeek and functionary print arguments as given: their cases pass JSON text.
            const std::string variant = c["input_variant"].asString();
            if (!expected || !(variant == "hf_default" || variant == "arguments_as_json_string") || !vars.find("tools")) continue;
            // The engine passes exactly messages, tools, add_generation_prompt, bos and eos.
            bool plain = true;
            for (const auto& [key, value] : vars.asObject())
                plain = plain && (key == "tools" || key == "add_generation_prompt" || key == "bos_token" || key == "eos_token");
            if (!plain) continue;
            chat_template::ModelChat chat = chat_template::prepareModelChat(templateText, "", chat_template::BuiltinFormat::Plain,
                                                                            vars["bos_token"].asString(), vars["eos_token"].asString());
            ASSERT_TRUE(chat.jinja) << entry.path();
            const std::vector<assistant::ToolDefinition> tools = toolsOf(vars["tools"]);
            auto out = chat_template::renderMessages(chat, messagesOf(c["messages"]), vars["add_generation_prompt"].asBool(),
                                                     tools, options);
            const std::string what = entry.path().filename().string() + " " + c["name"].asString();
            ASSERT_TRUE(out.has_value()) << what << ": " << out.error().message;
            EXPECT_EQ(*out, expected->asString()) << what;
            rendered.push_back(what);
        }
    }
    // Hermes 2/3, Qwen 2.5/3, QwQ, Llama 3.1-3.3, Mistral: at least their tool cases.
    int toolCases = 0;
    for (const std::string& r : rendered) toolCases += r.ends_with(" tool_call");
    EXPECT_GE(toolCases, 8) << "tool cases rendered: " << toolCases;
}

// Each family end to end on the demo model wearing that family's template: the tools
// rendered by the template, a call forced by the grammar in the family's syntax, and
// the parser reading it back (the demo model never calls a tool unprompted).
TEST(ToolTemplates, ForcedCallInEachFamilyParses) {
    const std::string corpus = ASSISTANT_SOURCE_DIR "/tests/inference/chat_template/corpus/";
    const std::vector<std::pair<std::string, assistant::ToolCallSyntax>> families = {
        {testdata::sharedPath(kDir + "/Qwen-Qwen2.5-7B-Instruct.jinja"), assistant::ToolCallSyntax::Hermes},
        {testdata::sharedPath(kDir + "/meta-llama-Llama-3.1-8B-Instruct.jinja"), assistant::ToolCallSyntax::Llama3},
        {testdata::sharedPath(kDir + "/mistralai-Mistral-Nemo-Instruct-2407.jinja"), assistant::ToolCallSyntax::Mistral},
        {corpus + "vllm-phi4-mini-tools.jinja", assistant::ToolCallSyntax::Phi4},
        {testdata::sharedPath(kDir + "/deepseek-ai-DeepSeek-V3.1.jinja"), assistant::ToolCallSyntax::DeepSeek},
        {testdata::sharedPath(kDir + "/ibm-granite-granite-3.3-2B-Instruct.jinja"), assistant::ToolCallSyntax::Granite},
        {testdata::sharedPath(kDir + "/meetkai-functionary-medium-v3.2.jinja"), assistant::ToolCallSyntax::Functionary},
        {testdata::sharedPath(kDir + "/Kimi-K2-Instruct.jinja"), assistant::ToolCallSyntax::Kimi},
        {testdata::sharedPath(kDir + "/GLM-4.6.jinja"), assistant::ToolCallSyntax::Glm},
        {testdata::sharedPath(kDir + "/Qwen3-Coder.jinja"), assistant::ToolCallSyntax::Qwen3Coder},
        {testdata::sharedPath(kDir + "/openai-gpt-oss-120b.jinja"), assistant::ToolCallSyntax::Harmony},
        {testdata::sharedPath(kDir + "/CohereForAI-c4ai-command-r-plus-tool_use.jinja"), assistant::ToolCallSyntax::CommandR},
    };
    const std::vector<assistant::ToolDefinition> tools = {
        {"get_weather", "The weather in a city now",
         R"({"type": "object", "required": ["city"], "properties": {"city": {"type": "string", "minLength": 1, "maxLength": 10}}})"}};
    for (const auto& [path, syntax] : families) {
        REQUIRE_SHARED(path);
        const std::string file = std::filesystem::path(path).filename().string();
        assistant::ModelParams mp;
        mp.chatTemplateOverride = readFile(path);
        auto model = assistant::Model::load(ASSISTANT_SOURCE_DIR "/resources/models/stories260K.gguf", mp);
        ASSERT_TRUE(model.has_value()) << model.error().message;
        ASSERT_EQ((*model)->toolCallSyntax(), syntax) << file;
        const std::vector<assistant::Message> messages = {{"user", "What is the weather in Paris?"}};
        auto prompt = (*model)->applyChatTemplate(messages, true, tools);
        ASSERT_TRUE(prompt.has_value()) << file << ": " << prompt.error().message;
        // DeepSeek-V3.1's and Command-R+'s chat templates do not list the tools (transformers
        // renders the same); the others do.
        const bool listsTools = syntax != assistant::ToolCallSyntax::DeepSeek && syntax != assistant::ToolCallSyntax::CommandR;
        if (listsTools) EXPECT_NE(prompt->find("get_weather"), std::string::npos) << file << ": the template lists the tool\n" << *prompt;
        auto session = assistant::Session::create(*model);
        ASSERT_TRUE(session.has_value());
        assistant::GenerateParams gp;
        gp.sampling.temperature = 0;
        gp.maxTokens = 200;
        gp.tools = tools;
        auto grammar = assistant::toolCallGrammar(syntax, tools, "", false);
        ASSERT_TRUE(grammar.has_value()) << grammar.error().message;
        gp.grammar = *grammar;
        auto result = (*session)->generate(messages, gp, [](std::string_view, const assistant::GenerateStats&) { return true; });
        ASSERT_TRUE(result.has_value()) << result.error().message;
        const assistant::ParsedToolCalls parsed = assistant::parseToolCalls(syntax, result->text, tools);
        ASSERT_EQ(parsed.calls.size(), 1u) << file << ": " << result->text;
        // GLM and Qwen3-Coder are forced into their own XML form, not the generic JSON body.
        if (syntax == assistant::ToolCallSyntax::Glm)
            EXPECT_TRUE(result->text.starts_with("<tool_call>get_weather\n<arg_key>city</arg_key>")) << result->text;
        if (syntax == assistant::ToolCallSyntax::Qwen3Coder)
            EXPECT_TRUE(result->text.starts_with("<tool_call>\n<function=get_weather>\n<parameter=city>\n")) << result->text;
        EXPECT_EQ(parsed.calls[0].name, "get_weather");
        auto args = json::Value::parse(parsed.calls[0].arguments);
        ASSERT_TRUE(args.has_value()) << parsed.calls[0].arguments;
        EXPECT_TRUE((*args)["city"].isString()) << parsed.calls[0].arguments;
        EXPECT_EQ(parsed.content, "") << file;
    }
}

// A template with no tool syntax and no system role (Gemma 2 raises on one): the
// Generic tools prompt opens the first user turn instead.
TEST(ToolTemplates, GenericToolsWithoutASystemRole) {
    const std::string path = testdata::sharedPath(kDir + "/google-gemma-2-2b-it.jinja");
    REQUIRE_SHARED(path);
    chat_template::ModelChat chat = chat_template::prepareModelChat(readFile(path), "", chat_template::BuiltinFormat::Gemma, "<bos>", "<eos>");
    ASSERT_TRUE(chat.jinja);
    ASSERT_EQ(chat.toolSyntax, assistant::ToolCallSyntax::Generic);
    const std::vector<assistant::ToolDefinition> tools = {{"get_weather", "", R"({"type": "object"})"}};
    const std::vector<assistant::Message> messages = {{"user", "Weather in Oslo?"}};
    auto out = chat_template::renderMessages(chat, messages, true, tools);
    ASSERT_TRUE(out.has_value()) << out.error().message;
    EXPECT_NE(out->find("<start_of_turn>user\nYou can call functions"), std::string::npos) << *out;
    EXPECT_NE(out->find("Weather in Oslo?"), std::string::npos) << *out;
    EXPECT_EQ(out->find("<start_of_turn>system"), std::string::npos) << *out;
}
