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

}  // namespace cli
