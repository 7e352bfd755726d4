// AVX2 + FMA + F16C matmul kernels (16 ymm registers: 4 rows x 2 tokens per tile).
// Compiled with its own flags (kernels/cpu/CMakeLists.txt); only called when
// cpuIsaSupported(CpuIsa::Avx2) holds.
#define KERNEL_ISA avx2
#define KERNEL_VNNI 0
#define KERNEL_DPBUSD(acc, u, s) (acc)
#define KERNEL_ROWS 4
#define KERNEL_TOKENS 2
#define KERNEL_DECODE_ROWS 4
#include "matmul_simd.inc"

namespace kernels::cpu {

const IsaKernels& kernelsAvx2() {
    static const IsaKernels table = makeTable();
    return table;
}

}  // namespace kernels::cpu
