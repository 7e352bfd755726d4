// AVX-512 VNNI matmul kernels: vpdpbusd (EVEX ymm), 32 registers (4 rows x 4 tokens per tile).
// Compiled with its own flags (kernels/cpu/CMakeLists.txt); only called when
// cpuIsaSupported(CpuIsa::Avx512Vnni) holds.
#define KERNEL_ISA avx512vnni
#define KERNEL_VNNI 1
#define KERNEL_DPBUSD(acc, u, s) _mm256_dpbusd_epi32(acc, u, s)
#define KERNEL_ROWS 4
#define KERNEL_TOKENS 4
#define KERNEL_DECODE_ROWS 4
#include "matmul_simd.inc"

namespace kernels::cpu {

const IsaKernels& kernelsAvx512Vnni() {
    static const IsaKernels table = makeTable();
    return table;
}

}  // namespace kernels::cpu
