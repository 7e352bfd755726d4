// One op interface for every device. A decoder layer is written once against
// Backend; the CPU backend (kernels/cpu/cpu_backend.cpp) and the OpenCL backend
// (kernels/opencl/cl_device_backend.cpp) implement it, and a placement plan decides
// which layers live on which backend.
//
//   DeviceBuffer   memory of one backend (host memory for the CPU): activations,
//                  norms, biases, KV cache rows.
//   DeviceWeight   a weight matrix converted to the backend's layout: one GGUF matrix
//                  or several stacked by rows (Q|K|V, gate|up), or a set of experts.
//   Backend        buffers, transfers, and the ops of a decoder layer. Ops are
//                  enqueued in order; read() waits for every op before it.
//
// Activations are float rows; offsets, strides (ld*) and widths count floats. Every
// op names its inputs and output; none allocates device memory of its own except for
// scratch it keeps between calls.
//
// Thread safety: a CPU backend belongs to one session (its thread pool). A device
// backend is shared by the sessions of a model: they hold lock() for a whole token.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <mutex>
#include <span>
#include <string>

#include "kernels/ggml_type.h"
#include "kernels/ops.h"

namespace kernels {

class ThreadPool;

// What a backend may or may not compute; supports(op, type) answers per weight type.
enum class Op {
    MatMul,       // weight x activations (type: the weight's)
    RmsNorm,      // row norms, per-head norms
    AddBias,
    RopeStoreKv,  // RoPE of q and k, k and v into the cache (type: the cache's)
    Attention,    // causal attention over the cache (type: the cache's)
    SwiGlu,
    Add,
    Experts,      // a mixture-of-experts feed-forward (type: the experts')
    ShiftKv,      // cache rows moved to earlier positions, keys re-rotated (type: the cache's)
    Encoder,      // the encoders' ops: layerNorm, activate, encoderAttention, pool
};

// An activation in place (encoders): GELU as ops.h's geluTableInPlace (tanh form through
// fp16), ReLU, tanh.
enum class Activation { Gelu, Relu, Tanh };

class DeviceBuffer {
public:
    virtual ~DeviceBuffer() = default;
    virtual size_t bytes() const = 0;
};

class DeviceWeight {
public:
    virtual ~DeviceWeight() = default;
    int64_t rows = 0;  // all stacked parts together
    int64_t cols = 0;
    virtual size_t bytes() const = 0;  // on the device (0: the host's mapping, not a copy)
};

// A device's room for some layers' routed experts streamed from host memory (prefill
// of layers whose experts stay there): Backend::makeExpertStream.
class ExpertStream {
public:
    virtual ~ExpertStream() = default;
    virtual int slots() const = 0;
    virtual size_t deviceBytes() const = 0;  // all slots
    virtual size_t hostBytes() const = 0;    // pinned host staging (a ring of chunks, all slots)
};

using BufferPtr = std::unique_ptr<DeviceBuffer>;
using WeightPtr = std::unique_ptr<DeviceWeight>;
using StreamPtr = std::unique_ptr<ExpertStream>;
template <class T>
using BackendResult = std::expected<T, std::string>;

// A mixture-of-experts feed-forward as the file holds it: out = sum over the `used`
// experts the router picks (softmax, top-k, weights renormalized when `normalize`)
// of weight * down_e · (silu(gate_e · x) * up_e · x).
struct ExpertSet {
    const Matrix* router = nullptr;  // [experts][E]
    std::span<const Matrix> gate, up, down;
    int64_t used = 0;
    bool normalize = true;
};

// The gated activation of a feed-forward over [gate | up] rows of 2f values:
// out = act(gate) * up, act = SiLU (SwiGLU) or GELU (GeGLU, through fp16 like ops.h's geglu).
enum class Glu { None, SwiGlu, GeGlu };

// The per-layer settings of RoPE + KV store and of attention.
struct AttentionOp {
    int64_t heads = 0, headsKv = 0, headDim = 0;
    RopeParams rope;           // freqFactors: the host table (see ropeFreq below)
    float qkScale = 1.0f;      // q and k scaled after RoPE (LongRoPE's attn_factor)
    AttentionShape shape;
    GgmlType kvType = GgmlType::F16;
};

class Backend {
public:
    virtual ~Backend() = default;

    virtual const std::string& id() const = 0;    // "cpu", "opencl:0.0"
    virtual const std::string& name() const = 0;  // for messages: "CPU", the device's name
    virtual bool isHost() const = 0;              // buffers are host memory
    virtual bool supports(Op op, GgmlType type = GgmlType::F32) const = 0;
    // Memory for weights, caches and activations (0: host memory, no budget of its own).
    virtual uint64_t memoryBytes() const = 0;
    // Bytes a weight of this type and shape takes on the backend (0 on the host).
    virtual size_t weightBytes(GgmlType type, int64_t rows, int64_t cols) const = 0;

    // ---- memory ----
    virtual BackendResult<BufferPtr> alloc(size_t bytes) = 0;
    virtual BackendResult<BufferPtr> upload(std::span<const float> values) = 0;
    // `parts` stacked by rows (same cols, any computable types): one weight whose
    // matmul writes part i's rows after part i-1's. The backend keeps together what it
    // can compute in one launch (the CPU keeps each part as it is).
    virtual BackendResult<WeightPtr> upload(std::span<const Matrix* const> parts) = 0;
    virtual BackendResult<WeightPtr> uploadExperts(const ExpertSet& experts) = 0;
    // A hot-expert cache: slot i holds expert experts[i] of `set` (gate, up and down; no
    // router), computed by expertsChosen with slot numbers as ids. replaceExpertSlot
    // copies slot 0 of `staged` (uploadExpertSlots of one expert, made without holding
    // lock()) into slot `slot`, in order with the ops: call it holding lock().
    virtual BackendResult<WeightPtr> uploadExpertSlots(const ExpertSet& set, std::span<const int32_t> experts) = 0;
    virtual BackendResult<bool> replaceExpertSlot(DeviceWeight& slots, int64_t slot, const DeviceWeight& staged) = 0;
    virtual void write(DeviceBuffer& dst, size_t offset, const void* src, size_t bytes) = 0;
    virtual void read(const DeviceBuffer& src, size_t offset, void* dst, size_t bytes) = 0;
    // dst[dstOffset ..] = src[srcOffset ..], `bytes` long, both on this backend, in
    // order with its ops (the rows of one sequence in a batch of several).
    virtual void copy(const DeviceBuffer& src, size_t srcOffset, DeviceBuffer& dst, size_t dstOffset, size_t bytes) = 0;

    // ---- ops ----
    // out[t*ldo + ooff + r] (+)= sum_k W[r][k] * in(t, k) for t < tokens, r < w.rows, where
    // in(t, k) = x[t*ldx + k], or with a gated input act(x[t*ldx + k]) * x[t*ldx + w.cols + k]
    // (the down projection reading [gate | up] rows: one op instead of two in decode).
    virtual void matmul(const DeviceWeight& w, const DeviceBuffer& x, int64_t ldx, int64_t tokens,
                        DeviceBuffer& out, int64_t ldo, int64_t ooff, bool accumulate, Glu input = Glu::None) = 0;
    // out[r] = rmsnorm(x[xoff + r*cols ...]) * weight for r < rows; out dense [rows][cols].
    virtual void rmsNorm(const DeviceBuffer& x, int64_t xoff, const DeviceBuffer& weight, int64_t rows,
                         int64_t cols, float eps, DeviceBuffer& out) = 0;
    // In place: each of `heads` slices of `width` at x[t*ld + off + h*width] for t < tokens
    // normalized and multiplied by weight[width] (per-head Q/K norms).
    virtual void rmsNormHeads(DeviceBuffer& x, int64_t ld, int64_t off, int64_t tokens, int64_t heads,
                              int64_t width, const DeviceBuffer& weight, float eps) = 0;
    // The q and k head norms of a qkv row in one op: qHeads slices from offset 0 times
    // qWeight, then the kHeads slices right after them times kWeight (the same bits as
    // rmsNormHeads on each: the default; a device does it in one launch).
    virtual void rmsNormQkHeads(DeviceBuffer& qkv, int64_t ld, int64_t tokens, int64_t qHeads, int64_t kHeads,
                                int64_t width, const DeviceBuffer& qWeight, const DeviceBuffer& kWeight, float eps) {
        rmsNormHeads(qkv, ld, 0, tokens, qHeads, width, qWeight, eps);
        rmsNormHeads(qkv, ld, qHeads * width, tokens, kHeads, width, kWeight, eps);
    }
    // x[t*ld + i] += bias[i] for t < tokens, i < width.
    virtual void addBias(DeviceBuffer& x, int64_t ld, int64_t tokens, int64_t width, const DeviceBuffer& bias) = 0;
    // qkv [tokens][ldq] holds q (heads*D), k and v (headsKv*D each): RoPE on q and k in
    // place (then scaled by qkScale), then k and v into cache rows pos0... ropeFreq is
    // what ropeTable() returned for these RoPE parameters.
    virtual void ropeStoreKv(DeviceBuffer& qkv, int64_t ldq, int64_t tokens, int64_t pos0, const AttentionOp& op,
                             const DeviceBuffer& ropeFreq, DeviceBuffer& kCache, DeviceBuffer& vCache) = 0;
    // rmsNormQkHeads(qkv, ldq, tokens, op.heads, op.headsKv, op.headDim, qWeight, kWeight,
    // eps) then ropeStoreKv (the default; a device does both in one launch, the same bits).
    virtual void normRopeStoreKv(DeviceBuffer& qkv, int64_t ldq, int64_t tokens, int64_t pos0, const AttentionOp& op,
                                 const DeviceBuffer& ropeFreq, DeviceBuffer& kCache, DeviceBuffer& vCache,
                                 const DeviceBuffer& qWeight, const DeviceBuffer& kWeight, float eps) {
        rmsNormQkHeads(qkv, ldq, tokens, op.heads, op.headsKv, op.headDim, qWeight, kWeight, eps);
        ropeStoreKv(qkv, ldq, tokens, pos0, op, ropeFreq, kCache, vCache);
    }
    // Causal attention of the q part of qkv at positions pos0.. over cache rows
    // 0 .. pos0+tokens-1; out is [tokens][heads*D].
    virtual void attention(const DeviceBuffer& qkv, int64_t ldq, int64_t tokens, int64_t pos0, const AttentionOp& op,
                           const DeviceBuffer& kCache, const DeviceBuffer& vCache, DeviceBuffer& out) = 0;
    // Cache rows [from, from + rows) move to [to, to + rows) (to < from: an eviction,
    // StreamingLLM's sliding window), their keys rotated by (to - from) positions so
    // they are what ropeStoreKv would have stored at the new positions.
    virtual void shiftKv(const AttentionOp& op, DeviceBuffer& kCache, DeviceBuffer& vCache, int64_t from, int64_t to,
                         int64_t rows) = 0;
    // out[t][i] = act(gu[t][i]) * gu[t][f + i]; gu is [tokens][2f].
    virtual void glu(Glu kind, const DeviceBuffer& gu, int64_t tokens, int64_t f, DeviceBuffer& out) = 0;
    // y[i] += x[i], i < n.
    virtual void add(DeviceBuffer& y, const DeviceBuffer& x, int64_t n) = 0;
    // out [tokens][E] = the experts' feed-forward of x [tokens][E] (uploadExperts); with
    // accumulate, out += it (the same bits as add() of it after: a layer's residual sum
    // without a launch and a buffer of its own).
    virtual void experts(const DeviceWeight& experts, const DeviceBuffer& x, int64_t tokens, DeviceBuffer& out,
                         bool accumulate = false) = 0;
    // The router's choice for x [tokens][E]: out [tokens][used], descending weight (the
    // host only: a device routes inside experts()).
    virtual void routeExperts(const DeviceWeight& experts, const DeviceBuffer& x, int64_t tokens,
                              std::span<ExpertChoice> out) = 0;
    // out [tokens][E] = sum over k < perToken (in order) of choice[t*perToken + k]'s weight
    // times its expert's feed-forward of x[t]; entries with expert < 0 are skipped (a
    // token with none gets zeros). Ids index `experts` (uploadExperts: expert ids,
    // uploadExpertSlots: slots).
    virtual void expertsChosen(const DeviceWeight& experts, const DeviceBuffer& x, int64_t tokens,
                               std::span<const ExpertChoice> choice, int64_t perToken, DeviceBuffer& out) = 0;

    // ---- routed experts streamed from host memory (a prefill batch of a layer whose
    // experts stay there: the device computes them instead of the CPU) ----
    // Room for `slots` layers' experts (router included), each slot sized for the largest
    // of `layers`: the device bytes it takes, and the stream. An error says why this
    // backend cannot stream these layers (the CPU backend never does: nothing to copy).
    virtual BackendResult<size_t> expertStreamBytes(std::span<const ExpertSet* const> layers, int slots) const {
        return std::unexpected(name() + " does not stream experts");
    }
    // The pinned host memory its staging takes (bounded: a ring of small chunks, not a
    // layer's bytes; ExpertStream::hostBytes).
    virtual BackendResult<size_t> expertStreamHostBytes(std::span<const ExpertSet* const> layers) const {
        return std::unexpected(name() + " does not stream experts");
    }
    virtual BackendResult<StreamPtr> makeExpertStream(std::span<const ExpertSet* const> layers, int slots) {
        return std::unexpected(name() + " does not stream experts");
    }
    // Layer `layer`'s experts `set` into slot `slot`, holding lock(): host threads (`pool`'s,
    // or the caller alone) convert them chunk by chunk into pinned staging memory, each
    // chunk's copy to the device running while the ops enqueued before it do. The copy overwrites the slot only
    // after the ops that read it before (streamedExperts) are done. `experts` empty: the
    // whole layer, router included; else only those experts' gate, up and down rows, each
    // at its usual place in the slot (no router: for streamedExpertsChosen alone). Returns
    // the bytes staged. After an error the slot holds nothing (its ops fail, not read it).
    virtual BackendResult<size_t> stageExperts(ExpertStream& stream, int slot, int64_t layer, const ExpertSet& set,
                                               ThreadPool* pool, std::span<const int32_t> experts) {
        return std::unexpected(name() + " does not stream experts");
    }
    // out [tokens][E] = experts() of x with the layer staged whole in slot `slot`, once its
    // copy is done (the ops before it do not wait for the copy).
    virtual void streamedExperts(ExpertStream& stream, int slot, const DeviceBuffer& x, int64_t tokens,
                                 DeviceBuffer& out) {}
    // out [tokens][E] = expertsChosen() of x with the experts staged in slot `slot` (expert
    // ids; each must be staged there, else an error), once their copy is done.
    virtual void streamedExpertsChosen(ExpertStream& stream, int slot, const DeviceBuffer& x, int64_t tokens,
                                       std::span<const ExpertChoice> choice, int64_t perToken, DeviceBuffer& out) {}

    // ---- encoder ops (bert, use-lite): rows packed as in ops.h's encoderAttention ----
    // out[r] = layernorm(x[r]) * weight + bias for r < rows of `cols` (x, out dense; may
    // be the same buffer).
    virtual void layerNorm(const DeviceBuffer& x, const DeviceBuffer& weight, const DeviceBuffer& bias, int64_t rows,
                           int64_t cols, float eps, DeviceBuffer& out) = 0;
    // x[i] = act(x[i]) for i < n.
    virtual void activate(Activation act, DeviceBuffer& x, int64_t n) = 0;
    // Bidirectional attention inside each sequence of a packed batch (seqStart: [nSeq + 1]
    // row offsets): q at qkv[t*ldq], k at qkv[t*ldq + kOff], v at qkv[t*ldq + vOff], heads
    // of headDim; out[t*ldo + h*headDim ..]. No mask but the sequence's own rows.
    virtual void encoderAttention(const DeviceBuffer& qkv, int64_t ldq, int64_t kOff, int64_t vOff,
                                  std::span<const int64_t> seqStart, int64_t heads, int64_t headDim, float scale,
                                  DeviceBuffer& out, int64_t ldo) = 0;
    // out[s] = mean / first / last of sequence s's rows of x [rows][n] (ops.h's poolSequences).
    virtual void pool(const DeviceBuffer& x, int64_t n, std::span<const int64_t> seqStart, Pooling pooling,
                      DeviceBuffer& out) = 0;

    // The RoPE angle table the backend's ropeStoreKv reads (uploaded once per table).
    virtual BackendResult<BufferPtr> ropeTable(const RopeParams& rope) = 0;

    // ---- order and errors ----
    // Held by a caller for a whole sequence of ops (a token's layers) on a shared device;
    // uploads (upload, ropeTable) take it themselves: never call them while holding it.
    virtual std::mutex& lock() = 0;
    // The first error since the last call ("" if none): a failed launch or transfer.
    virtual std::string takeError() = 0;
};

// The CPU backend of one session: ops run on `pool`. Weights it uploads are views of
// the host matrices (no copy); any CPU backend can run them. Without a pool it can
// only upload (a model's weights for the CPU layers).
std::unique_ptr<Backend> makeCpuBackend(ThreadPool* pool);
// A CPU buffer over memory the caller owns (a KV cache), and the host memory of a
// CPU buffer.
BufferPtr wrapHostMemory(void* data, size_t bytes);
uint8_t* hostBytes(const DeviceBuffer& cpuBuffer);

// Copies `bytes` from one backend's buffer to another's (through the host when
// neither is the host).
void copyBetween(Backend& from, const DeviceBuffer& src, Backend& to, DeviceBuffer& dst, size_t bytes);

}  // namespace kernels
