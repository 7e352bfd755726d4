// Pieces the assistant-cli commands share: loading a model and creating a session
// with a clear error, option parsing for engine enums and --remote, reading text
// files, the terminal sinks for streamed answers, Ctrl+C as a cancel flag.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "args.h"
#include "assistant/engine.h"

namespace cli {

// --remote URL, --api-key KEY and, with --remote, -m/--model as the server's model id.
// Read them before loadModel, which would take -m as a file.
struct RemoteArgs {
    std::optional<std::string> url;  // set: a remote OpenAI-compatible server answers
    std::optional<std::string> apiKey;
    std::optional<std::string> model;
};
RemoteArgs readRemoteArgs(Args& args);

// The context a remote server's prompt is budgeted in: -c, else 4096 tokens (its
// tokenizer is not known here, so tokens are estimated).
int remoteContextTokens(const assistant::SessionParams& params);

// --device, --gpu-layers, --gpu-split, --gpu-mem and --moe-experts into params; false after
// printing what is wrong. asked: whether --device or --gpu-layers was given.
bool readDeviceParams(Args& args, assistant::ModelParams& params, const char* command, bool* asked = nullptr);

// -m/--model, or the embedded demo model when absent; readDeviceParams' options into
// ModelParams. Prints the error and returns null.
std::shared_ptr<const assistant::Model> loadModel(Args& args, const char* command);

// A session on model; prints the error and returns null.
std::unique_ptr<assistant::Session> createSession(const std::shared_ptr<const assistant::Model>& model,
                                                  const assistant::SessionParams& params, const char* command);

// --kv-type f32|f16|q8_0 and -c/--ctx, -t/--threads into SessionParams. False on a bad value.
bool readSessionParams(Args& args, assistant::SessionParams& params, const char* command);

// Sampling options: --temp --top-k --top-p --min-p --repeat-penalty --repeat-last-n --seed.
void readSamplingParams(Args& args, assistant::SamplingParams& params);

// Constrained output: --grammar-file FILE (GBNF) or --json-schema FILE|JSON (a file
// name, or the schema itself when it starts with '{') into `grammar`. At most one of
// them; a bad file, grammar or schema prints why and returns false.
bool readGrammarParams(Args& args, std::string& grammar, const char* command);

// Speculative decoding: --draft prompt-lookup|none|FILE|self:TYPE, --draft-max N and
// --draft-min-p P. A draft model (FILE, or the target's file requantized to TYPE) is
// loaded here for `target` and checked against it; with draftChoice (serve, which loads
// its models later) its name goes there instead. False (the message printed) on a bad
// value, a draft that does not load or does not share the vocabulary, or no target.
bool readSpeculativeParams(Args& args, assistant::SpeculativeParams& params, const char* command,
                           const std::shared_ptr<const assistant::Model>& target, std::string* draftChoice = nullptr);

// What generate and chat take: the session's options, sampling, speculative decoding
// (a draft model for `model`, null with --remote), constrained output and -n/--n-predict.
// False on a bad value (the message printed).
bool readGenerationArgs(Args& args, assistant::SessionParams& session, assistant::GenerateParams& generate,
                        const char* command, const std::shared_ptr<const assistant::Model>& model);
// "; drafted N tokens, M accepted (P%)" for a stats line; empty without speculation.
std::string speculativeStats(const assistant::GenerateStats& stats);

// "1,2,3" -> ids; nullopt (with a message) on a malformed list.
std::optional<std::vector<int32_t>> parseTokenIds(const std::string& text, const char* command);

// Whole file as a string; nullopt (with a message) when unreadable.
std::optional<std::string> readTextFile(const std::string& path, const char* command);

void printError(const char* command, const assistant::Error& error);

// "COMMAND: message" on stderr; returns 1, the exit status for a runtime failure.
int failure(const char* command, const std::string& message);

// "COMMAND: what was wrong" on stderr (the argument parser's complaint, else `problem`);
// returns 2, the exit status for bad usage.
int usageError(const Args& args, const char* command, const char* problem = "bad arguments");

// Streamed text to stdout, flushed at once so the terminal shows it as it comes. True
// (go on), so it can end a sink.
bool printText(std::string_view piece);

// A TokenSink for answers on the terminal: content to stdout (printText), reasoning
// (<think> text) to stderr, so stdout holds only the answer.
bool printPiece(std::string_view piece, const assistant::GenerateStats& stats);

// A flag that Ctrl+C (SIGINT) sets from now on, for GenerateParams::cancel and the
// like: the running answer stops and the command reports what it has.
std::atomic<bool>* cancelOnInterrupt();

}  // namespace cli
