// AVX-VNNI matmul kernels: vpdpbusd on ymm without AVX-512 (16 registers: 4 rows x 2 tokens).
// Compiled with its own flags (kernels/cpu/CMakeLists.txt); only called when
// cpuIsaSupported(CpuIsa::AvxVnni) holds.
#define KERNEL_ISA avxvnni
#define KERNEL_VNNI 1
#define KERNEL_DPBUSD(acc, u, s) _mm256_dpbusd_avx_epi32(acc, u, s)
#define KERNEL_ROWS 4
#define KERNEL_TOKENS 2
#define KERNEL_DECODE_ROWS 4
#include "matmul_simd.inc"

namespace kernels::cpu {

const IsaKernels& kernelsAvxVnni() {
    static const IsaKernels table = makeTable();
    return table;
}

}  // namespace kernels::cpu
