// Private types of the CPU backend (kernels/backend.h): host buffers, weights that
// are views of the host matrices, the per-session scratch of its ops.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "kernels/backend.h"
#include "kernels/thread_pool.h"

namespace kernels::cpu {

// fn(i) for i in [0, n), each about `floatsEach` values of work: on the pool when the
// whole is worth waking it, else on the caller. Every i computes the same values either way.
void forEach(ThreadPool& pool, int64_t n, int64_t floatsEach, const std::function<void(int64_t)>& fn);
// fn(t, begin, end) over [tokens] x [0, width), rows cut into pieces of ~1,024 values
// when there are fewer rows than threads (one token's SwiGLU over 5,632 values, say).
void forPieces(ThreadPool& pool, int64_t tokens, int64_t width,
               const std::function<void(int64_t t, int64_t begin, int64_t end)>& fn);
// dst[i] += src[i], i < n, in pieces on the pool.
void addFloats(ThreadPool& pool, float* dst, const float* src, int64_t n);

class HostBuffer final : public DeviceBuffer {
public:
    explicit HostBuffer(size_t bytes);            // owned, zeroed
    HostBuffer(void* external, size_t bytes);     // a view of the caller's memory
    size_t bytes() const override { return m_bytes; }
    uint8_t* data() const { return m_data; }

private:
    std::unique_ptr<uint8_t[]> m_storage;
    uint8_t* m_data = nullptr;
    size_t m_bytes = 0;
};

// Stacked parts stay apart: each is its own (possibly repacked) host matrix.
struct HostWeight final : DeviceWeight {
    std::vector<const Matrix*> parts;
    size_t bytes() const override { return 0; }
};

// The file's experts (uploadExperts), or a hot-expert cache's slots (uploadExpertSlots:
// views in `slots`, which set.gate/up/down point into).
struct HostExperts final : DeviceWeight {
    ExpertSet set;
    std::vector<Matrix> slots[3];  // gate, up, down of each slot
    size_t bytes() const override { return 0; }
};

class CpuBackend final : public Backend {
public:
    explicit CpuBackend(ThreadPool* pool);

    const std::string& id() const override;
    const std::string& name() const override;
    bool isHost() const override { return true; }
    bool supports(Op op, GgmlType type) const override;
    uint64_t memoryBytes() const override { return 0; }
    size_t weightBytes(GgmlType, int64_t, int64_t) const override { return 0; }

    BackendResult<BufferPtr> alloc(size_t bytes) override;
    BackendResult<BufferPtr> upload(std::span<const float> values) override;
    BackendResult<WeightPtr> upload(std::span<const Matrix* const> parts) override;
    BackendResult<WeightPtr> uploadExperts(const ExpertSet& experts) override;
    BackendResult<WeightPtr> uploadExpertSlots(const ExpertSet& set, std::span<const int32_t> experts) override;
    BackendResult<bool> replaceExpertSlot(DeviceWeight& slots, int64_t slot, const DeviceWeight& staged) override;
    void write(DeviceBuffer& dst, size_t offset, const void* src, size_t bytes) override;
    void read(const DeviceBuffer& src, size_t offset, void* dst, size_t bytes) override;
    void copy(const DeviceBuffer& src, size_t srcOffset, DeviceBuffer& dst, size_t dstOffset, size_t bytes) override;

    void matmul(const DeviceWeight& w, const DeviceBuffer& x, int64_t ldx, int64_t tokens, DeviceBuffer& out,
                int64_t ldo, int64_t ooff, bool accumulate, Glu input) override;
    void rmsNorm(const DeviceBuffer& x, int64_t xoff, const DeviceBuffer& weight, int64_t rows, int64_t cols, float eps,
                 DeviceBuffer& out) override;
    void rmsNormHeads(DeviceBuffer& x, int64_t ld, int64_t off, int64_t tokens, int64_t heads, int64_t width,
                      const DeviceBuffer& weight, float eps) override;
    void addBias(DeviceBuffer& x, int64_t ld, int64_t tokens, int64_t width, const DeviceBuffer& bias) override;
    void ropeStoreKv(DeviceBuffer& qkv, int64_t ldq, int64_t tokens, int64_t pos0, const AttentionOp& op,
                     const DeviceBuffer& ropeFreq, DeviceBuffer& kCache, DeviceBuffer& vCache) override;
    void attention(const DeviceBuffer& qkv, int64_t ldq, int64_t tokens, int64_t pos0, const AttentionOp& op,
                   const DeviceBuffer& kCache, const DeviceBuffer& vCache, DeviceBuffer& out) override;
    void shiftKv(const AttentionOp& op, DeviceBuffer& kCache, DeviceBuffer& vCache, int64_t from, int64_t to,
                 int64_t rows) override;
    void glu(Glu kind, const DeviceBuffer& gu, int64_t tokens, int64_t f, DeviceBuffer& out) override;
    void add(DeviceBuffer& y, const DeviceBuffer& x, int64_t n) override;
    void experts(const DeviceWeight& experts, const DeviceBuffer& x, int64_t tokens, DeviceBuffer& out,
                 bool accumulate = false) override;
    void routeExperts(const DeviceWeight& experts, const DeviceBuffer& x, int64_t tokens,
                      std::span<ExpertChoice> out) override;
    void expertsChosen(const DeviceWeight& experts, const DeviceBuffer& x, int64_t tokens,
                       std::span<const ExpertChoice> choice, int64_t perToken, DeviceBuffer& out) override;
    void layerNorm(const DeviceBuffer& x, const DeviceBuffer& weight, const DeviceBuffer& bias, int64_t rows,
                   int64_t cols, float eps, DeviceBuffer& out) override;
    void activate(Activation act, DeviceBuffer& x, int64_t n) override;
    void encoderAttention(const DeviceBuffer& qkv, int64_t ldq, int64_t kOff, int64_t vOff,
                          std::span<const int64_t> seqStart, int64_t heads, int64_t headDim, float scale,
                          DeviceBuffer& out, int64_t ldo) override;
    void pool(const DeviceBuffer& x, int64_t n, std::span<const int64_t> seqStart, Pooling pooling,
              DeviceBuffer& out) override;
    BackendResult<BufferPtr> ropeTable(const RopeParams& rope) override;

    std::mutex& lock() override;
    std::string takeError() override;

private:
    static uint8_t* host(const DeviceBuffer& b) { return static_cast<const HostBuffer&>(b).data(); }
    static float* floats(const DeviceBuffer& b) { return reinterpret_cast<float*>(host(b)); }
    // experts() for one token: the chosen experts' products in two parallel loops.
    void expertsOneToken(const ExpertSet& set, std::span<const ExpertChoice> choice, const float* in, float* out);
    // The feed-forward of `set`'s experts as `choice` [n][K] picks them (expert < 0: none).
    void expertsRouted(const ExpertSet& set, std::span<const ExpertChoice> choice, int64_t K, const float* in,
                       int64_t n, float* out);

    ThreadPool* m_pool;
    std::mutex m_mutex;
    // Scratch of the ops, reused between calls.
    std::vector<float> m_in, m_out;                 // dense inputs / outputs of matmul and attention
    std::vector<float> m_ffnA, m_ffnB, m_slots;     // experts(): gate, up (a batch's downs too), one token's slots
    std::vector<float> m_expertsSum;                // experts(accumulate): the sum before it is added
};

}  // namespace kernels::cpu
