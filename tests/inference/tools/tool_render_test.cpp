// Tools in the prompt of a model whose template knows no tool syntax (the Generic
// rewrite), and the syntax read from a template's text.
#include <gtest/gtest.h>

#include "assistant/tools.h"
#include "chat_template/model_chat.h"

using assistant::Message;
using assistant::ToolCallSyntax;

TEST(ToolSyntax, ReadFromTheTemplateText) {
    EXPECT_EQ(assistant::toolCallSyntaxOf("{{ '<tool_call>' }}"), ToolCallSyntax::Hermes);
    EXPECT_EQ(assistant::toolCallSyntaxOf("{{ '[TOOL_CALLS]' }}"), ToolCallSyntax::Mistral);
    EXPECT_EQ(assistant::toolCallSyntaxOf("<|python_tag|>"), ToolCallSyntax::Llama3);
    EXPECT_EQ(assistant::toolCallSyntaxOf("<|start_header_id|> {\"name\": .., \"parameters\": ..}"), ToolCallSyntax::Llama3);
    EXPECT_EQ(assistant::toolCallSyntaxOf("functools[{\"name\": ..}]"), ToolCallSyntax::Phi4);
    EXPECT_EQ(assistant::toolCallSyntaxOf("<tool_call>\n<function=example>"), ToolCallSyntax::Qwen3Coder);
    EXPECT_EQ(assistant::toolCallSyntaxOf("{{ messages }}"), ToolCallSyntax::Generic);
    EXPECT_EQ(assistant::toolCallSyntaxOf(""), ToolCallSyntax::Generic);
}

TEST(GenericTools, SystemMessageCallsAndResults) {
    const std::vector<assistant::ToolDefinition> tools = {{"get_weather", "Weather now", R"({"type": "object"})"}};
    std::vector<Message> messages = {{"system", "Be brief."}, {"user", "Weather in Paris?"}};
    Message call{"assistant", ""};
    call.toolCalls.push_back({"call_1", "get_weather", R"({"city": "Paris"})"});
    messages.push_back(call);
    Message result{"tool", "18 C"};
    result.toolCallId = "call_1";
    messages.push_back(result);
    messages.push_back(result);
    const std::vector<Message> out = chat_template::genericToolMessages(messages, tools);
    ASSERT_EQ(out.size(), 4u);  // the two results share one user turn
    EXPECT_EQ(out[0].role, "system");
    EXPECT_TRUE(out[0].content.starts_with("Be brief.\n\n")) << out[0].content;
    EXPECT_NE(out[0].content.find(R"({"name":"get_weather","description":"Weather now","parameters":{"type":"object"}})"),
              std::string::npos) << out[0].content;
    EXPECT_NE(out[0].content.find("<tool_call>"), std::string::npos);
    EXPECT_EQ(out[2].content, "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>");
    EXPECT_TRUE(out[2].toolCalls.empty());
    EXPECT_EQ(out[3].role, "user");
    EXPECT_EQ(out[3].content, "<tool_response>\n18 C\n</tool_response>\n<tool_response>\n18 C\n</tool_response>");
    // A built-in format renders the rewrite (the demo model has no template).
    chat_template::ModelChat chat;
    chat.builtin = chat_template::BuiltinFormat::ChatMl;
    auto text = chat_template::renderMessages(chat, messages, true, tools);
    ASSERT_TRUE(text.has_value());
    EXPECT_NE(text->find("<|im_start|>user\n<tool_response>\n18 C"), std::string::npos) << *text;
    EXPECT_TRUE(text->ends_with("<|im_start|>assistant\n"));
    // No system message: one is added in front.
    const std::vector<Message> bare = chat_template::genericToolMessages(std::vector<Message>{{"user", "hi"}}, tools);
    ASSERT_EQ(bare.size(), 2u);
    EXPECT_EQ(bare[0].role, "system");
}
