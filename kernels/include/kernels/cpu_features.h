// What the CPU this process runs on can do, read once with CPUID (and XGETBV for
// the OS-enabled register state). The kernels layer picks its per-ISA code from this.
#pragma once

#include <cstdint>
#include <string>

namespace kernels {

struct CpuFeatures {
    bool sse42 = false, avx = false, avx2 = false, fma = false, f16c = false;
    bool avx512f = false, avx512bw = false, avx512vl = false, avx512vnni = false;
    bool avx512bf16 = false, avxvnni = false;
    bool amxTile = false, amxInt8 = false, amxBf16 = false;
    int logicalCores = 1;
    int physicalCores = 1;   // best estimate (Linux topology files, else logical / 2 if SMT)
    std::string brand;       // "Intel(R) Xeon(R) CPU @ 2.50GHz"
};

// Detected once, cached. Thread-safe.
const CpuFeatures& cpuFeatures();
// The host's memory now: MemTotal and MemAvailable of /proc/meminfo in bytes (0 when unreadable).
struct HostMemory {
    uint64_t total = 0, available = 0;
};
HostMemory hostMemory();
// "avx2 fma f16c avx512f avx512bw avx512vl avx512vnni" (space-separated, detected ones).
std::string cpuFeatureString(const CpuFeatures& f);

// The kernel families of the CPU backend, one translation unit each (kernels/cpu/
// matmul_<isa>.cpp, own compile flags). Not a strict order: AVX-VNNI (256-bit VNNI
// without AVX-512) and AVX-512 exist on different CPUs.
enum class CpuIsa : int {
    Scalar = 0,      // kernels/ref, any CPU
    Avx2 = 1,        // AVX2 + FMA + F16C, int8 dots by vpmaddubsw/vpmaddwd
    AvxVnni = 2,     // AVX2 + AVX-VNNI (vpdpbusd on ymm, Alder Lake and later)
    Avx512 = 3,      // AVX-512 F/BW/VL, int8 dots by vpmaddubsw/vpmaddwd
    Avx512Vnni = 4,  // AVX-512 F/BW/VL + VNNI (Cascade Lake and later)
    Amx = 5,         // Avx512Vnni + AMX-INT8 tiles for Q4_0 / Q8_0 prefill (Sapphire Rapids
                     // and later; Linux must grant the tile state: arch_prctl, asked once)
};
inline constexpr int kCpuIsaCount = 6;

// Whether this CPU (and OS) can run the kernels of `isa`.
bool cpuIsaSupported(CpuIsa isa);
// The family the kernels use now: the best supported one, unless the environment
// variable ASSISTANT_CPU_ISA (scalar|avx2|avxvnni|avx512|avx512vnni|amx) or setCpuIsa
// asked for another supported one.
CpuIsa activeCpuIsa();
// Forces a family (tests, benchmarks); an unsupported one is refused (returns false).
bool setCpuIsa(CpuIsa isa);
const char* cpuIsaName(CpuIsa isa);

}  // namespace kernels
