// Streamed experts (cl_expert_stream_impl.h): a layer cut into pieces of whole groups of
// 8 rows that fit one staging chunk, and one piece converted by host threads into the
// device layout (values, scales and offsets one after the other in the chunk).
#include <algorithm>

#include "cl_expert_stream_impl.h"
#include "kernels/thread_pool.h"

namespace kernels::opencl::expert_stream {
namespace {

// One task of the conversion: rows [row0, row0 + rows) of matrix `index` of part `part`,
// written from row `at` of its chunk on.
struct Task {
    int part;
    size_t index;
    int64_t row0, rows, at;
};

// Converts a task's rows into the arrays from `base` (where the chunk's first row goes):
// from the CPU's interleaved copy a group of 8 rows at a time where it can be read back
// (the mapped pages are released then), else from the matrix's data.
void convertTask(const Task& t, const Matrix& m, const PartShape& sh, uint8_t* const (&base)[3],
                 std::vector<uint8_t>& scratch) {
    const size_t row = static_cast<size_t>(t.at);
    uint8_t* a = base[0] + row * sh.row.a;
    uint8_t* s = base[1] ? base[1] + row * sh.row.s : nullptr;
    uint8_t* o = base[2] ? base[2] + row * sh.row.m : nullptr;
    const size_t stride = m.rowStride();
    // Q4_0 / Q8_0: the device keeps each block's quants and fp16 scale apart, which is
    // what the groups give back directly (no GGUF rows in between).
    const size_t q = m.type == GgmlType::Q4_0 ? 16 : 32;
    if (m.interleaved && t.row0 % 8 == 0 && t.rows % 8 == 0 && s && !o &&
        (m.type == GgmlType::Q4_0 || m.type == GgmlType::Q8_0) && sh.row.a == static_cast<size_t>(sh.cols / 32) * q &&
        sh.row.s == static_cast<size_t>(sh.cols / 32) * 2) {
        int64_t r = 0;
        for (; r < t.rows; r += 8)
            if (!deinterleaveGroupSplit(m, (t.row0 + r) / 8, a + static_cast<size_t>(r) * sh.row.a, sh.row.a,
                                        s + static_cast<size_t>(r) * sh.row.s, sh.row.s))
                break;
        if (r == t.rows) return;
    }
    if (m.interleaved && t.row0 % 8 == 0 && t.rows % 8 == 0) {
        scratch.resize(8 * stride);
        int64_t r = 0;
        for (; r < t.rows; r += 8) {
            if (!deinterleaveGroup(m, (t.row0 + r) / 8, scratch.data())) break;
            convertRowsInto(sh.type, scratch.data(), stride, 8, sh.cols, a + static_cast<size_t>(r) * sh.row.a,
                            s ? s + static_cast<size_t>(r) * sh.row.s : nullptr,
                            o ? o + static_cast<size_t>(r) * sh.row.m : nullptr);
        }
        if (r == t.rows) return;
    }
    convertRowsInto(sh.type, static_cast<const uint8_t*>(m.data) + static_cast<size_t>(t.row0) * stride, stride, t.rows,
                    sh.cols, a, s, o);
}

// The tasks converting `pc` (whole matrices' rows, kRowsPerTask at most each).
void tasksOf(const Piece& pc, const PartShape& sh, std::vector<Task>& tasks) {
    tasks.clear();
    for (int64_t r = pc.row0; r < pc.row0 + pc.rows;) {
        const size_t index = static_cast<size_t>(r / sh.rowsEach);
        const int64_t row0 = r - static_cast<int64_t>(index) * sh.rowsEach;
        const int64_t rows = std::min({kRowsPerTask, sh.rowsEach - row0, pc.row0 + pc.rows - r});
        tasks.push_back({pc.part, index, row0, rows, r - pc.row0});
        r += rows;
    }
}

}  // namespace

std::vector<Piece> piecesOf(const PartShape (&shape)[kParts], size_t chunkBytes, std::span<const int32_t> experts) {
    std::vector<Piece> pieces;
    const auto cut = [&](int p, int64_t from, int64_t to) {
        const int64_t each = std::max<int64_t>(8, static_cast<int64_t>(chunkBytes / shape[p].rowBytes()) / 8 * 8);
        for (int64_t r = from; r < to; r += each) pieces.push_back({p, r, std::min(each, to - r)});
    };
    if (experts.empty()) {
        for (int p = 0; p < kParts; ++p) cut(p, 0, shape[p].rows);
        return pieces;
    }
    for (int p = 1; p < kParts; ++p)  // the router stays out: the host routed the batch
        for (size_t i = 0; i < experts.size();) {
            size_t j = i + 1;  // a run of consecutive experts is one range of rows
            while (j < experts.size() && experts[j] == experts[j - 1] + 1) ++j;
            cut(p, experts[i] * shape[p].rowsEach, (experts[j - 1] + 1) * shape[p].rowsEach);
            i = j;
        }
    return pieces;
}

void convertPiece(const Piece& pc, const PartShape& sh, const ExpertSet& set, uint8_t* const (&base)[3],
                  ThreadPool* pool, std::vector<std::vector<uint8_t>>& scratch) {
    std::vector<Task> tasks;
    tasksOf(pc, sh, tasks);
    scratch.resize(static_cast<size_t>(pool ? pool->size() : 1));
    auto run = [&](int64_t i, int thread) {
        const Task& t = tasks[static_cast<size_t>(i)];
        convertTask(t, partOf(set, t.part)[t.index], sh, base, scratch[static_cast<size_t>(thread)]);
    };
    if (pool) pool->parallelFor(static_cast<int64_t>(tasks.size()), run);
    else
        for (size_t i = 0; i < tasks.size(); ++i) run(static_cast<int64_t>(i), 0);
}

}  // namespace kernels::opencl::expert_stream
