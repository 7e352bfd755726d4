// Activation quantization as the reference engine does it on x86 (its SIMD path,
// not its scalar one): scale factor 127/amax, round half to even. Weights keep the
// scalar reference rounding (kernels/ref), which is what quantized files contain.
#include <cmath>
#include <cstring>

#include "kernels/cpu_ops_internal.h"
#include "kernels/ref.h"

namespace kernels {
namespace {

// One 32-element block: [f16 d][f16 s (Q8_1 only)][int8 q x 32]. Returns the sum of q.
int quantizeBlock32(const float* x, int8_t* q, float& d) {
    float amax = 0.0f;
    for (int i = 0; i < 32; ++i) amax = std::fmax(amax, std::fabs(x[i]));
    d = amax / 127.0f;
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    int sum = 0;
    for (int i = 0; i < 32; ++i) {
        q[i] = static_cast<int8_t>(std::nearbyint(x[i] * id));
        sum += q[i];
    }
    return sum;
}

}  // namespace

void quantizeActivations(GgmlType type, const float* x, void* dst, int64_t n) {
    auto* out = static_cast<uint8_t*>(dst);
    if (type == GgmlType::Q8_0) {
        for (int64_t b = 0; b < n / 32; ++b, out += 34) {
            float d = 0.0f;
            quantizeBlock32(x + b * 32, reinterpret_cast<int8_t*>(out + 2), d);
            const uint16_t h = ref::fp32ToFp16(d);
            std::memcpy(out, &h, 2);
        }
        return;
    }
    if (type == GgmlType::Q8_1) {
        for (int64_t b = 0; b < n / 32; ++b, out += 36) {
            float d = 0.0f;
            const int sum = quantizeBlock32(x + b * 32, reinterpret_cast<int8_t*>(out + 4), d);
            const uint16_t hd = ref::fp32ToFp16(d);
            const uint16_t hs = ref::fp32ToFp16(d * static_cast<float>(sum));
            std::memcpy(out, &hd, 2);
            std::memcpy(out + 2, &hs, 2);
        }
        return;
    }
    ref::quantizeRow(type, x, dst, n);
}

}  // namespace kernels
