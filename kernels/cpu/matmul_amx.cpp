// AMX matmul kernels: the AVX-512 VNNI table, plus Q4_0 / Q8_0 prefill (16 tokens and
// more) on int8 tiles (matmul_amx.inc). Compiled with its own flags
// (kernels/cpu/CMakeLists.txt); only called when cpuIsaSupported(CpuIsa::Amx) holds,
// which includes the kernel's permission to use the tile data (arch_prctl).
#include <immintrin.h>

#include "matmul_isa.h"

#define AMX_CONFIGURE(cfg) _tile_loadconfig(cfg)
#define AMX_RELEASE() _tile_release()
#define AMX_ZERO(t) _tile_zero(t)
#define AMX_LOAD(t, p, stride) _tile_loadd(t, p, stride)
#define AMX_DPBSSD(c, a, b) _tile_dpbssd(c, a, b)
#define AMX_STORE(t, p, stride) _tile_stored(t, p, stride)
#define AMX_FALLBACK() kernelsAvx512Vnni()
#include "matmul_amx.inc"

namespace kernels::cpu {

const IsaKernels& kernelsAmx() {
    static const IsaKernels table = [] {
        IsaKernels k = kernelsAvx512Vnni();
        addAmxPrefill(k);
        return k;
    }();
    return table;
}

}  // namespace kernels::cpu
