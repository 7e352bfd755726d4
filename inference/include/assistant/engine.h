// The engine's whole public surface. The UI, the CLI, the RAG layer and the local
// API server reach inference only through this header (and assistant/tools.h, the
// tool-call parser and grammar).
//
// Rules of the road:
// - No exceptions, no aborts, no Qt types cross this header. Fallible calls return
//   `Result<T>` (a std::expected) carrying an ErrorCode and a human-readable message.
// - `Model` is immutable after load and may be shared between threads
//   (std::shared_ptr<const Model>). `Session` holds one conversation's KV cache,
//   token history and sampler state; it belongs to one thread at a time.
// - The engine never prints. Diagnostics go to the log callback (setLogCallback).
// - Generation streams through a TokenSink; returning false from it, or setting the
//   cancel flag, stops generation within one micro-batch.
#pragma once

#include <atomic>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace assistant {

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------
enum class ErrorCode {
    InvalidArgument,          // a parameter is out of range or inconsistent
    FileNotFound,             // the path does not exist or cannot be opened
    IoError,                  // read/mmap failed
    InvalidFormat,            // not a GGUF, truncated, inconsistent offsets/sizes
    UnsupportedArchitecture,  // general.architecture is not one the engine runs
    UnsupportedTensorType,    // a tensor's ggml type is unknown to the engine
    UnsupportedTokenizer,     // tokenizer.ggml.model/pre is not implemented
    OutOfMemory,              // allocation or device memory exhausted
    ContextFull,              // the context is full and the policy says stop
    Cancelled,                // the cancel flag, the sink or a progress callback stopped it
    TemplateError,            // the chat template failed to render (or raised)
    DeviceError,              // a GPU backend reported an error
    NotImplemented,           // a feature that this build does not provide yet
    Internal,                 // a bug: please report with the message
};

struct Error {
    ErrorCode code = ErrorCode::Internal;
    std::string message;  // names the file/field/value that failed
};

template <class T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

// "InvalidFormat", ... for logs and UI.
std::string_view errorCodeName(ErrorCode code);

// ---------------------------------------------------------------------------
// Logging (process-wide; default: discard everything)
// ---------------------------------------------------------------------------
enum class LogLevel { Debug, Info, Warning, Error };
using LogCallback = std::function<void(LogLevel level, std::string_view message)>;
// Thread-safe. The callback may be called from any engine thread.
void setLogCallback(LogCallback callback);

// ---------------------------------------------------------------------------
// Devices
// ---------------------------------------------------------------------------
struct DeviceInfo {
    // "cpu", "opencl:P.D" (OpenCL platform P, device D: "opencl:0.1") or
    // "level_zero:R.D" (Level Zero driver R, device D: "level_zero:0.0"); stable within
    // a run. Level Zero devices are listed only: ModelParams::device takes "opencl:P.D".
    std::string id;
    std::string name;         // "Intel(R) Arc(TM) A770 Graphics"
    std::string backend;      // "cpu" | "opencl" | "level_zero"
    std::string type;         // "cpu" | "gpu" | "npu" | "accelerator"
    uint64_t memoryBytes = 0; // total device (or system) memory
    uint64_t freeBytes = 0;   // best estimate of what is free now; 0 = unknown
    std::string details;      // ISA features, compute units, driver version, ...
};

// Every device the compiled backends can see. A missing driver is an empty
// contribution, never an error. The CPU is always the first entry.
std::vector<DeviceInfo> listDevices();
// The memory free now on the device(s) ModelParams::device names, as listDevices
// reports it: for "auto" the GPU Model::load would pick, for several ids the least of
// theirs. 0 for "cpu", when there is no such GPU, or when its driver does not say.
uint64_t deviceFreeMemory(const std::string& device);

// "0.1.0" plus build information ("0.1.0 (Release, avx2 avx512 ...)").
std::string_view versionString();

// ---------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------
// The KV cache's element type: F16 (the default), F32, Q8_0 (8.5 bits a value) or Q4_0
// (4.5 bits: a quarter of F16's memory, at a perplexity cost: bench/RESULTS.md). The
// quantized ones need KV rows (kv heads x head size) that are a multiple of 32; GPU
// layers keep F16.
enum class KvType { F16, F32, Q8_0, Q4_0 };

enum class MoeExperts { Auto, Cpu, Gpu };
// "auto", "cpu", "gpu" (the apps' --moe-experts); false for anything else.
inline bool parseMoeExperts(std::string_view s, MoeExperts& out) {
    if (s == "auto") out = MoeExperts::Auto;
    else if (s == "cpu") out = MoeExperts::Cpu;
    else if (s == "gpu") out = MoeExperts::Gpu;
    else return false;
    return true;
}

struct ModelParams {
    // "auto" (the first OpenCL GPU if any, else CPU), "cpu", or an OpenCL DeviceInfo::id
    // ("opencl:P.D"). Other ids run on the CPU and say why in ModelInfo::deviceNote;
    // the apps reject them before loading (app/common/device_choice.h).
    // Several OpenCL ids separated by commas ("opencl:0.0,opencl:0.1") split the offloaded
    // layers across those devices (the residual stream crosses between them once per
    // boundary, through the host), earlier layers on earlier devices.
    std::string device = "auto";
    int gpuLayers = -1;           // -1: as many as fit in the device's free memory; 0: CPU only
    std::vector<float> gpuSplit;  // with several devices: each one's share of the layers (empty: equal)
    // Where a mixture-of-experts model's routed experts run when its layers are on a GPU
    // (dense models ignore it). Auto (default): on the GPU when the GPU layers with their
    // experts (all layers with gpuLayers -1), the output head, a KV cache of min(trained
    // context, 4096) tokens and the activations fit in 90% of the device's memory (or
    // gpuMemory); else
    // in host memory on the CPU, the rest of each layer on the GPU. Gpu: on the GPU, and
    // Model::load fails (OutOfMemory) saying how much memory that needs when it does not
    // fit (DeviceError when the device cannot compute the experts' type). Cpu: in host
    // memory on the CPU.
    MoeExperts moeExperts = MoeExperts::Auto;
    // Bytes of each device's memory the placement may fill with layers, KV cache and
    // activations (--gpu-mem); 0 (default): 90% of the device's memory.
    uint64_t gpuMemory = 0;
    bool useMmap = true;          // memory-map weights (false: read into RAM)
    int threads = 0;              // CPU worker threads for load-time repacking; 0 = physical cores
    // Called with progress in [0, 1] during load; return false to cancel (-> Cancelled).
    std::function<bool(float progress)> progress;
    // Chat template used instead of the GGUF's tokenizer.chat_template: either Jinja
    // text (Hugging Face chat-template syntax) or the name of a built-in format
    // ("chatml", "llama3", "mistral", "phi3", "gemma", "plain"). Empty (default): the
    // model's own template; a model without one, or one whose template does not
    // parse, gets the nearest built-in format (a warning goes to the log).
    std::string chatTemplateOverride;
    // Self-speculation: a quantization type as `assistant-cli quantize` takes it ("Q4_0",
    // "TQ2_0", ...; see assistant/model_tools.h) converts the file's matrices to it in
    // memory at load, with the quantizer's per-tensor rules (a tensor already as small
    // keeps its type; TQ2_0 rows that are not a multiple of 256 become Q4_0), from any
    // type the engine reads, so the model can serve as the draft of the same file
    // (SpeculativeParams::draftModel). Memory: the converted weights (Q4_0: 4.5 bits a
    // weight, 0.56x a Q8_0 file) are held in RAM, plus the CPU kernels' interleaved copy
    // of the matrices they repack; the file itself is unmapped. Empty (default): off.
    std::string requantize;
};

struct ModelInfo {
    std::string path;
    std::string name;              // general.name, or the file name
    std::vector<std::string> languages;  // general.languages (ISO 639-1), empty if the file does not say
    std::string architecture;      // general.architecture ("llama", "qwen2", "bert", ...)
    std::string fileType;          // dominant quantization ("Q4_0", "F16", "Q4_K_M" ...)
    std::string tokenizerModel;    // tokenizer.ggml.model ("llama", "gpt2", "bert", ...)
    std::string chatTemplate;      // tokenizer.chat_template, empty if none
    uint64_t fileSize = 0;         // bytes
    uint64_t parameterCount = 0;   // sum of tensor element counts
    int contextLength = 0;         // trained context length
    int embeddingLength = 0;       // n_embd
    int layerCount = 0;
    int headCount = 0;
    int headCountKv = 0;
    int vocabSize = 0;
    bool isEmbeddingModel = false; // true for encoder-only models (bert, ...): use embed()
    std::string device = "cpu";    // DeviceInfo::id running the offloaded layers ("a,b" for several), "cpu" if none
    int gpuLayers = 0;             // layers on the device(s) (the last ones, with the output head)
    bool expertsOnGpu = false;     // a mixture-of-experts model's GPU layers run their routed experts there
    // With routed experts in host memory and a --gpu-mem budget: experts of each GPU layer
    // held in its hot-expert cache (Model::hotExperts), of expertCount (0: no cache).
    int hotExpertsPerLayer = 0;
    int expertCount = 0;           // routed experts per layer (0: a dense model)
    // With routed experts in host memory: device bytes of the slots a prefill batch of at
    // least 192 tokens streams each layer's experts through (the device computes them
    // instead of the CPU; $ASSISTANT_MOE_STREAM: 0 off, N the batch size); 0: none.
    uint64_t expertStreamBytes = 0;
    // Their pinned host staging: a ring of 4 chunks of 32 MiB at most (128 MiB), whatever
    // the layers' size ($ASSISTANT_MOE_STREAM_CHUNK sets the chunk), resident in RAM
    // besides the file's mapping while the model is loaded; 0 when nothing streams.
    uint64_t expertStreamHostBytes = 0;
    // Bytes of the CPU kernels' own copies of weights (rows interleaved at load), held in
    // RAM besides the file's mapping: none for the weights a device computes.
    uint64_t cpuCopyBytes = 0;
    std::string deviceNote;        // why no GPU runs the model when one was asked for ("auto" included)
};

// A function call the model made: an assistant message's tool call.
struct ToolCall {
    std::string id;         // the API's "call_..." id; "" when none was given
    std::string name;       // the function's name
    std::string arguments;  // JSON text of the arguments object ("{\"city\": \"Paris\"}")
};

// A function the model may call (OpenAI's tools[].function).
struct ToolDefinition {
    std::string name;
    std::string description;  // "" when none
    std::string parameters;   // JSON Schema text of the arguments object; "" = any object
};

// How a model writes a tool call, read from its chat template (see assistant/tools.h).
enum class ToolCallSyntax {
    Generic,  // the template knows no tool syntax: the engine describes the tools in a
              // system message and asks for <tool_call>{"name", "arguments"}</tool_call>
    Hermes,   // Hermes, Qwen 2.5/3: <tool_call>{"name": .., "arguments": {..}}</tool_call>, several possible
    Llama3,   // Llama 3.x: {"name": .., "parameters": {..}} as the whole answer (after <|python_tag|>)
    Mistral,  // Mistral: [TOOL_CALLS][{"name": .., "arguments": {..}}, ...]
    Phi4,     // Phi-4-mini: functools[{"name": .., "arguments": {..}}, ...]
    // Block syntaxes (inference/tools/tool_call_blocks.cpp): calls reported whole.
    DeepSeek,     // <｜tool▁calls▁begin｜><｜tool▁call▁begin｜>name<｜tool▁sep｜>{..}<｜tool▁call▁end｜>...
    Granite,      // IBM Granite 3.x: <|tool_call|>[{"name": .., "arguments": {..}}, ...]
    CommandR,     // Cohere Command-R(+): Action: ```json [{"tool_name": .., "parameters": {..}}] ```
    Functionary,  // functionary v3.2: name\n{..} after the prompt's ">>>", more as >>>name\n{..}
    Kimi,         // Kimi-K2: <|tool_calls_section_begin|><|tool_call_begin|>functions.name:0<|tool_call_argument_begin|>{..}...
    Glm,          // GLM-4.5/4.6: <tool_call>name<arg_key>k</arg_key><arg_value>v</arg_value></tool_call>
    Qwen3Coder,   // <tool_call><function=name><parameter=k>v</parameter></function></tool_call>
    Harmony,      // gpt-oss: ... to=functions.name ... <|message|>{..}<|call|>
};

struct Message {
    std::string role;     // "system" | "user" | "assistant" | "tool"
    std::string content;
    // ({} initializers: Message{role, content} stays warning-free under -Wextra.)
    std::vector<ToolCall> toolCalls{};  // assistant: the calls it made (content may be empty then)
    std::string toolCallId{};           // tool: the id of the call this message answers
    std::string name{};                 // tool: the function that answered ("" when not given)
};

class Model {
public:
    // Opens and validates a GGUF file. Never crashes on bad input: a truncated or
    // corrupt file gives InvalidFormat with a message naming the field.
    static Result<std::shared_ptr<const Model>> load(const std::string& path,
                                                     const ModelParams& params = {});
    ~Model();
    Model(const Model&) = delete;
    Model& operator=(const Model&) = delete;

    const ModelInfo& info() const;

    // Text -> token ids. addSpecial: BOS/EOS as the vocabulary's add_bos/add_eos say.
    // parseSpecial: "<|im_start|>" and friends become their control ids.
    Result<std::vector<int32_t>> tokenize(std::string_view text, bool addSpecial = true,
                                          bool parseSpecial = true) const;
    // Token ids -> UTF-8 text (control tokens omitted).
    std::string detokenize(std::span<const int32_t> tokens) const;

    // Renders messages with the model's chat template (or a built-in fallback). tools:
    // the functions offered, as the template's `tools` variable (OpenAI's shape), or,
    // for a template with no tool syntax, as a system message (ToolCallSyntax::Generic).
    Result<std::string> applyChatTemplate(std::span<const Message> messages,
                                          bool addGenerationPrompt = true,
                                          std::span<const ToolDefinition> tools = {}) const;
    // How this model writes tool calls: from the template it renders with.
    ToolCallSyntax toolCallSyntax() const;

    // Embedding models only (info().isEmbeddingModel): one L2-normalized vector per
    // text, batched internally (several texts share every matmul). Texts are
    // tokenized with the model's special tokens (BERT: [CLS] ... [SEP]); a text longer
    // than the model's context is cut to it. Thread-safe; uses all physical cores.
    Result<std::vector<std::vector<float>>> embed(std::span<const std::string> texts) const;
    // Same from token ids (each sequence non-empty, ids in [0, vocabSize)), used as
    // given: no special tokens are added.
    Result<std::vector<std::vector<float>>> embedTokens(std::span<const std::vector<int32_t>> sequences) const;

    // Bytes of KV cache one token occupies with this model at the given type.
    uint64_t kvBytesPerToken(KvType type) const;

    // The hot-expert cache (ModelParams::gpuMemory with the routed experts in host
    // memory): each GPU layer keeps info().hotExpertsPerLayer experts on the GPU, first
    // spread evenly over the ids, then the most picked. Picks are counted per expert;
    // refreshHotExperts (called by every Session at the start of generate() and at
    // reset(), never inside a token) swaps the most-picked experts not cached for the
    // least-picked cached ones where the lead is clear (an eighth more picks, at least 2),
    // then halves the counts (recent requests weigh most).
    struct HotExpertStats {
        uint64_t picks = 0;    // expert selections in the cached layers (tokens x experts per token)
        uint64_t hits = 0;     // of those, computed on the GPU
        uint64_t swaps = 0;    // experts replaced by refreshes
        uint64_t refreshes = 0;
        // Layers whose experts a prefill batch streamed to the GPU instead (any budget;
        // ModelInfo::expertStreamBytes): their picks are counted above only where the layer
        // has a cache (the CPU routes the batch, the cached picks run from the cache).
        uint64_t streamedLayers = 0;
        // What those streams copied: experts (a whole layer counts all its experts; a layer
        // with a cache only the uncached experts its batch picked) and their bytes.
        uint64_t stagedExperts = 0;
        uint64_t stagedBytes = 0;
        // The refreshes' wall time (the swaps' conversion, upload and slot copies, waited
        // for: none of it spills into the next token) and the bytes their swaps uploaded.
        double refreshSeconds = 0;
        uint64_t refreshBytes = 0;
        // The prefill stream's threshold now (tokens whose picks the CPU would compute; 0:
        // no stream) and what moved it: a layer's stream time and the CPU experts' time a
        // token, measured as the passes ran (0: not yet). ASSISTANT_MOE_STREAM=N fixes it.
        int64_t streamThresholdTokens = 0;
        double streamSecondsPerLayer = 0;
        double cpuSecondsPerTokenPerLayer = 0;
        double hitRate() const { return picks ? static_cast<double>(hits) / static_cast<double>(picks) : 0.0; }
    };
    HotExpertStats hotExperts() const;  // totals since load (zeros without a cache)
    // Thread-safe; returns the experts swapped (0 without a cache).
    uint64_t refreshHotExperts() const;

    struct Impl;  // opaque: the engine's own (engine/model_impl.h)

private:
    friend struct ModelAccess;  // engine/engine_access.h: the engine, its tests and benchmarks
    explicit Model(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

// ---------------------------------------------------------------------------
// Session
// ---------------------------------------------------------------------------
enum class ContextPolicy {
    DropOldestTurns,  // keep the system prompt (first message), drop the oldest turns, re-evaluate
    StopWithError,    // return ContextFull
    // StreamingLLM: when the cache is full, the oldest tokens after the first
    // sinkTokens ("attention sinks") are evicted, a quarter of the context at a time,
    // and the rest move down with their keys re-rotated to their new positions, so
    // generation and conversations go on past the context without re-evaluating
    // anything; what was evicted is forgotten. Every layer's cache must be on the CPU
    // (Session::create says so otherwise).
    Sinks,
};

// Continuous batching: the sessions created with one Batcher (SessionParams::batcher)
// evaluate together. While several of them generate at once, each step is one
// forward pass over the next token of every one of them (and a chunk of any prompt
// being read), so the weights are read once per step for all, instead of once per
// session. Each session keeps its own KV cache, history, sampling, stop strings and
// cancel flag, and gets the same logits and tokens as alone (each token's arithmetic
// does not depend on what else is in the pass). A long prompt is read promptChunk
// tokens per pass while other sessions are decoding, so it does not stall them. The
// batcher's threads run every pass; its sessions start no threads of their own.
// Thread-safe: meant for sessions generating on threads of their own (server slots).
struct BatcherParams {
    int threads = 0;            // threads of every pass; 0 = physical cores
    int maxBatchTokens = 512;   // tokens in one pass at most
    int promptChunk = 64;       // prompt tokens per pass while other sequences decode
    // A pass waits at most this long (microseconds) for generating sessions that are
    // still sampling their previous token, so that their next tokens ride along.
    int gatherMicros = 2000;
};

class Batcher {
public:
    static Result<std::shared_ptr<Batcher>> create(std::shared_ptr<const Model> model,
                                                   const BatcherParams& params = {});
    ~Batcher();
    Batcher(const Batcher&) = delete;
    Batcher& operator=(const Batcher&) = delete;

    struct Stats {
        uint64_t passes = 0;      // forward passes run
        uint64_t tokens = 0;      // tokens evaluated in them
        uint64_t sequences = 0;   // sum over passes of the sequences in each
        uint64_t sharedPromptTokens = 0;  // prompt tokens copied from another session's cache
    };
    Stats stats() const;
    const std::shared_ptr<const Model>& model() const;

    struct Impl;  // opaque: the engine's own (engine/batcher.h)

private:
    friend struct BatcherAccess;  // engine/engine_access.h
    explicit Batcher(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

struct SessionParams {
    int contextLength = 0;        // tokens; 0 = min(model's trained length, 4096)
    KvType kvType = KvType::F16;  // the conformance tests use F32
    int batchSize = 512;          // prompt tokens evaluated per micro-batch (alone)
    int threads = 0;              // 0 = physical cores (unused with a batcher: its threads run)
    ContextPolicy contextPolicy = ContextPolicy::DropOldestTurns;
    int sinkTokens = 4;           // ContextPolicy::Sinks: first tokens always kept (0 .. context/4)
    // Evaluate in passes shared with the batcher's other sessions (continuous
    // batching, see Batcher); null: alone, on the session's own threads. The batcher
    // must be of the same model. Its sessions also share prompt prefixes: a prompt
    // that begins like what another of them has cached (the same system prompt and
    // documents, say) gets those KV rows copied instead of evaluated.
    std::shared_ptr<Batcher> batcher;
};

struct SamplingParams {
    float temperature = 0.8f;       // <= 0: greedy (argmax, lowest id wins ties)
    int topK = 40;                  // <= 0: off
    float topP = 0.95f;             // >= 1: off
    float minP = 0.05f;             // <= 0: off
    float repeatPenalty = 1.0f;     // 1: off; applied to the last repeatLastN tokens
    int repeatLastN = 64;
    float frequencyPenalty = 0.0f;  // OpenAI-style, over the same window
    float presencePenalty = 0.0f;
    uint64_t seed = 0xFFFFFFFFull;  // same seed + same input -> same output; 0xFFFFFFFF = random
    std::vector<std::pair<int32_t, float>> logitBias;  // token id -> added logit (-inf bans)
};

// Speculative decoding: guessed ("drafted") tokens are evaluated together with the
// sampled one in one batched pass, and kept while they are what the model samples
// anyway. The output is the same as without (greedy and seeded sampling alike: every
// token is still sampled from the model's own logits); only the speed changes, up when
// guesses are right (rewriting, quoting, code edits), a little down when they are not.
struct SpeculativeParams {
    enum class Draft {
        None,          // one token per forward pass
        PromptLookup,  // the tokens that followed the latest earlier occurrence of the
                       // last n tokens, in the prompt or the answer so far
        Model,         // draftModel's greedy continuation: a small model with the same
                       // vocabulary (checkDraftModel), or the model itself requantized to a
                       // low-bit type (ModelParams::requantize: self-speculation). The
                       // session runs it with its own KV cache, kept on the accepted tokens
    };
    Draft draft = Draft::None;
    // Guessed tokens per pass (1..64). 3: on a 2-core AVX2 CPU a pass of 1 + 3 tokens
    // costs 1.6 one-token steps and 1 + 8 tokens 3.9 (TinyLlama-shape Q4_0), so longer
    // guesses pay only where most of them are right.
    int maxDraftTokens = 3;
    int ngramMin = 2;        // n-gram lengths matched, longest first (1 <= min <= max <= 16)
    int ngramMax = 4;
    // Draft::Model: the draft (required then; ignored otherwise). Generation fails with
    // InvalidArgument when its vocabulary differs from the model's.
    std::shared_ptr<const Model> draftModel;
    // Draft::Model: drafting stops at the first token whose probability under the draft
    // is below this (0..1; 0: always maxDraftTokens). 0.5: the guesses the draft doubts
    // are the ones the model rejects (demo models: 96-100% kept at 0.5, 74-85% at 0),
    // and each costs a draft step and a verified row.
    float minDraftProbability = 0.5f;
};

// Whether `draft` can draft for `target` (SpeculativeParams::draftModel): the same
// tokenizer kind, vocabulary size, token texts and BOS/EOS ids. InvalidArgument names
// the first difference ("token 13 is '<0x0A>' in the model and 'a' in the draft").
Status checkDraftModel(const Model& target, const Model& draft);

struct GenerateParams {
    SamplingParams sampling;
    SpeculativeParams speculative;             // off by default
    int maxTokens = 512;                       // <= 0: until EOS or the context is full
    std::vector<std::string> stop;             // stop strings; never emitted
    bool ignoreEos = false;                    // keep going past EOS/EOT (benchmarks, conformance)
    const std::atomic<bool>* cancel = nullptr; // checked between micro-batches and tokens
    // Tooling hook (conformance, debugging): called with the [vocab] logits each
    // generated token is sampled from, before penalties.
    std::function<void(std::span<const float> logits)> onLogits;
    // generate(messages) only: split <think>...</think> into the Reasoning channel
    // (see StreamChannel). When the rendered prompt ends inside an open <think>
    // (DeepSeek-R1 templates), generation starts on the Reasoning channel. The raw
    // text and token-id overloads never split: their output is plain text.
    bool splitReasoning = true;
    // Constrained output: a GBNF grammar (llama.cpp's format: `root ::= ...`, see
    // inference/grammar/grammar.h) the generated text must match. Empty (default): off.
    // Every token is sampled from the tokens whose text keeps a parse alive; end of
    // text is allowed only where the grammar is complete, and generation ends there
    // (ignoreEos notwithstanding) or when nothing more may follow. A grammar that does
    // not parse makes generate return InvalidArgument ("grammar: line 2, column 7: ...")
    // before any evaluation. Speculative drafts stay on: a guess the grammar rejects is
    // cut from the draft, and kept guesses are ones the constrained sampler chose, so
    // the output is the same as without drafting. maxTokens can still end the text
    // before the grammar is complete (StopReason::MaxTokens). With a grammar,
    // splitReasoning is off: the grammar shapes the whole answer.
    std::string grammar;
    // generate(messages) only: the functions the model may call, rendered into the
    // prompt (see Model::applyChatTemplate). The calls come back as text in the model's
    // syntax; assistant/tools.h parses them and builds the grammar that forces one.
    std::vector<ToolDefinition> tools;
};

// Which stream a generated piece belongs to. Reasoning models (DeepSeek-R1, Qwen3,
// QwQ, ...) think inside <think>...</think> before they answer; chat generation
// (generate(messages)) strips those tags and marks the text between them Reasoning,
// so a UI can fold it and an API can send it as reasoning_content.
enum class StreamChannel { Content, Reasoning };

struct GenerateStats {
    int promptTokens = 0;         // tokens in this request's prompt
    int reusedPromptTokens = 0;   // of those, served from the KV cache (prefix reuse)
    int sharedPromptTokens = 0;   // of those, copied from another session of the same Batcher
    int generatedTokens = 0;
    double timeToFirstTokenMs = 0;
    double promptTokensPerSecond = 0;
    double generatedTokensPerSecond = 0;
    int draftedTokens = 0;        // speculative decoding: tokens guessed and verified
    int acceptedDraftTokens = 0;  // of those, kept (acceptance rate = accepted / drafted)
    // The hot-expert cache during this request (Model::hotExperts; counted over the
    // model, so sessions running at once share them): selected experts and those
    // computed on the GPU. hotExpertPicks 0: no cache.
    uint64_t hotExpertPicks = 0;
    uint64_t hotExpertHits = 0;
    int contextUsed = 0;          // tokens in the KV cache now
    int contextSize = 0;
    std::string device;           // DeviceInfo::id that ran the model
    // The channel of the piece passed to the sink together with these stats.
    StreamChannel channel = StreamChannel::Content;
};

enum class StopReason { EndOfText, MaxTokens, StopString, Cancelled, ContextFull };

struct GenerateResult {
    std::string text;             // everything emitted to the sink on the Content channel
    std::string reasoning;        // everything emitted on the Reasoning channel (tags stripped)
    std::vector<int32_t> tokens;  // generated ids (stop strings' tokens included)
    StopReason stopReason = StopReason::EndOfText;
    GenerateStats stats;
};

// Constrained output helpers: grammars for GenerateParams::grammar.
// A JSON Schema (JSON text) as a GBNF grammar of the JSON values it accepts; what
// is supported, loosely checked or ignored is listed in inference/grammar/json_schema.h.
// InvalidArgument names the schema path ("/properties/age/type: unknown type 'int'").
Result<std::string> jsonSchemaToGrammar(std::string_view schemaJson);
// The grammar of any JSON object (OpenAI's response_format json_object).
std::string jsonObjectGrammar();
// Parses a GBNF grammar without generating: InvalidArgument with line and column.
Status checkGrammar(std::string_view gbnf);

// Receives each piece of text as soon as it is complete UTF-8; return false to stop.
using TokenSink = std::function<bool(std::string_view piece, const GenerateStats& stats)>;

class Session {
public:
    static Result<std::unique_ptr<Session>> create(std::shared_ptr<const Model> model,
                                                   const SessionParams& params = {});
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // Renders the conversation with the chat template, reuses the longest common
    // prefix with the cached tokens, evaluates the rest and streams the answer.
    Result<GenerateResult> generate(std::span<const Message> messages, const GenerateParams& params,
                                    const TokenSink& sink);
    // Same on raw text (no template) or raw token ids.
    Result<GenerateResult> generate(std::string_view prompt, const GenerateParams& params,
                                    const TokenSink& sink);
    Result<GenerateResult> generate(std::span<const int32_t> prompt, const GenerateParams& params,
                                    const TokenSink& sink);

    // Low level: appends tokens to the context and returns logits, row-major
    // [tokens.size()][vocab] when allLogits, else [1][vocab] for the last token.
    Result<std::vector<float>> evaluate(std::span<const int32_t> tokens, bool allLogits,
                                        const std::atomic<bool>* cancel = nullptr);

    // Forgets the context (KV cache and history).
    void reset();
    // Keeps the first n cached tokens and forgets the rest (nothing when n >= tokens().size());
    // the next evaluate continues after them.
    void truncate(size_t n);
    std::span<const int32_t> tokens() const;
    const std::shared_ptr<const Model>& model() const;
    int contextSize() const;

    struct Impl;

private:
    explicit Session(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace assistant
