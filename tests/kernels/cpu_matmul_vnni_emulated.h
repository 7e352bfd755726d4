// The 256-bit VNNI kernel table built for AVX2 with an exact vpdpbusd emulation
// (cpu_matmul_vnni_emulated.cpp); call only where AVX2 is supported.
#pragma once

#include "../../kernels/cpu/matmul_isa.h"

namespace kernels_test {

const kernels::cpu::IsaKernels& vnniEmulatedKernels();

}  // namespace kernels_test
