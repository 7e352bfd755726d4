// assistant-cli serve: the local OpenAI-compatible API without the GUI. Prints
// "listening on URL" on stdout once the port is bound (tests read it with --port 0),
// waits for the model, then serves until SIGINT/SIGTERM.
#include <csignal>
#include <cstdio>
#include <thread>

#include "api_server.h"
#include "cli_common.h"
#include "commands.h"
#include "paths.h"

namespace cli {

namespace {

volatile std::sig_atomic_t g_stop = 0;
void onSignal(int) { g_stop = 1; }

}  // namespace

int runServe(std::vector<std::string> argv) {
    const char* cmd = "serve";
    Args args(std::move(argv));
    server::ServerOptions o;
    o.modelPath = args.value("-m", "--model").value_or("");
    if (auto v = args.value("--host")) o.host = *v;
    if (auto v = args.integer("--port")) o.port = static_cast<int>(*v);
    if (auto v = args.value("--api-key")) o.apiKey = *v;
    if (auto v = args.integer("--parallel", "-np")) o.parallel = static_cast<int>(*v);
    if (auto v = args.integer("--queue")) o.maxQueue = static_cast<int>(*v);
    if (auto v = args.integer("--max-body")) o.maxBodyBytes = *v > 0 ? static_cast<size_t>(*v) : 0;
    if (auto v = args.integer("-c", "--ctx")) o.contextLength = static_cast<int>(*v);
    if (auto v = args.integer("-t", "--threads")) o.threads = static_cast<int>(*v);
    if (args.flag("--no-batching")) o.batching = false;
    if (!readSpeculativeParams(args, o.speculative, cmd, nullptr, &o.draft)) return 2;
    if (!readDeviceParams(args, o.modelParams, cmd)) return 2;
    if (auto v = args.value("--embedder")) o.embedderPath = *v;
    if (auto v = args.value("--db")) o.ragDbPath = *v;
    while (auto origin = args.value("--cors-origin")) o.corsOrigins.push_back(*origin);
    const bool generateKey = args.flag("--generate-api-key");
    const bool noEmbedder = args.flag("--no-embedder");
    args.positional();
    if (!args.error().empty()) return usageError(args, cmd);
    if (o.port < 0 || o.port > 65535 || o.parallel < 1 || o.parallel > 64 || o.maxQueue < 0 || o.maxBodyBytes == 0) {
        std::fprintf(stderr, "%s: --port must be 0..65535, --parallel 1..64, --queue >= 0, --max-body > 0\n", cmd);
        return 2;
    }
    if (o.modelPath.empty()) o.modelPath = app::defaultModelPath();
    if (o.modelPath.empty()) {
        std::fprintf(stderr, "%s: no model given (-m FILE) and the embedded demo model was not found\n", cmd);
        return 2;
    }
    // The shipped USE-Lite embedder serves /v1/embeddings unless another is named.
    if (o.embedderPath.empty() && !noEmbedder) o.embedderPath = app::defaultEmbedderPath();
    if (generateKey) o.apiKey = server::generateApiKey();
    if (o.host != "127.0.0.1" && o.host != "localhost" && o.host != "::1" && o.apiKey.empty())
        std::fprintf(stderr, "%s: warning: listening on %s without --api-key: anyone on the network can use it\n",
                     cmd, o.host.c_str());

    server::ApiServer api(o);
    if (auto started = api.start(); !started) {
        printError(cmd, started.error());
        return 1;
    }
    std::printf("listening on %s\n", api.url().c_str());
    if (generateKey) std::printf("api key: %s\n", api.apiKey().c_str());
    std::fflush(stdout);
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    if (api.waitForModels() == server::ModelState::Failed) return failure(cmd, api.modelError());
    std::fprintf(stderr, "%s: model ready (%s), embedder %s, %d slot(s)\n", cmd, o.modelPath.c_str(),
                 o.embedderPath.empty() ? "none" : o.embedderPath.c_str(), o.parallel);
    while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::fprintf(stderr, "%s: stopping\n", cmd);
    api.stop();
    const server::ServerStats s = api.stats();
    std::fprintf(stderr, "%s: %llu requests, %llu completions, %llu cancelled, %llu rejected, %llu tokens generated\n", cmd,
                 static_cast<unsigned long long>(s.requests), static_cast<unsigned long long>(s.completions),
                 static_cast<unsigned long long>(s.cancelled), static_cast<unsigned long long>(s.rejected),
                 static_cast<unsigned long long>(s.generatedTokens));
    return 0;
}

}  // namespace cli
