// AVX-512 VNNI matmul kernels: weights interleaved by 8 rows with vpdpbusd on ymm (as
// AVX-VNNI, EVEX-encoded) for every type that interleaves; vpdpbusd on zmm for Q4_0,
// Q8_0, TQ2_0 (two blocks per instruction) on matrices that do not; 32 registers.
// Compiled with its own flags (kernels/cpu/CMakeLists.txt); only called when
// cpuIsaSupported(CpuIsa::Avx512Vnni) holds.
// GCC 12 reports _mm512_undefined_*() inside its own intrinsics as uninitialized.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#define KERNEL_ISA avx512vnni
#define KERNEL_VNNI 1
#define KERNEL_DPBUSD(acc, u, s) _mm256_dpbusd_epi32(acc, u, s)
#define KERNEL_ROWS 4
#define KERNEL_TOKENS 4
#define KERNEL_DECODE_ROWS 4
#include "matmul_simd.inc"
#include "matmul_zmm.inc"  // 512-bit Q4_0, Q8_0, TQ2_0

namespace kernels::cpu {

const IsaKernels& kernelsAvx512Vnni() {
    static const IsaKernels table = makeTable512();
    return table;
}

}  // namespace kernels::cpu
