// assistant-cli info FILE [--ctx N] [--kv-type f16|f32|q8_0] [--device D ...]: what a
// GGUF file holds (header, hyper-parameters, tokenizer, tensors per type), how much
// memory it needs (the weights plus a KV cache of ctx tokens), and with --device where
// each part would be placed.
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>

#include "args.h"
#include "cli_common.h"
#include "commands.h"
#include "assistant/model_tools.h"

namespace cli {

namespace {

std::string humanBytes(uint64_t bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(bytes);
    int unit = 0;
    while (v >= 1024.0 && unit < 4) {
        v /= 1024.0;
        ++unit;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, unit == 0 ? "%.0f %s" : "%.2f %s", v, units[unit]);
    return buf;
}

// 292.8K, 6.74M, 1.10B: one decimal below a million, two above.
std::string humanCount(uint64_t n) {
    char buf[32];
    if (n < 1000) std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(n));
    else if (n < 1000000) std::snprintf(buf, sizeof buf, "%.1fK", n / 1e3);
    else if (n < 1000000000) std::snprintf(buf, sizeof buf, "%.2fM", n / 1e6);
    else std::snprintf(buf, sizeof buf, "%.2fB", n / 1e9);
    return buf;
}

// "<arch>.<suffix>" as an integer; per-layer arrays (some models vary heads by
// layer) give their largest entry.
std::optional<uint64_t> archUInt(const assistant::GgufInfo& f, std::string_view suffix) {
    std::optional<uint64_t> best;
    for (uint64_t u : f.getUInts(f.archKey(suffix)))
        if (!best || u > *best) best = u;
    return best;
}

std::string orDash(std::optional<uint64_t> v) { return v ? std::to_string(*v) : "-"; }

struct KvType {
    const char* name;
    uint64_t blockBytes;  // bytes per block of blockSize elements
    uint64_t blockSize;
};

std::optional<KvType> parseKvType(const std::string& s) {
    if (s == "f16") return KvType{"f16", 2, 1};
    if (s == "f32") return KvType{"f32", 4, 1};
    if (s == "q8_0") return KvType{"q8_0", 34, 32};
    if (s == "q4_0") return KvType{"q4_0", 18, 32};
    return std::nullopt;
}

// Tensors per type: count and bytes. Returns the total bytes.
uint64_t printTensorTable(const assistant::GgufInfo& f) {
    struct Totals {
        uint64_t count = 0, bytes = 0;
    };
    uint64_t weightBytes = 0;
    std::map<uint32_t, Totals> perType;
    std::map<uint32_t, std::string> names;
    for (const assistant::GgufTensor& t : f.tensors()) {
        Totals& s = perType[t.type];
        names[t.type] = t.typeName;
        ++s.count;
        s.bytes += t.bytes;
        weightBytes += t.bytes;
    }
    std::printf("\n%-10s %8s %14s %12s\n", "type", "tensors", "bytes", "size");
    for (const auto& [type, s] : perType)
        std::printf("%-10s %8llu %14llu %12s\n",
                    names[type].c_str(),
                    static_cast<unsigned long long>(s.count), static_cast<unsigned long long>(s.bytes),
                    humanBytes(s.bytes).c_str());
    std::printf("%-10s %8zu %14llu %12s\n", "total", f.tensors().size(),
                static_cast<unsigned long long>(weightBytes), humanBytes(weightBytes).c_str());
    return weightBytes;
}

// The hyper-parameters the summary and the KV estimate read (absent keys: nullopt).
struct Shape {
    std::optional<uint64_t> vocab, ctxTrained, nEmbd, nLayer, nHead, nHeadKv;
};

Shape readShape(const assistant::GgufInfo& f) {
    Shape s;
    const std::optional<size_t> tokens = f.arrayLength("tokenizer.ggml.tokens");
    s.vocab = tokens ? std::optional<uint64_t>(*tokens) : archUInt(f, "vocab_size");
    s.ctxTrained = archUInt(f, "context_length");
    s.nEmbd = archUInt(f, "embedding_length");
    s.nLayer = archUInt(f, "block_count");
    s.nHead = archUInt(f, "attention.head_count");
    s.nHeadKv = archUInt(f, "attention.head_count_kv").or_else([&] { return s.nHead; });
    return s;
}

// The header, the hyper-parameters and the tokenizer.
void printSummary(const assistant::GgufInfo& f, const std::string& path, const Shape& s) {
    const std::string arch(f.getString("general.architecture").value_or("-"));
    const std::string name(f.getString("general.name").value_or(std::filesystem::path(path).stem().string()));
    std::printf("file:             %s (%s)\n", path.c_str(), humanBytes(f.fileSize()).c_str());
    std::printf("GGUF version:     %u\n", f.version());
    std::printf("architecture:     %s\n", arch.c_str());
    std::printf("name:             %s\n", name.c_str());
    uint64_t parameters = 0;
    for (const assistant::GgufTensor& t : f.tensors()) parameters += static_cast<uint64_t>(t.elements);
    std::printf("parameters:       %s (%llu)\n", humanCount(parameters).c_str(),
                static_cast<unsigned long long>(parameters));
    std::printf("context length:   %s\n", orDash(s.ctxTrained).c_str());
    std::printf("embedding length: %s\n", orDash(s.nEmbd).c_str());
    std::printf("layers:           %s\n", orDash(s.nLayer).c_str());
    std::printf("heads:            %s (kv heads %s)\n", orDash(s.nHead).c_str(), orDash(s.nHeadKv).c_str());
    std::printf("vocab size:       %s\n", orDash(s.vocab).c_str());
    std::printf("tokenizer:        %s (pre: %s)\n",
                std::string(f.getString("tokenizer.ggml.model").value_or("-")).c_str(),
                std::string(f.getString("tokenizer.ggml.pre").value_or("-")).c_str());
}

// The weights plus a KV cache: K and V per layer, ctx positions, n_head_kv heads of
// head_dim each.
void printMemoryEstimate(const assistant::GgufInfo& f, const Shape& s, uint64_t ctx, const KvType& kvType,
                         uint64_t weightBytes) {
    const uint64_t headDimDefault = s.nEmbd && s.nHead && *s.nHead ? *s.nEmbd / *s.nHead : 0;
    const uint64_t headK = archUInt(f, "attention.key_length").value_or(headDimDefault);
    const uint64_t headV = archUInt(f, "attention.value_length").value_or(headK);
    const uint64_t kvElements = s.nLayer.value_or(0) * ctx * (headK + headV) * s.nHeadKv.value_or(0);
    const uint64_t kvBytes = (kvElements + kvType.blockSize - 1) / kvType.blockSize * kvType.blockBytes;
    std::printf("\nmemory estimate at context %llu, KV cache %s:\n", static_cast<unsigned long long>(ctx),
                kvType.name);
    std::printf("  weights:  %14llu  %s\n", static_cast<unsigned long long>(weightBytes),
                humanBytes(weightBytes).c_str());
    std::printf("  KV cache: %14llu  %s  (%s layers x %llu tokens x (K %llu + V %llu) x %s kv heads)\n",
                static_cast<unsigned long long>(kvBytes), humanBytes(kvBytes).c_str(), orDash(s.nLayer).c_str(),
                static_cast<unsigned long long>(ctx), static_cast<unsigned long long>(headK),
                static_cast<unsigned long long>(headV), orDash(s.nHeadKv).c_str());
    std::printf("  total:    %14llu  %s\n", static_cast<unsigned long long>(weightBytes + kvBytes),
                humanBytes(weightBytes + kvBytes).c_str());
}

// Where Model::load would put each part for these ModelParams (the placement's own
// plan: nothing uploaded), bytes on each backend.
// The decode tokens/s the plan's traffic gives with this machine's memory figures.
void printDecodeEstimate(const assistant::PlacementReport& plan, int threads, bool probe) {
    const std::string device = plan.device.substr(0, plan.device.find(','));
    const assistant::MemoryBandwidth bw = assistant::memoryBandwidth(device, threads, probe);
    const assistant::DecodeEstimate e = assistant::estimateDecode(plan, bw);
    std::printf("\nexpected decode: %.1f tokens/s (an estimate: one sequence at a short context, memory-bound)\n",
                e.tokensPerSecond);
    std::printf("  per token: CPU reads %s at %.1f GB/s (%.2f ms) and runs %d ops x %.1f us (%.2f ms)",
                humanBytes(plan.decodeCpuBytes).c_str(), bw.cpuBytesPerSecond / 1e9, 1e3 * e.cpuSeconds,
                plan.decodeCpuOps, 1e6 * bw.cpuOpSeconds, 1e3 * e.cpuOpSeconds);
    if (e.cpuCacheSeconds > 0)
        std::printf(" (what fits the %s of last-level cache: %.2f ms)",
                    humanBytes(static_cast<uint64_t>(bw.cacheBytes)).c_str(), 1e3 * e.cpuCacheSeconds);
    if (e.cpuValueSeconds > 0)
        std::printf(", soft-caps %llu values x %.1f ns and GELU-gates %llu x %.1f ns (%.2f ms)",
                    static_cast<unsigned long long>(plan.decodeCpuSoftCaps), 1e9 * bw.cpuSoftCapSeconds,
                    static_cast<unsigned long long>(plan.decodeCpuGelus), 1e9 * bw.cpuGeluSeconds,
                    1e3 * e.cpuValueSeconds);
    if (device != "cpu")
        std::printf(", %s reads %s at %.1f GB/s (%.2f ms), %d crossings x %.0f us + %d GPU ops x %.1f us (%.2f ms)",
                    device.c_str(), humanBytes(plan.decodeDeviceBytes).c_str(), bw.deviceBytesPerSecond / 1e9,
                    1e3 * e.deviceSeconds, plan.decodeCrossings, 1e6 * bw.crossingSeconds, plan.decodeDeviceOps,
                    1e6 * bw.deviceOpSeconds, 1e3 * e.overheadSeconds);
    std::printf("\n  assumes: all the dense weights and %s each token; the sides take turns (no overlap)%s\n",
                plan.moe ? "the used experts of each MoE layer read once" : "nothing else read",
                plan.hitRate > 0 ? "; the hot-expert cache hits in proportion to the experts it holds" : "");
    if (plan.hitRate > 0) std::printf("  hot-expert hit rate assumed: %.1f%%\n", 100.0 * plan.hitRate);
    if (!bw.cacheTypeBytesPerSecond.empty()) {
        std::printf("  the CPU kernels' reads from the caches:");
        for (const auto& [type, rate] : bw.cacheTypeBytesPerSecond) std::printf(" %s %.1f GB/s", type.c_str(), rate / 1e9);
        std::printf("\n");
    }
    std::printf("  bandwidths: %s\n", bw.source.c_str());
}

int printPlacement(const std::string& path, const assistant::ModelParams& params, int threads, bool probe) {
    auto plan = assistant::planPlacement(path, params);
    if (!plan) {
        std::fprintf(stderr, "info: %s [%s]\n", plan.error().message.c_str(),
                     std::string(assistant::errorCodeName(plan.error().code)).c_str());
        return 1;
    }
    std::printf("\nplacement for --device %s: %d of %d layers on %s", params.device.c_str(), plan->gpuLayers,
                plan->layerCount, plan->device.c_str());
    if (plan->moe && plan->gpuLayers > 0)
        std::printf(", routed experts on %s", plan->expertsOnGpu ? "the GPU" : "the CPU (host memory)");
    if (plan->hotExpertsPerLayer > 0)
        std::printf(", hot-expert cache: %d of %d experts per layer on the GPU", plan->hotExpertsPerLayer,
                    plan->expertCount);
    std::printf("\n");
    if (plan->moe && plan->gpuLayers > 0 && !plan->expertsOnGpu) {
        if (plan->expertStreamBytes > 0)
            std::printf("  prefill streams experts: yes, %s (batches of %d tokens or more%s; pinned host staging %s)\n",
                        humanBytes(plan->expertStreamBytes).c_str(), plan->streamMinTokens,
                        plan->streamThresholdAdapts ? ", then from the break-even the passes measure" : "",
                        humanBytes(plan->expertStreamHostBytes).c_str());
        else
            std::printf("  prefill streams experts: no (%s)\n", plan->streamNote.c_str());
    }
    if (!plan->note.empty()) std::printf("  note: %s\n", plan->note.c_str());
    std::map<std::string, uint64_t> perBackend;
    std::printf("  %-52s %-14s %14s %12s\n", "part", "on", "bytes", "size");
    for (const assistant::PlacementPart& p : plan->parts) {
        std::printf("  %-52s %-14s %14llu %12s\n", p.what.c_str(), p.where.c_str(),
                    static_cast<unsigned long long>(p.bytes), humanBytes(p.bytes).c_str());
        perBackend[p.where] += p.bytes;
    }
    for (const auto& [where, bytes] : perBackend)
        std::printf("  %-52s %-14s %14llu %12s\n", "total", where.c_str(), static_cast<unsigned long long>(bytes),
                    humanBytes(bytes).c_str());
    printDecodeEstimate(*plan, threads, probe);
    return 0;
}

}  // namespace

int runInfo(std::vector<std::string> argv) {
    Args args(std::move(argv));
    const std::optional<long long> ctxArg = args.integer("--ctx", "-c");
    const std::string kvName = args.value("--kv-type").value_or("f16");
    assistant::ModelParams params;
    bool placement = false;
    if (!readDeviceParams(args, params, "info", &placement)) return 2;
    const bool probe = !args.flag("--no-probe");
    const int threads = static_cast<int>(args.integer("--threads", "-t").value_or(0));
    const std::vector<std::string> files = args.positional();
    if (!args.error().empty() || files.size() != 1) {
        std::fprintf(stderr, "info: %s\nusage: assistant-cli info FILE [--ctx N] [--kv-type f16|f32|q8_0]\n",
                     args.error().empty() ? "expected one GGUF file" : args.error().c_str());
        return 2;
    }
    const std::optional<KvType> kvType = parseKvType(kvName);
    if (!kvType || (ctxArg && *ctxArg <= 0)) {
        std::fprintf(stderr, "info: %s\n", kvType ? "--ctx must be positive" : "--kv-type must be f16, f32 or q8_0");
        return 2;
    }
    auto opened = assistant::GgufInfo::open(files[0]);
    if (!opened) {
        std::fprintf(stderr, "info: %s [%s]\n", opened.error().message.c_str(),
                     std::string(assistant::errorCodeName(opened.error().code)).c_str());
        return 1;
    }
    const assistant::GgufInfo& f = *opened;
    const Shape shape = readShape(f);
    printSummary(f, files[0], shape);
    const uint64_t weightBytes = printTensorTable(f);
    const uint64_t ctx = ctxArg ? static_cast<uint64_t>(*ctxArg) : shape.ctxTrained.value_or(0);
    printMemoryEstimate(f, shape, ctx, *kvType, weightBytes);
    return placement ? printPlacement(files[0], params, threads, probe) : 0;
}

}  // namespace cli
