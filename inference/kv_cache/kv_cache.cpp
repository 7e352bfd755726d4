// kv::Cache (kv_cache.h): the rows of every layer, allocated once per session.
#include "kv_cache/kv_cache.h"

namespace kv {

void Cache::allocate(int64_t layers, int64_t rows, int64_t width, kernels::GgmlType cacheType,
                     const std::vector<bool>& onHost) {
    type = cacheType;
    capacity = rows;
    rowWidth = width;
    rowBytes = kernels::rowBytes(cacheType, width);
    k.assign(static_cast<size_t>(layers), {});
    v.assign(static_cast<size_t>(layers), {});
    for (size_t l = 0; l < k.size(); ++l)
        if (onHost.empty() || onHost[l]) {
            k[l].resize(rowBytes * static_cast<size_t>(rows));
            v[l].resize(rowBytes * static_cast<size_t>(rows));
        }
}

}  // namespace kv
