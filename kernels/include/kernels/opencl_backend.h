// OpenCL backend: one device, one in-order queue, weights converted to device layouts
// at upload, and the ops of a llama-family forward pass enqueued without host round
// trips (the caller reads back once, at the end of a token).
//
// Thread safety: ops share kernel objects (their arguments are set per launch), so a
// caller holds lock() for a whole sequence of launches; uploads lock internally.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "kernels/ggml_type.h"
#include "kernels/ops.h"

struct _cl_mem;

namespace kernels {
class Backend;
class ThreadPool;
struct ExpertSet;
}

namespace kernels::opencl {

// A device buffer; releases itself.
class Buffer {
public:
    Buffer() = default;
    Buffer(_cl_mem* mem, size_t bytes) : m_mem(mem), m_bytes(bytes) {}
    ~Buffer();
    Buffer(Buffer&& o) noexcept : m_mem(o.m_mem), m_bytes(o.m_bytes) { o.m_mem = nullptr; o.m_bytes = 0; }
    Buffer& operator=(Buffer&& o) noexcept;
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;
    _cl_mem* get() const { return m_mem; }
    size_t bytes() const { return m_bytes; }
    explicit operator bool() const { return m_mem != nullptr; }

private:
    _cl_mem* m_mem = nullptr;
    size_t m_bytes = 0;
};

// Device layouts (cl/common.cl describes each).
enum class WeightFormat : int { F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q4F = 4, Q8_0 = 5, Q8F = 6, BF16 = 7, IQ4F = 8,
                              Q5 = 9, Q2 = 10, Q3 = 11 };

// A weight matrix on the device: rows x cols (one or several stacked GGUF matrices).
struct Weight {
    WeightFormat format = WeightFormat::F32;
    GgmlType sourceType = GgmlType::F32;
    int64_t rows = 0;
    int64_t cols = 0;
    int group = 32;   // values per scale (Q8F: 16 for Q6_K)
    Buffer a, s, m;   // values, scales, offsets (s, m empty where the format has none)
    size_t bytes() const { return a.bytes() + s.bytes() + m.bytes(); }
};

// A mixture-of-experts set on the device (kernels::ExpertSet uploaded): the router
// [X][E], and the X experts' gate and up stacked by expert [X*Fe][E], down [X*E][Fe].
struct ExpertWeights {
    Weight router, gate, up, down;
    int64_t used = 0;  // experts per token
    bool normalize = true;
    size_t bytes() const;
};

// Scratch of experts(), grown on demand and kept by the caller between calls.
struct ExpertScratch {
    Buffer logits, ids, weights, gu;  // router logits, chosen ids / weights, gate | up per slot
    Buffer q, d, s;                   // activations in the weights' type (quantize.cl's layout)
    Buffer hq, hd, hs;                // the fused path's SwiGLU output as the down's Q8_0 / Q8_1
    Buffer sum;                       // experts(accumulate) without the fused down: the sum to add
};

// Host-resident experts streamed to the device for a prefill batch (cl_expert_stream*.cpp):
// `slots` device expert sets (a layer's router and experts each) in turn, filled through a
// ring of 4 small pinned staging chunks (CL_MEM_ALLOC_HOST_PTR, mapped once; 32 MiB each
// by default, ASSISTANT_MOE_STREAM_CHUNK) by non-blocking writes on a queue of their own,
// so that copies overlap the ops and the pinned host memory stays bounded whatever a
// layer's size. Events order the two queues: a slot's copies wait for the ops that read
// the slot before, the experts op on a slot waits for that slot's copies only, and the
// host rewrites a chunk only after its last copy left it. ASSISTANT_MOE_STREAM_PROFILE=1
// prints per layer the staging and copy times (GB/s), the host's waits for free chunks and
// how long the ops waited for the copy (stderr); its completion callbacks own what they
// write (they may run after the stream is gone). A slot holds a whole layer or some of its
// experts (a hot-expert cache's misses), or nothing after a staging that failed.
class ExpertStream {
public:
    ~ExpertStream();
    int slots() const;
    size_t deviceBytes() const;  // all slots
    size_t hostBytes() const;    // the pinned staging ring
    size_t chunkBytes() const;   // one chunk of it
    struct Impl;
    std::unique_ptr<Impl> m;
};

// Per-kernel totals from profiling events (Backend created with profiling on).
struct KernelStat {
    std::string name;   // "matvec_q4_0", "attn_split", ...
    int64_t calls = 0;
    double seconds = 0;  // device time
    double bytes = 0;    // bytes the kernel must move at least (weights + activations)
};

template <class T>
using Expected = std::expected<T, std::string>;

class Backend {
public:
    // deviceId: "opencl:P.D" as kernels::openclDevices() names it. Builds the program
    // (or loads it from the disk cache: $ASSISTANT_OPENCL_CACHE, else
    // $XDG_CACHE_HOME/assistant/opencl, else ~/.cache/assistant/opencl).
    static Expected<std::unique_ptr<Backend>> create(const std::string& deviceId, bool profiling = false);
    ~Backend();
    Backend(const Backend&) = delete;
    Backend& operator=(const Backend&) = delete;

    const std::string& deviceId() const;
    const std::string& deviceName() const;
    bool isGpu() const;
    uint64_t memoryBytes() const;
    uint64_t maxAllocBytes() const;
    bool programFromCache() const;  // the last create() found the compiled program on disk
    // Prefill products of Q4_0 / Q8_0 weights run on matrix units (NVIDIA: mma.sync; Intel:
    // XMX through cl_intel_subgroup_matrix_multiply_accumulate).
    bool matrixUnits() const;
    // Which matrix units, or why the device's were left unused (empty: none).
    std::string matrixUnitsNote() const;

    // Weight types upload() converts: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K,
    // Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS, TQ1_0, TQ2_0.
    static bool supports(GgmlType type);
    // Bytes a matrix takes on the device after conversion.
    static size_t deviceBytes(GgmlType type, int64_t rows, int64_t cols);
    // Converts and uploads `parts` stacked by rows (same type and cols; cols % 32 == 0).
    Expected<Weight> upload(std::span<const Matrix* const> parts);
    Expected<Buffer> alloc(size_t bytes);
    Expected<Buffer> uploadFloats(std::span<const float> values);

    // Blocking transfers (the queue is in order: a read also waits for every op before it).
    void write(const Buffer& dst, size_t offset, const void* src, size_t bytes);
    void read(const Buffer& src, size_t offset, void* dst, size_t bytes);
    // Device to device, queued in order with the ops.
    void copy(const Buffer& src, size_t srcOffset, const Buffer& dst, size_t dstOffset, size_t bytes);
    void finish();

    // ---- ops; shapes row-major, all offsets and strides in floats ----
    // out[t*ldo + ooff + r] (+)= sum_k W[r][k] * in(t, k) for t < tokens, where in(t, k) is
    // x[t*ldx + k], or with swigluInput silu(x[t*ldx + k]) * x[t*ldx + cols + k].
    void matmul(const Weight& w, const Buffer& x, int64_t ldx, int64_t tokens, const Buffer& out, int64_t ldo,
                int64_t ooff, bool accumulate, bool swigluInput = false);
    // out[r] = rmsnorm(x[xoff + r*cols ..]) * weight for r < rows; out is [rows][cols].
    void rmsNorm(const Buffer& x, int64_t xoff, const Buffer& weight, int64_t rows, int64_t cols, float eps,
                 const Buffer& out);
    // out[t][i] = silu(gu[t*ld + i]) * gu[t*ld + f + i]; out is [tokens][f].
    void swiglu(const Buffer& gu, int64_t ld, int64_t tokens, int64_t f, const Buffer& out);
    // The same with GELU (tanh form) evaluated on the fp16-rounded gate and rounded to
    // fp16, |gate| >= 10 saturated: kernels::geglu's values.
    void geglu(const Buffer& gu, int64_t ld, int64_t tokens, int64_t f, const Buffer& out);
    // y += x, n floats.
    void add(const Buffer& y, const Buffer& x, int64_t n);
    // In place: slices x[t*ld + off + h*width ..] (h < heads, t < tokens) RMS-normalized
    // and multiplied by weight[width].
    void rmsNormHeads(const Buffer& x, int64_t ld, int64_t off, int64_t tokens, int64_t heads, int64_t width,
                      const Buffer& weight, float eps);
    // Both of a qkv row's head norms in one launch (kernels::Backend::rmsNormQkHeads).
    void rmsNormQkHeads(const Buffer& x, int64_t ld, int64_t tokens, int64_t qHeads, int64_t kHeads, int64_t width,
                        const Buffer& qWeight, const Buffer& kWeight, float eps);
    // x[t*ld + i] += bias[i], i < width.
    void addBias(const Buffer& x, int64_t ld, int64_t tokens, int64_t width, const Buffer& bias);
    // qkv [tokens][ldq] holds q (heads*D), k and v (headsKv*D each): RoPE on q and k in
    // place (then multiplied by qkScale), then k and v to cache rows pos0.. (rows of
    // headsKv*D values of kvType: F32, F16, or Q8_0 when headsKv*D % 32 == 0). freq[i] = base^(-2i/dims) / freqFactor_i
    // (ropeFrequencies()). With qNorm and kNorm, the q and k heads are RMS-normalized first
    // (rmsNormQkHeads' bits), in the same launch.
    void ropeStoreKv(const Buffer& qkv, int64_t ldq, int64_t tokens, int64_t heads, int64_t headsKv, int64_t D,
                     int64_t pos0, const RopeParams& rope, const Buffer& freq, const Buffer& kCache,
                     const Buffer& vCache, GgmlType kvType, float qkScale = 1.0f, const Buffer* qNorm = nullptr,
                     const Buffer* kNorm = nullptr, float eps = 0.0f);
    // Cache rows [from, from+rows) move to [to, to+rows) (to < from: the sinks policy's
    // eviction), keys re-rotated by RoPE for their new positions, in the caches' type.
    void shiftKv(const Buffer& kCache, const Buffer& vCache, int64_t headsKv, int64_t D, const RopeParams& rope,
                 const Buffer& freq, GgmlType kvType, int64_t from, int64_t to, int64_t rows);
    // Causal attention of the q part of qkv over cache rows 0 .. pos0+tokens-1;
    // out is [tokens][heads*D].
    void attention(const Buffer& qkv, int64_t ldq, int64_t tokens, int64_t pos0, const Buffer& kCache,
                   const Buffer& vCache, GgmlType kvType, const AttentionShape& shape, const Buffer& out);
    // out [tokens][E] = the experts' feed-forward of x [tokens][E] (kernels::ExpertSet's
    // definition): routing on the device, then each token's chosen experts.
    // With accumulate, out += it (the fused down adds in place; else a sum buffer and add()).
    void experts(const ExpertWeights& w, const Buffer& x, int64_t tokens, const Buffer& out, ExpertScratch& scratch,
                 bool accumulate = false);
    // The same with the experts chosen by the caller (a hot-expert cache's share of each
    // token's experts; w needs no router): ids / weights [tokens][K] are written to the
    // device, id -1 is no expert (a token with none gets zeros).
    void expertsChosen(const ExpertWeights& w, const Buffer& x, int64_t tokens, std::span<const int32_t> ids,
                       std::span<const float> weights, int64_t K, const Buffer& out, ExpertScratch& scratch);
    // ---- streamed experts (ExpertStream) ----
    // Device bytes of the slots a stream for `layers` needs (each sized for the largest
    // layer), or an error naming what cannot be streamed.
    static Expected<size_t> expertStreamBytes(std::span<const ExpertSet* const> layers, int slots);
    // Pinned host bytes of its staging ring (ExpertStream::hostBytes), whatever the slots.
    static Expected<size_t> expertStreamHostBytes(std::span<const ExpertSet* const> layers);
    Expected<std::unique_ptr<ExpertStream>> createExpertStream(std::span<const ExpertSet* const> layers, int slots);
    // Layer `set` (number `layer`, for the profile) into slot `slot`: the host converts it
    // chunk by chunk into the staging ring (on `pool`'s threads, or the caller's alone),
    // each chunk's copy enqueued once it is converted. Call holding
    // lock(). Reads each expert from its interleaved CPU copy where deinterleaveGroup can,
    // else from Matrix::data (the mapping). `experts` empty: the whole layer; else only
    // those experts' gate / up / down rows, at their usual places (the rest of the slot
    // keeps what it had, unread). Returns the bytes staged. On an error the slot holds
    // nothing: its ops fail until a staging succeeds.
    Expected<size_t> stageExperts(ExpertStream& stream, int slot, int64_t layer, const ExpertSet& set, ThreadPool* pool,
                                  std::span<const int32_t> experts = {});
    // experts() with slot `slot`'s layer (staged whole), after that slot's copy (then flushed).
    void streamedExperts(ExpertStream& stream, int slot, const Buffer& x, int64_t tokens, const Buffer& out,
                         ExpertScratch& scratch);
    // expertsChosen() with the experts staged in slot `slot` (ids: expert ids, each staged
    // there or -1), after that slot's copy (then flushed).
    void streamedExpertsChosen(ExpertStream& stream, int slot, const Buffer& x, int64_t tokens,
                               std::span<const int32_t> ids, std::span<const float> weights, int64_t K, const Buffer& out,
                               ExpertScratch& scratch);

    // Hands the enqueued ops to the device now (the host works meanwhile).
    void flush();
    // out[t] = row ids[t] of w as floats (embedding lookup); ids: int32 [tokens].
    void getRows(const Weight& w, const Buffer& ids, int64_t tokens, const Buffer& out);
    // Encoder ops (cl_encoder.cpp, cl/encoder.cl): seqStart holds nSeq + 1 ints.
    void layerNorm(const Buffer& x, const Buffer& weight, const Buffer& bias, int64_t rows, int64_t cols, float eps,
                   const Buffer& out);
    void activate(int act, const Buffer& x, int64_t n);  // 0 GELU (fp16 table form), 1 ReLU, 2 tanh
    void encoderAttention(const Buffer& qkv, int64_t ldq, int64_t kOff, int64_t vOff, const Buffer& seqStart,
                          int64_t nSeq, int64_t tokens, int64_t heads, int64_t headDim, float scale, const Buffer& out,
                          int64_t ldo);
    void pool(const Buffer& x, int64_t n, const Buffer& seqStart, int64_t nSeq, int pooling, const Buffer& out);

    // Holds the queue for a sequence of launches.
    std::mutex& lock();
    // The first error since the last call ("" if none): a failed launch or transfer.
    std::string takeError();
    // Profiling (create(.., true)): totals per kernel since the last call; waits for the queue.
    std::vector<KernelStat> takeStats();

    struct Impl;

private:
    explicit Backend(std::unique_ptr<Impl> impl);
    // Compares the XMX products with the portable kernels' on this device once; off when
    // they differ or cannot run (cl_xmx_check.cpp).
    void checkXmx();
    bool quantizeRows(int act, const Buffer& x, int64_t ldx, int64_t k, int64_t n, bool swiglu, ExpertScratch& s);
    // Decode's fused gate|up+SwiGLU and down+sum launches, where the formats allow (else false).
    // xInAct: x's Q8_0 quantization is in the activation buffers (1; 2: with the Q8_1 sums).
    // route: the gate/up launch routes from s.logits and writes s.ids / s.weights.
    bool fusedProducts(const ExpertWeights& w, const Buffer& x, int64_t tokens, int64_t K, const Buffer& out,
                       ExpertScratch& s, int xInAct, bool accumulate, bool route = false);
    // experts() after routing: the products of the K experts in s.ids / s.weights (added
    // to out with accumulate).
    void expertProducts(const ExpertWeights& w, const Buffer& x, int64_t tokens, int64_t K, const Buffer& out,
                        ExpertScratch& s, int xInAct = 0, bool accumulate = false);
    std::unique_ptr<Impl> m_impl;
};

// freq[i] for RoPE pair i < dims/2: base^(-2i/dims) advanced by repeated multiplication
// (as the CPU backend does), divided by freqFactors[i] when given.
std::vector<float> ropeFrequencies(const RopeParams& rope);

// The device as a kernels::Backend (kernels/backend.h) for the decoder's layers.
std::unique_ptr<kernels::Backend> makeDeviceBackend(std::shared_ptr<Backend> backend);

// "opencl:P.D" of the first GPU-type OpenCL device, "" if none.
std::string firstOpenclGpu();

}  // namespace kernels::opencl
