// Model files as data, for tools (assistant-cli info, quantize, template, tokenize):
// GGUF inspection without loading the weights, quantization, chat-template rendering
// from template text, and tokenization from a GGUF's vocabulary alone (vocab-only
// files work). The second public header next to engine.h; the engine's internals stay
// behind both. Implemented in inference/engine/model_tools.cpp. Qt-free.
//
//   auto file = GgufInfo::open("model.gguf");
//   if (file) for (const GgufTensor& t : file->tensors()) printf("%s %s\n", t.name.c_str(), t.typeName.c_str());
#pragma once

#include <cstdint>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "assistant/engine.h"
#include "json/json.h"

namespace assistant {

// ---------------------------------------------------------------------------
// GGUF inspection
// ---------------------------------------------------------------------------
struct GgufTensor {
    std::string name;
    uint32_t type = 0;            // the GGML type id as stored in the file
    std::string typeName;         // "F32", "Q4_K", ...
    std::vector<int64_t> shape;   // ne[0] (row length) first, as in GGUF
    int64_t elements = 0;
    uint64_t bytes = 0;           // size of the data
};

// ---------------------------------------------------------------------------
// Placement: where a model's parts would go for ModelParams (device, gpuLayers,
// gpuSplit, moeExperts), computed by the placement Model::load uses, without
// uploading anything (the device is opened: its memory and weight layouts count).
// ---------------------------------------------------------------------------
struct PlacementPart {
    std::string what;     // "layers 0-11", "routed experts of layers 12-47", "output head", ...
    std::string where;    // "cpu" or the device id
    uint64_t bytes = 0;   // on that backend (the host: bytes of the file's tensors)
};

struct PlacementReport {
    std::string device = "cpu";  // ModelInfo::device as Model::load would set it
    int gpuLayers = 0;
    int layerCount = 0;
    bool moe = false;            // the model has routed experts
    bool expertsOnGpu = false;
    int hotExpertsPerLayer = 0;  // ModelInfo::hotExpertsPerLayer: experts per layer the budget caches on the GPU
    int expertCount = 0;         // routed experts per layer
    // Experts in host memory: ModelInfo::expertStreamBytes (0: prefill computes them on
    // the CPU, for the reason in streamNote), from batches of streamMinTokens tokens.
    uint64_t expertStreamBytes = 0;
    uint64_t expertStreamHostBytes = 0;  // ModelInfo::expertStreamHostBytes
    int streamMinTokens = 0;
    bool streamThresholdAdapts = false;  // the default: the passes' measured break-even replaces it
    std::string streamNote;
    std::string note;            // ModelInfo::deviceNote
    std::vector<PlacementPart> parts;
    // What one decoded token reads at the start of a context on each side: the dense
    // part's weights, each MoE layer's used experts (a hot-expert cache hitting in
    // proportion to its share of the experts: hitRate), the output head; and the
    // host<->device crossings and device kernel launches it makes.
    uint64_t decodeCpuBytes = 0, decodeDeviceBytes = 0;
    // decodeCpuBytes by weight type ({"Q4_0", bytes}, ...): the kernels of each type read
    // weights in the caches at their own rates (MemoryBandwidth::cacheTypeBytesPerSecond).
    std::vector<std::pair<std::string, uint64_t>> decodeCpuBytesByType;
    int decodeCrossings = 0, decodeDeviceOps = 0;
    int decodeCpuOps = 0;  // ops the CPU runs per token (each a parallel loop: a fixed cost)
    // Values the CPU passes through a scalar activation per token, each at its own cost
    // beyond the bytes and ops (MemoryBandwidth::cpuSoftCapSeconds, cpuGeluSeconds): the
    // soft-capped attention scores of the CPU layers at a short context and the soft-capped
    // logits (Gemma-2's tanh), the GELU-gated feed-forward values (Gemma's GeGLU).
    uint64_t decodeCpuSoftCaps = 0, decodeCpuGelus = 0;
    double hitRate = 0;
};

// Fails as Model::load would (unreadable file, --moe-experts gpu that does not fit).
Result<PlacementReport> planPlacement(const std::string& path, const ModelParams& params);

// Memory figures of this machine for the decode estimate (decode_estimate.cpp).
struct MemoryBandwidth {
    double cpuBytesPerSecond = 0;     // a timed read of a 256 MiB buffer across `threads` threads
    double deviceBytesPerSecond = 0;  // a timed device-side copy of 256 MiB (bytes read + written); 0: no device
    double deviceOpSeconds = 0;       // one small device copy enqueued (a kernel launch's cost)
    double crossingSeconds = 0;       // a 16 KiB host->device write or device->host read, waited for
    // One CPU op's fixed cost on `threads` threads: a tiny matmul (512 x 256 Q4_0, one token)
    // on the CPU backend's thread pool, best of 3 x 500: the dispatch, the activation's
    // quantization and the wait for the threads that every op of a decode step pays.
    double cpuOpSeconds = 0;
    // The last-level caches of the first `threads` CPUs together (sysfs; 0: unknown), and
    // the rate at which the CPU kernels' one-token matmul reads Q4_0 weights held there
    // (cacheBytesPerSecond; a type not in cacheTypeBytesPerSecond is read at it) and each
    // of F32, F16, Q8_0, Q4_0, Q4_K, Q6_K: weights a token reads that fit the caches stay
    // there from token to token (a small model's all, a big one's few), and a kernel
    // slower than memory is that slow from memory too.
    double cacheBytes = 0, cacheBytesPerSecond = 0;
    std::vector<std::pair<std::string, double>> cacheTypeBytesPerSecond;
    std::string source;               // "measured", "cached in PATH", "defaults (no probe)"
    // One value through kernels::softCap (a tanh) and through kernels::geglu (GELU's fp16
    // table) on one thread: best of 20 passes over 4096 values in the caches.
    double cpuSoftCapSeconds = 0, cpuGeluSeconds = 0;
};
// The figures for the CPU with `threads` threads (0: all) and `device` ("cpu", or an
// OpenCL id: its figures too). Cached per machine in $XDG_CONFIG_HOME/assistant/
// bandwidth.tsv (~/.config/...): measured (about a second) only when not cached and
// probe is true; otherwise the defaults: CPU 20 GB/s, 5 us per CPU op, no cache figures,
// 20 ns per soft-capped and 10 ns per GELU-gated value, device 300 GB/s, 10 us per
// device op, 30 us per crossing.
MemoryBandwidth memoryBandwidth(const std::string& device, int threads, bool probe);

struct DecodeEstimate {
    double tokensPerSecond = 0;
    // Per token: the CPU's and the device's reads, the crossings and device launches
    // (overhead), the CPU ops' fixed cost; cpuCacheSeconds: the part of cpuSeconds read
    // from the caches; cpuValueSeconds: the soft-capped and GELU-gated values' cost.
    double cpuSeconds = 0, deviceSeconds = 0, overheadSeconds = 0, cpuOpSeconds = 0, cpuCacheSeconds = 0;
    double cpuValueSeconds = 0;
};
// tokens/s = 1 / (cpu bytes / cpu bandwidth + device bytes / device bandwidth +
// crossings x crossing time + device ops x op time + cpu ops x cpu op time + soft-capped
// and GELU-gated values x their times):
// memory-bound decode of one sequence at a short context plus each op's fixed cost
// (what dominates a small model), the sides one after the other (no overlap). Of the
// CPU's bytes, the share that fits cacheBytes reads at each type's cache rate, the rest
// at the slower of memory and that rate (without cache figures: all at memory's).
DecodeEstimate estimateDecode(const PlacementReport& plan, const MemoryBandwidth& bw);

// A GGUF file's header, metadata and tensor list (the file stays mapped while the
// object lives; tensor data is never read).
class GgufInfo {
public:
    // InvalidFormat (naming the field) for a truncated or corrupt file, never a crash.
    static Result<GgufInfo> open(const std::string& path);
    GgufInfo(GgufInfo&&) noexcept;
    GgufInfo& operator=(GgufInfo&&) noexcept;
    ~GgufInfo();

    uint32_t version() const;
    uint64_t fileSize() const;
    std::optional<std::string> getString(std::string_view key) const;  // a string value
    std::optional<uint64_t> getUInt(std::string_view key) const;       // a non-negative integer value
    // Every non-negative integer of an array value, or the one of a scalar; {} if none.
    std::vector<uint64_t> getUInts(std::string_view key) const;
    std::optional<size_t> arrayLength(std::string_view key) const;  // nullopt: not an array
    // Element index of an array of strings; nullopt when absent or not a string.
    std::optional<std::string> arrayString(std::string_view key, size_t index) const;
    // "<general.architecture>.<suffix>", e.g. archKey("context_length").
    std::string archKey(std::string_view suffix) const;
    const std::vector<GgufTensor>& tensors() const;

private:
    struct Impl;
    explicit GgufInfo(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

// ---------------------------------------------------------------------------
// Quantization: a quantized copy of an F32/F16/BF16 GGUF model
// ---------------------------------------------------------------------------
struct QuantizeParams {
    std::string input;
    std::string output;
    std::string type;  // a type name: isQuantizeType(type)
    int threads = 0;   // 0: the physical core count
    // Called after each tensor with (tensors done, total); return false to cancel.
    std::function<bool(size_t done, size_t total)> progress;
};

struct QuantizeStats {
    uint64_t inputBytes = 0, outputBytes = 0;  // tensor data only
    size_t tensors = 0;
    std::map<std::string, size_t> typeCounts;  // type name -> tensors of that type
    double seconds = 0.0;
};

bool isQuantizeType(std::string_view name);
std::string quantizeTypeNames();  // "F32, F16, ..." for messages
Result<QuantizeStats> quantizeModel(const QuantizeParams& params);

// ---------------------------------------------------------------------------
// Chat templates: render template text exactly as the engine does
// ---------------------------------------------------------------------------
struct TemplateRenderOptions {
    std::optional<std::tm> now;  // the clock strftime_now reads; empty: the local time now
};

struct TemplateRenderError {
    bool raised = false;  // the template itself called raise_exception(message)
    std::string message;  // "line 3, column 14: unknown filter 'foo'" (or the raised message)
};

// messages: a JSON array of {role, content, ...}; variables: extra template variables
// (bos_token, tools, ...) as a JSON object.
std::expected<std::string, TemplateRenderError> renderChatTemplate(std::string_view templateText,
                                                                   const json::Value& messages,
                                                                   const json::Value& variables,
                                                                   const TemplateRenderOptions& options = {});
// "2025-07-26T14:05:09" (also with a space instead of 'T') -> broken-down time.
std::optional<std::tm> parseTemplateTime(std::string_view text);

// ---------------------------------------------------------------------------
// Tokenization from a GGUF's tokenizer.* metadata only (no weights needed)
// ---------------------------------------------------------------------------
class VocabTokenizer {
public:
    static Result<VocabTokenizer> open(const std::string& path);
    VocabTokenizer(VocabTokenizer&&) noexcept;
    VocabTokenizer& operator=(VocabTokenizer&&) noexcept;
    ~VocabTokenizer();

    // As Model::tokenize / Model::detokenize.
    std::vector<int32_t> encode(std::string_view text, bool addSpecial = true, bool parseSpecial = true) const;
    std::string decode(std::span<const int32_t> tokens) const;

private:
    struct Impl;
    explicit VocabTokenizer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace assistant
