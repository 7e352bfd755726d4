// What the CPU this process runs on can do, read once with CPUID (and XGETBV for
// the OS-enabled register state). The kernels layer picks its per-ISA code from this.
#pragma once

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
// "avx2 fma f16c avx512f avx512bw avx512vl avx512vnni" (space-separated, detected ones).
std::string cpuFeatureString(const CpuFeatures& f);

}  // namespace kernels
