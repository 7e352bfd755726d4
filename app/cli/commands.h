// assistant-cli subcommands. Each lives in its own cmd_<name>.cpp and is listed
// once in kCommands (main.cpp). A command returns the process exit code:
// 0 ok, 1 runtime failure (message on stderr), 2 usage error.
#pragma once

#include <string>
#include <vector>

namespace cli {

struct Command {
    const char* name;
    const char* summary;
    const char* usage;
    int (*run)(std::vector<std::string> args);
};

int runDevices(std::vector<std::string> args);
int runInfo(std::vector<std::string> args);
int runGenerate(std::vector<std::string> args);
int runTokenize(std::vector<std::string> args);
int runEmbed(std::vector<std::string> args);
int runPerplexity(std::vector<std::string> args);
int runChat(std::vector<std::string> args);
int runTemplate(std::vector<std::string> args);
int runServe(std::vector<std::string> args);  // only with ASSISTANT_WITH_SERVER
int runQuantize(std::vector<std::string> args);

#ifdef ASSISTANT_WITH_RAG
// Document index (rag/): cmd_index, cmd_docs, cmd_search, cmd_ask, cmd_summarize.
int runIndex(std::vector<std::string> args);
int runDocs(std::vector<std::string> args);
int runSearch(std::vector<std::string> args);
int runAsk(std::vector<std::string> args);
int runSummarize(std::vector<std::string> args);
#endif

}  // namespace cli
