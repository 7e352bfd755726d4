// Binding named GGUF tensors to the shapes an architecture expects. Matrices stay
// in the mapping; small vectors (norm weights, biases) are converted to float.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "assistant/engine.h"
#include "kernels/ops.h"

namespace gguf {
class File;
}

namespace arch {

// Tensor `name` of shape [cols, rows] (GGUF order), in a type the kernels compute.
// forCpu: the CPU kernels' layout is made now (repackForCpu) and the mapped original
// released (the encoders, which run on the CPU); false: a view into the mapping, made
// ready for the CPU later by prepareForCpu where the placement keeps it there (the
// decoders: a matrix a device holds never gets a CPU copy).
assistant::Result<kernels::Matrix> bindMatrix(const gguf::File& f, const std::string& name, int64_t cols,
                                              int64_t rows, bool forCpu = true);
// Same, but a missing tensor is not an error (nullopt).
assistant::Result<std::optional<kernels::Matrix>> bindOptionalMatrix(const gguf::File& f, const std::string& name,
                                                                     int64_t cols, int64_t rows, bool forCpu = true);
// A 1-D tensor of n elements as floats.
assistant::Result<std::vector<float>> bindVector(const gguf::File& f, const std::string& name, int64_t n);
assistant::Result<std::optional<std::vector<float>>> bindOptionalVector(const gguf::File& f, const std::string& name,
                                                                        int64_t n);

// Rows [firstRow, firstRow + rows) of a 2-D tensor of shape [cols, totalRows]: a view
// into the mapping, for fused tensors (Phi-3's attn_qkv = [q; k; v], ffn_up = [gate; up]).
assistant::Result<kernels::Matrix> bindMatrixRows(const gguf::File& f, const std::string& name, int64_t cols,
                                                  int64_t totalRows, int64_t firstRow, int64_t rows,
                                                  bool forCpu = true);

// The nExpert matrices of a 3-D expert tensor of shape [cols, rows, nExpert]: views
// into the mapping (prepareExpertsForCpu makes them ready for the CPU).
assistant::Result<std::vector<kernels::Matrix>> bindExperts(const gguf::File& f, const std::string& name,
                                                            int64_t cols, int64_t rows, int64_t nExpert);

// A matrix bound with forCpu false, for the CPU kernels: their layout made (an
// interleaved copy in RAM) and the mapped pages under it released. Does nothing to a
// matrix that has it already. Returns whether m now holds a copy of its own.
bool prepareForCpu(const gguf::File& f, kernels::Matrix& m);
// One expert tensor's matrices (bindExperts), for the CPU: the interleaved copies are
// made only when all the file's experts fit in half of physical memory, and the
// mapping then released; otherwise they stay views into the mapping, so a model larger
// than RAM pages its experts in as they are routed to. ASSISTANT_MOE_REPACK=0 or 1
// overrides the choice.
void prepareExpertsForCpu(const gguf::File& f, std::vector<kernels::Matrix>& experts);
// Drops the mapped pages under m (its bytes in the file) after a device took its own
// copy: they count in the process's resident memory otherwise. Safe for a read-only
// mapping: a later read (a hot-expert refresh) refaults them from the file.
void releaseMapped(const gguf::File& f, const kernels::Matrix& m);
// Bytes of the CPU kernels' own copies among `matrices` (0: all views of the file).
size_t cpuCopyBytes(std::span<const kernels::Matrix* const> matrices);

// "blk.<layer>.<suffix>"
std::string layerTensor(int64_t layer, const char* suffix);

// dst = *expr, or return its error from the enclosing function (Result or Status).
#define BIND(dst, expr)                                  \
    do {                                                 \
        auto r_ = (expr);                                \
        if (!r_) return std::unexpected(r_.error());     \
        dst = std::move(*r_);                            \
    } while (0)

}  // namespace arch
