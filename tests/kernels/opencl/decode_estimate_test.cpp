// The decode estimate of assistant-cli info and the app's model list (label gpu: the
// placements need an OpenCL device, PoCL in CI): the bytes one token reads move between
// the sides as the placement moves the weights, never appear or vanish; the crossings
// and the hot-expert cache's assumed hit rate follow the plan, as do the CPU's ops (each
// with a fixed cost: what makes a small model slower than its bytes say); the formula,
// with the bytes that fit the caches read at the kernels' rates there; each architecture's
// extra ops and soft-capped / GELU-gated values; the experts' bytes at their own types;
// the figures' cache and defaults.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "assistant/model_tools.h"
#include "greedy_run.h"
#include "shared_data.h"

namespace {

using namespace assistant;
using gpu_test::testDevice;

PlacementReport plan(const std::string& path, const std::string& device, MoeExperts moe, uint64_t gpuMemory = 0) {
    ModelParams p;
    p.device = device;
    p.moeExperts = moe;
    p.gpuMemory = gpuMemory;
    auto r = planPlacement(path, p);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
    return r ? *r : PlacementReport{};
}

uint64_t total(const PlacementReport& r) { return r.decodeCpuBytes + r.decodeDeviceBytes; }

TEST(DecodeEstimate, TrafficFollowsThePlacement) {
    const std::string dev = testDevice();
    if (dev.empty()) {
        if (testdata::inCi()) FAIL() << "no OpenCL device (install pocl-opencl-icd)";
        GTEST_SKIP() << "no OpenCL device";
    }
    const std::string path = testdata::sharedPath("conformance/models/qwen3moe-a.Q8_0.gguf");
    REQUIRE_SHARED(path);
    const PlacementReport cpu = plan(path, "cpu", MoeExperts::Auto);
    EXPECT_GT(cpu.decodeCpuBytes, 0u);
    EXPECT_EQ(cpu.decodeDeviceBytes, 0u);
    EXPECT_EQ(cpu.decodeCrossings, 0);
    EXPECT_EQ(cpu.decodeDeviceOps, 0);

    const PlacementReport gpu = plan(path, dev, MoeExperts::Gpu);
    ASSERT_TRUE(gpu.expertsOnGpu);
    EXPECT_EQ(total(gpu), total(cpu));
    EXPECT_LT(gpu.decodeCpuBytes, gpu.decodeDeviceBytes / 100);  // the embedding row only
    EXPECT_EQ(gpu.decodeCrossings, 2);                            // the embedding up, the logits back
    EXPECT_GT(gpu.decodeDeviceOps, 0);

    const PlacementReport hybrid = plan(path, dev, MoeExperts::Cpu);
    ASSERT_EQ(hybrid.gpuLayers, hybrid.layerCount);
    EXPECT_EQ(total(hybrid), total(cpu));
    EXPECT_EQ(hybrid.decodeCrossings, 2 * hybrid.layerCount + 2);  // two per MoE layer
    EXPECT_GT(hybrid.decodeCpuBytes, gpu.decodeCpuBytes);           // the used experts and routers
    EXPECT_DOUBLE_EQ(hybrid.hitRate, 0.0);

    // A budget holding the dense part and some experts: the cache's share of the experts
    // is the hit rate assumed, and that share of their bytes moves to the device.
    uint64_t all = 0, experts = 0;
    for (const PlacementPart& p : gpu.parts)
        if (p.where == dev) {
            all += p.bytes;
            if (p.what.rfind("routed experts", 0) == 0) experts += p.bytes;
        }
    const PlacementReport hot = plan(path, dev, MoeExperts::Cpu, all - experts / 2);
    ASSERT_GT(hot.hotExpertsPerLayer, 0);
    EXPECT_DOUBLE_EQ(hot.hitRate, static_cast<double>(hot.hotExpertsPerLayer) / hot.expertCount);
    EXPECT_NEAR(static_cast<double>(total(hot)), static_cast<double>(total(cpu)), 6.0 * hot.layerCount);  // rounding: 3 tensors x 2 sides
    EXPECT_LT(hot.decodeCpuBytes, hybrid.decodeCpuBytes);
    EXPECT_GT(hot.decodeDeviceOps, hybrid.decodeDeviceOps);

    // The CPU's ops: every layer's (a MoE layer's experts included: qwen3 head norms, 12
    // each) and the head's on the CPU; the embedding lookup only with all on the device;
    // a device layer's experts on the host add their routing and matmuls.
    EXPECT_EQ(cpu.decodeCpuOps, 12 * cpu.layerCount + 3);
    EXPECT_EQ(gpu.decodeCpuOps, 1);
    EXPECT_EQ(hybrid.decodeCpuOps, 3 * hybrid.layerCount + 1);

    // The whole model's bytes at 1 GB/s on the CPU: one token per (bytes / 1e9) seconds,
    // plus 3 us for each CPU op.
    MemoryBandwidth bw{1e9, 1e10, 1e-5, 2e-5, 3e-6, 0, 0, {}, "test"};
    const DecodeEstimate onCpu = estimateDecode(cpu, bw);
    EXPECT_DOUBLE_EQ(onCpu.cpuOpSeconds, 3e-6 * cpu.decodeCpuOps);
    EXPECT_DOUBLE_EQ(onCpu.tokensPerSecond, 1.0 / (static_cast<double>(cpu.decodeCpuBytes) / 1e9 + 3e-6 * cpu.decodeCpuOps));
    const DecodeEstimate split = estimateDecode(hybrid, bw);
    const double seconds = static_cast<double>(hybrid.decodeCpuBytes) / 1e9 +
                           static_cast<double>(hybrid.decodeDeviceBytes) / 1e10 + hybrid.decodeCrossings * 2e-5 +
                           hybrid.decodeDeviceOps * 1e-5 + hybrid.decodeCpuOps * 3e-6;
    EXPECT_NEAR(split.tokensPerSecond, 1.0 / seconds, 1e-9 / seconds);
}

// A dense model all on the CPU: its layers' ops (llama: no head norms) and the head's.
TEST(DecodeEstimate, CpuOpsOfADenseModel) {
    const std::string path = testdata::sharedPath("conformance/models/llama-a.Q8_0.gguf");
    REQUIRE_SHARED(path);
    const PlacementReport cpu = plan(path, "cpu", MoeExperts::Auto);
    EXPECT_EQ(cpu.decodeCpuOps, 8 * cpu.layerCount + 3);
}

// Each architecture's ops beyond the common eight a layer (the head's three): qwen2's
// Q|K|V biases (one), qwen3's head norms (two), Gemma-2's norms after the blocks and their
// adds (four); llama3's rope_freqs cost nothing per token (the session's RoPE tables
// hold them). Gemma-2 soft-caps its attention scores (8 heads x 32 keys on the windowed
// layer 0, x 64 (the short context counted) on layer 1) and its 512 logits, and
// GELU-gates its 256 feed-forward values a layer; the others neither.
TEST(DecodeEstimate, EachArchitecturesExtraOpsAndValues) {
    struct Case {
        const char* file;
        int opsPerLayer;
        uint64_t softCaps, gelus;
    };
    const Case cases[] = {{"llama3rope-a.gguf", 8, 0, 0},
                          {"qwen2-a.gguf", 9, 0, 0},
                          {"qwen3-a.gguf", 10, 0, 0},
                          {"phi3-a.gguf", 8, 0, 0},
                          {"gemma2-a.gguf", 12, 8 * 32 + 8 * 64 + 512, 2 * 256}};
    for (const Case& c : cases) {
        const std::string path = testdata::sharedPath(std::string("conformance/models/") + c.file);
        REQUIRE_SHARED(path);
        const PlacementReport cpu = plan(path, "cpu", MoeExperts::Auto);
        EXPECT_EQ(cpu.decodeCpuOps, c.opsPerLayer * cpu.layerCount + 3) << c.file;
        EXPECT_EQ(cpu.decodeCpuSoftCaps, c.softCaps) << c.file;
        EXPECT_EQ(cpu.decodeCpuGelus, c.gelus) << c.file;
    }
    // Each value at its own time, on top of the bytes and the ops.
    PlacementReport gemma;
    gemma.decodeCpuBytes = 1'000'000;
    gemma.decodeCpuOps = 27;
    gemma.decodeCpuSoftCaps = 1280;
    gemma.decodeCpuGelus = 512;
    MemoryBandwidth bw{1e10, 0, 0, 0, 1e-6, 0, 0, {}, "test", 10e-9, 5e-9};
    const DecodeEstimate e = estimateDecode(gemma, bw);
    EXPECT_DOUBLE_EQ(e.cpuValueSeconds, 1280 * 10e-9 + 512 * 5e-9);
    EXPECT_DOUBLE_EQ(e.tokensPerSecond, 1.0 / (1e6 / 1e10 + 27e-6 + e.cpuValueSeconds));
}

// A MoE file whose expert tensors have different types (a Q4_K_M quantization: the
// gates and ups Q4_K, the downs, 64 values a row, a legacy type): each used expert's
// bytes count at its own tensor's type. Expected per type from the file's tensor list:
// every matrix read whole (the tied embedding as the head, plus its one row looked up),
// each expert tensor's 2 used experts of 8.
TEST(DecodeEstimate, ExpertBytesAtTheirOwnTypes) {
    const std::string f32 = testdata::sharedPath("conformance/models/qwen3moe-a.gguf");
    REQUIRE_SHARED(f32);
    const std::string path =
        (std::filesystem::temp_directory_path() / ("decode_estimate_moe_" + std::to_string(::getpid()) + ".gguf")).string();
    QuantizeParams q;
    q.input = f32;
    q.output = path;
    q.type = "Q4_K_M";
    ASSERT_TRUE(quantizeModel(q).has_value());
    auto info = GgufInfo::open(path);
    ASSERT_TRUE(info.has_value());
    std::map<std::string, uint64_t> want;
    std::string gateType, downType;
    for (const GgufTensor& t : info->tensors()) {
        if (t.shape.size() == 3) want[t.typeName] += t.bytes / 8 * 2;  // [E or Fe][rows][8 experts]
        else if (t.shape.size() == 2) want[t.typeName] += t.bytes;
        if (t.name == "token_embd.weight") want[t.typeName] += t.bytes / 512;  // the token's row
        if (t.name == "blk.0.ffn_gate_exps.weight") gateType = t.typeName;
        if (t.name == "blk.0.ffn_down_exps.weight") downType = t.typeName;
    }
    ASSERT_NE(gateType, downType);  // the case this test is about
    const PlacementReport cpu = plan(path, "cpu", MoeExperts::Auto);
    std::map<std::string, uint64_t> got(cpu.decodeCpuBytesByType.begin(), cpu.decodeCpuBytesByType.end());
    EXPECT_EQ(got, want);
    std::filesystem::remove(path);
}

// A small model's weights stay in the caches from token to token: its bytes read at the
// kernels' rates there, each type at its own (a type not probed at Q4_0's); a model
// bigger than the caches reads only their share so, the rest from memory, or at the
// kernel's rate where that is slower than memory. Without cache figures: all at memory's.
TEST(DecodeEstimate, BytesThatFitTheCachesReadAtTheKernelsRates) {
    PlacementReport small;
    small.decodeCpuBytes = 3'000'000;
    small.decodeCpuBytesByType = {{"F32", 1'000'000}, {"Q4_0", 1'500'000}, {"IQ4_NL", 500'000}};
    small.decodeCpuOps = 20;
    MemoryBandwidth bw{10e9, 0, 0, 0, 1e-6, 30e6, 20e9, {{"F32", 40e9}, {"Q4_0", 20e9}, {"Q4_K", 5e9}}, "test"};
    DecodeEstimate e = estimateDecode(small, bw);
    const double cached = 1e6 / 40e9 + 1.5e6 / 20e9 + 0.5e6 / 20e9;
    EXPECT_DOUBLE_EQ(e.cpuCacheSeconds, cached);
    EXPECT_DOUBLE_EQ(e.cpuSeconds, cached);
    EXPECT_DOUBLE_EQ(e.tokensPerSecond, 1.0 / (cached + 20e-6));

    PlacementReport big;  // ten times the caches: a tenth of each type's bytes from them
    big.decodeCpuBytes = 300'000'000;
    big.decodeCpuBytesByType = {{"Q4_0", 200'000'000}, {"Q4_K", 100'000'000}};
    e = estimateDecode(big, bw);
    EXPECT_DOUBLE_EQ(e.cpuCacheSeconds, 0.1 * (200e6 / 20e9 + 100e6 / 5e9));
    EXPECT_NEAR(e.cpuSeconds, e.cpuCacheSeconds + 0.9 * (200e6 / 10e9 + 100e6 / 5e9), 1e-12);

    PlacementReport untyped;  // no breakdown: all at Q4_0's rate
    untyped.decodeCpuBytes = 3'000'000;
    EXPECT_DOUBLE_EQ(estimateDecode(untyped, bw).cpuSeconds, 3e6 / 20e9);

    bw.cacheBytes = 0;
    EXPECT_DOUBLE_EQ(estimateDecode(small, bw).cpuSeconds, 3e6 / 10e9);
    EXPECT_DOUBLE_EQ(estimateDecode(small, bw).cpuCacheSeconds, 0.0);
}

// The bytes by type add up to the CPU's bytes: a Q4_K_M file's Q4_K, Q6_K and F32 norms
// none of which are read twice.
TEST(DecodeEstimate, CpuBytesByTypeAddUp) {
    const std::string path = testdata::sharedPath("conformance/models/llama-a.Q4_K_M.gguf");
    REQUIRE_SHARED(path);
    const PlacementReport cpu = plan(path, "cpu", MoeExperts::Auto);
    uint64_t sum = 0;
    bool q4k = false, q6k = false;
    for (const auto& [type, bytes] : cpu.decodeCpuBytesByType) {
        sum += bytes;
        q4k |= type == "Q4_K";
        q6k |= type == "Q6_K";
    }
    EXPECT_EQ(sum, cpu.decodeCpuBytes);
    EXPECT_TRUE(q4k);
    EXPECT_TRUE(q6k);
}

TEST(DecodeEstimate, FiguresComeFromTheCacheOrTheDefaults) {
    const std::filesystem::path dir = std::filesystem::temp_directory_path() / "decode_estimate_test";
    std::filesystem::remove_all(dir);
    ASSERT_EQ(::setenv("XDG_CONFIG_HOME", dir.c_str(), 1), 0);
    MemoryBandwidth d = memoryBandwidth("opencl:9.9", 3, /*probe=*/false);
    EXPECT_EQ(d.source, "defaults (no probe)");
    EXPECT_DOUBLE_EQ(d.cpuBytesPerSecond, 20e9);
    EXPECT_DOUBLE_EQ(d.deviceBytesPerSecond, 300e9);
    std::filesystem::create_directories(dir / "assistant");
    {
        std::ofstream out(dir / "assistant" / "bandwidth.tsv");
        out << "cpu:3\t12e9\ncpuop:3\t7e-6\ncache:3\t32e6\t1\t2\t3\t4\t5\t6\nopencl:9.9\t2e12\t4e-6\t25e-6\n";
        out << "act:3\t3e-8\t2e-8\n";
        out << "cpu:4\t12e9\ncpuop:4\t7e-6\ncache:4\t0\nact:4\t3e-8\t2e-8\n";  // a machine without cache figures
    }
    d = memoryBandwidth("opencl:9.9", 3, /*probe=*/true);  // cached: nothing measured
    EXPECT_EQ(d.source.rfind("cached in ", 0), 0u) << d.source;
    EXPECT_DOUBLE_EQ(d.cpuBytesPerSecond, 12e9);
    EXPECT_DOUBLE_EQ(d.cpuOpSeconds, 7e-6);
    EXPECT_DOUBLE_EQ(d.deviceBytesPerSecond, 2e12);
    EXPECT_DOUBLE_EQ(d.deviceOpSeconds, 4e-6);
    EXPECT_DOUBLE_EQ(d.crossingSeconds, 25e-6);
    EXPECT_DOUBLE_EQ(d.cpuSoftCapSeconds, 3e-8);
    EXPECT_DOUBLE_EQ(d.cpuGeluSeconds, 2e-8);
    EXPECT_DOUBLE_EQ(d.cacheBytes, 32e6);
    EXPECT_DOUBLE_EQ(d.cacheBytesPerSecond, 4);  // Q4_0's
    ASSERT_EQ(d.cacheTypeBytesPerSecond.size(), 6u);
    EXPECT_EQ(d.cacheTypeBytesPerSecond[0], (std::pair<std::string, double>{"F32", 1}));
    EXPECT_EQ(d.cacheTypeBytesPerSecond[5], (std::pair<std::string, double>{"Q6_K", 6}));
    d = memoryBandwidth("cpu", 4, /*probe=*/false);
    EXPECT_EQ(d.source.rfind("cached in ", 0), 0u) << d.source;
    EXPECT_DOUBLE_EQ(d.cacheBytes, 0);
    EXPECT_TRUE(d.cacheTypeBytesPerSecond.empty());
    // Another thread count is another entry; without probing, the defaults fill in.
    d = memoryBandwidth("cpu", 5, /*probe=*/false);
    EXPECT_DOUBLE_EQ(d.cpuBytesPerSecond, 20e9);
    EXPECT_DOUBLE_EQ(d.cpuOpSeconds, 5e-6);
    EXPECT_DOUBLE_EQ(d.cpuSoftCapSeconds, 20e-9);
    EXPECT_DOUBLE_EQ(d.cpuGeluSeconds, 10e-9);
    // Probing the CPU measures and caches positive figures: an op takes microseconds; with
    // sysfs cache sizes, every probed type reads from the caches at some rate.
    d = memoryBandwidth("cpu", 1, /*probe=*/true);
    EXPECT_GT(d.cpuBytesPerSecond, 1e8);
    EXPECT_GT(d.cpuOpSeconds, 1e-8);
    EXPECT_LT(d.cpuOpSeconds, 1e-3);
    EXPECT_GT(d.cpuSoftCapSeconds, 1e-11);  // a tanh: nanoseconds
    EXPECT_LT(d.cpuSoftCapSeconds, 1e-6);
    EXPECT_GT(d.cpuGeluSeconds, 1e-11);
    EXPECT_LT(d.cpuGeluSeconds, 1e-6);
    if (std::filesystem::exists("/sys/devices/system/cpu/cpu0/cache/index0/size")) {
        EXPECT_GT(d.cacheBytes, 1e5);
        ASSERT_EQ(d.cacheTypeBytesPerSecond.size(), 6u);
        for (const auto& [type, rate] : d.cacheTypeBytesPerSecond) EXPECT_GT(rate, 1e8) << type;
    }
    EXPECT_EQ(memoryBandwidth("cpu", 1, false).cacheTypeBytesPerSecond, d.cacheTypeBytesPerSecond);
    EXPECT_EQ(memoryBandwidth("cpu", 1, false).cpuBytesPerSecond, d.cpuBytesPerSecond);
    EXPECT_EQ(memoryBandwidth("cpu", 1, false).cpuOpSeconds, d.cpuOpSeconds);
    EXPECT_EQ(memoryBandwidth("cpu", 1, false).cpuSoftCapSeconds, d.cpuSoftCapSeconds);
    // A file from before the op figure (a "cpu:T" row only), from before the cache
    // figures (no "cache:T" row), or from before the values' (no "act:T" row) probes
    // again for them.
    {
        std::ofstream out(dir / "assistant" / "bandwidth.tsv");
        out << "cpu:2\t12e9\ncpu:5\t12e9\ncpuop:5\t7e-6\n";
        out << "cpu:6\t12e9\ncpuop:6\t7e-6\ncache:6\t0\n";
    }
    EXPECT_EQ(memoryBandwidth("cpu", 2, /*probe=*/false).source, "defaults (no probe)");
    EXPECT_EQ(memoryBandwidth("cpu", 5, /*probe=*/false).source, "defaults (no probe)");
    EXPECT_EQ(memoryBandwidth("cpu", 6, /*probe=*/false).source, "defaults (no probe)");
    d = memoryBandwidth("cpu", 2, /*probe=*/true);
    EXPECT_GT(d.cpuOpSeconds, 1e-8);
    EXPECT_EQ(memoryBandwidth("cpu", 2, false).source.rfind("cached in ", 0), 0u);
    std::filesystem::remove_all(dir);
}

}  // namespace
