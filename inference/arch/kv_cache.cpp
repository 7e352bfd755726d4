#include "arch/arch.h"

namespace arch {

void KvCache::allocate(int64_t layers, int64_t rows, int64_t width, kernels::GgmlType cacheType) {
    type = cacheType;
    capacity = rows;
    rowWidth = width;
    rowBytes = kernels::rowBytes(cacheType, width);
    k.assign(static_cast<size_t>(layers), std::vector<uint8_t>(rowBytes * static_cast<size_t>(rows)));
    v.assign(static_cast<size_t>(layers), std::vector<uint8_t>(rowBytes * static_cast<size_t>(rows)));
}

}  // namespace arch
