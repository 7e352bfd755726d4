// Tool calls: which syntax a model writes them in, the parser that finds them in its
// output (whole or streamed), and the grammar that forces a valid call.
//
//   ToolCallSyntax syntax = model->toolCallSyntax();
//   params.tools = {...};                                   // rendered into the prompt
//   params.grammar = *toolCallGrammar(syntax, tools, {}, true);  // tool_choice "required"
//   ToolCallParser parser(syntax);
//   session->generate(messages, params, [&](std::string_view piece, auto&) {
//       for (const ToolCallEvent& e : parser.feed(piece)) ...;  // text, call start, arguments
//       return true;
//   });
//   for (const ToolCallEvent& e : parser.finish()) ...;
//
// Implemented in inference/tools/. Qt-free like the rest of the engine.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "assistant/engine.h"

namespace assistant {

// The syntax a chat template asks for, from what its text mentions: "<tool_call>"
// Hermes (its XML-bodied variants too: Qwen3-Coder's <function=..>, GLM's <arg_key>),
// "[TOOL_CALLS]" Mistral, "functools[" Phi4, "<|python_tag|>" or a Llama 3 header with
// "parameters" Llama3; anything else (no template, or one with no tool syntax) Generic.
ToolCallSyntax toolCallSyntaxOf(std::string_view templateText);
std::string_view toolCallSyntaxName(ToolCallSyntax syntax);  // "generic", "hermes", "llama3", "mistral", "phi4"

// Generic syntax: the system message that lists the tools (name, description, JSON
// Schema) and asks for <tool_call>{"name": .., "arguments": {..}}</tool_call>.
std::string genericToolsPrompt(std::span<const ToolDefinition> tools);
// A call as the model writes it in `syntax` (for a conversation's earlier calls
// rendered without a template that knows them): Generic and Hermes give
// "<tool_call>\n{...}\n</tool_call>". arguments that are not JSON are kept as a string.
std::string formatToolCall(ToolCallSyntax syntax, const ToolCall& call);

// The GBNF grammar of an answer that is only tool calls in `syntax`, each call's
// arguments valid against its tool's parameters schema. onlyFunction: "" = any of
// the tools, else that one (InvalidArgument when no tool has the name). parallel:
// one or more calls, else exactly one (Llama3 is always one). InvalidArgument names
// the tool whose schema does not compile.
Result<std::string> toolCallGrammar(ToolCallSyntax syntax, std::span<const ToolDefinition> tools,
                                    std::string_view onlyFunction, bool parallel);

// What the parser found, in output order.
struct ToolCallEvent {
    enum class Kind {
        Text,       // text: content that is not a call (tool-call markers never show up here)
        CallStart,  // index, text = the function name
        Arguments,  // index, text = the next piece of the arguments' JSON text
        CallEnd,    // index, text = the call's whole raw text, valid = arguments are one JSON object
    };
    Kind kind = Kind::Text;
    int index = 0;  // calls count from 0 in the order they start
    std::string text;
    bool valid = true;
};

// Streaming parser. Text that may be the start of a call marker is held back until
// it is decided. A call whose head ({"name": "...", "arguments": ) comes first has its
// arguments streamed piece by piece as they arrive; any other call is reported whole
// when its JSON closes. A <tool_call> whose body is XML (Qwen3-Coder's
// <function=f><parameter=k>v</parameter></function>, GLM's f<arg_key>k</arg_key>
// <arg_value>v</arg_value>) is reported whole at its close tag, its parameters as a
// JSON object (values that parse as JSON kept as such, others as strings). A candidate
// that turns out not to be a call (malformed JSON, no "name") comes out as Text, unless
// its arguments had begun to stream: then its CallEnd says valid = false
// (parseToolCalls turns such a call back into text). Output cut short (max tokens)
// ends a started call the same way.
class ToolCallParser {
public:
    // tools: the offered ones; an XML body's parameters take the types of their schema
    // (a "string" parameter stays a string even when its text reads as a number).
    explicit ToolCallParser(ToolCallSyntax syntax, std::span<const ToolDefinition> tools = {});

    std::vector<ToolCallEvent> feed(std::string_view text);
    // End of output: releases held text, ends an open call.
    std::vector<ToolCallEvent> finish();
    int calls() const { return m_calls; }  // calls started so far

private:
    enum class State { Text, Open, Object, AfterObject, ArrayGap, XmlBody, Block };
    void step(char c, std::vector<ToolCallEvent>& out);
    void stepText(char c, std::vector<ToolCallEvent>& out);
    void stepGap(char c, std::vector<ToolCallEvent>& out);
    void stepObject(char c, std::vector<ToolCallEvent>& out);
    void stepXmlBody(char c, std::vector<ToolCallEvent>& out);
    void stepBlock(char c, std::vector<ToolCallEvent>& out, bool final);
    void enterCall(std::string_view marker, std::vector<ToolCallEvent>& out);
    void beginObject();
    void tryHead(std::vector<ToolCallEvent>& out);
    void flushArguments(std::vector<ToolCallEvent>& out);
    void objectDone(std::vector<ToolCallEvent>& out);
    void endPendingCall(const std::string& raw, std::vector<ToolCallEvent>& out);
    void giveUp(std::vector<ToolCallEvent>& out);  // the held candidate is text after all
    void emitText(std::string_view text, std::vector<ToolCallEvent>& out);

    ToolCallSyntax m_syntax;
    std::vector<ToolDefinition> m_tools;
    State m_state = State::Text;
    bool m_atStart = true;      // nothing but whitespace so far (Llama3/Mistral calls open the answer)
    std::string m_held;         // text held since the candidate began (markers included)
    char m_openWants = '{';     // Open: what must follow the marker
    bool m_inArray = false;     // Mistral: inside [ ... ]
    int m_arrayCalls = 0;       // calls in the current array
    std::string m_object;       // the current call's JSON text
    int m_depth = 0;            // JSON nesting inside m_object
    bool m_inString = false, m_escape = false;
    bool m_streaming = false;   // the head matched: arguments go out as they come
    bool m_argsDone = false;
    size_t m_argsStart = 0, m_argsSent = 0, m_argsEnd = 0;  // the arguments value in m_object
    std::string m_closeWanted;  // AfterObject: "</tool_call>"
    size_t m_closeMatched = 0;
    std::string m_afterHeld;    // AfterObject: what was read of it
    int m_pendingIndex = 0;     // the call whose CallEnd waits for its close tag
    bool m_pendingValid = true;
    int m_calls = 0;
};

// A whole answer: content (the text around the calls, trimmed) and the calls with
// valid JSON arguments (ids left empty); malformed calls stay in the content.
struct ParsedToolCalls {
    std::string content;
    std::vector<ToolCall> calls;
};
ParsedToolCalls parseToolCalls(ToolCallSyntax syntax, std::string_view text, std::span<const ToolDefinition> tools = {});

}  // namespace assistant
