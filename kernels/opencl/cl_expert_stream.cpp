// Host-resident experts streamed to the device for a prefill batch (opencl_backend.h:
// ExpertStream). Per slot: one device expert set sized for the largest layer. For all
// slots together: a ring of kRingChunks small pinned staging chunks (CL_MEM_ALLOC_HOST_PTR,
// mapped once for the life of the stream), so that the host memory the stream pins stays
// bounded (at most kRingChunks x kChunkBytes = 128 MiB) however large a layer is:
//
//   host      stage(l): per chunk of rows: wait copied[c] (chunk free) -> convert into chunk c
//   copy q.   write chunk c -> its rows of slot s  (the layer's first write waits read[s])
//   compute   barrier(copied[s]) -> experts(slot s) -> marker read[s]
//
// with s = the slot the caller gives (l % 2 for double buffering) and c the ring's next
// chunk. A chunk holds whole groups of 8 rows of one part (router, gate, up or down), its
// values, scales and offsets one after the other; its copy starts as soon as it is
// converted (not after the whole layer), and copied[s] is the layer's last write (the
// copy queue is in order). The copies run on a queue of their own so that they overlap
// the compute queue's ops; the events are the only order between the queues.
//
// ASSISTANT_MOE_STREAM_CHUNK=BYTES (K / M suffixes) sets the chunk size (tests: many chunk
// reuses per layer); a chunk never holds less than 8 rows of the widest part, nor more
// than a quarter of the largest layer (the ring then pins at most one layer's bytes, half
// of what the two whole-layer buffers it replaced took).
//
// ASSISTANT_MOE_STREAM_HOLD=copies|ops|chunks (tests of that order, slow; ignored with the
// profile): each layer's last copy (copies) or each experts op (ops) is held back by a
// user event until the host has given the other side 50 ms to run ahead of it; with
// chunks, each chunk's copy is held until 5 ms after the host comes back to reuse that
// chunk (a missing wait then overwrites the chunk before its copy reads it). A missing
// wait thus reads the wrong rows deterministically instead of once in a while. The host
// releases copies / ops holds early where it would otherwise wait for a chunk behind them;
// blocking transfers release every hold.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string_view>
#include <thread>
#include <vector>

#include "cl_runtime.h"
#include "kernels/backend.h"
#include "kernels/thread_pool.h"

namespace kernels::opencl {
namespace {

constexpr int kParts = 4;               // router, gate, up, down
constexpr int64_t kRowsPerTask = 64;    // rows converted per task (whole groups of 8)
constexpr auto kHoldFor = std::chrono::milliseconds(50);
constexpr auto kChunkHoldFor = std::chrono::milliseconds(5);
// The staging ring: 4 chunks of 32 MiB (128 MiB pinned at most). A chunk of 32 MiB is
// copied in well under a millisecond at PCIe / NVLink-C2C speeds, so the first copy
// starts soon after the layer's staging does, and 4 chunks let the host convert two
// while two are in flight.
constexpr int kRingChunks = 4;
constexpr size_t kChunkBytes = size_t{32} << 20;

enum class Hold { None, Copies, Ops, Chunks };

Hold holdMode() {
    const char* e = std::getenv("ASSISTANT_MOE_STREAM_HOLD");
    const std::string_view v = e ? e : "";
    return v == "copies" ? Hold::Copies : v == "ops" ? Hold::Ops : v == "chunks" ? Hold::Chunks : Hold::None;
}

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

bool profileOn() {
    const char* e = std::getenv("ASSISTANT_MOE_STREAM_PROFILE");
    return e && std::string_view(e) == "1";
}

double hostSeconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Part p of a set: the router alone, or one projection's experts.
std::span<const Matrix> partOf(const ExpertSet& set, int p) {
    if (p == 0) return set.router ? std::span<const Matrix>(set.router, 1) : std::span<const Matrix>();
    return p == 1 ? set.gate : p == 2 ? set.up : set.down;
}

// A part's matrices stacked: their common type and width, all rows, one row's bytes in
// each device buffer.
struct PartShape {
    GgmlType type = GgmlType::F32;
    int64_t rows = 0, cols = 0, rowsEach = 0;
    RowLayout row;
    size_t bytes(int arr) const { return static_cast<size_t>(rows) * (arr == 0 ? row.a : arr == 1 ? row.s : row.m); }
};

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

// The bytes of each part's buffers that fit every layer: [part][values, scales, offsets].
struct Capacity {
    size_t bytes[kParts][3] = {};
    size_t widestRow = 0;  // the most bytes of one row (values, scales and offsets) of any part
    size_t total() const {
        size_t t = 0;
        for (const auto& p : bytes) t += p[0] + p[1] + p[2];
        return t;
    }
};

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
            c.widestRow = std::max(c.widestRow, s->row.a + s->row.s + s->row.m);
        }
    }
    return c;
}

// The ring's chunk bytes for a stream of capacity `c`: ASSISTANT_MOE_STREAM_CHUNK or
// kChunkBytes, at most a quarter of the largest layer, at least 8 of its widest rows.
Expected<size_t> chunkBytesFor(const Capacity& c) {
    auto asked = chunkBytesAsked();
    if (!asked) return std::unexpected(asked.error());
    return std::max(std::min(*asked, (c.total() + kRingChunks - 1) / kRingChunks), 8 * c.widestRow);
}

// One use of a slot, for the profile (callbacks write the host times of completion).
struct UseTimes {
    int64_t layer = 0;
    size_t bytes = 0;
    int chunks = 0;
    double stageSeconds = 0;      // converting
    double chunkWaitSeconds = 0;  // waiting for a free chunk
    std::atomic<double> copiedAt{0}, readyAt{0};  // 0: not yet
};

void CL_CALLBACK noteTime(cl_event, cl_int, void* at) { static_cast<std::atomic<double>*>(at)->store(hostSeconds()); }

}  // namespace

struct ExpertStream::Impl {
    struct Slot {
        ExpertWeights w;              // device buffers, the capacity's bytes
        cl_event copied = nullptr;    // the last copy into w
        cl_event read = nullptr;      // the ops that read w last
        cl_event firstWrite = nullptr;  // the last use's first write
        cl_event hold = nullptr;      // a user event holding the last copy or experts op
        UseTimes* use = nullptr;      // profile
    };
    struct Chunk {
        Buffer pinned;                // CL_MEM_ALLOC_HOST_PTR
        uint8_t* host = nullptr;      // pinned, mapped
        cl_event copied = nullptr;    // the last copy out of it
        cl_event hold = nullptr;      // Hold::Chunks: the user event holding that copy
    };
    cl_command_queue computeQueue = nullptr;  // the backend's (retained)
    cl_command_queue copyQueue = nullptr;
    Capacity capacity;
    size_t chunkBytes = 0;
    std::vector<Slot> slots;
    std::vector<Chunk> ring;
    size_t next = 0;             // the ring's next chunk
    bool profile = false;
    Hold hold = Hold::None;
    std::thread releaser;        // Hold::Chunks: releases a chunk's copy a while later
    std::deque<UseTimes> uses;  // profile: stable addresses for the callbacks

    void report(Slot& s);
    ~Impl();
};

namespace {

void release(cl_event& e) {
    if (e) clReleaseEvent(e);
    e = nullptr;
}

// Waits up to kHoldFor for `e` to complete (the side that must wait, if it does not).
void giveTime(cl_event e) {
    const auto until = std::chrono::steady_clock::now() + kHoldFor;
    while (std::chrono::steady_clock::now() < until) {
        cl_int status = CL_QUEUED;
        clGetEventInfo(e, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof status, &status, nullptr);
        if (status <= CL_COMPLETE) return;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
}

void releaseHold(cl_event& hold) {
    if (!hold) return;
    clSetUserEventStatus(hold, CL_COMPLETE);
    release(hold);
}

// A new user event in `hold` (and in the backend's list: a blocking transfer releases it,
// or the host would wait for itself), added to `wait`.
void holdWith(Backend::Impl& b, cl_event& hold, std::vector<cl_event>& wait) {
    cl_int err = CL_SUCCESS;
    hold = clCreateUserEvent(b.context, &err);
    if (!hold) return;
    clRetainEvent(hold);
    b.holds.push_back(hold);
    wait.push_back(hold);
}

// Hold::Chunks: `hold` released kChunkHoldFor from now, on the stream's releaser thread
// (which owns the reference from then on).
void releaseLater(ExpertStream::Impl& st, cl_event& hold) {
    if (st.releaser.joinable()) st.releaser.join();
    st.releaser = std::thread([e = hold] {
        std::this_thread::sleep_for(kChunkHoldFor);
        clSetUserEventStatus(e, CL_COMPLETE);  // fails harmlessly where a blocking transfer released it
        clReleaseEvent(e);
    });
    hold = nullptr;
}

// Held copies or ops that a wait for a chunk of slot `slot`'s staging may be behind: the
// layers' last copies (copies: after the ops reading their slot had their chance to run
// ahead), or the ops the slot's first copy waits for (ops: after that copy had its chance).
void unblock(ExpertStream::Impl& st, size_t slot) {
    if (st.hold == Hold::Copies)
        for (ExpertStream::Impl::Slot& s : st.slots) {
            if (!s.hold) continue;
            if (s.read) giveTime(s.read);
            releaseHold(s.hold);
        }
    ExpertStream::Impl::Slot& sl = st.slots[slot];
    if (st.hold == Hold::Ops && sl.hold && sl.firstWrite) {  // the layer's first copy is enqueued
        giveTime(sl.firstWrite);
        releaseHold(sl.hold);
    }
}

}  // namespace

void ExpertStream::Impl::report(Slot& s) {
    UseTimes* u = s.use;
    s.use = nullptr;
    if (!u || !s.firstWrite || !s.copied) return;
    clWaitForEvents(1, &s.copied);
    cl_ulong start = 0, end = 0;
    clGetEventProfilingInfo(s.firstWrite, CL_PROFILING_COMMAND_START, sizeof start, &start, nullptr);
    clGetEventProfilingInfo(s.copied, CL_PROFILING_COMMAND_END, sizeof end, &end, nullptr);
    const double copy = end > start ? static_cast<double>(end - start) * 1e-9 : 0;
    // The copy's completion callback runs shortly after clWaitForEvents returns.
    for (int i = 0; i < 100 && u->copiedAt.load() == 0; ++i) std::this_thread::sleep_for(std::chrono::microseconds(100));
    const double ready = u->readyAt.load(), copied = u->copiedAt.load();
    // The ops reached the experts before the copy ended: they waited the difference.
    const double waited = ready > 0 && copied > ready ? copied - ready : 0;
    const double gb = static_cast<double>(u->bytes) * 1e-9;
    // The copy runs from the first chunk's write to the last one's, the host converting
    // the chunks in between: its GB/s is the layer's, not the link's (which is higher).
    std::fprintf(stderr,
                 "moe-stream: layer %lld: %.1f MB staged in %.2f ms (%.1f GB/s host) in %d chunks of %.1f MB, "
                 "host waited %.2f ms for free chunks, copied in %.2f ms (%.1f GB/s), ops waited %.2f ms\n",
                 static_cast<long long>(u->layer), gb * 1e3, u->stageSeconds * 1e3,
                 u->stageSeconds > 0 ? gb / u->stageSeconds : 0, u->chunks, static_cast<double>(chunkBytes) * 1e-6,
                 u->chunkWaitSeconds * 1e3, copy * 1e3, copy > 0 ? gb / copy : 0, waited * 1e3);
}

ExpertStream::Impl::~Impl() {
    for (Slot& s : slots) releaseHold(s.hold);
    if (releaser.joinable()) releaser.join();
    for (Chunk& c : ring) releaseHold(c.hold);
    if (copyQueue) clFinish(copyQueue);
    if (computeQueue) clFinish(computeQueue);
    for (Slot& s : slots) {
        if (profile) report(s);
        release(s.copied);
        release(s.read);
        release(s.firstWrite);
    }
    for (Chunk& c : ring) {
        release(c.copied);
        if (c.host && copyQueue) clEnqueueUnmapMemObject(copyQueue, c.pinned.get(), c.host, 0, nullptr, nullptr);
    }
    if (copyQueue) {
        clFinish(copyQueue);
        clReleaseCommandQueue(copyQueue);
    }
    if (computeQueue) clReleaseCommandQueue(computeQueue);
}

ExpertStream::~ExpertStream() = default;
int ExpertStream::slots() const { return static_cast<int>(m->slots.size()); }
size_t ExpertStream::deviceBytes() const { return m->capacity.total() * m->slots.size(); }
size_t ExpertStream::hostBytes() const { return m->chunkBytes * m->ring.size(); }
size_t ExpertStream::chunkBytes() const { return m->chunkBytes; }

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

Expected<std::unique_ptr<ExpertStream>> Backend::createExpertStream(std::span<const ExpertSet* const> layers,
                                                                    int slots) {
    Impl& b = *m_impl;
    auto c = capacityFor(layers);
    if (!c) return std::unexpected(c.error());
    auto chunk = chunkBytesFor(*c);
    if (!chunk) return std::unexpected(chunk.error());
    if (slots < 1) return std::unexpected(std::string("streamed experts: no slot"));
    auto stream = std::make_unique<ExpertStream>();
    stream->m = std::make_unique<ExpertStream::Impl>();
    ExpertStream::Impl& st = *stream->m;
    st.capacity = *c;
    st.chunkBytes = *chunk;
    st.profile = profileOn();
    st.hold = st.profile ? Hold::None : holdMode();  // the profile waits for copies a hold may stall
    st.computeQueue = b.queue;
    clRetainCommandQueue(st.computeQueue);  // the stream may outlive the backend's Impl
    cl_int err = CL_SUCCESS;
    const cl_queue_properties props[] = {
        CL_QUEUE_PROPERTIES, st.profile ? static_cast<cl_queue_properties>(CL_QUEUE_PROFILING_ENABLE) : 0, 0};
    st.copyQueue = clCreateCommandQueueWithProperties(b.context, b.device, props, &err);
    if (!st.copyQueue) return std::unexpected("streamed experts: clCreateCommandQueue failed (" + std::to_string(err) + ")");
    st.slots.resize(static_cast<size_t>(slots));
    for (ExpertStream::Impl::Slot& s : st.slots) {
        Weight* parts[kParts] = {&s.w.router, &s.w.gate, &s.w.up, &s.w.down};
        for (int p = 0; p < kParts; ++p) {
            Buffer* arrays[3] = {&parts[p]->a, &parts[p]->s, &parts[p]->m};
            for (int arr = 0; arr < 3; ++arr) {
                if (st.capacity.bytes[p][arr] == 0) continue;
                auto buf = alloc(st.capacity.bytes[p][arr]);
                if (!buf) return std::unexpected("streamed experts: " + buf.error());
                *arrays[arr] = std::move(*buf);
            }
        }
    }
    st.ring.resize(kRingChunks);
    for (ExpertStream::Impl::Chunk& ch : st.ring) {
        cl_mem pinned = clCreateBuffer(b.context, CL_MEM_ALLOC_HOST_PTR | CL_MEM_READ_WRITE, st.chunkBytes, nullptr, &err);
        if (!pinned || err != CL_SUCCESS)
            return std::unexpected("streamed experts: a pinned staging chunk of " + std::to_string(st.chunkBytes) +
                                   " bytes failed (" + std::to_string(err) + ")");
        ch.pinned = Buffer(pinned, st.chunkBytes);
        void* host = clEnqueueMapBuffer(st.copyQueue, pinned, CL_TRUE, CL_MAP_WRITE, 0, st.chunkBytes, 0, nullptr,
                                        nullptr, &err);
        if (!host || err != CL_SUCCESS)
            return std::unexpected("streamed experts: mapping the staging failed (" + std::to_string(err) + ")");
        ch.host = static_cast<uint8_t*>(host);
    }
    return stream;
}

namespace {

// One task of the conversion: rows [row0, row0 + rows) of matrix `index` of part `part`,
// written from row `at` of its chunk on.
struct Task {
    int part;
    size_t index;
    int64_t row0, rows, at;
};

// One chunk's worth of a layer: rows [row0, row0 + rows) of part `part` (stacked).
struct Piece {
    int part;
    int64_t row0, rows;
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

// The layer cut into chunks: per part, groups of 8 rows as many as fit a chunk (a part's
// last piece may be smaller).
std::vector<Piece> piecesOf(const PartShape (&shape)[kParts], size_t chunkBytes) {
    std::vector<Piece> pieces;
    for (int p = 0; p < kParts; ++p) {
        const PartShape& sh = shape[p];
        const size_t rowBytes = sh.row.a + sh.row.s + sh.row.m;
        const int64_t each = std::max<int64_t>(8, static_cast<int64_t>(chunkBytes / rowBytes) / 8 * 8);
        for (int64_t r = 0; r < sh.rows; r += each) pieces.push_back({p, r, std::min(each, sh.rows - r)});
    }
    return pieces;
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

Expected<bool> Backend::stageExperts(ExpertStream& stream, int slot, int64_t layer, const ExpertSet& set,
                                     ThreadPool* pool) {
    ExpertStream::Impl& st = *stream.m;
    if (slot < 0 || slot >= stream.slots()) return std::unexpected("streamed experts: no slot " + std::to_string(slot));
    ExpertStream::Impl::Slot& sl = st.slots[static_cast<size_t>(slot)];
    // Held copies: the ops reading the slot had their chance to run ahead of its last copy.
    if (st.hold == Hold::Copies && sl.hold) {
        if (sl.read) giveTime(sl.read);
        releaseHold(sl.hold);
    }
    if (st.profile) st.report(sl);
    release(sl.copied);
    release(sl.firstWrite);
    PartShape shape[kParts];
    for (int p = 0; p < kParts; ++p) {
        auto s = partShape(set, p);
        if (!s) return std::unexpected(s.error());
        for (int arr = 0; arr < 3; ++arr)
            if (s->bytes(arr) > st.capacity.bytes[p][arr])
                return std::unexpected(std::string("streamed experts: a layer larger than the stream's slots"));
        shape[p] = *s;
    }

    // What the slot holds from now on (the experts op reads these when it is enqueued).
    Weight* dst[kParts] = {&sl.w.router, &sl.w.gate, &sl.w.up, &sl.w.down};
    size_t bytes = 0;
    for (int p = 0; p < kParts; ++p) {
        dst[p]->format = formatOf(shape[p].type);
        dst[p]->sourceType = shape[p].type;
        dst[p]->rows = shape[p].rows;
        dst[p]->cols = shape[p].cols;
        dst[p]->group = shape[p].type == GgmlType::Q6_K ? 16 : 32;
        for (int arr = 0; arr < 3; ++arr) bytes += shape[p].bytes(arr);
    }
    sl.w.used = set.used;
    sl.w.normalize = set.normalize;

    const std::vector<Piece> pieces = piecesOf(shape, st.chunkBytes);
    const int threads = pool ? pool->size() : 1;
    std::vector<std::vector<uint8_t>> scratch(static_cast<size_t>(threads));
    std::vector<Task> tasks;
    double staged = 0, waited = 0;
    for (size_t k = 0; k < pieces.size(); ++k) {
        const Piece& pc = pieces[k];
        const PartShape& sh = shape[pc.part];
        // The ring's next chunk, once its last copy left it.
        ExpertStream::Impl::Chunk& ch = st.ring[st.next];
        st.next = (st.next + 1) % st.ring.size();
        if (ch.copied) {
            if (ch.hold) releaseLater(st, ch.hold);
            else unblock(st, static_cast<size_t>(slot));
            const double w0 = hostSeconds();
            if (const cl_int err = clWaitForEvents(1, &ch.copied); err != CL_SUCCESS)
                return std::unexpected("streamed experts: waiting for a copy failed (" + std::to_string(err) + ")");
            waited += hostSeconds() - w0;
            release(ch.copied);
        }

        // Host threads convert the piece into the chunk: values, scales, offsets.
        const double t0 = hostSeconds();
        const size_t n[3] = {static_cast<size_t>(pc.rows) * sh.row.a, static_cast<size_t>(pc.rows) * sh.row.s,
                             static_cast<size_t>(pc.rows) * sh.row.m};
        uint8_t* const base[3] = {ch.host, n[1] ? ch.host + n[0] : nullptr, n[2] ? ch.host + n[0] + n[1] : nullptr};
        tasksOf(pc, sh, tasks);
        auto run = [&](int64_t i, int thread) {
            const Task& t = tasks[static_cast<size_t>(i)];
            convertTask(t, partOf(set, t.part)[t.index], sh, base, scratch[static_cast<size_t>(thread)]);
        };
        if (pool) pool->parallelFor(static_cast<int64_t>(tasks.size()), run);
        else
            for (size_t i = 0; i < tasks.size(); ++i) run(static_cast<int64_t>(i), 0);
        staged += hostSeconds() - t0;

        // Its copies into the slot's rows: the layer's first waits for the ops that read
        // the slot last; a held chunk's first and a held layer's last for their holds.
        std::vector<cl_event> wait;
        if (k == 0 && sl.read) wait.push_back(sl.read);
        if (st.hold == Hold::Chunks) holdWith(*m_impl, ch.hold, wait);
        Buffer* arrays[3] = {&dst[pc.part]->a, &dst[pc.part]->s, &dst[pc.part]->m};
        const size_t rowBytes[3] = {sh.row.a, sh.row.s, sh.row.m};
        const int lastArr = n[2] ? 2 : n[1] ? 1 : 0;
        for (int arr = 0; arr <= lastArr; ++arr) {
            if (n[arr] == 0) continue;
            if (st.hold == Hold::Copies && k + 1 == pieces.size() && arr == lastArr) holdWith(*m_impl, sl.hold, wait);
            cl_event ev = nullptr;
            const cl_int err = clEnqueueWriteBuffer(st.copyQueue, arrays[arr]->get(), CL_FALSE,
                                                    static_cast<size_t>(pc.row0) * rowBytes[arr], n[arr], base[arr],
                                                    static_cast<cl_uint>(wait.size()), wait.empty() ? nullptr : wait.data(),
                                                    &ev);
            wait.clear();
            if (err != CL_SUCCESS)
                return std::unexpected("streamed experts: clEnqueueWriteBuffer failed (" + std::to_string(err) + ")");
            if (!sl.firstWrite) clRetainEvent(sl.firstWrite = ev);
            // The queue is in order: the chunk's last write is its whole copy's, the
            // layer's last write the whole layer's.
            release(ch.copied);
            ch.copied = ev;
        }
        clRetainEvent(ch.copied);
        release(sl.copied);
        sl.copied = ch.copied;
        clFlush(st.copyQueue);
    }
    release(sl.read);
    if (st.profile && sl.copied) {
        st.uses.emplace_back();
        UseTimes& u = st.uses.back();
        u.layer = layer;
        u.bytes = bytes;
        u.chunks = static_cast<int>(pieces.size());
        u.stageSeconds = staged;
        u.chunkWaitSeconds = waited;
        sl.use = &u;
        clSetEventCallback(sl.copied, CL_COMPLETE, noteTime, &u.copiedAt);
    }
    // Held ops: the copy just enqueued had its chance to overtake the ops reading the
    // slot before; now they may run.
    if (st.hold == Hold::Ops && sl.hold) {
        giveTime(sl.firstWrite);
        releaseHold(sl.hold);
    }
    return true;
}

void Backend::streamedExperts(ExpertStream& stream, int slot, const Buffer& x, int64_t tokens, const Buffer& out,
                              ExpertScratch& scratch) {
    Impl& b = *m_impl;
    ExpertStream::Impl& st = *stream.m;
    if (slot < 0 || slot >= stream.slots() || !st.slots[static_cast<size_t>(slot)].copied) {
        b.fail("streamed experts: a slot that was never staged", CL_INVALID_VALUE);
        return;
    }
    ExpertStream::Impl::Slot& sl = st.slots[static_cast<size_t>(slot)];
    if (st.profile && sl.use) {
        cl_event ready = nullptr;
        if (clEnqueueMarkerWithWaitList(b.queue, 0, nullptr, &ready) == CL_SUCCESS && ready) {
            clSetEventCallback(ready, CL_COMPLETE, noteTime, &sl.use->readyAt);
            clReleaseEvent(ready);
        }
    }
    std::vector<cl_event> wait = {sl.copied};
    if (st.hold == Hold::Ops) {
        releaseHold(sl.hold);  // a hold left from an unfinished pass
        holdWith(b, sl.hold, wait);
    }
    if (const cl_int err = clEnqueueBarrierWithWaitList(b.queue, static_cast<cl_uint>(wait.size()), wait.data(), nullptr);
        err != CL_SUCCESS) {
        b.fail("streamed experts: clEnqueueBarrierWithWaitList", err);
        return;
    }
    experts(sl.w, x, tokens, out, scratch);
    release(sl.read);
    if (const cl_int err = clEnqueueMarkerWithWaitList(b.queue, 0, nullptr, &sl.read); err != CL_SUCCESS)
        b.fail("streamed experts: clEnqueueMarkerWithWaitList", err);
    flush();
}

void Backend::Impl::releaseHolds() {
    for (cl_event e : holds) {
        clSetUserEventStatus(e, CL_COMPLETE);  // fails harmlessly where the stream released it
        clReleaseEvent(e);
    }
    holds.clear();
}

}  // namespace kernels::opencl
