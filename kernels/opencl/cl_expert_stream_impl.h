// Private state of a streamed-experts stream (opencl_backend.h: ExpertStream) and the
// helpers its files share: the layer shapes and the ring's sizes
// (cl_expert_stream_sizes.cpp), the conversion of a piece of a layer into a staging chunk
// (cl_expert_stream_convert.cpp), the test holds (cl_expert_stream_holds.cpp) and the
// profile line (cl_expert_stream_profile.cpp). cl_expert_stream.cpp creates the stream,
// stages layers and launches the experts op on them.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <span>
#include <thread>
#include <vector>

#include "cl_runtime.h"
#include "kernels/backend.h"

namespace kernels {
class ThreadPool;
}

namespace kernels::opencl::expert_stream {

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

// ---- settings from the environment (cl_expert_stream_sizes.cpp) ----
enum class Hold { None, Copies, Ops, Chunks };
Expected<Hold> holdMode();  // ASSISTANT_MOE_STREAM_HOLD (None when unset; an error when unknown)
bool profileOn();       // ASSISTANT_MOE_STREAM_PROFILE=1
// ASSISTANT_MOE_STREAM_FAIL_AT=K (tests of the failure path): each staging's piece K fails
// as a refused clEnqueueWriteBuffer would, after the pieces before it were enqueued; -1
// (the default): none.
int64_t failPieceAt();
double hostSeconds();   // steady clock

// ---- layer shapes (cl_expert_stream_sizes.cpp) ----
// Part p of a set: the router alone, or one projection's experts.
std::span<const Matrix> partOf(const ExpertSet& set, int p);

// A part's matrices stacked: their common type and width, all rows, one row's bytes in
// each device buffer.
struct PartShape {
    GgmlType type = GgmlType::F32;
    int64_t rows = 0, cols = 0, rowsEach = 0;
    RowLayout row;
    size_t bytes(int arr) const { return static_cast<size_t>(rows) * (arr == 0 ? row.a : arr == 1 ? row.s : row.m); }
    size_t rowBytes() const { return row.a + row.s + row.m; }  // values, scales and offsets
};
// Part p's shape, or an error naming what cannot be streamed.
Expected<PartShape> partShape(const ExpertSet& set, int p);

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
Expected<Capacity> capacityFor(std::span<const ExpertSet* const> layers);
// The ring's chunk bytes for a stream of capacity `c`: ASSISTANT_MOE_STREAM_CHUNK or
// kChunkBytes, at most a quarter of the largest layer, at least 8 of its widest rows.
Expected<size_t> chunkBytesFor(const Capacity& c);

// ---- the conversion (cl_expert_stream_convert.cpp) ----
// One chunk's worth of a layer: rows [row0, row0 + rows) of part `part` (stacked).
struct Piece {
    int part;
    int64_t row0, rows;
};
// The layer cut into chunks: per part, groups of 8 rows as many as fit a chunk (a part's
// last piece may be smaller). Every part's 8 rows must fit a chunk. `experts` (sorted,
// distinct) not empty: only those experts' rows of gate, up and down (no router), each
// run of consecutive experts cut the same way.
std::vector<Piece> piecesOf(const PartShape (&shape)[kParts], size_t chunkBytes,
                            std::span<const int32_t> experts = {});
// Converts piece `pc` of `set` into the arrays from `base` (values, scales, offsets; null
// where the type has none) on `pool`'s threads (or the caller's alone); `scratch` holds
// one buffer per thread and grows as needed.
void convertPiece(const Piece& pc, const PartShape& sh, const ExpertSet& set, uint8_t* const (&base)[3],
                  ThreadPool* pool, std::vector<std::vector<uint8_t>>& scratch);

// ---- the profile (cl_expert_stream_profile.cpp) ----
// One use of a slot (callbacks write the host times of completion).
struct UseTimes {
    int64_t layer = 0;
    size_t bytes = 0;
    int chunks = 0;
    double stageSeconds = 0;      // converting
    double chunkWaitSeconds = 0;  // waiting for a free chunk
    std::atomic<double> copiedAt{0}, readyAt{0};  // 0: not yet
};
// Stores the host time at which `e` completes into (*use).*at. The callback owns a
// reference to `use`: it may run after the stream is gone (a runtime calls completion
// callbacks on its own thread, also after clFinish returned).
void noteCompletion(cl_event e, const std::shared_ptr<UseTimes>& use, std::atomic<double> UseTimes::*at);

void release(cl_event& e);  // clReleaseEvent where set; nulls it

}  // namespace kernels::opencl::expert_stream

namespace kernels::opencl {

struct ExpertStream::Impl {
    struct Slot {
        ExpertWeights w;              // device buffers, the capacity's bytes
        cl_event copied = nullptr;    // the last copy into w
        cl_event read = nullptr;      // the ops that read w last
        cl_event firstWrite = nullptr;  // the last use's first write
        cl_event hold = nullptr;      // a user event holding the last copy or experts op
        // What the last staging left, once it succeeded (none while one runs or after it
        // failed: then the slot's ops fail instead of reading half a layer): the whole
        // layer (router too), and per expert whether its rows are this layer's.
        bool whole = false;
        std::vector<uint8_t> holds;   // [experts of the last staging]
        std::shared_ptr<expert_stream::UseTimes> use;  // profile (shared with its callbacks)
    };
    struct Chunk {
        Buffer pinned;                // CL_MEM_ALLOC_HOST_PTR
        uint8_t* host = nullptr;      // pinned, mapped
        cl_event copied = nullptr;    // the last copy out of it
        cl_event hold = nullptr;      // Hold::Chunks: the user event holding that copy
    };
    cl_command_queue computeQueue = nullptr;  // the backend's (retained)
    cl_command_queue copyQueue = nullptr;
    expert_stream::Capacity capacity;
    size_t chunkBytes = 0;
    std::vector<Slot> slots;
    std::vector<Chunk> ring;
    size_t next = 0;             // the ring's next chunk
    bool profile = false;
    expert_stream::Hold hold = expert_stream::Hold::None;
    std::thread releaser;        // Hold::Chunks: releases a chunk's copy a while later

    // Prints slot s's last use's line (stderr) once its copy is done; forgets the use.
    void report(Slot& s);
    ~Impl();
};

}  // namespace kernels::opencl

namespace kernels::opencl::expert_stream {

// ---- the holds of ASSISTANT_MOE_STREAM_HOLD (cl_expert_stream_holds.cpp) ----
// Waits up to kHoldFor for `e` to complete (the side that must wait, if it does not).
void giveTime(cl_event e);
// Completes and releases the user event `hold` where set.
void releaseHold(cl_event& hold);
// A new user event in `hold` (and in the backend's list: a blocking transfer releases it,
// or the host would wait for itself), added to `wait`.
void holdWith(Backend::Impl& b, cl_event& hold, std::vector<cl_event>& wait);
// Hold::Chunks: `hold` released kChunkHoldFor from now, on the stream's releaser thread
// (which owns the reference from then on).
void releaseLater(ExpertStream::Impl& st, cl_event& hold);
// Held copies or ops that a wait for a chunk of slot `slot`'s staging may be behind: the
// layers' last copies (copies: after the ops reading their slot had their chance to run
// ahead), or the ops the slot's first copy waits for (ops: after that copy had its chance).
void unblock(ExpertStream::Impl& st, size_t slot);

}  // namespace kernels::opencl::expert_stream
