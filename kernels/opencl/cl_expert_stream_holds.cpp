// Streamed experts (cl_expert_stream_impl.h): the holds of ASSISTANT_MOE_STREAM_HOLD,
// which make a missing event wait read the wrong rows every time instead of once in a
// while (tests of the order between the copy queue, the compute queue and the host;
// slow). A hold is a user event in a command's wait list, completed by the host once the
// other side had kHoldFor to run ahead (copies, ops) or kChunkHoldFor after the host came
// back to reuse the chunk (chunks). Every hold is also in the backend's list, which a
// blocking transfer or finish completes first, so that the host never waits for itself.
#include "cl_expert_stream_impl.h"

namespace kernels::opencl::expert_stream {

void release(cl_event& e) {
    if (e) clReleaseEvent(e);
    e = nullptr;
}

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

void holdWith(Backend::Impl& b, cl_event& hold, std::vector<cl_event>& wait) {
    cl_int err = CL_SUCCESS;
    hold = clCreateUserEvent(b.context, &err);
    if (!hold) return;
    clRetainEvent(hold);
    b.holds.push_back(hold);
    wait.push_back(hold);
}

void releaseLater(ExpertStream::Impl& st, cl_event& hold) {
    if (st.releaser.joinable()) st.releaser.join();
    st.releaser = std::thread([e = hold] {
        std::this_thread::sleep_for(kChunkHoldFor);
        clSetUserEventStatus(e, CL_COMPLETE);  // fails harmlessly where a blocking transfer released it
        clReleaseEvent(e);
    });
    hold = nullptr;
}

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

}  // namespace kernels::opencl::expert_stream

namespace kernels::opencl {

void Backend::Impl::releaseHolds() {
    for (cl_event e : holds) {
        clSetUserEventStatus(e, CL_COMPLETE);  // fails harmlessly where the stream released it
        clReleaseEvent(e);
    }
    holds.clear();
}

}  // namespace kernels::opencl
