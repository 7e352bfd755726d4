// Activations quantized and laid out as the CPU's tile kernels read them
// (kernels/cpu/matmul_isa.h: Activations), for tests that call a kernel table directly.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "../../kernels/cpu/matmul_isa.h"
#include "kernels/cpu_ops_internal.h"
#include "kernels/ops.h"
#include "kernels/ref.h"

namespace kernels_test {

// Activations of `tokens` rows of x in the form the tiles read (matmul_isa.h).
struct PreparedActivations {
    std::vector<uint8_t> blocks;
    std::vector<float> d;
    std::vector<int32_t> sums;
    kernels::cpu::Activations act;
};

inline void prepare(kernels::GgmlType weightType, const std::vector<float>& x, int64_t tokens, int64_t k, PreparedActivations& p) {
    const kernels::GgmlType actType = kernels::ref::vecDotType(weightType);
    const size_t stride = kernels::rowBytes(actType, k);
    p.blocks.resize(stride * static_cast<size_t>(tokens));
    for (int64_t t = 0; t < tokens; ++t) kernels::quantizeActivations(actType, &x[t * k], &p.blocks[t * stride], k);
    p.act.data = p.blocks.data();
    p.act.stride = stride;
    if (actType != kernels::GgmlType::Q8_0) return;
    const int64_t nb = k / 32;
    p.d.resize(static_cast<size_t>(tokens * nb));
    p.sums.resize(static_cast<size_t>(tokens * nb));
    for (int64_t t = 0; t < tokens; ++t)
        for (int64_t b = 0; b < nb; ++b) {
            const uint8_t* blk = &p.blocks[t * stride + b * 34];
            uint16_t h;
            std::memcpy(&h, blk, 2);
            p.d[t * nb + b] = kernels::ref::fp16ToFp32(h);
            int32_t s = 0;
            for (int i = 0; i < 32; ++i) s += static_cast<int8_t>(blk[2 + i]);
            p.sums[t * nb + b] = s;
        }
    p.act.d = p.d.data();
    p.act.sums = p.sums.data();
    p.act.blocksPerToken = nb;
}

}  // namespace kernels_test
