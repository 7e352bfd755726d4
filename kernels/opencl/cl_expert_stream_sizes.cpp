// Streamed experts (cl_expert_stream_impl.h): the settings read from the environment,
// each layer part's shape, the slots' capacity for a set of layers and the staging
// ring's chunk size; Backend::expertStreamBytes / expertStreamHostBytes, which the
// placement plan asks before any stream exists.
//
// ASSISTANT_MOE_STREAM_CHUNK=BYTES (K / M suffixes) sets the chunk size (tests: many chunk
// reuses per layer); a chunk never holds less than 8 rows of the widest part, nor more
// than a quarter of the largest layer (the ring then pins at most one layer's bytes, half
// of what the two whole-layer buffers it replaced took). A value that is not a byte count
// is an error (the plan then streams nothing and says why).
#include <algorithm>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cl_expert_stream_impl.h"

namespace kernels::opencl::expert_stream {
namespace {

// ASSISTANT_MOE_STREAM_CHUNK: the chunk bytes asked for (kChunkBytes when unset).
Expected<size_t> chunkBytesAsked() {
    const char* e = std::getenv("ASSISTANT_MOE_STREAM_CHUNK");
    if (!e || !*e) return kChunkBytes;
    char* end = nullptr;
    const long long v = std::strtoll(e, &end, 10);
    const std::string_view unit = end;
    const size_t scale = unit.empty() ? 1 : unit == "K" || unit == "k" ? 1024 : unit == "M" || unit == "m" ? 1 << 20 : 0;
    if (end == e || v <= 0 || scale == 0 || static_cast<unsigned long long>(v) > (size_t{1} << 40) / scale)
        return std::unexpected("ASSISTANT_MOE_STREAM_CHUNK=" + std::string(e) +
                               ": expected a byte count (K or M suffix allowed), e.g. 32M");
    return static_cast<size_t>(v) * scale;
}

}  // namespace

Expected<Hold> holdMode() {
    const char* e = std::getenv("ASSISTANT_MOE_STREAM_HOLD");
    const std::string_view v = e ? e : "";
    if (v.empty()) return Hold::None;
    if (v == "copies") return Hold::Copies;
    if (v == "ops") return Hold::Ops;
    if (v == "chunks") return Hold::Chunks;
    // A test that misspells its hold would otherwise test nothing.
    return std::unexpected("ASSISTANT_MOE_STREAM_HOLD=" + std::string(v) + ": expected copies, ops or chunks");
}

bool profileOn() {
    const char* e = std::getenv("ASSISTANT_MOE_STREAM_PROFILE");
    return e && std::string_view(e) == "1";
}

int64_t failPieceAt() {
    const char* e = std::getenv("ASSISTANT_MOE_STREAM_FAIL_AT");
    if (!e || !*e) return -1;
    char* end = nullptr;
    const long long v = std::strtoll(e, &end, 10);
    return end != e && *end == '\0' && v >= 0 ? static_cast<int64_t>(v) : -1;
}

double hostSeconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::span<const Matrix> partOf(const ExpertSet& set, int p) {
    if (p == 0) return set.router ? std::span<const Matrix>(set.router, 1) : std::span<const Matrix>();
    return p == 1 ? set.gate : p == 2 ? set.up : set.down;
}

Expected<PartShape> partShape(const ExpertSet& set, int p) {
    static const char* const kName[kParts] = {"router", "gate", "up", "down"};
    const std::span<const Matrix> ms = partOf(set, p);
    if (ms.empty()) return std::unexpected(std::string("streamed experts: no ") + kName[p]);
    PartShape s;
    s.type = ms[0].type;
    s.cols = ms[0].cols;
    s.rowsEach = ms[0].rows;
    for (const Matrix& m : ms)
        if (m.type != s.type || m.cols != s.cols || m.rows != s.rowsEach || !m.data)
            return std::unexpected(std::string("streamed experts: the ") + kName[p] + " matrices differ");
    if (!Backend::supports(s.type))
        return std::unexpected(std::string("streamed experts: no kernels for ") + std::string(typeName(s.type)) + " (" + kName[p] + ")");
    if (s.cols % 32 != 0) return std::unexpected(std::string("streamed experts: rows not a multiple of 32 values"));
    s.rows = s.rowsEach * static_cast<int64_t>(ms.size());
    s.row = rowLayout(s.type, s.cols);
    return s;
}

Expected<Capacity> capacityFor(std::span<const ExpertSet* const> layers) {
    Capacity c;
    if (layers.empty()) return std::unexpected(std::string("streamed experts: no layer"));
    for (const ExpertSet* set : layers) {
        const int64_t X = static_cast<int64_t>(set->gate.size());
        if (X == 0 || X > 512 || set->used <= 0 || set->used > 64 || set->used > X)  // cl/experts.cl: ROUTE_MAX, ROUTE_WG
            return std::unexpected(std::string("streamed experts: at most 512 experts and 64 per token"));
        for (int p = 0; p < kParts; ++p) {
            auto s = partShape(*set, p);
            if (!s) return std::unexpected(s.error());
            for (int arr = 0; arr < 3; ++arr) c.bytes[p][arr] = std::max(c.bytes[p][arr], s->bytes(arr));
            c.widestRow = std::max(c.widestRow, s->rowBytes());
        }
    }
    return c;
}

Expected<size_t> chunkBytesFor(const Capacity& c) {
    auto asked = chunkBytesAsked();
    if (!asked) return std::unexpected(asked.error());
    return std::max(std::min(*asked, (c.total() + kRingChunks - 1) / kRingChunks), 8 * c.widestRow);
}

}  // namespace kernels::opencl::expert_stream

namespace kernels::opencl {

using namespace expert_stream;

Expected<size_t> Backend::expertStreamBytes(std::span<const ExpertSet* const> layers, int slots) {
    auto c = capacityFor(layers);
    if (!c) return std::unexpected(c.error());
    return c->total() * static_cast<size_t>(std::max(slots, 0));
}

Expected<size_t> Backend::expertStreamHostBytes(std::span<const ExpertSet* const> layers) {
    auto c = capacityFor(layers);
    if (!c) return std::unexpected(c.error());
    auto chunk = chunkBytesFor(*c);
    if (!chunk) return std::unexpected(chunk.error());
    return *chunk * kRingChunks;
}

}  // namespace kernels::opencl
