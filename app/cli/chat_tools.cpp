#include "chat_tools.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "assistant/tools.h"
#include "cli_common.h"
#include "json/json.h"

namespace cli {

namespace {

std::expected<json::Value, std::string> readJsonFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::unexpected("cannot open " + path);
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = json::Value::parse(text.str());
    if (!parsed) return std::unexpected(path + ": not JSON (" + parsed.error() + ")");
    return parsed;
}

// One entry of OpenAI's tools array; an error names it ("tools[1].function.name ...").
std::expected<assistant::ToolDefinition, std::string> readTool(const json::Value& t, size_t i) {
    const std::string at = "tools[" + std::to_string(i) + "]";
    const json::Value* type = t.find("type");
    if (!t.isObject() || (type && type->asString() != "function"))
        return std::unexpected(at + " must be {\"type\": \"function\", \"function\": {\"name\", \"description\", \"parameters\"}}");
    const json::Value* f = t.find("function");
    if (!f || !f->isObject()) return std::unexpected(at + ".function must be an object");
    const json::Value* name = f->find("name");
    if (!name || !name->isString() || name->asString().empty())
        return std::unexpected(at + ".function.name must be a non-empty string");
    assistant::ToolDefinition out{name->asString(), {}, {}};
    if (const json::Value* d = f->find("description")) {
        if (!d->isString()) return std::unexpected(at + ".function.description must be a string");
        out.description = d->asString();
    }
    if (const json::Value* p = f->find("parameters")) {
        if (!p->isObject()) return std::unexpected(at + ".function.parameters must be a JSON Schema object");
        out.parameters = p->dump();
    }
    return out;
}

std::expected<std::vector<assistant::ToolDefinition>, std::string> readToolsFile(const std::string& path) {
    auto doc = readJsonFile(path);
    if (!doc) return std::unexpected(doc.error());
    const json::Value* list = doc->isObject() ? doc->find("tools") : &*doc;
    if (!list || !list->isArray() || list->size() == 0)
        return std::unexpected(path + ": expected OpenAI's tools array ([{\"type\": \"function\", \"function\": {...}}, ...]) "
                                      "or {\"tools\": [...]}");
    std::vector<assistant::ToolDefinition> tools;
    for (size_t i = 0; i < list->size(); ++i) {
        auto tool = readTool((*list)[i], i);
        if (!tool) return std::unexpected(path + ": " + tool.error());
        for (const auto& seen : tools)
            if (seen.name == tool->name) return std::unexpected(path + ": two tools are named '" + tool->name + "'");
        tools.push_back(std::move(*tool));
    }
    return tools;
}

std::expected<std::map<std::string, std::string>, std::string> readResultsFile(const std::string& path) {
    auto doc = readJsonFile(path);
    if (!doc) return std::unexpected(doc.error());
    if (!doc->isObject()) return std::unexpected(path + ": expected {\"FUNCTION\": result, ...}");
    std::map<std::string, std::string> out;
    for (const auto& [name, value] : doc->asObject()) out[name] = value.isString() ? value.asString() : value.dump();
    return out;
}

// Shows the parser's events: text as it is, a call as "[tool call] NAME ARGS" on its own line.
bool showEvents(const std::vector<assistant::ToolCallEvent>& events, const assistant::TokenSink& sink,
                const assistant::GenerateStats& stats) {
    using Kind = assistant::ToolCallEvent::Kind;
    bool more = true;
    for (const assistant::ToolCallEvent& e : events) {
        switch (e.kind) {
            case Kind::Text: more = sink(e.text, stats) && more; break;
            case Kind::CallStart: more = sink("\n[tool call] " + e.text + " ", stats) && more; break;
            case Kind::Arguments: more = sink(e.text, stats) && more; break;
            case Kind::CallEnd: more = sink(e.valid ? "\n" : "  (not a valid call: kept as text)\n", stats) && more; break;
        }
    }
    return more;
}

}  // namespace

std::expected<std::optional<ChatTools>, std::string> readChatTools(Args& args) {
    const auto toolsPath = args.value("--tools");
    const auto choice = args.value("--tool-choice");
    const auto resultsPath = args.value("--tool-results");
    if (!toolsPath) {
        if (choice || resultsPath) return std::unexpected("--tool-choice and --tool-results go with --tools FILE.json");
        return std::nullopt;
    }
    ChatTools out;
    auto tools = readToolsFile(*toolsPath);
    if (!tools) return std::unexpected(tools.error());
    out.tools = std::move(*tools);
    if (choice) {
        out.choice = *choice;
        const bool named = std::any_of(out.tools.begin(), out.tools.end(), [&](const auto& t) { return t.name == *choice; });
        if (*choice != "auto" && *choice != "none" && *choice != "required" && !named)
            return std::unexpected("--tool-choice must be auto, none, required or the name of a tool in " + *toolsPath);
    }
    if (resultsPath) {
        auto results = readResultsFile(*resultsPath);
        if (!results) return std::unexpected(results.error());
        out.results = std::move(*results);
        out.resultsPath = *resultsPath;
    }
    return out;
}

ChatAnswerer localToolAnswerer(std::shared_ptr<assistant::Session> session, const assistant::GenerateParams& params,
                               ChatTools tools, assistant::ToolCallSyntax syntax) {
    auto callCount = std::make_shared<int>(0);  // ids call_1, call_2, ... through the conversation
    return [session, params, tools = std::move(tools), syntax, callCount](
               const std::vector<assistant::Message>& messages,
               const assistant::TokenSink& sink) -> std::expected<ChatTurn, std::string> {
        assistant::GenerateParams p = params;
        if (tools.choice != "none") p.tools = tools.tools;
        // A forced call opens the answer to a question; once results came back the model chooses.
        const bool afterResults = !messages.empty() && messages.back().role == "tool";
        if (!afterResults && tools.choice != "auto" && tools.choice != "none") {
            const bool named = tools.choice != "required";
            auto grammar = assistant::toolCallGrammar(syntax, tools.tools, named ? tools.choice : "", !named);
            if (!grammar) return std::unexpected("--tools: " + grammar.error().message);
            p.grammar = std::move(*grammar);
        }
        assistant::ToolCallParser parser(syntax, p.tools);
        bool keepGoing = true;
        auto result = session->generate(messages, p, [&](std::string_view piece, const assistant::GenerateStats& st) {
            if (st.channel == assistant::StreamChannel::Reasoning) return sink(piece, st);
            keepGoing = showEvents(parser.feed(piece), sink, st) && keepGoing;
            return keepGoing;
        });
        showEvents(parser.finish(), sink, {});
        if (!result)
            return std::unexpected(result.error().message + " [" + std::string(assistant::errorCodeName(result.error().code)) + "]");
        assistant::ParsedToolCalls parsed = p.tools.empty() ? assistant::ParsedToolCalls{result->text, {}}
                                                            : assistant::parseToolCalls(syntax, result->text, p.tools);
        for (assistant::ToolCall& c : parsed.calls) c.id = "call_" + std::to_string(++*callCount);
        const std::string calls = parsed.calls.empty() ? "" : "; " + std::to_string(parsed.calls.size()) + " tool call(s)";
        return ChatTurn{parsed.content, localTurnStats(result->stats, calls), std::move(parsed.calls)};
    };
}

ToolResultSource toolResultSource(const ChatTools& tools) {
    return [results = tools.results, path = tools.resultsPath](const assistant::ToolCall& call) -> std::optional<std::string> {
        if (const auto it = results.find(call.name); it != results.end()) {
            std::fprintf(stderr, "[tool result %s] %s: %s  (from %s)\n", call.id.c_str(), call.name.c_str(),
                         it->second.c_str(), path.c_str());
            return it->second;
        }
        std::fprintf(stderr, "result of %s %s %s (one line, JSON or text; /exit quits)> ", call.id.c_str(),
                     call.name.c_str(), call.arguments.c_str());
        std::string line;
        if (!std::getline(std::cin, line) || line == "/exit") return std::nullopt;
        return line;
    };
}

}  // namespace cli
