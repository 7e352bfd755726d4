// The placement plan (see placement.h): every layer on the CPU, then the last ones
// that the device computes and holds moved there.
#include "src/placement.h"

#include <algorithm>

#include "kernels/opencl_backend.h"
#include "common/log.h"

namespace arch {

using assistant::LogLevel;
using assistant::detail::cat;
using assistant::detail::log;
using kernels::Backend;
using kernels::GgmlType;
using kernels::Matrix;
using kernels::Op;

namespace {

assistant::Error deviceError(const std::string& what, const std::string& why) {
    return assistant::Error{assistant::ErrorCode::DeviceError, cat(what, ": ", why)};
}

// `parts` stacked by rows: the backend keeps together what it can compute together.
assistant::Result<kernels::WeightPtr> uploadStacked(Backend& be, std::vector<const Matrix*> parts) {
    auto w = be.upload(parts);
    if (!w) return std::unexpected(deviceError("uploading a weight", w.error()));
    return std::move(*w);
}

assistant::Result<kernels::WeightPtr> uploadOne(Backend& be, const Matrix& m) { return uploadStacked(be, {&m}); }

assistant::Result<kernels::BufferPtr> uploadFloats(Backend& be, const std::vector<float>& v) {
    auto b = be.upload(std::span<const float>(v));
    if (!b) return std::unexpected(deviceError("uploading a vector", b.error()));
    return std::move(*b);
}

#define TRY(dst, expr)                                   \
    do {                                                 \
        auto r_ = (expr);                                \
        if (!r_) return std::unexpected(r_.error());     \
        dst = std::move(*r_);                            \
    } while (0)

// Why the device cannot run layer l ("" when it can).
// The device's share of layer l: attention, and the dense feed-forward (experts stay
// on the host).
std::vector<const Matrix*> deviceMatrices(const DecoderDesc& d, int64_t l) {
    const AttentionWeights& a = *d.attn[l];
    std::vector<const Matrix*> m = {&a.wq, &a.wk, &a.wv, &a.wo};
    if (const FfnWeights* f = d.ffn[l]) m.insert(m.end(), {&f->gate, &f->up, &f->down});
    return m;
}

std::string deviceCannotRun(const Backend& be, const DecoderDesc& d, int64_t l) {
    for (const Matrix* m : deviceMatrices(d, l)) {
        if (!be.supports(Op::MatMul, m->type))
            return cat("a layer matrix is ", kernels::typeName(m->type), ", which ", be.name(), " does not compute");
        if (m->cols % 32 != 0) return cat("a layer matrix has rows of ", m->cols, " values (not a multiple of 32)");
    }
    if (d.h->headDim > 256 || d.h->headDim % 2 != 0) return cat("head size ", d.h->headDim, " (at most 256, even)");
    return {};
}

size_t layerDeviceBytes(const Backend& be, const DecoderDesc& d, int64_t l) {
    size_t bytes = 8 * static_cast<size_t>(d.h->nEmbd);
    for (const Matrix* m : deviceMatrices(d, l)) bytes += be.weightBytes(m->type, m->rows, m->cols);
    return bytes;
}

}  // namespace

assistant::Result<PlacedLayer> placeLayer(Backend& be, const DecoderDesc& d, int64_t l, bool onDevice) {
    const AttentionWeights& a = *d.attn[l];
    PlacedLayer L;
    L.onDevice = onDevice;
    TRY(L.attnNorm, uploadFloats(be, a.norm));
    if (!d.postAttnNorm.empty()) {
        TRY(L.postAttnNorm, uploadFloats(be, *d.postAttnNorm[l]));
        TRY(L.postFfwNorm, uploadFloats(be, *d.postFfwNorm[l]));
    }
    if (!a.bq.empty()) {
        std::vector<float> bias = a.bq;
        bias.insert(bias.end(), a.bk.begin(), a.bk.end());
        bias.insert(bias.end(), a.bv.begin(), a.bv.end());
        TRY(L.qkvBias, uploadFloats(be, bias));
    }
    if (!a.qNorm.empty()) {
        TRY(L.qNorm, uploadFloats(be, a.qNorm));
        TRY(L.kNorm, uploadFloats(be, a.kNorm));
    }
    TRY(L.qkv, uploadStacked(be, {&a.wq, &a.wk, &a.wv}));
    TRY(L.wo, uploadOne(be, a.wo));
    if (const MoeWeights* m = d.moe[l]) {
        TRY(L.ffnNorm, uploadFloats(be, m->norm));
        const kernels::ExpertSet set{&m->router, m->gate, m->up, m->down, d.h->nExpertUsed, true};
        // Experts the backend cannot run stay in host memory for the CPU (all of them on
        // a device today: hybrid placement, the rest of the layer on the device).
        L.expertsOnHost = !be.supports(Op::Experts, m->gate[0].type);
        std::unique_ptr<Backend> host = L.expertsOnHost ? kernels::makeCpuBackend(nullptr) : nullptr;
        auto e = (host ? *host : be).uploadExperts(set);
        if (!e) return std::unexpected(deviceError("placing the experts", e.error()));
        L.experts = std::move(*e);
        return L;
    }
    const FfnWeights& f = *d.ffn[l];
    TRY(L.ffnNorm, uploadFloats(be, f.norm));
    TRY(L.gateUp, uploadStacked(be, {&f.gate, &f.up}));
    TRY(L.down, uploadOne(be, f.down));
    return L;
}

assistant::Result<PlacedOutput> placeOutput(Backend& be, const DecoderDesc& d, bool onDevice) {
    PlacedOutput out;
    out.onDevice = onDevice;
    TRY(out.norm, uploadFloats(be, d.embd->outputNorm));
    TRY(out.w, uploadOne(be, d.embd->output));
    return out;
}

Placement::~Placement() = default;

std::unique_ptr<Placement> Placement::create(const Architecture& arch, const std::string& device, int gpuLayers,
                                             std::string& note) {
    note.clear();
    const bool wantDevice = device != "cpu" && gpuLayers != 0;
    auto p = std::unique_ptr<Placement>(new Placement());
    const Decoder* decoder = arch.decoder();
    if (!decoder || !decoder->describeDecoder(p->m_desc)) {
        if (wantDevice) note = cat(arch.hparams().arch, " runs on the CPU (its layers do not run through the backend interface yet)");
        return nullptr;
    }
    // Every layer on the CPU first: views of the host weights, nothing copied.
    std::unique_ptr<Backend> cpu = kernels::makeCpuBackend(nullptr);
    const DecoderDesc& d = p->m_desc;
    for (int64_t l = 0; l < d.h->nLayer; ++l) {
        auto L = placeLayer(*cpu, d, l, false);
        if (!L) {  // views cannot fail; keep the message if they ever do
            note = L.error().message;
            return nullptr;
        }
        p->m_placement.layers.push_back(std::move(*L));
    }
    auto out = placeOutput(*cpu, d, false);
    if (!out) return nullptr;
    p->m_placement.output = std::move(*out);
    if (!wantDevice) return p;

    const std::string id = device == "auto" || device.empty() ? autoDevice(note) : device;
    if (id.empty()) return p;
    if (id.rfind("opencl:", 0) != 0) {
        note = cat("device '", id, "' cannot run layers (Level Zero devices are listed only; ",
                   "compute runs through OpenCL): running on the CPU");
        return p;
    }
    if (!p->placeOnDevice(id, gpuLayers, note)) {
        // Back to the CPU for every layer: the views placed above are still there.
        for (PlacedLayer& L : p->m_placement.layers)
            if (L.onDevice) L = *placeLayer(*cpu, d, &L - p->m_placement.layers.data(), false);
        if (p->m_placement.output.onDevice) p->m_placement.output = *placeOutput(*cpu, d, false);
        p->m_placement.device.reset();
        p->m_opencl.reset();
    }
    return p;
}

bool Placement::placeOnDevice(const std::string& id, int gpuLayers, std::string& note) {
    const DecoderDesc& d = m_desc;
    std::shared_ptr<Backend> dev = openDevice(id, m_opencl, note);
    if (!dev) return false;
    for (int64_t l = 0; l < d.h->nLayer; ++l)
        if (std::string why = deviceCannotRun(*dev, d, l); !why.empty()) {
            note = cat(why, ": running on the CPU");
            return false;
        }
    if (!dev->supports(Op::MatMul, d.embd->output.type) || d.embd->output.cols % 32 != 0) {
        note = cat("the output matrix is ", kernels::typeName(d.embd->output.type), ", which ", dev->name(),
                   " does not compute: running on the CPU");
        return false;
    }
    const int64_t n = layersThatFit(*dev, gpuLayers, note);
    if (n == 0) return false;
    m_placement.device = dev;
    for (int64_t l = d.h->nLayer - n; l < d.h->nLayer; ++l) {
        auto L = placeLayer(*dev, d, l, true);
        if (!L) {
            note = cat("uploading layer ", l, " to ", dev->name(), " failed (", L.error().message, "): running on the CPU");
            return false;
        }
        m_placement.layers[l] = std::move(*L);
    }
    auto out = placeOutput(*dev, d, true);
    if (!out) {
        note = cat("uploading the output head to ", dev->name(), " failed: running on the CPU");
        return false;
    }
    m_placement.output = std::move(*out);
    const bool moe = std::any_of(d.moe.begin(), d.moe.end(), [](const MoeWeights* m) { return m != nullptr; });
    log(LogLevel::Info, "GPU: ", n, " of ", d.h->nLayer, " layers and the output head on ", dev->name(), " (", id, ")",
        moe ? "; the routed experts stay in host memory and run on the CPU" : "");
    return true;
}

// All that fit when gpuLayers < 0, leaving room for the output head, a KV cache of
// min(trained context, 4096) F16 rows per layer and the activations; 0 with a note
// when not even one does.
int64_t Placement::layersThatFit(const Backend& dev, int gpuLayers, std::string& note) const {
    const DecoderDesc& d = m_desc;
    const Hparams& h = *d.h;
    if (gpuLayers >= 0) return std::min<int64_t>(gpuLayers, h.nLayer);
    const int64_t ctx = std::min<int64_t>(h.nCtxTrain > 0 ? h.nCtxTrain : 4096, 4096);
    const size_t kvPerLayer = static_cast<size_t>(2 * ctx * h.nHeadKv * h.headDim * 2);
    const Matrix& o = d.embd->output;
    const size_t fixed = dev.weightBytes(o.type, o.rows, o.cols) +
                         static_cast<size_t>(512 * (4 * h.nEmbd + 3 * h.nFf) * 4) +
                         static_cast<size_t>(512 * h.nVocab * 4);
    const double budget = 0.9 * static_cast<double>(dev.memoryBytes()) - static_cast<double>(fixed);
    int64_t n = 0;
    double used = 0;
    for (int64_t l = h.nLayer - 1; l >= 0; --l) {
        used += static_cast<double>(layerDeviceBytes(dev, d, l) + kvPerLayer);
        if (used > budget) break;
        ++n;
    }
    if (n == 0) note = cat(dev.name(), " has too little memory for one layer: running on the CPU");
    return n;
}

const std::string& Placement::deviceId() const {
    static const std::string kCpu = "cpu";
    return m_placement.device ? m_placement.device->id() : kCpu;
}

assistant::Result<std::unique_ptr<SessionPlacement>> Placement::createSession(kernels::ThreadPool& pool,
                                                                             KvCache& kv) const {
    const Hparams& h = *m_desc.h;
    auto sp = std::make_unique<SessionPlacement>();
    sp->model = &m_placement;
    sp->cpu = kernels::makeCpuBackend(&pool);
    Backend* dev = m_placement.device.get();
    const GgmlType deviceKv = kv.type == GgmlType::F32 ? GgmlType::F32 : GgmlType::F16;
    if (dev && deviceKv != kv.type && deviceLayers() > 0)
        log(LogLevel::Warning, "GPU layers keep their KV cache in F16 (quantized KV caches are CPU-only)");
    // Each layer's attention settings and RoPE table on its backend (tables shared by
    // layers whose RoPE agrees).
    struct Table {
        bool onDevice;
        kernels::RopeParams rope;
        const kernels::DeviceBuffer* buffer;
    };
    std::vector<Table> tables;
    for (int64_t l = 0; l < h.nLayer; ++l) {
        const bool onDev = m_placement.layers[l].onDevice;
        const AttentionParams ap = m_desc.attentionParams(kv.capacity, l);
        sp->attention.push_back({h.nHead, h.nHeadKv, h.headDim, ap.rope, ap.qkScale, ap.shape, onDev ? deviceKv : kv.type});
        auto same = std::find_if(tables.begin(), tables.end(), [&](const Table& t) {
            return t.onDevice == onDev && t.rope.dims == ap.rope.dims && t.rope.freqBase == ap.rope.freqBase &&
                   t.rope.freqScale == ap.rope.freqScale && t.rope.neox == ap.rope.neox &&
                   t.rope.freqFactors == ap.rope.freqFactors;
        });
        if (same == tables.end()) {
            auto table = (onDev ? *dev : *sp->cpu).ropeTable(ap.rope);
            if (!table) return std::unexpected(deviceError("GPU RoPE table", table.error()));
            sp->ropeTables.push_back(std::move(*table));
            same = tables.insert(tables.end(), Table{onDev, ap.rope, sp->ropeTables.back().get()});
        }
        sp->rope.push_back(same->buffer);
    }
    const int64_t kvW = h.nHeadKv * h.headDim;
    for (int64_t l = 0; l < h.nLayer; ++l) {
        if (!m_placement.layers[l].onDevice) {
            sp->k.push_back(kernels::wrapHostMemory(kv.k[l].data(), kv.k[l].size()));
            sp->v.push_back(kernels::wrapHostMemory(kv.v[l].data(), kv.v[l].size()));
            continue;
        }
        const size_t bytes = kernels::rowBytes(deviceKv, kvW) * static_cast<size_t>(kv.capacity);
        auto k = dev->alloc(bytes), v = dev->alloc(bytes);
        if (!k || !v)
            return std::unexpected(assistant::Error{
                assistant::ErrorCode::OutOfMemory,
                cat("GPU KV cache (", deviceLayers(), " layers x ", kv.capacity, " rows): ", !k ? k.error() : v.error())});
        sp->k.push_back(std::move(*k));
        sp->v.push_back(std::move(*v));
    }
    return sp;
}

CpuPlacement placeOnCpu(const Architecture& arch, kernels::ThreadPool& pool, KvCache& kv) {
    CpuPlacement c;
    std::string note;
    c.placement = Placement::create(arch, "cpu", 0, note);
    if (c.placement)
        if (auto s = c.placement->createSession(pool, kv)) c.session = std::move(*s);
    return c;
}

std::vector<kernels::opencl::KernelStat> Placement::takeStats() const { return deviceStats(m_opencl.get()); }

}  // namespace arch
