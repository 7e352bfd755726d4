// Private state of the OpenCL backend: context, queue, the one program and its
// kernels, and the launch helper every op file uses.
#pragma once

#include <CL/cl.h>

#include <map>
#include <string>
#include <vector>

#include "kernels/opencl_backend.h"

namespace kernels::opencl {

// A KV cache type as the kernels' kvType argument: 0 F32, 1 F16, 2 Q8_0, 3 Q4_0.
inline int kvTypeCode(GgmlType t) {
    return t == GgmlType::F32 ? 0 : t == GgmlType::F16 ? 1 : t == GgmlType::Q8_0 ? 2 : 3;
}

struct Backend::Impl {
    std::string id, name;
    cl_platform_id platform = nullptr;
    cl_device_id device = nullptr;
    cl_context context = nullptr;
    cl_command_queue queue = nullptr;
    cl_program program = nullptr;
    std::map<std::string, cl_kernel> kernels;
    bool gpu = false;
    bool profiling = false;
    bool fromCache = false;
    bool mma = false;  // prefill products on the tensor cores (cl/matmul_mma.cl)
    size_t mmaTileRows = 0;  // their rows per work-group: 0 = by the matrix, else 64 or 128
    bool xmx = false;        // prefill products on Intel's matrix engines (cl/matmul_xmx.cl)
    size_t xmxSubgroup = 8;  // their subgroup size (the operands' N): 8 or 16
    std::string xmxNote;     // why they are off after the self-check (empty: never tried)
    uint64_t memory = 0, maxAlloc = 0;
    uint32_t computeUnits = 1;
    std::mutex mutex;
    std::string error;  // first error since takeError()

    // Scratch of attention (partial outputs of the key ranges), grown on demand.
    Buffer attnO, attnMs;
    // Quantized activations of the current product (cl/quantize.cl), grown on demand.
    Buffer actQ, actD, actS;
    // What actQ/actD/actS hold, when a kernel left there the Q8_0 quantization of a
    // one-token row (rms_norm_q8, attn_merge_q8, or quantize_q8_0 for a product): the
    // row's buffer (from offset 0) and width, and whether the Q8_1 sums are in actS too.
    // A matvec of that row then skips its quantize launch. launch(), write() and copy() forget
    // it (any new enqueue must too); the matvec, which only reads it, keeps it (matmul).
    // (A released buffer's handle can come back from alloc, but only a launch or a write
    // gives the new buffer contents, and both forget.)
    struct Quantized {
        cl_mem x = nullptr;
        int64_t cols = 0;
        bool sums = false;
    } quantized;
    bool growActivations(size_t values, size_t groups);  // actQ (bytes) and actD/actS (halves)
    // clFlush after every `flushEvery` launches (GPUs 8, else 0: never; $ASSISTANT_OPENCL_FLUSH).
    int flushEvery = 0, sinceFlush = 0;

    struct Pending {
        cl_event event;
        const char* name;
        double bytes;
    };
    std::vector<Pending> pending;  // profiling events not yet read
    // User events holding streamed experts' copies or ops back (ASSISTANT_MOE_STREAM_HOLD,
    // cl_expert_stream_holds.cpp): completed before any blocking transfer or finish.
    std::vector<cl_event> holds;
    void releaseHolds();
    std::map<std::string, KernelStat> stats;

    ~Impl();
    void fail(const char* what, cl_int code);
    cl_kernel kernel(const char* name);  // created with the program

    // Sets the arguments in order: Buffer -> its cl_mem (null for an empty one); any
    // other value by its bytes (int, float).
    template <class... Args>
    bool setArgs(cl_kernel k, const Args&... args) {
        cl_uint index = 0;
        bool ok = true;
        ((ok = ok && setArg(k, index++, args)), ...);
        return ok;
    }
    bool setArg(cl_kernel k, cl_uint index, const Buffer& b);
    bool setArg(cl_kernel k, cl_uint index, int v);
    bool setArg(cl_kernel k, cl_uint index, float v);

    // Enqueues an NDRange (dims 1-3); global is rounded up to local. bytes: what it moves
    // at least, for the GB/s of profiling.
    void launch(const char* name, cl_kernel k, cl_uint dims, const size_t* global, const size_t* local,
                double bytes);
};

// The activation type a weight format's kernels read (as the CPU backend's vecDotType;
// BF16: floats rounded to bf16, as the CPU backend rounds them for BF16 weights), for the
// matmul (cl_matmul.cpp) and the experts (cl_experts.cpp) alike.
enum class Act { F32, F16, BF16, Q8_0, Q8_1, Q8_K };
Act actOf(const Weight& w);

// Weight conversion (cl_weights.cpp): the device format of a GGUF type, the bytes one row
// of it takes in each of a weight's buffers (values, scales, offsets), and `rows` rows
// (rowStride apart at src) converted into those buffers at a, s and m (each advanced by
// the row's bytes there per row; s or m unused where the format has none).
WeightFormat formatOf(GgmlType type);
struct RowLayout {
    size_t a = 0, s = 0, m = 0;
};
RowLayout rowLayout(GgmlType type, int64_t cols);
void convertRowsInto(GgmlType type, const uint8_t* src, size_t rowStride, int64_t rows, int64_t cols, uint8_t* a,
                     uint8_t* s, uint8_t* m);

// b holds at least `bytes` (re-allocated, contents lost, when smaller); false when the
// device has no memory for it.
bool grow(Backend& be, Buffer& b, size_t bytes);

}  // namespace kernels::opencl
