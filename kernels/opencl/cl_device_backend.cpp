// The OpenCL device behind kernels/backend.h: buffers and weights wrap the OpenCL
// backend's own, and each op forwards to its kernels.
#include <algorithm>

#include "cl_runtime.h"
#include "kernels/backend.h"

namespace kernels::opencl {
namespace {

struct ClBuffer final : DeviceBuffer {
    Buffer b;
    explicit ClBuffer(Buffer buffer) : b(std::move(buffer)) {}
    size_t bytes() const override { return b.bytes(); }
};

// Parts of one type and width are stacked into one device matrix (one launch);
// others stay apart, one launch each, into their rows of the output.
struct ClWeight final : DeviceWeight {
    std::vector<Weight> parts;
    size_t bytes() const override {
        size_t b = 0;
        for (const Weight& w : parts) b += w.bytes();
        return b;
    }
};

struct ClExperts final : DeviceWeight {
    ExpertWeights w;
    size_t bytes() const override { return w.bytes(); }
};

struct ClStream final : kernels::ExpertStream {
    std::unique_ptr<opencl::ExpertStream> s;
    int slots() const override { return s->slots(); }
    size_t deviceBytes() const override { return s->deviceBytes(); }
    size_t hostBytes() const override { return s->hostBytes(); }
};

const Buffer& cl(const DeviceBuffer& b) { return static_cast<const ClBuffer&>(b).b; }
const std::vector<Weight>& cl(const DeviceWeight& w) { return static_cast<const ClWeight&>(w).parts; }

class DeviceBackend final : public kernels::Backend {
public:
    explicit DeviceBackend(std::shared_ptr<opencl::Backend> be) : m_be(std::move(be)) {}

    const std::string& id() const override { return m_be->deviceId(); }
    const std::string& name() const override { return m_be->deviceName(); }
    bool isHost() const override { return false; }
    bool supports(Op op, GgmlType type) const override {
        switch (op) {
        case Op::MatMul: return opencl::Backend::supports(type);
        case Op::RopeStoreKv:
        case Op::Attention:
        case Op::ShiftKv:
            return type == GgmlType::F32 || type == GgmlType::F16 || type == GgmlType::Q8_0 || type == GgmlType::Q4_0;
        case Op::Experts: return opencl::Backend::supports(type);
        default: return true;
        }
    }
    uint64_t memoryBytes() const override { return m_be->memoryBytes(); }
    size_t weightBytes(GgmlType type, int64_t rows, int64_t cols) const override {
        return opencl::Backend::deviceBytes(type, rows, cols);
    }

    BackendResult<BufferPtr> alloc(size_t bytes) override { return wrap(m_be->alloc(bytes)); }
    BackendResult<BufferPtr> upload(std::span<const float> values) override { return wrap(m_be->uploadFloats(values)); }
    BackendResult<WeightPtr> upload(std::span<const Matrix* const> parts) override {
        for (const Matrix* m : parts)
            if (m->cols % 32 != 0) return std::unexpected("rows of " + std::to_string(m->cols) +
                                                          " values are not a multiple of 32");
        auto out = std::make_unique<ClWeight>();
        out->cols = parts.empty() ? 0 : parts[0]->cols;
        for (size_t i = 0; i < parts.size();) {
            size_t j = i + 1;
            while (j < parts.size() && parts[j]->type == parts[i]->type && parts[j]->cols == parts[i]->cols) ++j;
            if (parts[i]->cols != out->cols) return std::unexpected("stacked matrices differ in width");
            auto w = m_be->upload(parts.subspan(i, j - i));
            if (!w) return std::unexpected(w.error());
            out->rows += w->rows;
            out->parts.push_back(std::move(*w));
            i = j;
        }
        return out;
    }
    // The experts of one projection stacked into one device matrix (same type and
    // width: one GGUF tensor), addressed by expert id on the device.
    BackendResult<WeightPtr> uploadExperts(const ExpertSet& set) override {
        const int64_t X = static_cast<int64_t>(set.gate.size());
        if (!set.router || X == 0 || set.up.size() != set.gate.size() || set.down.size() != set.gate.size() ||
            set.router->rows != X || set.used <= 0 || set.used > X)
            return std::unexpected("experts: an inconsistent expert set");
        if (X > 512 || set.used > 64)  // cl/experts.cl: ROUTE_MAX, ROUTE_WG
            return std::unexpected("experts: the OpenCL routing takes at most 512 experts and 64 per token");
        auto stack = [&](std::span<const Matrix> ms, Weight& dst) -> BackendResult<bool> {
            std::vector<const Matrix*> parts;
            for (const Matrix& m : ms) parts.push_back(&m);
            auto w = m_be->upload(parts);
            if (!w) return std::unexpected("experts: " + w.error());
            dst = std::move(*w);
            return true;
        };
        auto out = std::make_unique<ClExperts>();
        const Matrix* router[] = {set.router};
        auto r = m_be->upload(router);
        if (!r) return std::unexpected("experts (router): " + r.error());
        out->w.router = std::move(*r);
        for (auto [ms, dst] : {std::pair{set.gate, &out->w.gate}, {set.up, &out->w.up}, {set.down, &out->w.down}})
            if (auto ok = stack(ms, *dst); !ok) return std::unexpected(ok.error());
        if (out->w.down.cols != out->w.gate.rows / X || out->w.gate.cols != set.router->cols)
            return std::unexpected("experts: gate, up and down shapes disagree");
        out->w.used = set.used;
        out->w.normalize = set.normalize;
        out->rows = set.router->cols;
        out->cols = set.router->cols;
        return out;
    }
    // The chosen experts of each projection stacked into one device matrix, slot by slot.
    BackendResult<WeightPtr> uploadExpertSlots(const ExpertSet& set, std::span<const int32_t> experts) override {
        auto out = std::make_unique<ClExperts>();
        for (auto [ms, dst] : {std::pair{set.gate, &out->w.gate}, {set.up, &out->w.up}, {set.down, &out->w.down}}) {
            std::vector<const Matrix*> parts;
            for (int32_t e : experts) {
                if (e < 0 || static_cast<size_t>(e) >= ms.size())
                    return std::unexpected("experts: no expert " + std::to_string(e));
                parts.push_back(&ms[e]);
            }
            auto w = m_be->upload(parts);
            if (!w) return std::unexpected("experts: " + w.error());
            *dst = std::move(*w);
        }
        out->w.used = set.used;
        out->w.normalize = set.normalize;
        out->rows = out->cols = out->w.gate.cols;
        return out;
    }
    // Each of staged's buffers (values, scales, offsets: whole rows, so an expert's part
    // of each is a fixed number of bytes) copied into the slot's place.
    BackendResult<bool> replaceExpertSlot(DeviceWeight& slots, int64_t slot, const DeviceWeight& staged) override {
        ExpertWeights& to = static_cast<ClExperts&>(slots).w;
        const ExpertWeights& from = static_cast<const ClExperts&>(staged).w;
        const int64_t count = to.gate.rows / std::max<int64_t>(from.gate.rows, 1);
        if (from.gate.rows == 0 || slot < 0 || slot >= count) return std::unexpected("experts: no slot " + std::to_string(slot));
        for (auto [src, dst] : {std::pair{&from.gate, &to.gate}, {&from.up, &to.up}, {&from.down, &to.down}}) {
            if (src->format != dst->format || src->cols != dst->cols || dst->rows != src->rows * count)
                return std::unexpected("experts: the staged expert does not match the slots");
            for (auto [a, b] : {std::pair{&src->a, &dst->a}, {&src->s, &dst->s}, {&src->m, &dst->m}}) {
                if (b->bytes() != a->bytes() * static_cast<size_t>(count))
                    return std::unexpected("experts: the staged expert's buffers do not match the slots");
                m_be->copy(*a, 0, *b, a->bytes() * static_cast<size_t>(slot), a->bytes());
            }
        }
        return true;
    }
    void write(DeviceBuffer& dst, size_t offset, const void* src, size_t bytes) override {
        m_be->write(cl(dst), offset, src, bytes);
    }
    void read(const DeviceBuffer& src, size_t offset, void* dst, size_t bytes) override {
        m_be->read(cl(src), offset, dst, bytes);
    }
    void copy(const DeviceBuffer& src, size_t srcOffset, DeviceBuffer& dst, size_t dstOffset, size_t bytes) override {
        m_be->copy(cl(src), srcOffset, cl(dst), dstOffset, bytes);
    }

    void matmul(const DeviceWeight& w, const DeviceBuffer& x, int64_t ldx, int64_t tokens, DeviceBuffer& out,
                int64_t ldo, int64_t ooff, bool accumulate, Glu input) override {
        const Buffer* in = &cl(x);
        // The matvec reads a SwiGLU input itself; other gated inputs are formed first.
        const bool fused = input == Glu::SwiGlu && tokens == 1;
        if (input != Glu::None && !fused) {
            if (!grow(m_glu, static_cast<size_t>(tokens * w.cols) * 4)) return;
            gluInto(input, cl(x), ldx, tokens, w.cols, m_glu);
            in = &m_glu;
            ldx = w.cols;
        }
        for (const Weight& part : cl(w)) {
            m_be->matmul(part, *in, ldx, tokens, cl(out), ldo, ooff, accumulate, fused);
            ooff += part.rows;
        }
    }
    void rmsNorm(const DeviceBuffer& x, int64_t xoff, const DeviceBuffer& weight, int64_t rows, int64_t cols, float eps,
                 DeviceBuffer& out) override {
        m_be->rmsNorm(cl(x), xoff, cl(weight), rows, cols, eps, cl(out));
    }
    void rmsNormHeads(DeviceBuffer& x, int64_t ld, int64_t off, int64_t tokens, int64_t heads, int64_t width,
                      const DeviceBuffer& weight, float eps) override {
        m_be->rmsNormHeads(cl(x), ld, off, tokens, heads, width, cl(weight), eps);
    }
    void rmsNormQkHeads(DeviceBuffer& qkv, int64_t ld, int64_t tokens, int64_t qHeads, int64_t kHeads, int64_t width,
                        const DeviceBuffer& qWeight, const DeviceBuffer& kWeight, float eps) override {
        m_be->rmsNormQkHeads(cl(qkv), ld, tokens, qHeads, kHeads, width, cl(qWeight), cl(kWeight), eps);
    }
    void addBias(DeviceBuffer& x, int64_t ld, int64_t tokens, int64_t width, const DeviceBuffer& bias) override {
        m_be->addBias(cl(x), ld, tokens, width, cl(bias));
    }
    void ropeStoreKv(DeviceBuffer& qkv, int64_t ldq, int64_t tokens, int64_t pos0, const AttentionOp& op,
                     const DeviceBuffer& ropeFreq, DeviceBuffer& kCache, DeviceBuffer& vCache) override {
        m_be->ropeStoreKv(cl(qkv), ldq, tokens, op.heads, op.headsKv, op.headDim, pos0, op.rope, cl(ropeFreq),
                          cl(kCache), cl(vCache), op.kvType, op.qkScale);
    }
    void normRopeStoreKv(DeviceBuffer& qkv, int64_t ldq, int64_t tokens, int64_t pos0, const AttentionOp& op,
                         const DeviceBuffer& ropeFreq, DeviceBuffer& kCache, DeviceBuffer& vCache,
                         const DeviceBuffer& qWeight, const DeviceBuffer& kWeight, float eps) override {
        m_be->ropeStoreKv(cl(qkv), ldq, tokens, op.heads, op.headsKv, op.headDim, pos0, op.rope, cl(ropeFreq),
                          cl(kCache), cl(vCache), op.kvType, op.qkScale, &cl(qWeight), &cl(kWeight), eps);
    }
    void attention(const DeviceBuffer& qkv, int64_t ldq, int64_t tokens, int64_t pos0, const AttentionOp& op,
                   const DeviceBuffer& kCache, const DeviceBuffer& vCache, DeviceBuffer& out) override {
        m_be->attention(cl(qkv), ldq, tokens, pos0, cl(kCache), cl(vCache), op.kvType, op.shape, cl(out));
    }
    void glu(Glu kind, const DeviceBuffer& gu, int64_t tokens, int64_t f, DeviceBuffer& out) override {
        gluInto(kind, cl(gu), 2 * f, tokens, f, cl(out));
    }
    void add(DeviceBuffer& y, const DeviceBuffer& x, int64_t n) override { m_be->add(cl(y), cl(x), n); }
    void experts(const DeviceWeight& w, const DeviceBuffer& x, int64_t tokens, DeviceBuffer& out,
                 bool accumulate) override {
        m_be->experts(static_cast<const ClExperts&>(w).w, cl(x), tokens, cl(out), m_experts, accumulate);
    }
    void routeExperts(const DeviceWeight&, const DeviceBuffer&, int64_t, std::span<ExpertChoice>) override {
        if (m_unsupported.empty()) m_unsupported = "routeExperts: the OpenCL backend routes inside experts()";
    }
    // Ids and weights to the device, then the products; flushed so that the device works
    // while the host computes the rest of the token's experts.
    void expertsChosen(const DeviceWeight& w, const DeviceBuffer& x, int64_t tokens, std::span<const ExpertChoice> choice,
                       int64_t perToken, DeviceBuffer& out) override {
        m_ids.resize(choice.size());
        m_weights.resize(choice.size());
        for (size_t i = 0; i < choice.size(); ++i) {
            m_ids[i] = choice[i].expert;
            m_weights[i] = choice[i].weight;
        }
        m_be->expertsChosen(static_cast<const ClExperts&>(w).w, cl(x), tokens, m_ids, m_weights, perToken, cl(out),
                            m_experts);
        m_be->flush();
    }
    BackendResult<size_t> expertStreamBytes(std::span<const ExpertSet* const> layers, int slots) const override {
        auto r = opencl::Backend::expertStreamBytes(layers, slots);
        if (!r) return std::unexpected(r.error());
        return *r;
    }
    BackendResult<size_t> expertStreamHostBytes(std::span<const ExpertSet* const> layers) const override {
        auto r = opencl::Backend::expertStreamHostBytes(layers);
        if (!r) return std::unexpected(r.error());
        return *r;
    }
    BackendResult<StreamPtr> makeExpertStream(std::span<const ExpertSet* const> layers, int slots) override {
        auto r = m_be->createExpertStream(layers, slots);
        if (!r) return std::unexpected(r.error());
        auto out = std::make_unique<ClStream>();
        out->s = std::move(*r);
        return out;
    }
    BackendResult<size_t> stageExperts(kernels::ExpertStream& stream, int slot, int64_t layer, const ExpertSet& set,
                                       ThreadPool* pool, std::span<const int32_t> experts) override {
        auto r = m_be->stageExperts(*static_cast<ClStream&>(stream).s, slot, layer, set, pool, experts);
        if (!r) return std::unexpected(r.error());
        return *r;
    }
    void streamedExperts(kernels::ExpertStream& stream, int slot, const DeviceBuffer& x, int64_t tokens,
                         DeviceBuffer& out) override {
        m_be->streamedExperts(*static_cast<ClStream&>(stream).s, slot, cl(x), tokens, cl(out), m_experts);
    }
    void streamedExpertsChosen(kernels::ExpertStream& stream, int slot, const DeviceBuffer& x, int64_t tokens,
                               std::span<const ExpertChoice> choice, int64_t perToken, DeviceBuffer& out) override {
        m_ids.resize(choice.size());
        m_weights.resize(choice.size());
        for (size_t i = 0; i < choice.size(); ++i) {
            m_ids[i] = choice[i].expert;
            m_weights[i] = choice[i].weight;
        }
        m_be->streamedExpertsChosen(*static_cast<ClStream&>(stream).s, slot, cl(x), tokens, m_ids, m_weights, perToken,
                                    cl(out), m_experts);
    }
    void shiftKv(const AttentionOp& op, DeviceBuffer& kCache, DeviceBuffer& vCache, int64_t from, int64_t to,
                 int64_t rows) override {
        // evictions are rare: the angles go up each time (write, not uploadFloats: the
        // caller holds the device's lock, as for every op)
        const std::vector<float> angles = ropeFrequencies(op.rope);
        auto freq = m_be->alloc(angles.size() * sizeof(float));
        if (!freq) {
            if (m_unsupported.empty()) m_unsupported = "shiftKv: " + freq.error();
            return;
        }
        m_be->write(*freq, 0, angles.data(), angles.size() * sizeof(float));
        m_be->shiftKv(cl(kCache), cl(vCache), op.headsKv, op.headDim, op.rope, *freq, op.kvType, from, to, rows);
    }
    BackendResult<BufferPtr> ropeTable(const RopeParams& rope) override {
        return wrap(m_be->uploadFloats(ropeFrequencies(rope)));
    }

    // ---- encoder ops (cl_encoder.cpp); the sequences' row offsets go up first ----
    void layerNorm(const DeviceBuffer& x, const DeviceBuffer& weight, const DeviceBuffer& bias, int64_t rows,
                   int64_t cols, float eps, DeviceBuffer& out) override {
        m_be->layerNorm(cl(x), cl(weight), cl(bias), rows, cols, eps, cl(out));
    }
    void activate(Activation act, DeviceBuffer& x, int64_t n) override {
        m_be->activate(act == Activation::Gelu ? 0 : act == Activation::Relu ? 1 : 2, cl(x), n);
    }
    void encoderAttention(const DeviceBuffer& qkv, int64_t ldq, int64_t kOff, int64_t vOff,
                          std::span<const int64_t> seqStart, int64_t heads, int64_t headDim, float scale,
                          DeviceBuffer& out, int64_t ldo) override {
        int64_t longest = 0;
        for (size_t s = 1; s < seqStart.size(); ++s) longest = std::max(longest, seqStart[s] - seqStart[s - 1]);
        if (longest > 2048) {
            if (m_unsupported.empty()) m_unsupported = "encoderAttention: sequences of at most 2048 tokens";
            return;
        }
        if (!putStarts(seqStart)) return;
        m_be->encoderAttention(cl(qkv), ldq, kOff, vOff, m_starts, static_cast<int64_t>(seqStart.size()) - 1,
                               seqStart.back(), heads, headDim, scale, cl(out), ldo);
    }
    void pool(const DeviceBuffer& x, int64_t n, std::span<const int64_t> seqStart, Pooling pooling,
              DeviceBuffer& out) override {
        if (!putStarts(seqStart)) return;
        m_be->pool(cl(x), n, m_starts, static_cast<int64_t>(seqStart.size()) - 1,
                   pooling == Pooling::Mean ? 0 : pooling == Pooling::Cls ? 1 : 2, cl(out));
    }

    std::mutex& lock() override { return m_be->lock(); }
    std::string takeError() override {
        std::string e = m_be->takeError();
        if (e.empty()) e = std::move(m_unsupported);
        m_unsupported.clear();
        return e;
    }

private:
    static BackendResult<BufferPtr> wrap(Expected<Buffer> b) {
        if (!b) return std::unexpected(b.error());
        return std::make_unique<ClBuffer>(std::move(*b));
    }
    bool grow(Buffer& b, size_t bytes) {
        if (b.bytes() >= bytes) return true;
        auto r = m_be->alloc(bytes);
        if (!r) return false;
        b = std::move(*r);
        return true;
    }

    bool putStarts(std::span<const int64_t> seqStart) {
        std::vector<int32_t> starts(seqStart.begin(), seqStart.end());
        if (!grow(m_starts, starts.size() * sizeof(int32_t))) {
            if (m_unsupported.empty()) m_unsupported = "encoder: no device memory for the sequence offsets";
            return false;
        }
        m_be->write(m_starts, 0, starts.data(), starts.size() * sizeof(int32_t));
        return true;
    }

    std::shared_ptr<opencl::Backend> m_be;
    void gluInto(Glu kind, const Buffer& gu, int64_t ld, int64_t tokens, int64_t f, const Buffer& out) {
        if (kind == Glu::GeGlu) m_be->geglu(gu, ld, tokens, f, out);
        else m_be->swiglu(gu, ld, tokens, f, out);
    }

    Buffer m_starts;      // the encoder ops' sequence offsets (int32)
    Buffer m_glu;         // act(gate) * up of a batch before its down projection
    ExpertScratch m_experts;
    std::vector<int32_t> m_ids;   // expertsChosen's choice apart (ids, weights)
    std::vector<float> m_weights;
    std::string m_unsupported;  // an op this device cannot run was called
};

}  // namespace

std::unique_ptr<kernels::Backend> makeDeviceBackend(std::shared_ptr<Backend> backend) {
    return std::make_unique<DeviceBackend>(std::move(backend));
}

}  // namespace kernels::opencl
