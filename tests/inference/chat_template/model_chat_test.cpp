// How a model picks and uses its chat format: the user's override, its own template,
// a built-in fallback for templates we cannot parse; and the Reasoning channel of a
// real session (the embedded demo model, so `unit`).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "assistant/engine.h"
#include "chat_template/model_chat.h"

namespace {

using assistant::Message;
using chat_template::BuiltinFormat;

const std::vector<Message> kConversation = {{"system", "Be brief."}, {"user", "Hi"}};

TEST(ModelChat, OwnTemplateGetsBosEosAndGenerationPrompt) {
    auto chat = chat_template::prepareModelChat(
        "{{ bos_token }}{% for m in messages %}<{{ m.role }}>{{ m.content }}{{ eos_token }}{% endfor %}"
        "{% if add_generation_prompt %}<assistant>{% endif %}",
        "", BuiltinFormat::Plain, "<s>", "</s>");
    ASSERT_TRUE(chat.jinja);
    auto out = chat_template::renderMessages(chat, kConversation, true);
    ASSERT_TRUE(out.has_value()) << out.error().message;
    EXPECT_EQ(*out, "<s><system>Be brief.</s><user>Hi</s><assistant>");
}

// As transformers renders: tools and documents are defined, and None without any.
TEST(ModelChat, ToolsAndDocumentsAreNoneNotUndefined) {
    auto chat = chat_template::prepareModelChat(
        "{{ tools is defined }}{{ tools is none }}{{ documents is defined }}{{ documents is none }}", "",
        BuiltinFormat::Plain, "", "");
    ASSERT_TRUE(chat.jinja);
    auto out = chat_template::renderMessages(chat, kConversation, true);
    ASSERT_TRUE(out.has_value()) << out.error().message;
    EXPECT_EQ(*out, "TrueTrueTrueTrue");
}

TEST(ModelChat, UnparsableTemplateFallsBackToTheNearestBuiltin) {
    const std::string broken = "{% for m in messages %}<|im_start|>{{ m.role | frobnicate( }}{% endfor %}";
    const BuiltinFormat detected = chat_template::detectFormat(broken, "qwen2", {});
    EXPECT_EQ(detected, BuiltinFormat::ChatMl);
    auto chat = chat_template::prepareModelChat(broken, "", detected, "", "");
    EXPECT_FALSE(chat.jinja);
    auto out = chat_template::renderMessages(chat, kConversation, true);
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ(*out, "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
}

TEST(ModelChat, OverrideByNameOrText) {
    auto named = chat_template::prepareModelChat("{{ 'own' }}", "gemma", BuiltinFormat::ChatMl, "", "");
    EXPECT_FALSE(named.jinja);
    auto out = chat_template::renderMessages(named, kConversation, true);
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ(*out, "<bos><start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\n");

    auto text = chat_template::prepareModelChat("{{ 'own' }}", "{{ messages | length }}", BuiltinFormat::ChatMl, "", "");
    out = chat_template::renderMessages(text, kConversation, true);
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ(*out, "2");
}

TEST(ModelChat, RaiseExceptionIsATemplateError) {
    auto chat = chat_template::prepareModelChat(
        "{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}", "",
        BuiltinFormat::Gemma, "", "");
    auto out = chat_template::renderMessages(chat, kConversation, true);
    ASSERT_FALSE(out.has_value());
    EXPECT_EQ(out.error().code, assistant::ErrorCode::TemplateError);
    EXPECT_NE(out.error().message.find("System role not supported"), std::string::npos);
}

TEST(ModelChat, BuiltinFormatsByNameAndDetection) {
    for (auto f : {BuiltinFormat::Plain, BuiltinFormat::ChatMl, BuiltinFormat::Llama3, BuiltinFormat::Mistral,
                   BuiltinFormat::Phi3, BuiltinFormat::Gemma})
        EXPECT_EQ(chat_template::builtinFormatByName(chat_template::builtinFormatName(f)), f);
    EXPECT_EQ(chat_template::detectFormat("x<|start_header_id|>", "llama", {}), BuiltinFormat::Llama3);
    EXPECT_EQ(chat_template::detectFormat("[INST] x", "llama", {}), BuiltinFormat::Mistral);
    EXPECT_EQ(chat_template::detectFormat("<|user|>x<|end|>", "llama", {}), BuiltinFormat::Phi3);
    EXPECT_EQ(chat_template::detectFormat("", "gemma2", {}), BuiltinFormat::Gemma);
    EXPECT_EQ(chat_template::detectFormat("", "phi3", {}), BuiltinFormat::Phi3);
    EXPECT_EQ(chat_template::detectFormat("", "llama", {}), BuiltinFormat::Plain);
    chat_template::VocabHints hints;
    hints.headerId = true;
    EXPECT_EQ(chat_template::detectFormat("", "llama", hints), BuiltinFormat::Llama3);
    auto mistral = chat_template::renderBuiltin(BuiltinFormat::Mistral,
                                                std::vector<Message>{{"system", "S"}, {"user", "U"}, {"assistant", "A"}, {"user", "V"}},
                                                true);
    EXPECT_EQ(mistral, "<s>[INST] S\n\nU [/INST] A</s>[INST] V [/INST]");
    auto phi = chat_template::renderBuiltin(BuiltinFormat::Phi3, std::vector<Message>{{"user", "U"}}, true);
    EXPECT_EQ(phi, "<|user|>\nU<|end|>\n<|assistant|>\n");
}

// End to end on the demo model: a template whose generation prompt opens <think>
// (as DeepSeek-R1's does) puts the whole answer on the Reasoning channel.
TEST(ModelChat, SessionStreamsReasoningChannel) {
    assistant::ModelParams mp;
    mp.chatTemplateOverride = "{% for m in messages %}{{ m.content }}{% endfor %}<think>\n";
    auto model = assistant::Model::load(std::string(ASSISTANT_SOURCE_DIR) + "/resources/models/stories260K.gguf", mp);
    ASSERT_TRUE(model.has_value()) << model.error().message;
    auto session = assistant::Session::create(*model);
    ASSERT_TRUE(session.has_value());
    assistant::GenerateParams gp;
    gp.sampling.temperature = 0;
    gp.maxTokens = 12;
    const std::vector<Message> messages = {{"user", "Once upon a time"}};
    std::string reasoning, content;
    auto r = (*session)->generate(messages, gp, [&](std::string_view piece, const assistant::GenerateStats& st) {
        (st.channel == assistant::StreamChannel::Reasoning ? reasoning : content) += piece;
        return true;
    });
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_FALSE(reasoning.empty());
    EXPECT_EQ(content, "");
    EXPECT_EQ(r->reasoning, reasoning);
    EXPECT_EQ(r->text, "");

    gp.splitReasoning = false;  // the same answer, as plain content
    (*session)->reset();
    std::string plain;
    r = (*session)->generate(messages, gp, [&](std::string_view piece, const assistant::GenerateStats& st) {
        EXPECT_EQ(st.channel, assistant::StreamChannel::Content);
        plain += piece;
        return true;
    });
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(plain, r->text);
    EXPECT_EQ(r->reasoning, "");
    EXPECT_EQ(plain, reasoning);  // inside <think> nothing is dropped or reordered
}

}  // namespace
