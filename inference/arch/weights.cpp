#include "arch/weights.h"

#include <unistd.h>

#include <cstdlib>
#include <string_view>

#include "gguf/gguf_file.h"
#include "kernels/ref.h"
#include "common/log.h"

namespace arch {

using assistant::ErrorCode;
using assistant::detail::makeError;

namespace {

assistant::Result<kernels::Matrix> toMatrix(const gguf::TensorInfo& t, int64_t cols, int64_t rows) {
    const int64_t tRows = t.shape.size() >= 2 ? t.shape[1] : 1;
    if (t.shape.empty() || t.shape[0] != cols || tRows != rows || t.shape.size() > 2)
        return std::unexpected(makeError(ErrorCode::InvalidFormat, "tensor '", t.name, "' has shape [",
                                         t.shape.empty() ? 0 : t.shape[0], ", ", tRows, "], expected [", cols,
                                         ", ", rows, "]"));
    if (!kernels::traits(t.type).computable)
        return std::unexpected(makeError(ErrorCode::UnsupportedTensorType, "tensor '", t.name, "' has type ",
                                         kernels::typeName(t.type), ", which this engine cannot compute yet"));
    return kernels::Matrix{t.type, t.data, rows, cols};
}

// Whether bindExperts makes interleaved copies of this file's experts: when they all
// fit in half of physical memory (ASSISTANT_MOE_REPACK=0/1 decides instead).
bool repackExperts(const gguf::File& f) {
    if (const char* env = std::getenv("ASSISTANT_MOE_REPACK"); env && *env) return std::string_view(env) != "0";
    uint64_t expertBytes = 0;
    for (const gguf::TensorInfo& t : f.tensors())
        if (t.name.find("_exps.weight") != std::string::npos) expertBytes += t.bytes;
    const long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || pageSize <= 0) return false;
    return expertBytes <= static_cast<uint64_t>(pages) * static_cast<uint64_t>(pageSize) / 2;
}

}  // namespace

std::string layerTensor(int64_t layer, const char* suffix) {
    return "blk." + std::to_string(layer) + "." + suffix;
}

assistant::Result<kernels::Matrix> bindMatrix(const gguf::File& f, const std::string& name, int64_t cols,
                                              int64_t rows, bool forCpu) {
    const gguf::TensorInfo* t = f.tensor(name);
    if (!t) return std::unexpected(makeError(ErrorCode::InvalidFormat, "missing tensor '", name, "'"));
    auto m = toMatrix(*t, cols, rows);
    if (m && forCpu && kernels::repackForCpu(*m)) f.release(*t);  // CPU layout made at load; drop the mapped original
    return m;
}

assistant::Result<std::optional<kernels::Matrix>> bindOptionalMatrix(const gguf::File& f, const std::string& name,
                                                                     int64_t cols, int64_t rows, bool forCpu) {
    const gguf::TensorInfo* t = f.tensor(name);
    if (!t) return std::optional<kernels::Matrix>{};
    auto m = toMatrix(*t, cols, rows);
    if (!m) return std::unexpected(m.error());
    if (forCpu && kernels::repackForCpu(*m)) f.release(*t);
    return std::optional<kernels::Matrix>{*m};
}

assistant::Result<kernels::Matrix> bindMatrixRows(const gguf::File& f, const std::string& name, int64_t cols,
                                                  int64_t totalRows, int64_t firstRow, int64_t rows,
                                                  bool forCpu) {
    auto whole = bindMatrix(f, name, cols, totalRows, forCpu);
    if (!whole) return std::unexpected(whole.error());
    if (firstRow < 0 || rows <= 0 || firstRow + rows > totalRows)
        return std::unexpected(makeError(ErrorCode::InvalidFormat, "tensor '", name, "': rows [", firstRow, ", ",
                                         firstRow + rows, ") out of ", totalRows));
    return kernels::sliceRows(*whole, firstRow, rows);
}

assistant::Result<std::vector<kernels::Matrix>> bindExperts(const gguf::File& f, const std::string& name,
                                                            int64_t cols, int64_t rows, int64_t nExpert) {
    const gguf::TensorInfo* t = f.tensor(name);
    if (!t) return std::unexpected(makeError(ErrorCode::InvalidFormat, "missing tensor '", name, "'"));
    if (t->shape.size() != 3 || t->shape[0] != cols || t->shape[1] != rows || t->shape[2] != nExpert)
        return std::unexpected(makeError(ErrorCode::InvalidFormat, "expert tensor '", name, "' has shape [",
                                         t->shape.empty() ? 0 : t->shape[0], ", ",
                                         t->shape.size() > 1 ? t->shape[1] : 0, ", ",
                                         t->shape.size() > 2 ? t->shape[2] : 0, "], expected [", cols, ", ", rows,
                                         ", ", nExpert, "]"));
    if (!kernels::traits(t->type).computable)
        return std::unexpected(makeError(ErrorCode::UnsupportedTensorType, "tensor '", name, "' has type ",
                                         kernels::typeName(t->type), ", which this engine cannot compute yet"));
    std::vector<kernels::Matrix> experts;
    const size_t expertBytes = kernels::rowBytes(t->type, cols) * static_cast<size_t>(rows);
    for (int64_t e = 0; e < nExpert; ++e)
        experts.push_back(kernels::Matrix{t->type, t->data + static_cast<size_t>(e) * expertBytes, rows, cols});
    return experts;
}

size_t sourceBytes(const kernels::Matrix& m) { return kernels::rowBytes(m.type, m.cols) * static_cast<size_t>(m.rows); }

bool prepareForCpu(const gguf::File& f, kernels::Matrix& m) {
    if (m.interleaved || m.owned) return true;
    const kernels::Matrix mapped = m;  // repackForCpu may replace data (TQ1_0 -> TQ2_0)
    if (!kernels::repackForCpu(m)) return false;
    releaseMapped(f, mapped);
    return true;
}

void prepareExpertsForCpu(const gguf::File& f, std::vector<kernels::Matrix>& experts) {
    // The CPU kernels read experts fastest interleaved, like every other weight; that
    // copy lives in RAM, so it is made only when all the file's experts fit in half of it.
    if (experts.empty() || !repackExperts(f)) return;
    const kernels::Matrix mapped = experts[0];  // repackForCpu may replace data (TQ1_0 -> TQ2_0)
    const bool all = kernels::repackForCpu(std::span<kernels::Matrix>(experts));
    // The tensor's experts lie back to back: released as one range (no page left at
    // each boundary), or one by one where some stayed views.
    if (all) return f.releaseRange(mapped.data, sourceBytes(mapped) * experts.size());
    for (const kernels::Matrix& m : experts)
        if (m.interleaved && !m.owned) releaseMapped(f, m);
}

void releaseMapped(const gguf::File& f, const kernels::Matrix& m) {
    if (m.data && m.rows > 0) f.releaseRange(m.data, sourceBytes(m));
}

size_t cpuCopyBytes(std::span<const kernels::Matrix* const> matrices) {
    size_t bytes = 0;
    for (const kernels::Matrix* m : matrices)
        if (m && (m->interleaved || m->owned)) bytes += sourceBytes(*m);
    return bytes;
}

assistant::Result<std::optional<std::vector<float>>> bindOptionalVector(const gguf::File& f, const std::string& name,
                                                                        int64_t n) {
    const gguf::TensorInfo* t = f.tensor(name);
    if (!t) return std::optional<std::vector<float>>{};
    if (t->elements() != n)
        return std::unexpected(makeError(ErrorCode::InvalidFormat, "tensor '", name, "' has ", t->elements(),
                                         " elements, expected ", n));
    if (!kernels::traits(t->type).computable || n % kernels::traits(t->type).blockSize != 0)
        return std::unexpected(makeError(ErrorCode::UnsupportedTensorType, "tensor '", name, "' has type ",
                                         kernels::typeName(t->type)));
    std::vector<float> out(static_cast<size_t>(n));
    kernels::ref::dequantizeRow(t->type, t->data, out.data(), n);
    return std::optional<std::vector<float>>{std::move(out)};
}

assistant::Result<std::vector<float>> bindVector(const gguf::File& f, const std::string& name, int64_t n) {
    auto v = bindOptionalVector(f, name, n);
    if (!v) return std::unexpected(v.error());
    if (!*v) return std::unexpected(makeError(ErrorCode::InvalidFormat, "missing tensor '", name, "'"));
    return std::move(**v);
}

}  // namespace arch
