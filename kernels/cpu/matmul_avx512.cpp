// AVX-512 F/BW/VL matmul kernels: ymm ops with 32 registers (4 rows x 4 tokens per tile).
// Compiled with its own flags (kernels/cpu/CMakeLists.txt); only called when
// cpuIsaSupported(CpuIsa::Avx512) holds.
#define KERNEL_ISA avx512
#define KERNEL_VNNI 0
#define KERNEL_DPBUSD(acc, u, s) (acc)
#define KERNEL_ROWS 4
#define KERNEL_TOKENS 4
#define KERNEL_DECODE_ROWS 4
#include "matmul_simd.inc"

namespace kernels::cpu {

const IsaKernels& kernelsAvx512() {
    static const IsaKernels table = makeTable();
    return table;
}

}  // namespace kernels::cpu
