// The CPU implementation of kernels/backend.h: host buffers, weights that are views of
// the host matrices, and the ops of ops.h on the session's thread pool.
#include "cpu_backend.h"

#include <algorithm>
#include <cstring>
#include <functional>

#include "kernels/ref.h"

namespace kernels {
namespace cpu {
namespace {

// Below this many floats of work an op runs on the calling thread: waking the pool
// costs more than it saves.
constexpr int64_t kParallelFloats = int64_t{1} << 15;
// Elementwise ops of one token are cut into pieces of this many values.
constexpr int64_t kPieceFloats = 1024;

}  // namespace

void forEach(ThreadPool& pool, int64_t n, int64_t floatsEach, const std::function<void(int64_t)>& fn) {
    if (n <= 1 || pool.size() == 1 || n * floatsEach < kParallelFloats) {
        for (int64_t i = 0; i < n; ++i) fn(i);
        return;
    }
    pool.parallelFor(n, [&](int64_t i, int) { fn(i); });
}

void forPieces(ThreadPool& pool, int64_t tokens, int64_t width,
               const std::function<void(int64_t t, int64_t begin, int64_t end)>& fn) {
    if (tokens <= 0 || width <= 0) return;
    const int64_t want = tokens >= pool.size() ? 1 : std::max<int64_t>(1, width / kPieceFloats);
    // Whole 8-float vectors a piece, and no piece past the row's end: 1,346 pieces of
    // 1,378,560 values made steps of 1,025, so the last piece began past the end.
    const int64_t step = ((width + want - 1) / want + 7) / 8 * 8;
    const int64_t pieces = (width + step - 1) / step;
    forEach(pool, tokens * pieces, step, [&](int64_t i) {
        const int64_t t = i / pieces, begin = (i % pieces) * step;
        fn(t, begin, std::min(width, begin + step));
    });
}

namespace {

// out[t][i] = act(x[t*ld + i]) * x[t*ld + f + i], out dense [tokens][f].
void gluRows(ThreadPool& pool, Glu kind, const float* x, int64_t ld, int64_t tokens, int64_t f, float* out) {
    forPieces(pool, tokens, f, [&](int64_t t, int64_t begin, int64_t end) {
        const float* row = x + t * ld;
        if (kind == Glu::GeGlu) geglu(row + begin, row + f + begin, end - begin, out + t * f + begin);
        else swiglu(row + begin, row + f + begin, end - begin, out + t * f + begin);
    });
}

}  // namespace

HostBuffer::HostBuffer(size_t bytes) : m_storage(new uint8_t[bytes]()), m_data(m_storage.get()), m_bytes(bytes) {}
HostBuffer::HostBuffer(void* external, size_t bytes) : m_data(static_cast<uint8_t*>(external)), m_bytes(bytes) {}

CpuBackend::CpuBackend(ThreadPool* pool) : m_pool(pool) {}

const std::string& CpuBackend::id() const {
    static const std::string kId = "cpu";
    return kId;
}

const std::string& CpuBackend::name() const {
    static const std::string kName = "CPU";
    return kName;
}

bool CpuBackend::supports(Op op, GgmlType type) const {
    switch (op) {
    case Op::MatMul:
    case Op::Experts: return traits(type).computable;
    case Op::RopeStoreKv:
    case Op::Attention:
        return type == GgmlType::F32 || type == GgmlType::F16 || type == GgmlType::Q8_0 || type == GgmlType::Q4_0;
    default: return true;
    }
}

BackendResult<BufferPtr> CpuBackend::alloc(size_t bytes) { return std::make_unique<HostBuffer>(bytes); }

BackendResult<BufferPtr> CpuBackend::upload(std::span<const float> values) {
    auto b = std::make_unique<HostBuffer>(values.size_bytes());
    if (!values.empty()) std::memcpy(b->data(), values.data(), values.size_bytes());
    return b;
}

BackendResult<WeightPtr> CpuBackend::upload(std::span<const Matrix* const> parts) {
    auto w = std::make_unique<HostWeight>();
    for (const Matrix* m : parts) {
        if (w->parts.empty()) w->cols = m->cols;
        else if (m->cols != w->cols) return std::unexpected("stacked matrices differ in width");
        w->parts.push_back(m);
        w->rows += m->rows;
    }
    return w;
}

BackendResult<WeightPtr> CpuBackend::uploadExperts(const ExpertSet& experts) {
    auto w = std::make_unique<HostExperts>();
    w->set = experts;
    w->rows = experts.router->cols;
    w->cols = experts.router->cols;
    return w;
}

void CpuBackend::write(DeviceBuffer& dst, size_t offset, const void* src, size_t bytes) {
    std::memcpy(host(dst) + offset, src, bytes);
}

void CpuBackend::read(const DeviceBuffer& src, size_t offset, void* dst, size_t bytes) {
    std::memcpy(dst, host(src) + offset, bytes);
}

void CpuBackend::copy(const DeviceBuffer& src, size_t srcOffset, DeviceBuffer& dst, size_t dstOffset, size_t bytes) {
    std::memmove(host(dst) + dstOffset, host(src) + srcOffset, bytes);
}

void CpuBackend::matmul(const DeviceWeight& weight, const DeviceBuffer& xb, int64_t ldx, int64_t tokens,
                        DeviceBuffer& outb, int64_t ldo, int64_t ooff, bool accumulate, Glu input) {
    const auto& w = static_cast<const HostWeight&>(weight);
    const float* x = floats(xb);
    float* out = floats(outb) + ooff;
    // The kernels read dense [tokens][cols] inputs.
    if (input != Glu::None) {
        m_in.resize(static_cast<size_t>(tokens * w.cols));
        gluRows(*m_pool, input, x, ldx, tokens, w.cols, m_in.data());
        x = m_in.data();
    } else if (ldx != w.cols && tokens > 1) {
        m_in.resize(static_cast<size_t>(tokens * w.cols));
        forEach(*m_pool, tokens, w.cols, [&](int64_t t) { std::copy_n(x + t * ldx, w.cols, m_in.data() + t * w.cols); });
        x = m_in.data();
    }
    for (const Matrix* m : w.parts) {
        const bool direct = !accumulate && (tokens == 1 || (ldo == m->rows));
        if (direct) {
            kernels::matmul(*m_pool, *m, x, tokens, out);
        } else {
            m_out.resize(static_cast<size_t>(tokens * m->rows));
            kernels::matmul(*m_pool, *m, x, tokens, m_out.data());
            forEach(*m_pool, tokens, m->rows, [&](int64_t t) {
                float* dst = out + t * ldo;
                const float* src = m_out.data() + t * m->rows;
                if (accumulate) addInPlace(dst, src, m->rows);
                else std::copy_n(src, m->rows, dst);
            });
        }
        out += m->rows;
    }
}

void CpuBackend::rmsNorm(const DeviceBuffer& xb, int64_t xoff, const DeviceBuffer& weight, int64_t rows, int64_t cols,
                         float eps, DeviceBuffer& outb) {
    const float* x = floats(xb) + xoff;
    const float* w = floats(weight);
    float* out = floats(outb);
    forEach(*m_pool, rows, cols, [&](int64_t r) { kernels::rmsNorm(x + r * cols, w, cols, eps, out + r * cols); });
}

void CpuBackend::rmsNormHeads(DeviceBuffer& xb, int64_t ld, int64_t off, int64_t tokens, int64_t heads, int64_t width,
                              const DeviceBuffer& weight, float eps) {
    float* x = floats(xb) + off;
    forEach(*m_pool, tokens, heads * width, [&](int64_t t) { rmsNormGroups(x + t * ld, floats(weight), heads, width, eps); });
}

void CpuBackend::addBias(DeviceBuffer& xb, int64_t ld, int64_t tokens, int64_t width, const DeviceBuffer& bias) {
    float* x = floats(xb);
    forEach(*m_pool, tokens, width, [&](int64_t t) { kernels::addBias(x + t * ld, floats(bias), 1, width); });
}

void CpuBackend::ropeStoreKv(DeviceBuffer& qkvb, int64_t ldq, int64_t tokens, int64_t pos0, const AttentionOp& op,
                             const DeviceBuffer&, DeviceBuffer& kCache, DeviceBuffer& vCache) {
    const int64_t D = op.headDim, qW = op.heads * D, kvW = op.headsKv * D;
    const size_t rowBytes = kernels::rowBytes(op.kvType, kvW);
    // Each token has its own position and cache row; RoPE's sines cost ~qW values of work.
    forEach(*m_pool, tokens, qW + 2 * kvW, [&](int64_t t) {
        float* q = floats(qkvb) + t * ldq;
        float* k = q + qW;
        const float* v = k + kvW;
        rope(q, op.heads, D, pos0 + t, op.rope);
        rope(k, op.headsKv, D, pos0 + t, op.rope);
        if (op.qkScale != 1.0f) {
            scale(q, qW, op.qkScale);
            scale(k, kvW, op.qkScale);
        }
        storeRow(op.kvType, k, kvW, host(kCache) + static_cast<size_t>(pos0 + t) * rowBytes);
        storeRow(op.kvType, v, kvW, host(vCache) + static_cast<size_t>(pos0 + t) * rowBytes);
    });
}

void CpuBackend::attention(const DeviceBuffer& qkvb, int64_t ldq, int64_t tokens, int64_t pos0, const AttentionOp& op,
                           const DeviceBuffer& kCache, const DeviceBuffer& vCache, DeviceBuffer& out) {
    const int64_t qW = op.heads * op.headDim;
    const float* q = floats(qkvb);
    if (tokens > 1 && ldq != qW) {  // the kernel reads dense [tokens][heads*D] queries
        m_in.resize(static_cast<size_t>(tokens * qW));
        forEach(*m_pool, tokens, qW, [&](int64_t t) { std::copy_n(q + t * ldq, qW, m_in.data() + t * qW); });
        q = m_in.data();
    }
    kernels::attention(*m_pool, q, tokens, pos0, host(kCache), host(vCache), op.kvType, op.shape, floats(out));
}

void CpuBackend::shiftKv(const AttentionOp& op, DeviceBuffer& kCache, DeviceBuffer& vCache, int64_t from, int64_t to,
                         int64_t rows) {
    const int64_t kvW = op.headsKv * op.headDim;
    const size_t rowBytes = kernels::rowBytes(op.kvType, kvW);
    std::vector<float> k(static_cast<size_t>(kvW));
    // In increasing order: a row is read before a later one overwrites it (to < from),
    // or the rows are copied from the end (to > from).
    for (int64_t i = 0; i < rows; ++i) {
        const int64_t r = to < from ? i : rows - 1 - i;
        const uint8_t* src = host(kCache) + static_cast<size_t>(from + r) * rowBytes;
        ref::dequantizeRow(op.kvType, src, k.data(), kvW);
        rope(k.data(), op.headsKv, op.headDim, to - from, op.rope);
        storeRow(op.kvType, k.data(), kvW, host(kCache) + static_cast<size_t>(to + r) * rowBytes);
        std::memmove(host(vCache) + static_cast<size_t>(to + r) * rowBytes,
                     host(vCache) + static_cast<size_t>(from + r) * rowBytes, rowBytes);
    }
}

void CpuBackend::glu(Glu kind, const DeviceBuffer& gu, int64_t tokens, int64_t f, DeviceBuffer& out) {
    gluRows(*m_pool, kind, floats(gu), 2 * f, tokens, f, floats(out));
}

void addFloats(ThreadPool& pool, float* dst, const float* src, int64_t n) {
    forPieces(pool, 1, n, [&](int64_t, int64_t begin, int64_t end) { addInPlace(dst + begin, src + begin, end - begin); });
}

void CpuBackend::add(DeviceBuffer& y, const DeviceBuffer& x, int64_t n) {
    addFloats(*m_pool, floats(y), floats(x), n);
}

BackendResult<BufferPtr> CpuBackend::ropeTable(const RopeParams&) { return std::make_unique<HostBuffer>(0); }

std::mutex& CpuBackend::lock() { return m_mutex; }
std::string CpuBackend::takeError() { return {}; }

}  // namespace cpu

std::unique_ptr<Backend> makeCpuBackend(ThreadPool* pool) { return std::make_unique<cpu::CpuBackend>(pool); }

BufferPtr wrapHostMemory(void* data, size_t bytes) { return std::make_unique<cpu::HostBuffer>(data, bytes); }

uint8_t* hostBytes(const DeviceBuffer& b) { return static_cast<const cpu::HostBuffer&>(b).data(); }

void copyBetween(Backend& from, const DeviceBuffer& src, Backend& to, DeviceBuffer& dst, size_t bytes) {
    if (from.isHost()) {
        to.write(dst, 0, hostBytes(src), bytes);
    } else if (to.isHost()) {
        from.read(src, 0, hostBytes(dst), bytes);
    } else {
        std::vector<uint8_t> staging(bytes);
        from.read(src, 0, staging.data(), bytes);
        to.write(dst, 0, staging.data(), bytes);
    }
}

}  // namespace kernels
