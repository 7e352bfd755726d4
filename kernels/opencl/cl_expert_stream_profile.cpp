// Streamed experts (cl_expert_stream_impl.h): ASSISTANT_MOE_STREAM_PROFILE=1's line per
// staged layer (stderr): the host's conversion time and GB/s, its waits for free chunks,
// the copy's time from the first chunk's write to the last one's (profiling events of
// the copy queue), and how long the experts op waited for the copy (host times written by
// completion callbacks).
#include <cstdio>

#include "cl_expert_stream_impl.h"

namespace kernels::opencl::expert_stream {

namespace {

// A callback's own reference to the times it writes.
struct Note {
    std::shared_ptr<UseTimes> use;
    std::atomic<double> UseTimes::*at;
};

void CL_CALLBACK noteTime(cl_event, cl_int, void* p) {
    const std::unique_ptr<Note> note(static_cast<Note*>(p));
    ((*note->use).*(note->at)).store(hostSeconds());
}

}  // namespace

void noteCompletion(cl_event e, const std::shared_ptr<UseTimes>& use, std::atomic<double> UseTimes::*at) {
    auto note = std::make_unique<Note>(Note{use, at});
    if (clSetEventCallback(e, CL_COMPLETE, noteTime, note.get()) == CL_SUCCESS) note.release();
}

}  // namespace kernels::opencl::expert_stream

namespace kernels::opencl {

void ExpertStream::Impl::report(Slot& s) {
    const std::shared_ptr<expert_stream::UseTimes> u = std::move(s.use);
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

}  // namespace kernels::opencl
