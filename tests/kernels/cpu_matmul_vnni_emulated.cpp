// The VNNI variants of the 256-bit kernels (KERNEL_VNNI 1: matmul_avxvnni.cpp and
// matmul_avx512vnni.cpp), compiled for plain AVX2 with vpdpbusd emulated exactly, so
// that a machine without VNNI (CI, the AVX2 development machines) still checks their
// logic against kernels/ref. Compiled with the AVX2 flags (tests/kernels/CMakeLists.txt).
#include <immintrin.h>

#include "cpu_matmul_vnni_emulated.h"

namespace {

// acc + per 32-bit lane: sum of the 4 products u (unsigned bytes) x s (signed bytes),
// without vpmaddubsw's int16 saturation: bytes widened to int16, pairs summed by
// vpmaddwd (exact), then adjacent pairs added and put back in lane order.
inline __m256i emulatedDpbusd(__m256i acc, __m256i u, __m256i s) {
    const __m256i uLo = _mm256_cvtepu8_epi16(_mm256_castsi256_si128(u));
    const __m256i uHi = _mm256_cvtepu8_epi16(_mm256_extracti128_si256(u, 1));
    const __m256i sLo = _mm256_cvtepi8_epi16(_mm256_castsi256_si128(s));
    const __m256i sHi = _mm256_cvtepi8_epi16(_mm256_extracti128_si256(s, 1));
    // pLo: pair sums of bytes 0..15 (lanes 0..3 of the result, two pairs each), pHi: 16..31
    const __m256i pLo = _mm256_madd_epi16(uLo, sLo), pHi = _mm256_madd_epi16(uHi, sHi);
    const __m256i quads = _mm256_hadd_epi32(pLo, pHi);  // [q0 q1 q4 q5 | q2 q3 q6 q7]
    return _mm256_add_epi32(acc, _mm256_permutevar8x32_epi32(quads, _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7)));
}

}  // namespace

#define KERNEL_ISA vnni_emulated
#define KERNEL_VNNI 1
#define KERNEL_DPBUSD(acc, u, s) emulatedDpbusd(acc, u, s)
#define KERNEL_ROWS 4
#define KERNEL_TOKENS 2
#define KERNEL_DECODE_ROWS 4
#include "../../kernels/cpu/matmul_simd.inc"

namespace kernels_test {

const kernels::cpu::IsaKernels& vnniEmulatedKernels() {
    static const kernels::cpu::IsaKernels table = kernels::cpu::makeTable();
    return table;
}

}  // namespace kernels_test
