#include "cli_common.h"

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "device_choice.h"
#include "draft_choice.h"
#include "paths.h"

namespace cli {

void printError(const char* command, const assistant::Error& error) {
    std::fprintf(stderr, "%s: %s: %s\n", command, std::string(assistant::errorCodeName(error.code)).c_str(),
                 error.message.c_str());
}

int failure(const char* command, const std::string& message) {
    std::fprintf(stderr, "%s: %s\n", command, message.c_str());
    return 1;
}

RemoteArgs readRemoteArgs(Args& args) {
    RemoteArgs remote;
    remote.url = args.value("--remote");
    remote.apiKey = args.value("--api-key");
    if (remote.url) remote.model = args.value("-m", "--model");
    return remote;
}

int remoteContextTokens(const assistant::SessionParams& params) {
    return params.contextLength > 0 ? params.contextLength : 4096;
}

bool readDeviceParams(Args& args, assistant::ModelParams& params, const char* command, bool* asked) {
    const std::optional<std::string> device = args.value("--device");
    const std::optional<long long> gpuLayers = args.integer("--gpu-layers");
    if (asked) *asked = device || gpuLayers;
    if (device) {
        if (const std::string why = app::deviceChoiceError(*device); !why.empty()) {
            std::fprintf(stderr, "%s: --device: %s\n", command, why.c_str());
            return false;
        }
        params.device = *device;
    }
    if (gpuLayers) params.gpuLayers = static_cast<int>(*gpuLayers);
    if (const std::optional<std::string> split = args.value("--gpu-split")) {  // "3,1"
        for (size_t at = 0; at <= split->size();) {
            const size_t comma = std::min(split->find(',', at), split->size());
            char* end = nullptr;
            const std::string part = split->substr(at, comma - at);
            const float share = std::strtof(part.c_str(), &end);
            if (part.empty() || *end != '\0' || !(share >= 0.0f)) {
                std::fprintf(stderr, "%s: --gpu-split: '%s' is not a list of shares like 3,1\n", command, split->c_str());
                return false;
            }
            params.gpuSplit.push_back(share);
            at = comma + 1;
        }
    }
    if (const std::optional<std::string> mem = args.value("--gpu-mem")) {  // "12G", "512M", bytes
        char* end = nullptr;
        const double v = std::strtod(mem->c_str(), &end);
        const std::string unit = end ? end : "";
        const double scale = unit.empty() ? 1.0 : unit == "K" || unit == "k" ? 1024.0 : unit == "M" || unit == "m" ? 1048576.0
                             : unit == "G" || unit == "g" ? 1073741824.0 : unit == "T" || unit == "t" ? 1099511627776.0 : 0.0;
        if (end == mem->c_str() || !(v > 0) || scale == 0.0) {
            std::fprintf(stderr, "%s: --gpu-mem: '%s' is not a size like 12G, 512M or a byte count\n", command, mem->c_str());
            return false;
        }
        params.gpuMemory = static_cast<uint64_t>(v * scale);
    }
    if (const std::optional<std::string> moe = args.value("--moe-experts"))
        if (!assistant::parseMoeExperts(*moe, params.moeExperts)) {
            std::fprintf(stderr, "%s: --moe-experts must be auto, cpu or gpu (got '%s')\n", command, moe->c_str());
            return false;
        }
    return true;
}

std::shared_ptr<const assistant::Model> loadModel(Args& args, const char* command) {
    std::string path = args.value("-m", "--model").value_or("");
    if (path.empty()) path = app::defaultModelPath();
    if (path.empty()) {
        std::fprintf(stderr, "%s: no model given (-m FILE) and the embedded demo model was not found\n", command);
        return nullptr;
    }
    assistant::ModelParams params;
    bool asked = false;
    if (!readDeviceParams(args, params, command, &asked)) return nullptr;
    auto model = assistant::Model::load(path, params);
    if (!model) {
        printError(command, model.error());
        return nullptr;
    }
    const assistant::ModelInfo& info = (*model)->info();
    if (asked) {  // asked for explicitly: say where the layers run
        if (info.gpuLayers > 0)
            std::fprintf(stderr, "%s: %d of %d layers on %s%s\n", command, info.gpuLayers, info.layerCount,
                         info.device.c_str(), info.expertsOnGpu ? " (with their routed experts)" : "");
        if (info.hotExpertsPerLayer > 0)
            std::fprintf(stderr, "%s: hot-expert cache: %d of %d experts per layer on the GPU\n", command,
                         info.hotExpertsPerLayer, info.expertCount);
        else if (!info.deviceNote.empty())
            std::fprintf(stderr, "%s: GPU not used: %s\n", command, info.deviceNote.c_str());
    }
    return *model;
}

std::unique_ptr<assistant::Session> createSession(const std::shared_ptr<const assistant::Model>& model,
                                                  const assistant::SessionParams& params, const char* command) {
    auto session = assistant::Session::create(model, params);
    if (!session) {
        printError(command, session.error());
        return nullptr;
    }
    return std::move(*session);
}

bool readSessionParams(Args& args, assistant::SessionParams& params, const char* command) {
    if (auto kv = args.value("--kv-type")) {
        if (*kv == "f32") params.kvType = assistant::KvType::F32;
        else if (*kv == "f16") params.kvType = assistant::KvType::F16;
        else if (*kv == "q8_0") params.kvType = assistant::KvType::Q8_0;
        else if (*kv == "q4_0") params.kvType = assistant::KvType::Q4_0;
        else {
            std::fprintf(stderr, "%s: --kv-type must be f32, f16, q8_0 or q4_0 (got '%s')\n", command, kv->c_str());
            return false;
        }
    }
    if (auto c = args.integer("-c", "--ctx")) params.contextLength = static_cast<int>(*c);
    if (auto t = args.integer("-t", "--threads")) params.threads = static_cast<int>(*t);
    if (auto b = args.integer("-b", "--batch")) params.batchSize = static_cast<int>(*b);
    if (auto policy = args.value("--ctx-policy")) {
        if (*policy == "drop") params.contextPolicy = assistant::ContextPolicy::DropOldestTurns;
        else if (*policy == "stop") params.contextPolicy = assistant::ContextPolicy::StopWithError;
        else if (*policy == "sinks") params.contextPolicy = assistant::ContextPolicy::Sinks;
        else {
            std::fprintf(stderr, "%s: --ctx-policy must be drop, stop or sinks (got '%s')\n", command, policy->c_str());
            return false;
        }
    }
    if (auto n = args.integer("--sinks")) params.sinkTokens = static_cast<int>(*n);
    return true;
}

void readSamplingParams(Args& args, assistant::SamplingParams& p) {
    if (auto v = args.number("--temp")) p.temperature = static_cast<float>(*v);
    if (auto v = args.integer("--top-k")) p.topK = static_cast<int>(*v);
    if (auto v = args.number("--top-p")) p.topP = static_cast<float>(*v);
    if (auto v = args.number("--min-p")) p.minP = static_cast<float>(*v);
    if (auto v = args.number("--repeat-penalty")) p.repeatPenalty = static_cast<float>(*v);
    if (auto v = args.integer("--repeat-last-n")) p.repeatLastN = static_cast<int>(*v);
    if (auto v = args.integer("--seed")) p.seed = static_cast<uint64_t>(*v);
}

bool readGrammarParams(Args& args, std::string& grammar, const char* command) {
    const auto file = args.value("--grammar-file");
    const auto schema = args.value("--json-schema");
    if (file && schema) {
        std::fprintf(stderr, "%s: give --grammar-file or --json-schema, not both\n", command);
        return false;
    }
    if (file) {
        auto text = readTextFile(*file, command);
        if (!text) return false;
        if (auto ok = assistant::checkGrammar(*text); !ok) {
            std::fprintf(stderr, "%s: %s: %s\n", command, file->c_str(), ok.error().message.c_str());
            return false;
        }
        grammar = std::move(*text);
    }
    if (schema) {
        std::string text = *schema;
        if (!text.starts_with("{")) {
            auto read = readTextFile(text, command);
            if (!read) return false;
            text = std::move(*read);
        }
        auto gbnf = assistant::jsonSchemaToGrammar(text);
        if (!gbnf) {
            std::fprintf(stderr, "%s: --json-schema: %s\n", command, gbnf.error().message.c_str());
            return false;
        }
        grammar = std::move(*gbnf);
    }
    return true;
}

bool readSpeculativeParams(Args& args, assistant::SpeculativeParams& p, const char* command,
                           const std::shared_ptr<const assistant::Model>& target, std::string* draftChoice) {
    if (auto d = args.value("--draft")) {
        if (*d == "prompt-lookup") p.draft = assistant::SpeculativeParams::Draft::PromptLookup;
        else if (*d == "none") p.draft = assistant::SpeculativeParams::Draft::None;
        else if (draftChoice) {  // loaded later, beside the model (serve)
            p.draft = assistant::SpeculativeParams::Draft::Model;
            *draftChoice = *d;
        } else if (!target) {
            std::fprintf(stderr, "%s: --draft %s needs a local model\n", command, d->c_str());
            return false;
        } else {
            auto draft = app::loadDraftModel(*d, target->info().path, *target);
            if (!draft) {
                std::fprintf(stderr, "%s: --draft %s: %s\n", command, d->c_str(), draft.error().message.c_str());
                return false;
            }
            p.draft = assistant::SpeculativeParams::Draft::Model;
            p.draftModel = std::move(*draft);
        }
    }
    if (auto n = args.integer("--draft-max")) p.maxDraftTokens = static_cast<int>(*n);
    if (auto v = args.number("--draft-min-p")) p.minDraftProbability = static_cast<float>(*v);
    return true;
}

bool readGenerationArgs(Args& args, assistant::SessionParams& session, assistant::GenerateParams& generate,
                        const char* command, const std::shared_ptr<const assistant::Model>& model) {
    if (!readSessionParams(args, session, command)) return false;
    readSamplingParams(args, generate.sampling);
    if (!readSpeculativeParams(args, generate.speculative, command, model)) return false;
    if (!readGrammarParams(args, generate.grammar, command)) return false;
    if (auto n = args.integer("-n", "--n-predict")) generate.maxTokens = static_cast<int>(*n);
    return true;
}

std::string speculativeStats(const assistant::GenerateStats& st) {
    if (st.draftedTokens == 0) return {};
    char buf[128];
    std::snprintf(buf, sizeof buf, "; drafted %d tokens, %d accepted (%.0f%%)", st.draftedTokens,
                  st.acceptedDraftTokens, 100.0 * st.acceptedDraftTokens / st.draftedTokens);
    return buf;
}

std::optional<std::vector<int32_t>> parseTokenIds(const std::string& text, const char* command) {
    std::vector<int32_t> ids;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ',')) {
        try {
            size_t used = 0;
            const long v = std::stol(item, &used);
            if (used != item.size() || v < 0 || v > INT32_MAX) throw std::out_of_range(item);
            ids.push_back(static_cast<int32_t>(v));
        } catch (const std::exception&) {
            std::fprintf(stderr, "%s: '%s' is not a token id\n", command, item.c_str());
            return std::nullopt;
        }
    }
    if (ids.empty()) {
        std::fprintf(stderr, "%s: empty token id list\n", command);
        return std::nullopt;
    }
    return ids;
}

std::optional<std::string> readTextFile(const std::string& path, const char* command) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "%s: cannot read %s\n", command, path.c_str());
        return std::nullopt;
    }
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

namespace {

bool writeFlushed(std::FILE* out, std::string_view piece) {
    std::fwrite(piece.data(), 1, piece.size(), out);
    std::fflush(out);
    return true;
}

std::atomic<bool> g_interrupted{false};

}  // namespace

bool printText(std::string_view piece) { return writeFlushed(stdout, piece); }

bool printPiece(std::string_view piece, const assistant::GenerateStats& stats) {
    return writeFlushed(stats.channel == assistant::StreamChannel::Reasoning ? stderr : stdout, piece);
}

std::atomic<bool>* cancelOnInterrupt() {
    std::signal(SIGINT, [](int) { g_interrupted = true; });
    return &g_interrupted;
}

int usageError(const Args& args, const char* command, const char* problem) {
    std::fprintf(stderr, "%s: %s\n", command, args.error().empty() ? problem : args.error().c_str());
    return 2;
}

}  // namespace cli
