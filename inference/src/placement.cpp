// The placement plan (see placement.h): every layer on the CPU, then the last ones
// that the device computes and holds moved there.
#include "src/placement.h"

#include <algorithm>
#include <cmath>

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

assistant::Result<PlacedLayer> placeLayer(Backend& be, const DecoderDesc& d, int64_t l, int device) {
    const AttentionWeights& a = *d.attn[l];
    PlacedLayer L;
    L.device = device;
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

assistant::Result<PlacedOutput> placeOutput(Backend& be, const DecoderDesc& d, int device) {
    PlacedOutput out;
    out.device = device;
    TRY(out.norm, uploadFloats(be, d.embd->outputNorm));
    TRY(out.w, uploadOne(be, d.embd->output));
    return out;
}

Placement::~Placement() = default;

std::unique_ptr<Placement> Placement::create(const Architecture& arch, const std::string& device, int gpuLayers,
                                             const std::vector<float>& gpuSplit, std::string& note) {
    note.clear();
    const bool wantDevice = device != "cpu" && gpuLayers != 0;
    auto p = std::unique_ptr<Placement>(new Placement());
    const Decoder* decoder = arch.decoder();
    if (!decoder || !decoder->describeDecoder(p->m_desc)) {
        if (wantDevice) note = cat(arch.hparams().arch, " runs on the CPU (its layers do not run through the backend interface yet)");
        return nullptr;
    }
    // Every layer on the CPU first: views of the host weights, nothing copied.
    p->m_cpu = kernels::makeCpuBackend(nullptr);
    const DecoderDesc& d = p->m_desc;
    for (int64_t l = 0; l < d.h->nLayer; ++l) {
        auto L = placeLayer(*p->m_cpu, d, l, kOnCpu);
        if (!L) {  // views cannot fail; keep the message if they ever do
            note = L.error().message;
            return nullptr;
        }
        p->m_placement.layers.push_back(std::move(*L));
    }
    auto out = placeOutput(*p->m_cpu, d, kOnCpu);
    if (!out) return nullptr;
    p->m_placement.output = std::move(*out);
    if (!wantDevice) return p;

    std::vector<std::string> ids;
    for (size_t at = 0; at <= device.size();) {  // "opencl:0.0,opencl:0.1"
        const size_t comma = std::min(device.find(',', at), device.size());
        ids.push_back(device.substr(at, comma - at));
        at = comma + 1;
    }
    if (ids.size() == 1 && (ids[0] == "auto" || ids[0].empty())) ids[0] = autoDevice(note);
    if (ids[0].empty()) return p;
    for (const std::string& id : ids)
        if (id.rfind("opencl:", 0) != 0) {
            note = cat("device '", id, "' cannot run layers (Level Zero devices are listed only; ",
                       "compute runs through OpenCL): running on the CPU");
            return p;
        }
    if (!gpuSplit.empty() && gpuSplit.size() != ids.size()) {
        note = cat("--gpu-split has ", gpuSplit.size(), " shares for ", ids.size(), " devices: running on the CPU");
        return p;
    }
    if (!p->placeOnDevices(ids, gpuLayers, gpuSplit, note)) p->backToCpu();
    return p;
}

void Placement::backToCpu() {
    for (size_t l = 0; l < m_placement.layers.size(); ++l)
        if (m_placement.layers[l].device != kOnCpu)
            m_placement.layers[l] = *placeLayer(*m_cpu, m_desc, static_cast<int64_t>(l), kOnCpu);
    if (m_placement.output.device != kOnCpu) m_placement.output = *placeOutput(*m_cpu, m_desc, kOnCpu);
    m_placement.devices.clear();
    m_opencl.clear();
}

// Layers per device: n in proportion to the shares, rounded so they add up to n.
std::vector<int64_t> splitLayers(int64_t n, size_t devices, const std::vector<float>& shares) {
    std::vector<float> w = shares.empty() ? std::vector<float>(devices, 1.0f) : shares;
    float total = 0;
    for (float x : w) total += std::max(x, 0.0f);
    std::vector<int64_t> count(devices, 0);
    int64_t given = 0;
    float acc = 0;
    for (size_t i = 0; i < devices; ++i) {
        acc += std::max(w[i], 0.0f);
        const int64_t upTo = total > 0 ? static_cast<int64_t>(std::lround(n * acc / total)) : n * (i + 1) / devices;
        count[i] = upTo - given;
        given = upTo;
    }
    return count;
}

bool Placement::placeOnDevices(const std::vector<std::string>& ids, int gpuLayers, const std::vector<float>& split,
                               std::string& note) {
    const DecoderDesc& d = m_desc;
    for (const std::string& id : ids) {
        std::shared_ptr<kernels::opencl::Backend> opencl;
        std::shared_ptr<Backend> dev = openDevice(id, opencl, note);
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
        m_placement.devices.push_back(dev);
        m_opencl.push_back(opencl);
    }
    // How many of the last layers go to the devices: as asked, or what their memory
    // holds together (each device's share of it, by the split).
    int64_t n = gpuLayers >= 0 ? std::min<int64_t>(gpuLayers, d.h->nLayer) : d.h->nLayer;
    if (gpuLayers < 0) {
        const std::vector<int64_t> want = splitLayers(n, ids.size(), split);
        int64_t fits = 0;
        for (size_t i = 0; i < ids.size(); ++i)
            fits += std::min(want[i], layersThatFit(*m_placement.devices[i], note));
        n = fits;
    }
    if (n == 0) return false;
    const std::vector<int64_t> count = splitLayers(n, ids.size(), split);
    int64_t l = d.h->nLayer - n;
    std::string where;
    for (size_t i = 0; i < ids.size(); ++i) {
        Backend& dev = *m_placement.devices[i];
        for (int64_t end = l + count[i]; l < end; ++l) {
            auto L = placeLayer(dev, d, l, static_cast<int>(i));
            if (!L) {
                note = cat("uploading layer ", l, " to ", dev.name(), " failed (", L.error().message, "): running on the CPU");
                return false;
            }
            m_placement.layers[l] = std::move(*L);
        }
        where += cat(where.empty() ? "" : ", ", count[i], " on ", dev.name(), " (", ids[i], ")");
    }
    const int last = static_cast<int>(ids.size()) - 1;
    auto out = placeOutput(*m_placement.devices[last], d, last);
    if (!out) {
        note = cat("uploading the output head to ", m_placement.devices[last]->name(), " failed: running on the CPU");
        return false;
    }
    m_placement.output = std::move(*out);
    const bool moe = std::any_of(d.moe.begin(), d.moe.end(), [](const MoeWeights* m) { return m != nullptr; });
    log(LogLevel::Info, "GPU: ", n, " of ", d.h->nLayer, " layers (", where, ") and the output head",
        moe ? "; the routed experts stay in host memory and run on the CPU" : "");
    return true;
}

// How many of the last layers fit on `dev`, leaving room for the output head, a KV
// cache of min(trained context, 4096) F16 rows per layer and the activations (0 with
// a note when not even one does).
int64_t Placement::layersThatFit(const Backend& dev, std::string& note) const {
    const DecoderDesc& d = m_desc;
    const Hparams& h = *d.h;
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

std::vector<bool> Placement::hostLayers() const {
    std::vector<bool> onHost;
    for (const PlacedLayer& L : m_placement.layers) onHost.push_back(L.device == kOnCpu);
    return onHost;
}

std::string Placement::deviceId() const {
    if (m_placement.devices.empty()) return "cpu";
    std::string ids;
    for (const auto& dev : m_placement.devices) ids += (ids.empty() ? "" : ",") + dev->id();
    return ids;
}

std::unique_ptr<SessionPlacement> Placement::createWorkspace(kernels::ThreadPool& pool) const {
    auto sp = std::make_unique<SessionPlacement>();
    sp->model = &m_placement;
    sp->cpu = kernels::makeCpuBackend(&pool);
    return sp;
}

assistant::Result<std::unique_ptr<SessionPlacement>> Placement::createSession(kernels::ThreadPool& pool,
                                                                             KvCache& kv) const {
    const Hparams& h = *m_desc.h;
    auto sp = std::make_unique<SessionPlacement>();
    sp->model = &m_placement;
    sp->cpu = kernels::makeCpuBackend(&pool);
    // The cache type of a layer on `dev`: the session's where the device computes it.
    auto kvTypeOn = [&](int dev) {
        return dev == kOnCpu || m_placement.devices[dev]->supports(Op::Attention, kv.type) ? kv.type : GgmlType::F16;
    };
    for (size_t i = 0; i < m_placement.devices.size(); ++i)
        if (kvTypeOn(static_cast<int>(i)) != kv.type) {
            log(LogLevel::Warning, "GPU layers keep their KV cache in F16 (", kernels::typeName(kv.type),
                " caches are CPU-only)");
            break;
        }
    // Each layer's attention settings and RoPE table on its backend (tables shared by
    // layers whose RoPE agrees).
    struct Table {
        int device;
        kernels::RopeParams rope;
        const kernels::DeviceBuffer* buffer;
    };
    std::vector<Table> tables;
    for (int64_t l = 0; l < h.nLayer; ++l) {
        const int dev = m_placement.layers[l].device;
        const AttentionParams ap = m_desc.attentionParams(kv.capacity, l);
        sp->attention.push_back({h.nHead, h.nHeadKv, h.headDim, ap.rope, ap.qkScale, ap.shape, kvTypeOn(dev)});
        auto same = std::find_if(tables.begin(), tables.end(), [&](const Table& t) {
            return t.device == dev && t.rope.dims == ap.rope.dims && t.rope.freqBase == ap.rope.freqBase &&
                   t.rope.freqScale == ap.rope.freqScale && t.rope.neox == ap.rope.neox &&
                   t.rope.freqFactors == ap.rope.freqFactors;
        });
        if (same == tables.end()) {
            auto table = sp->backend(dev).ropeTable(ap.rope);
            if (!table) return std::unexpected(deviceError("GPU RoPE table", table.error()));
            sp->ropeTables.push_back(std::move(*table));
            same = tables.insert(tables.end(), Table{dev, ap.rope, sp->ropeTables.back().get()});
        }
        sp->rope.push_back(same->buffer);
    }
    const int64_t kvW = h.nHeadKv * h.headDim;
    for (int64_t l = 0; l < h.nLayer; ++l) {
        const int dev = m_placement.layers[l].device;
        if (dev == kOnCpu) {
            sp->k.push_back(kernels::wrapHostMemory(kv.k[l].data(), kv.k[l].size()));
            sp->v.push_back(kernels::wrapHostMemory(kv.v[l].data(), kv.v[l].size()));
            continue;
        }
        const size_t bytes = kernels::rowBytes(kvTypeOn(dev), kvW) * static_cast<size_t>(kv.capacity);
        Backend& be = *m_placement.devices[dev];
        auto k = be.alloc(bytes), v = be.alloc(bytes);
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
    c.placement = Placement::create(arch, "cpu", 0, {}, note);
    if (c.placement)
        if (auto s = c.placement->createSession(pool, kv)) c.session = std::move(*s);
    return c;
}

std::vector<kernels::opencl::KernelStat> Placement::takeStats() const {
    std::vector<kernels::opencl::KernelStat> all;
    for (const auto& cl : m_opencl) {
        std::vector<kernels::opencl::KernelStat> s = deviceStats(cl.get());
        all.insert(all.end(), s.begin(), s.end());
    }
    return all;
}

}  // namespace arch
