// Pieces the assistant-cli commands share: loading a model with a clear error,
// option parsing for engine enums, reading text files.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "args.h"
#include "assistant/engine.h"

namespace cli {

// -m/--model, or the embedded demo model when absent; --device and --gpu-layers into
// ModelParams. Prints the error and returns null.
std::shared_ptr<const assistant::Model> loadModel(Args& args, const char* command);

// --kv-type f32|f16|q8_0 and -c/--ctx, -t/--threads into SessionParams. False on a bad value.
bool readSessionParams(Args& args, assistant::SessionParams& params, const char* command);

// Sampling options: --temp --top-k --top-p --min-p --repeat-penalty --repeat-last-n --seed.
void readSamplingParams(Args& args, assistant::SamplingParams& params);

// Constrained output: --grammar-file FILE (GBNF) or --json-schema FILE|JSON (a file
// name, or the schema itself when it starts with '{') into `grammar`. At most one of
// them; a bad file, grammar or schema prints why and returns false.
bool readGrammarParams(Args& args, std::string& grammar, const char* command);

// --draft prompt-lookup|none and --draft-max N (speculative decoding). False on a bad value.
bool readSpeculativeParams(Args& args, assistant::SpeculativeParams& params, const char* command);
// "; drafted N tokens, M accepted (P%)" for a stats line; empty without speculation.
std::string speculativeStats(const assistant::GenerateStats& stats);

// "1,2,3" -> ids; nullopt (with a message) on a malformed list.
std::optional<std::vector<int32_t>> parseTokenIds(const std::string& text, const char* command);

// Whole file as a string; nullopt (with a message) when unreadable.
std::optional<std::string> readTextFile(const std::string& path, const char* command);

void printError(const char* command, const assistant::Error& error);

// "COMMAND: what was wrong" on stderr (the argument parser's complaint, else `problem`);
// returns 2, the exit status for bad usage.
int usageError(const Args& args, const char* command, const char* problem = "bad arguments");

// A TokenSink for answers on the terminal: content to stdout (flushed), reasoning
// (<think> text) to stderr, so stdout holds only the answer.
bool printPiece(std::string_view piece, const assistant::GenerateStats& stats);

}  // namespace cli
