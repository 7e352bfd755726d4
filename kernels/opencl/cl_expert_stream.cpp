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
// A staging of some experts (a layer whose hot-expert cache holds the others) copies only
// their gate, up and down rows, to the same rows of the slot as a whole layer's: the op on
// them takes expert ids as they are (no id map), and the slot records which experts are
// this layer's so that an op asking for another one fails instead of reading a stale row.
// A compacted layout would copy the same bytes and only add the map.
//
// The ring's chunk size and ASSISTANT_MOE_STREAM_CHUNK: cl_expert_stream_sizes.cpp; the
// conversion of a chunk: cl_expert_stream_convert.cpp; the holds below:
// cl_expert_stream_holds.cpp; the profile line: cl_expert_stream_profile.cpp.
//
// ASSISTANT_MOE_STREAM_HOLD=copies|ops|chunks (tests of that order, slow; ignored with the
// profile): each layer's last copy (copies) or each experts op (ops) is held back by a
// user event until the host has given the other side 50 ms to run ahead of it; with
// chunks, each chunk's copy is held until 5 ms after the host comes back to reuse that
// chunk (a missing wait then overwrites the chunk before its copy reads it). A missing
// wait thus reads the wrong rows deterministically instead of once in a while. The host
// releases copies / ops holds early where it would otherwise wait for a chunk behind them;
// blocking transfers release every hold. Another value: the stream is not made (an error).
// ASSISTANT_MOE_STREAM_FAIL_AT=K (tests): each staging's piece K fails as a refused write
// would, after the pieces before it were enqueued; the slot then holds nothing.
#include <algorithm>
#include <string>
#include <vector>

#include "cl_expert_stream_impl.h"
#include "kernels/thread_pool.h"

namespace kernels::opencl {

using namespace expert_stream;

ExpertStream::Impl::~Impl() {
    for (Slot& s : slots) releaseHold(s.hold);
    if (releaser.joinable()) releaser.join();
    for (Chunk& c : ring) releaseHold(c.hold);
    // The compute queue is not waited for: the slots' buffers live on until the ops that
    // read them are done (clReleaseMemObject), and the profile's callbacks own their times.
    if (copyQueue) clFinish(copyQueue);
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

Expected<std::unique_ptr<ExpertStream>> Backend::createExpertStream(std::span<const ExpertSet* const> layers,
                                                                    int slots) {
    Impl& b = *m_impl;
    auto c = capacityFor(layers);
    if (!c) return std::unexpected(c.error());
    auto chunk = chunkBytesFor(*c);
    if (!chunk) return std::unexpected(chunk.error());
    if (slots < 1) return std::unexpected(std::string("streamed experts: no slot"));
    auto hold = holdMode();
    if (!hold) return std::unexpected("streamed experts: " + hold.error());
    auto stream = std::make_unique<ExpertStream>();
    stream->m = std::make_unique<ExpertStream::Impl>();
    ExpertStream::Impl& st = *stream->m;
    st.capacity = *c;
    st.chunkBytes = *chunk;
    st.profile = profileOn();
    st.hold = st.profile ? Hold::None : *hold;  // the profile waits for copies a hold may stall
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

// The ring's next chunk, once its last copy left it (the host's wait added to `waited`),
// for staging slot `slot`: holds that copy may be behind are let go first.
Expected<ExpertStream::Impl::Chunk*> nextFreeChunk(ExpertStream::Impl& st, size_t slot, double& waited) {
    ExpertStream::Impl::Chunk& ch = st.ring[st.next];
    st.next = (st.next + 1) % st.ring.size();
    if (!ch.copied) return &ch;
    if (ch.hold) releaseLater(st, ch.hold);
    else unblock(st, slot);
    const double w0 = hostSeconds();
    if (const cl_int err = clWaitForEvents(1, &ch.copied); err != CL_SUCCESS)
        return std::unexpected("streamed experts: waiting for a copy failed (" + std::to_string(err) + ")");
    waited += hostSeconds() - w0;
    release(ch.copied);
    return &ch;
}

// Piece `pc`'s copies (n[arr] bytes from base[arr] of chunk `ch`) into its rows of `dst`,
// slot `sl`'s part: the layer's first copy waits for the ops that read the slot last; a
// held chunk's first and a held layer's last for their holds. ch.copied becomes the
// chunk's last write (the queue is in order: its whole copy's), sl.firstWrite the layer's
// first.
Expected<bool> enqueueCopies(Backend::Impl& b, ExpertStream::Impl& st, ExpertStream::Impl::Slot& sl,
                             ExpertStream::Impl::Chunk& ch, const Piece& pc, const PartShape& sh, Weight& dst,
                             const size_t (&n)[3], uint8_t* const (&base)[3], bool first, bool last) {
    std::vector<cl_event> wait;
    if (first && sl.read) wait.push_back(sl.read);
    if (st.hold == Hold::Chunks) holdWith(b, ch.hold, wait);
    Buffer* arrays[3] = {&dst.a, &dst.s, &dst.m};
    const size_t rowBytes[3] = {sh.row.a, sh.row.s, sh.row.m};
    const int lastArr = n[2] ? 2 : n[1] ? 1 : 0;
    for (int arr = 0; arr <= lastArr; ++arr) {
        if (n[arr] == 0) continue;
        if (st.hold == Hold::Copies && last && arr == lastArr) holdWith(b, sl.hold, wait);
        cl_event ev = nullptr;
        const cl_int err = clEnqueueWriteBuffer(st.copyQueue, arrays[arr]->get(), CL_FALSE,
                                                static_cast<size_t>(pc.row0) * rowBytes[arr], n[arr], base[arr],
                                                static_cast<cl_uint>(wait.size()), wait.empty() ? nullptr : wait.data(),
                                                &ev);
        wait.clear();
        if (err != CL_SUCCESS)
            return std::unexpected("streamed experts: clEnqueueWriteBuffer failed (" + std::to_string(err) + ")");
        if (!sl.firstWrite) clRetainEvent(sl.firstWrite = ev);
        release(ch.copied);
        ch.copied = ev;
    }
    return true;
}

}  // namespace

namespace {

// `experts` sorted and without repeats, each below `count`; an error names one that is not.
Expected<std::vector<int32_t>> expertList(std::span<const int32_t> experts, size_t count) {
    std::vector<int32_t> list(experts.begin(), experts.end());
    std::sort(list.begin(), list.end());
    list.erase(std::unique(list.begin(), list.end()), list.end());
    if (!list.empty() && (list.front() < 0 || static_cast<size_t>(list.back()) >= count))
        return std::unexpected("streamed experts: no expert " +
                               std::to_string(list.front() < 0 ? list.front() : list.back()) + " of " +
                               std::to_string(count));
    return list;
}

// The shapes of `set`'s parts into `shape`, and slot `sl`'s weights described by them (the
// experts op reads these when it is enqueued); an error where the layer does not fit the
// stream's slots or chunks.
Expected<bool> describeSlot(const ExpertStream::Impl& st, ExpertStream::Impl::Slot& sl, const ExpertSet& set,
                            PartShape (&shape)[kParts]) {
    Weight* dst[kParts] = {&sl.w.router, &sl.w.gate, &sl.w.up, &sl.w.down};
    for (int p = 0; p < kParts; ++p) {
        auto s = partShape(set, p);
        if (!s) return std::unexpected(s.error());
        for (int arr = 0; arr < 3; ++arr)
            if (s->bytes(arr) > st.capacity.bytes[p][arr])
                return std::unexpected(std::string("streamed experts: a layer larger than the stream's slots"));
        // A piece is at least 8 rows: wider rows than the stream's layers (the same bytes
        // in fewer rows fit the slots) would overrun a staging chunk.
        if (8 * s->rowBytes() > st.chunkBytes)
            return std::unexpected("streamed experts: rows wider than the stream's (8 rows of " +
                                   std::to_string(s->rowBytes()) + " bytes, chunks of " + std::to_string(st.chunkBytes) +
                                   "): a layer it was not made for");
        shape[p] = *s;
    }
    for (int p = 0; p < kParts; ++p) {
        dst[p]->format = formatOf(shape[p].type);
        dst[p]->sourceType = shape[p].type;
        dst[p]->rows = shape[p].rows;
        dst[p]->cols = shape[p].cols;
        dst[p]->group = shape[p].type == GgmlType::Q6_K ? 16 : 32;
    }
    sl.w.used = set.used;
    sl.w.normalize = set.normalize;
    return true;
}

}  // namespace

Expected<size_t> Backend::stageExperts(ExpertStream& stream, int slot, int64_t layer, const ExpertSet& set,
                                       ThreadPool* pool, std::span<const int32_t> experts) {
    ExpertStream::Impl& st = *stream.m;
    if (slot < 0 || slot >= stream.slots()) return std::unexpected("streamed experts: no slot " + std::to_string(slot));
    ExpertStream::Impl::Slot& sl = st.slots[static_cast<size_t>(slot)];
    // From here until the last copy is enqueued the slot holds no layer: a staging that
    // fails half-way leaves it so (its ops then fail instead of reading stale rows).
    sl.whole = false;
    sl.holds.assign(set.gate.size(), 0);
    auto list = expertList(experts, set.gate.size());
    if (!list) return std::unexpected(list.error());
    // Held copies: the ops reading the slot had their chance to run ahead of its last copy.
    if (st.hold == Hold::Copies && sl.hold) {
        if (sl.read) giveTime(sl.read);
        releaseHold(sl.hold);
    }
    if (st.profile) st.report(sl);
    release(sl.copied);
    release(sl.firstWrite);
    PartShape shape[kParts];
    if (auto ok = describeSlot(st, sl, set, shape); !ok) return std::unexpected(ok.error());
    Weight* dst[kParts] = {&sl.w.router, &sl.w.gate, &sl.w.up, &sl.w.down};

    const bool whole = experts.empty();
    const std::vector<Piece> pieces = piecesOf(shape, st.chunkBytes, *list);
    const int64_t failAt = failPieceAt();
    std::vector<std::vector<uint8_t>> scratch;  // one per thread
    double staged = 0, waited = 0;
    size_t bytes = 0;
    for (size_t k = 0; k < pieces.size(); ++k) {
        const Piece& pc = pieces[k];
        const PartShape& sh = shape[pc.part];
        auto chunk = nextFreeChunk(st, static_cast<size_t>(slot), waited);
        if (!chunk) return std::unexpected(chunk.error());
        ExpertStream::Impl::Chunk& ch = **chunk;

        // Host threads convert the piece into the chunk: values, scales, offsets.
        const double t0 = hostSeconds();
        const size_t n[3] = {static_cast<size_t>(pc.rows) * sh.row.a, static_cast<size_t>(pc.rows) * sh.row.s,
                             static_cast<size_t>(pc.rows) * sh.row.m};
        uint8_t* const base[3] = {ch.host, n[1] ? ch.host + n[0] : nullptr, n[2] ? ch.host + n[0] + n[1] : nullptr};
        convertPiece(pc, sh, set, base, pool, scratch);
        staged += hostSeconds() - t0;
        bytes += n[0] + n[1] + n[2];

        if (static_cast<int64_t>(k) == failAt)
            return std::unexpected("streamed experts: clEnqueueWriteBuffer failed (ASSISTANT_MOE_STREAM_FAIL_AT=" +
                                   std::to_string(failAt) + ")");
        auto copied = enqueueCopies(*m_impl, st, sl, ch, pc, sh, *dst[pc.part], n, base, k == 0, k + 1 == pieces.size());
        if (!copied) return std::unexpected(copied.error());
        // The copy queue is in order: the layer's last write is the whole layer's.
        clRetainEvent(ch.copied);
        release(sl.copied);
        sl.copied = ch.copied;
        clFlush(st.copyQueue);
    }
    // Nothing to copy (an empty list): the slot holds no expert, and its ops wait for nothing.
    if (pieces.empty()) clEnqueueMarkerWithWaitList(st.copyQueue, 0, nullptr, &sl.copied);
    release(sl.read);
    sl.whole = whole;
    if (whole) std::fill(sl.holds.begin(), sl.holds.end(), uint8_t{1});
    for (const int32_t e : *list) sl.holds[static_cast<size_t>(e)] = 1;
    if (st.profile && sl.copied) {
        sl.use = std::make_shared<UseTimes>();
        sl.use->layer = layer;
        sl.use->bytes = bytes;
        sl.use->chunks = static_cast<int>(pieces.size());
        sl.use->stageSeconds = staged;
        sl.use->chunkWaitSeconds = waited;
        noteCompletion(sl.copied, sl.use, &UseTimes::copiedAt);
    }
    // Held ops: the copy just enqueued had its chance to overtake the ops reading the
    // slot before; now they may run.
    if (st.hold == Hold::Ops && sl.hold) {
        if (sl.firstWrite) giveTime(sl.firstWrite);
        releaseHold(sl.hold);
    }
    return bytes;
}

namespace {

// The order before an op on slot `slot`: its copy done (and the profile's ready mark, a
// hold), or an error (false) when the slot does not hold what the op reads: the whole
// layer (`whole`), or experts `ids` (-1: none).
bool waitForSlot(Backend::Impl& b, ExpertStream::Impl& st, int slot, bool whole, std::span<const int32_t> ids) {
    if (slot < 0 || static_cast<size_t>(slot) >= st.slots.size()) {
        b.fail("streamed experts: no such slot", CL_INVALID_VALUE);
        return false;
    }
    ExpertStream::Impl::Slot& sl = st.slots[static_cast<size_t>(slot)];
    const bool staged = sl.copied && (whole ? sl.whole : std::all_of(ids.begin(), ids.end(), [&](int32_t e) {
        return e < 0 || (static_cast<size_t>(e) < sl.holds.size() && sl.holds[static_cast<size_t>(e)]);
    }));
    if (!staged) {
        b.fail(whole ? "streamed experts: a slot that holds no layer (never staged, or its staging failed)"
                           : "streamed experts: an expert that is not staged in the slot",
               CL_INVALID_VALUE);
        return false;
    }
    if (st.profile && sl.use) {
        cl_event ready = nullptr;
        if (clEnqueueMarkerWithWaitList(b.queue, 0, nullptr, &ready) == CL_SUCCESS && ready) {
            noteCompletion(ready, sl.use, &UseTimes::readyAt);
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
        return false;
    }
    return true;
}

// The slot's last reader: the ops just enqueued (its next copy waits for them).
void markRead(Backend::Impl& b, ExpertStream::Impl::Slot& sl) {
    release(sl.read);
    if (const cl_int err = clEnqueueMarkerWithWaitList(b.queue, 0, nullptr, &sl.read); err != CL_SUCCESS)
        b.fail("streamed experts: clEnqueueMarkerWithWaitList", err);
}

}  // namespace

void Backend::streamedExperts(ExpertStream& stream, int slot, const Buffer& x, int64_t tokens, const Buffer& out,
                              ExpertScratch& scratch) {
    if (!waitForSlot(*m_impl, *stream.m, slot, true, {})) return;
    ExpertStream::Impl::Slot& sl = stream.m->slots[static_cast<size_t>(slot)];
    experts(sl.w, x, tokens, out, scratch);
    markRead(*m_impl, sl);
    flush();
}

void Backend::streamedExpertsChosen(ExpertStream& stream, int slot, const Buffer& x, int64_t tokens,
                                    std::span<const int32_t> ids, std::span<const float> weights, int64_t K,
                                    const Buffer& out, ExpertScratch& scratch) {
    const size_t picks = static_cast<size_t>(tokens * K);
    if (ids.size() < picks) {
        m_impl->fail("streamed experts: fewer ids than tokens x K", CL_INVALID_VALUE);
        return;
    }
    if (!waitForSlot(*m_impl, *stream.m, slot, false, ids.first(picks))) return;
    ExpertStream::Impl::Slot& sl = stream.m->slots[static_cast<size_t>(slot)];
    expertsChosen(sl.w, x, tokens, ids, weights, K, out, scratch);
    markRead(*m_impl, sl);
    flush();
}

}  // namespace kernels::opencl
