// assistant-cli perplexity: llama.cpp's method. The text is split into
// non-overlapping windows of CTX tokens (the first token of each replaced by BOS
// when the vocabulary adds one); the second half of each window is scored.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <span>

#include "cli_common.h"
#include "commands.h"

namespace cli {

namespace {

constexpr int kMinContext = 3;

// The negative log-likelihood of each scored token of one window (positions ctx/2 ..
// ctx-2 predict the next token), from the window's logits (ctx rows of vocab floats).
// Adds to nll and count.
void scoreWindow(const std::vector<float>& logits, std::span<const int32_t> window, int64_t vocab, double& nll,
                 size_t& count) {
    const int ctx = static_cast<int>(window.size());
    for (int j = ctx / 2; j < ctx - 1; ++j) {
        const float* row = logits.data() + static_cast<size_t>(j) * vocab;
        float maxLogit = row[0];
        for (int64_t v = 1; v < vocab; ++v) maxLogit = std::max(maxLogit, row[v]);
        double sum = 0.0;
        for (int64_t v = 0; v < vocab; ++v) sum += std::exp(static_cast<double>(row[v] - maxLogit));
        const int32_t target = window[j + 1];
        nll += -(static_cast<double>(row[target] - maxLogit) - std::log(sum));
        ++count;
    }
}

}  // namespace

int runPerplexity(std::vector<std::string> argv) {
    const char* cmd = "perplexity";
    Args args(std::move(argv));
    auto model = loadModel(args, cmd);
    assistant::SessionParams sp;
    if (!readSessionParams(args, sp, cmd)) return 2;
    const int ctx = sp.contextLength != 0 ? sp.contextLength : 512;
    sp.contextLength = ctx;
    const auto file = args.value("-f", "--file");
    args.positional();
    if (!args.error().empty() || !file) return usageError(args, cmd, "-f TEXTFILE is required");
    // Tokens ctx/2+1 .. ctx-1 of each window are scored: fewer than 3 scores none.
    if (ctx < kMinContext) {
        std::fprintf(stderr, "%s: -c %d scores no tokens: a window's second half is scored, so -c must be at least %d\n",
                     cmd, ctx, kMinContext);
        return 2;
    }
    if (!model) return 1;
    auto text = readTextFile(*file, cmd);
    if (!text) return 1;
    auto tokens = model->tokenize(*text, true, false);
    if (!tokens) {
        printError(cmd, tokens.error());
        return 1;
    }
    const size_t windows = tokens->size() / static_cast<size_t>(ctx);
    if (windows == 0) {
        std::fprintf(stderr, "%s: the text has %zu tokens; need at least %d (one window)\n", cmd, tokens->size(), ctx);
        return 1;
    }
    auto session = createSession(model, sp, cmd);
    if (!session) return 1;
    auto bosIds = model->tokenize("", true, false);
    const bool addBos = bosIds && !bosIds->empty();
    const int64_t vocab = model->info().vocabSize;
    double nll = 0.0;
    size_t count = 0;
    for (size_t w = 0; w < windows; ++w) {
        std::vector<int32_t> window(tokens->begin() + static_cast<std::ptrdiff_t>(w * ctx),
                                    tokens->begin() + static_cast<std::ptrdiff_t>((w + 1) * ctx));
        if (addBos) window[0] = bosIds->front();
        session->reset();
        auto logits = session->evaluate(window, true);
        if (!logits) {
            printError(cmd, logits.error());
            return 1;
        }
        // The targets are the text's tokens (the first one is never a target).
        scoreWindow(*logits, std::span<const int32_t>(*tokens).subspan(w * ctx, ctx), vocab, nll, count);
        std::fprintf(stderr, "[%zu/%zu] %.4f\n", w + 1, windows, std::exp(nll / count));
    }
    std::printf("perplexity: %.4f\n", std::exp(nll / count));
    return 0;
}

}  // namespace cli
