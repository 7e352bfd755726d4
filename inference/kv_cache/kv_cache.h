// One session's key/value cache: per layer, `capacity` rows of nHeadKv*headDim
// elements of `type` (F32, F16 or Q8_0). The architectures write and read it in
// their forward pass (arch/); the session owns it and decides how many rows it has
// and which layers keep their rows on the host (src/).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/ggml_type.h"

namespace kv {

struct Cache {
    kernels::GgmlType type = kernels::GgmlType::F16;
    int64_t capacity = 0;
    int64_t rowWidth = 0;     // elements per row
    size_t rowBytes = 0;
    std::vector<std::vector<uint8_t>> k, v;  // [layer][capacity * rowBytes]

    // Layers l with onHost[l] false get no rows (a device holds theirs); all when empty.
    void allocate(int64_t layers, int64_t rows, int64_t width, kernels::GgmlType cacheType,
                  const std::vector<bool>& onHost = {});
    uint8_t* kRow(int64_t layer, int64_t pos) { return k[layer].data() + pos * rowBytes; }
    uint8_t* vRow(int64_t layer, int64_t pos) { return v[layer].data() + pos * rowBytes; }
};

}  // namespace kv
