// assistant-cli: the engine from a terminal (and the GPU machine, which has no Qt).
#include <cstdio>
#include <cstring>
#include <iterator>
#include <string>
#include <vector>

#include "assistant/engine.h"
#include "commands.h"
#include "paths.h"

namespace {

constexpr cli::Command kCommands[] = {
    {"devices", "list CPU and GPU devices", "assistant-cli devices", cli::runDevices},
    {"info", "show a GGUF file: metadata, tensors, memory estimate", "assistant-cli info FILE [--ctx N] [--kv-type f16|f32|q8_0|q4_0]\n"
     "  [--device auto|cpu|opencl:P.D[,...]] [--gpu-layers N] [--gpu-split 3,1] [--moe-experts auto|cpu|gpu]\n"
     "  [--gpu-mem BYTES] [-t THREADS] [--no-probe]\n"
     "  With --device: where Model::load would place each part (bytes on each device), nothing uploaded,\n"
     "  and the decode tokens/s to expect: an estimate from the bytes a token reads on each side and this\n"
     "  machine's memory bandwidths (probed once, ~1 s, and cached in ~/.config/assistant/bandwidth.tsv;\n"
     "  --no-probe: the cache or the defaults CPU 20 GB/s, GPU 300 GB/s, 10 us per GPU op, 30 us per crossing).", cli::runInfo},
    {"generate", "continue a prompt, streaming to stdout (stats on stderr)",
     "assistant-cli generate [-m FILE] (-p TEXT | --token-ids 1,2,3) [-n N] [--temp T] [--top-k K] [--top-p P]\n"
     "  [--min-p P] [--repeat-penalty R] [--seed S] [--stop TEXT]... [-t THREADS] [-c CTX] [-b BATCH]\n"
     "  [--kv-type f32|f16|q8_0|q4_0] [--ignore-eos] [--print-ids] [--dump-logits FILE]\n"
     "  [--device auto|cpu|opencl:P.D[,opencl:P.D...]] [--gpu-layers N (-1: all that fit)] [--gpu-split 3,1]\n"
     "  [--moe-experts auto|cpu|gpu (auto: a MoE model's experts on the GPU when the whole model fits, else on\n"
     "  the CPU; gpu: fail, saying how much memory is needed, when it does not fit)]\n"
     "  [--gpu-mem BYTES (12G, 512M: what the placement may fill on each device; default 90% of its memory;\n"
     "  with a MoE model's experts in host memory, what is left after the dense part caches the most-picked\n"
     "  experts on the GPU)]\n"
     "  [--draft prompt-lookup|none|FILE|self:TYPE] [--draft-max N (3)] [--draft-min-p P (0.5)]\n"
     "  [--grammar-file FILE | --json-schema FILE|JSON]\n"
     "  [--ctx-policy drop|stop|sinks] [--sinks N (4)]  (a full context: drop the oldest turns, stop, or keep\n"
     "  the first N tokens and evict the oldest after them, StreamingLLM-style, generating on)\n"
     "  Without -m, the embedded demo model. --grammar-file: the output follows a GBNF grammar (llama.cpp's\n"
     "  format); --json-schema: it is JSON valid against the schema (a file, or the schema text itself).\n"
     "  Generation ends where the grammar is complete. --draft prompt-lookup: speculative decoding with guesses\n"
     "  copied from earlier text (same output, faster when the answer repeats the prompt); --draft FILE: guesses\n"
     "  from a small model with the same vocabulary; --draft self:q4_0 (or another quantize type): from this\n"
     "  model requantized in memory (costs the requantized weights in RAM); a draft model drafts up to\n"
     "  --draft-max tokens while its top probability is >= --draft-min-p. --dump-logits writes float32 logits of every prompt\n"
     "  position, then one row per generated token.",
     cli::runGenerate},
    {"tokenize", "show the token ids of a text",
     "assistant-cli tokenize [-m FILE] [--no-bos] [--ids] (TEXT | -f TEXTFILE)\n"
     "  --ids prints one JSON array of ids; BOS is added when the vocabulary says so, unless --no-bos.",
     cli::runTokenize},
    {"embed", "one L2-normalized vector per text (embedding models: bert, use-lite)",
     "assistant-cli embed [-m FILE] [--json] [--timing] (TEXT... | -f FILE | --token-ids 101,7592,102 ...)\n"
     "  Without -m, the shipped default embedder (USE-Lite). -f: one text per line (blank lines skipped).\n"
     "  --token-ids (repeatable): ids used as given, no special tokens added. Prints one line of\n"
     "  space-separated numbers per input, or with --json one JSON array of arrays; --timing: inputs/s on stderr.",
     cli::runEmbed},
    {"perplexity", "perplexity of a text file (llama.cpp's method)",
     "assistant-cli perplexity [-m FILE] -f TEXTFILE [-c CTX (512)] [-t THREADS] [--kv-type f32|f16|q8_0|q4_0]\n"
     "  Non-overlapping windows of CTX tokens; the second half of each is scored.",
     cli::runPerplexity},
    {"chat", "interactive chat on the terminal",
     "assistant-cli chat [-m FILE] [--system TEXT] [-n N] [--temp T] [...sampling, --draft, --grammar-file and\n"
     "  --json-schema options of generate]\n"
     "  [--remote URL/v1 [--api-key KEY] [-m SERVER_MODEL_ID]]  (another OpenAI-compatible server answers)\n"
     "  [--tools TOOLS.json [--tool-choice auto|none|required|NAME] [--tool-results RESULTS.json]]\n"
     "  [--device auto|cpu|opencl:P.D] [--gpu-layers N (-1: all that fit)] [--moe-experts auto|cpu|gpu] [--gpu-mem BYTES]\n"
     "  --tools: OpenAI's tools array, offered to the local model. A call prints as\n"
     "  [tool call] NAME {arguments}; its result is read from RESULTS.json ({\"NAME\": result}) or asked\n"
     "  for (one line, JSON or text), goes back as a tool message, and the model answers again (up to 8\n"
     "  rounds a question). required/NAME force a call (by grammar) in the first answer to each question.",
     cli::runChat},
    {"template", "render a chat template (the model's or a file's) for a conversation, exactly",
     "assistant-cli template (-m MODEL.gguf | --template-file FILE.jinja) --messages MESSAGES.json\n"
     "  [--vars VARS.json] [--now 2025-07-26T14:05:09]\n"
     "  Prints the prompt with no newline added. --vars: a JSON object of template variables\n"
     "  (add_generation_prompt, bos_token, eos_token, tools, ...); with -m, bos_token and eos_token\n"
     "  default to the model's. --now fixes the clock of strftime_now. Exit status 3 when the\n"
     "  template calls raise_exception (its message on stderr).",
     cli::runTemplate},
#ifdef ASSISTANT_WITH_RAG
    {"index", "add files and folders to the document index (PDF, text, Markdown, DOCX, ODT)",
     "assistant-cli index PATH... [--db FILE] [--embedder FILE] [--json] [--password PW] [--no-ocr]\n"
     "  [--no-embed] [--collection NAME] [--replace-embeddings] [--device ID (cpu: the embedder's; auto, opencl:P.D)]\n"
     "  [--remote-embeddings URL/v1 [--api-key KEY] [--embedding-model M]]\n"
     "  One line per file: status, path, detail (--json: one array of {path, status, pages, chunks,\n"
     "  detail}). Unchanged files are skipped, changed ones re-indexed, deleted ones removed.\n"
     "  Without --embedder, the shipped default embedder when present (else BM25 only).\n"
     "  --remote-embeddings: a server's /v1/embeddings makes the vectors (the chunks' text is sent\n"
     "  there). An index holds one embedder's vectors: another is refused unless\n"
     "  --replace-embeddings, which drops the old vectors and embeds everything again.",
     cli::runIndex},
    {"docs", "list the indexed documents and their status",
     "assistant-cli docs [--db FILE] [--json] [--collection NAME]", cli::runDocs},
    {"search", "search the document index",
     "assistant-cli search \"query\" [--db FILE] [-k K (8)] [--mode bm25|dense|hybrid] [--json]\n"
     "  [--embedder FILE | --remote-embeddings URL/v1 [--api-key KEY] [--embedding-model M]] [--collection NAME]\n"
     "  Prints file, page, score and an excerpt (--json: one array of {path, page_from, page_to,\n"
     "  score, text}). hybrid (the default) falls back to bm25 when there are no vectors.",
     cli::runSearch},
    {"ask", "answer a question from the indexed documents, with cited sources",
     "assistant-cli ask \"question\" -m MODEL [--db FILE] [--collection NAME] [-k K (8)] [--embedder FILE]\n"
     "  [--embedder-device ID (cpu)]\n"
     "  [--chunks-only] [-n N] [-c CTX] [...sampling, --grammar-file and --json-schema options of generate]\n"
     "  [--remote URL/v1 [--api-key KEY] [-m SERVER_MODEL_ID]]  (retrieval here, the answer from that server)\n"
     "  [--remote-embeddings URL/v1 [--embeddings-api-key KEY (else --api-key)] [--embedding-model M]]\n"
     "  Documents that fit the context go in whole (all of them, else the best hit's), unless\n"
     "  --chunks-only; otherwise hybrid search (bm25 without the embedder's vectors) picks chunks.",
     cli::runAsk},
    {"summarize", "summarize a whole document (map-reduce; section summaries are cached)",
     "assistant-cli summarize FILE -m MODEL [--db FILE] [-c CTX] [-n N] [--no-ocr]\n"
     "assistant-cli summarize FILE --remote URL [--api-key KEY] [-m SERVER_MODEL_ID] [-c CTX] ...\n"
     "  With --remote, an OpenAI-compatible server (URL with /v1) writes the summaries; the\n"
     "  document is indexed here and its sections are sent there.", cli::runSummarize},
#endif
#ifdef ASSISTANT_WITH_SERVER
    {"serve", "OpenAI-compatible local API (chat, completions, embeddings) on loopback",
     "assistant-cli serve [-m FILE] [--host 127.0.0.1] [--port 8765] [--api-key KEY | --generate-api-key]\n"
     "  [--parallel N (2)] [--queue N (32)] [--embedder FILE | --no-embedder] [--db RAG.db]\n"
     "  [--cors-origin ORIGIN]... [--max-body BYTES (8 MiB)] [-c CTX] [-t THREADS] [--no-batching]\n"
     "  [--draft prompt-lookup|none|FILE|self:TYPE] [--draft-max N (3)] [--draft-min-p P (0.5)]\n"
     "  [--device auto|cpu|opencl:P.D[,...]] [--gpu-layers N] [--gpu-split 3,1] [--moe-experts auto|cpu|gpu]\n"
     "  [--gpu-mem BYTES]\n"
     "  The slots decode together, one forward pass per step for all (continuous batching) on THREADS\n"
     "  engine threads (default: physical cores); --no-batching: each slot on THREADS/N threads of its own.\n"
     "  Prints 'listening on URL' once bound (--port 0: any free port). Endpoints: GET /health,\n"
     "  GET /v1/models, POST /v1/chat/completions, POST /v1/completions, POST /v1/embeddings, GET /stats,\n"
     "  and the Ollama API under /api/. --draft: speculative decoding for requests that do not choose\n"
     "  (a draft model is loaded beside the model; requests may name it, or prompt-lookup, or none).\n"
     "  --cors-origin: allowed browser origins, '*' wildcards (default: localhost and Office hosts).",
     cli::runServe},
#endif
    {"quantize", "write a quantized copy of an F32/F16/BF16 model",
     "assistant-cli quantize IN.gguf OUT.gguf TYPE [-t THREADS] [-q]\n"
     "  TYPE: F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K Q4_K Q5_K Q6_K Q4_K_M Q5_K_M IQ4_NL IQ4_XS TQ1_0 TQ2_0.\n"
     "  Norms and biases stay F32; the output matrix gets Q6_K (except for Q8_0); the _M recipes give\n"
     "  attn_v/ffn_down Q6_K on the most sensitive layers.",
     cli::runQuantize},
};

void printHelp() {
    std::printf(
        "assistant-cli %s\n"
        "Usage: assistant-cli [--version] [--help] COMMAND [ARGS...]\n\n"
        "Commands:\n",
        std::string(assistant::versionString()).c_str());
    for (const cli::Command& c : kCommands) std::printf("  %-12s %s\n", c.name, c.summary);
    std::printf("\n'assistant-cli COMMAND --help' shows a command's options.\n");
    const std::string model = app::defaultModelPath();
    std::printf("Embedded demo model: %s\n", model.empty() ? "(not found)" : model.c_str());
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        printHelp();
        return 2;
    }
    const std::string first = argv[1];
    if (first == "--version" || first == "-V") {
        std::printf("assistant-cli %s\n", std::string(assistant::versionString()).c_str());
        return 0;
    }
    if (first == "--help" || first == "-h" || first == "help") {
        printHelp();
        return 0;
    }
    for (const cli::Command& c : kCommands) {
        if (first != c.name) continue;
        std::vector<std::string> args(argv + 2, argv + argc);
        for (const std::string& a : args) {
            if (a == "--help" || a == "-h") {
                std::printf("%s\n%s\n", c.summary, c.usage);
                return 0;
            }
        }
        return c.run(std::move(args));
    }
    std::fprintf(stderr, "assistant-cli: unknown command '%s' (try --help)\n", first.c_str());
    return 2;
}
