// The placement plan (see placement.h): every layer on the CPU, then the last ones
// that the device computes and holds moved there.
#include "engine/placement.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "arch/weights.h"
#include "gguf/gguf_file.h"
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

// The decoders bind their matrices as views of the file, for any backend; the placement,
// which alone knows where each is computed, gives those the CPU computes the CPU
// kernels' layout (before any session runs: the one place they change) and releases the
// mapped pages of those a device copied (they refault if a refresh reads them again).
Matrix& hostMatrix(const Matrix& m) { return const_cast<Matrix&>(m); }

void prepareDenseForCpu(const DecoderDesc& d, int64_t l) {
    if (!d.file) return;
    for (const Matrix* m : deviceMatrices(d, l)) prepareForCpu(*d.file, hostMatrix(*m));
}

void prepareExpertsOnCpu(const DecoderDesc& d, int64_t l) {
    const MoeWeights* m = d.moe[l];
    if (!d.file || !m) return;
    prepareForCpu(*d.file, hostMatrix(m->router));
    for (const auto* set : {&m->gate, &m->up, &m->down})
        prepareExpertsForCpu(*d.file, const_cast<std::vector<Matrix>&>(*set));
}

void releaseDense(const DecoderDesc& d, int64_t l) {
    if (!d.file) return;
    for (const Matrix* m : deviceMatrices(d, l)) releaseMapped(*d.file, *m);
}

// A layer's experts (back to back in each tensor: one range per tensor) and router.
void releaseExperts(const DecoderDesc& d, int64_t l) {
    const MoeWeights* m = d.moe[l];
    if (!d.file || !m) return;
    releaseMapped(*d.file, m->router);
    for (const auto* set : {&m->gate, &m->up, &m->down})
        if (!set->empty())
            d.file->releaseRange((*set)[0].data, kernels::rowBytes((*set)[0].type, (*set)[0].cols) *
                                                     static_cast<size_t>((*set)[0].rows) * set->size());
}

bool decoderHasExperts(const DecoderDesc& d) {
    return std::any_of(d.moe.begin(), d.moe.end(), [](const MoeWeights* m) { return m != nullptr; });
}

// Bytes of m on `be` (on the host: its bytes in the file, which the mapping holds).
size_t matrixBytes(const Backend& be, const Matrix& m) {
    if (be.isHost()) return kernels::rowBytes(m.type, m.cols) * static_cast<size_t>(m.rows);
    return be.weightBytes(m.type, m.rows, m.cols);
}

// A MoE layer's router and routed experts on `be`.
size_t expertBytes(const Backend& be, const MoeWeights& m) {
    size_t bytes = matrixBytes(be, m.router);
    for (const auto* set : {&m.gate, &m.up, &m.down})
        for (const Matrix& e : *set) bytes += matrixBytes(be, e);
    return bytes;
}

// Layer l on `be` without its experts (attention, norms, a dense feed-forward).
size_t layerDenseBytes(const Backend& be, const DecoderDesc& d, int64_t l) {
    size_t bytes = 8 * static_cast<size_t>(d.h->nEmbd);
    for (const Matrix* m : deviceMatrices(d, l)) bytes += matrixBytes(be, *m);
    return bytes;
}

size_t layerDeviceBytes(const Backend& be, const DecoderDesc& d, int64_t l, bool experts) {
    return layerDenseBytes(be, d, l) + (experts && d.moe[l] ? expertBytes(be, *d.moe[l]) : 0);
}

// What a device holds besides its layers' weights: the output head and the activations
// of a 512-token batch (fixed), and per layer a KV cache of min(trained context, 4096)
// F16 rows.
struct DeviceOverhead {
    size_t fixed = 0, kvPerLayer = 0;
    int64_t kvTokens = 0;
};

DeviceOverhead deviceOverhead(const Backend& dev, const DecoderDesc& d) {
    const Hparams& h = *d.h;
    DeviceOverhead o;
    o.kvTokens = std::min<int64_t>(h.nCtxTrain > 0 ? h.nCtxTrain : 4096, 4096);
    o.kvPerLayer = static_cast<size_t>(2 * o.kvTokens * h.nHeadKv * h.headDim * 2);
    const Matrix& out = d.embd->output;
    o.fixed = dev.weightBytes(out.type, out.rows, out.cols) + static_cast<size_t>(512 * (4 * h.nEmbd + 3 * h.nFf) * 4) +
              static_cast<size_t>(512 * h.nVocab * 4);
    return o;
}

// The part of a device's memory the plan fills: 90% of it, or the --gpu-mem budget.
double deviceBudget(const Backend& dev, uint64_t gpuMemory) {
    const double all = 0.9 * static_cast<double>(dev.memoryBytes());
    return gpuMemory > 0 ? std::min(all, static_cast<double>(gpuMemory)) : all;
}

std::string gib(double bytes) {
    char buf[32];
    if (bytes >= 1024.0 * 1024.0 * 1024.0) std::snprintf(buf, sizeof buf, "%.2f GiB", bytes / (1024.0 * 1024.0 * 1024.0));
    else std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / (1024.0 * 1024.0));
    return buf;
}

}  // namespace

assistant::Result<PlacedLayer> placeLayer(Backend& be, const DecoderDesc& d, int64_t l, int device,
                                         bool expertsHere) {
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
        // Experts the plan leaves on the host (or the backend cannot run) stay in host
        // memory for the CPU: hybrid placement, the rest of the layer on the device.
        L.expertsOnHost = !expertsHere || !be.supports(Op::Experts, m->gate[0].type) ||
                          !be.supports(Op::Experts, m->down[0].type);
        if (L.expertsOnHost && !be.isHost()) L.hostSet = set;
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

assistant::Result<std::unique_ptr<Placement>> Placement::create(const Architecture& arch,
                                                                const assistant::ModelParams& params,
                                                                std::string& note, bool upload) {
    note.clear();
    const std::string& device = params.device;
    const bool wantDevice = device != "cpu" && params.gpuLayers != 0;
    auto p = std::unique_ptr<Placement>(new Placement());
    const Decoder* decoder = arch.decoder();
    if (!decoder || !decoder->describeDecoder(p->m_desc)) {
        if (wantDevice) note = cat(arch.hparams().arch, " runs on the CPU (its layers do not run through the backend interface yet)");
        return nullptr;
    }
    p->m_cpu = kernels::makeCpuBackend(nullptr);
    p->m_upload = upload;
    p->m_placement.layers.resize(static_cast<size_t>(p->m_desc.h->nLayer));
    // Every layer the devices do not take goes to the CPU once the plan is made: only
    // those get the CPU kernels' copies of their weights.
    auto onCpu = [&]() -> assistant::Result<std::unique_ptr<Placement>> {
        p->backToCpu();
        if (!p->m_placement.output.w) {  // views and repacking cannot fail; keep the message if they ever do
            note = "placing the layers on the CPU failed";
            return nullptr;
        }
        return std::move(p);
    };
    if (!wantDevice) return onCpu();

    std::vector<std::string> ids;
    for (size_t at = 0; at <= device.size();) {  // "opencl:0.0,opencl:0.1"
        const size_t comma = std::min(device.find(',', at), device.size());
        ids.push_back(device.substr(at, comma - at));
        at = comma + 1;
    }
    if (ids.size() == 1 && (ids[0] == "auto" || ids[0].empty())) ids[0] = autoDevice(note);
    if (ids[0].empty()) return onCpu();
    for (const std::string& id : ids)
        if (id.rfind("opencl:", 0) != 0) {
            note = cat("device '", id, "' cannot run layers (Level Zero devices are listed only; ",
                       "compute runs through OpenCL): running on the CPU");
            return onCpu();
        }
    if (!params.gpuSplit.empty() && params.gpuSplit.size() != ids.size()) {
        note = cat("--gpu-split has ", params.gpuSplit.size(), " shares for ", ids.size(), " devices: running on the CPU");
        return onCpu();
    }
    auto planned = p->planDevices(ids, params, note);
    if (!planned) return std::unexpected(planned.error());
    if (!*planned) return onCpu();
    if (!upload) {  // the plan only: every layer on the CPU as views, the plan kept for parts()
        p->placeRestOnCpu();
        return p;
    }
    if (!p->uploadPlan(ids, note)) return onCpu();
    p->placeRestOnCpu();
    return p;
}

// The layers (and the output head) not placed yet, on the CPU: views of the host
// weights, given the CPU kernels' layout unless the placement is a plan only.
void Placement::placeRestOnCpu() {
    for (size_t l = 0; l < m_placement.layers.size(); ++l) {
        PlacedLayer& L = m_placement.layers[l];
        if (!L.qkv) {  // not placed yet
            const int64_t layer = static_cast<int64_t>(l);
            if (m_upload) {
                prepareDenseForCpu(m_desc, layer);
                prepareExpertsOnCpu(m_desc, layer);
            }
            auto placed = placeLayer(*m_cpu, m_desc, layer, kOnCpu);
            if (!placed) return;
            L = std::move(*placed);
        }
    }
    if (!m_placement.output.w) {
        if (m_upload && m_desc.file) prepareForCpu(*m_desc.file, hostMatrix(m_desc.embd->output));
        if (auto out = placeOutput(*m_cpu, m_desc, kOnCpu)) m_placement.output = std::move(*out);
    }
}

void Placement::backToCpu() {
    for (PlacedLayer& L : m_placement.layers)
        if (L.device != kOnCpu) L = PlacedLayer{};
    if (m_placement.output.device != kOnCpu) m_placement.output = PlacedOutput{};
    m_placement.streams.clear();
    m_placement.streamMinTokens = m_streamMinTokens = 0;
    m_placement.devices.clear();
    m_placement.hotExperts.clear();
    m_opencl.clear();
    m_plan = {};
    placeRestOnCpu();
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

// Opens the devices and decides how many of the last layers each one holds and whether
// their experts go along (nothing uploaded yet). false with `note`: the CPU runs
// everything; an error: --moe-experts gpu cannot be met.
assistant::Result<bool> Placement::planDevices(const std::vector<std::string>& ids,
                                               const assistant::ModelParams& params, std::string& note) {
    const DecoderDesc& d = m_desc;
    m_gpuMemory = params.gpuMemory;
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
    const std::vector<std::shared_ptr<Backend>>& devs = m_placement.devices;
    const int gpuLayers = params.gpuLayers;
    const std::vector<float>& split = params.gpuSplit;
    // The experts go along when asked (gpu), or when the layers asked for fit with them
    // (auto): all layers with gpuLayers -1.
    bool experts = false;
    if (decoderHasExperts(d) && params.moeExperts != assistant::MoeExperts::Cpu) {
        const int64_t asked = gpuLayers >= 0 ? std::min<int64_t>(gpuLayers, d.h->nLayer) : d.h->nLayer;
        const std::vector<int64_t> want = splitLayers(asked, ids.size(), split);
        std::string cannot;
        for (int64_t l = 0; l < d.h->nLayer && cannot.empty(); ++l)
            if (const MoeWeights* m = d.moe[l])
                for (const auto& dev : devs)
                    if (!dev->supports(Op::Experts, m->gate[0].type) || !dev->supports(Op::Experts, m->down[0].type))
                        cannot = cat(dev->name(), " does not compute ", kernels::typeName(m->gate[0].type), "/",
                                     kernels::typeName(m->down[0].type), " experts");
        std::string tooSmall;
        for (size_t i = 0; i < devs.size() && cannot.empty() && tooSmall.empty(); ++i) {
            std::string ignored;
            if (layersThatFit(*devs[i], ignored, true) >= want[i]) continue;
            const int64_t first = d.h->nLayer - asked + std::accumulate(want.begin(), want.begin() + i, int64_t{0});
            tooSmall = cat(devs[i]->name(), " would need ", gib(deviceNeed(*devs[i], first, want[i], true)),
                           " for ", want[i], " layers with their experts, the output head, a KV cache of ",
                           deviceOverhead(*devs[i], d).kvTokens, " tokens and the activations; it has ",
                           gib(deviceBudget(*devs[i], m_gpuMemory)),
                           m_gpuMemory > 0 ? " (--gpu-mem)" : " (90% of its memory)");
        }
        experts = cannot.empty() && tooSmall.empty();
        if (params.moeExperts == assistant::MoeExperts::Gpu && !cannot.empty())
            return std::unexpected(assistant::Error{assistant::ErrorCode::DeviceError,
                                                    cat("--moe-experts gpu: ", cannot)});
        if (params.moeExperts == assistant::MoeExperts::Gpu && !tooSmall.empty())
            return std::unexpected(assistant::Error{assistant::ErrorCode::OutOfMemory,
                                                    cat("--moe-experts gpu: ", tooSmall, "; --moe-experts cpu keeps ",
                                                        "the experts in host memory")});
    }
    // How many of the last layers go to the devices: as asked, or what their memory
    // holds together (each device's share of it, by the split).
    int64_t n = gpuLayers >= 0 ? std::min<int64_t>(gpuLayers, d.h->nLayer) : d.h->nLayer;
    if (gpuLayers < 0) {
        const std::vector<int64_t> want = splitLayers(n, ids.size(), split);
        int64_t fits = 0;
        for (size_t i = 0; i < ids.size(); ++i) fits += std::min(want[i], layersThatFit(*devs[i], note, experts));
        // --moe-experts cpu with a budget: the budget is for the dense part of every layer
        // (and a hot-expert cache); one that cannot hold it is an error, not fewer layers.
        if (fits < n && decoderHasExperts(d) && params.moeExperts == assistant::MoeExperts::Cpu && m_gpuMemory > 0)
            if (auto ok = checkDenseFits(want, 0); !ok) return std::unexpected(ok.error());
        n = fits;
    }
    if (n == 0) return false;
    m_plan.count = splitLayers(n, ids.size(), split);
    m_plan.first = d.h->nLayer - n;
    m_plan.experts = experts;
    if (decoderHasExperts(d) && !experts) planStreams();
    if (decoderHasExperts(d) && !experts && m_gpuMemory > 0) planHotExperts();
    return true;
}

// OutOfMemory naming what the first device short of its share of `want` layers from
// `first` (without their routed experts) needs.
assistant::Status Placement::checkDenseFits(const std::vector<int64_t>& want, int64_t first) const {
    const std::vector<std::shared_ptr<Backend>>& devs = m_placement.devices;
    for (size_t i = 0; i < devs.size(); first += want[i], ++i) {
        const size_t need = deviceNeed(*devs[i], first, want[i], false);
        const double budget = deviceBudget(*devs[i], m_gpuMemory);
        if (static_cast<double>(need) <= budget) continue;
        return std::unexpected(assistant::Error{
            assistant::ErrorCode::OutOfMemory,
            cat("--gpu-mem: ", devs[i]->name(), " has ", gib(budget), " for the model, too little for the dense part of its ",
                want[i], " layers (attention, norms, the output head, a KV cache of ", deviceOverhead(*devs[i], m_desc).kvTokens,
                " tokens and the activations; the routed experts stay in host memory), which needs ", gib(need),
                " (", need, " bytes)")});
    }
    return {};
}

// The hot-expert caches: what each device's budget holds after its dense layers, in
// experts per MoE layer (all of a layer's experts at most), leaving room for one expert
// staged by a refresh (the experts op's scratch, a few MB, is not counted: nor is it
// when the experts all go to the device).
void Placement::planHotExperts() {
    const DecoderDesc& d = m_desc;
    const Hparams& h = *d.h;
    m_plan.hotSlots.assign(m_plan.count.size(), 0);
    int64_t first = m_plan.first;
    for (size_t i = 0; i < m_plan.count.size(); first += m_plan.count[i], ++i) {
        const Backend& dev = *m_placement.devices[i];
        int64_t moeLayers = 0;
        size_t perExpert = 0;
        for (int64_t l = first; l < first + m_plan.count[i]; ++l)
            if (const MoeWeights* m = d.moe[l]) {
                ++moeLayers;
                perExpert = std::max(perExpert, matrixBytes(dev, m->gate[0]) + matrixBytes(dev, m->up[0]) +
                                                    matrixBytes(dev, m->down[0]));
            }
        if (moeLayers == 0 || perExpert == 0) continue;
        const size_t stream = m_plan.streamBytes.empty() ? 0 : m_plan.streamBytes[i];
        const double left = denseRoom(i) - static_cast<double>(perExpert + stream);
        if (left <= 0) continue;
        const double slots = std::floor(left / (static_cast<double>(perExpert) * static_cast<double>(moeLayers)));
        m_plan.hotSlots[i] = std::min<int64_t>(static_cast<int64_t>(slots), h.nExpert);
    }
}

double Placement::denseRoom(size_t device) const {
    const int64_t first = m_plan.first + std::accumulate(m_plan.count.begin(), m_plan.count.begin() + device, int64_t{0});
    const Backend& dev = *m_placement.devices[device];
    return deviceBudget(dev, m_gpuMemory) - static_cast<double>(deviceNeed(dev, first, m_plan.count[device], false));
}

// Uploads the planned layers and the output head (false with `note` on failure).
bool Placement::uploadPlan(const std::vector<std::string>& ids, std::string& note) {
    const DecoderDesc& d = m_desc;
    int64_t l = m_plan.first;
    std::string where;
    for (size_t i = 0; i < ids.size(); ++i) {
        Backend& dev = *m_placement.devices[i];
        for (int64_t end = l + m_plan.count[i]; l < end; ++l) {
            auto L = placeLayer(dev, d, l, static_cast<int>(i), m_plan.experts);
            if (!L) {
                note = cat("uploading layer ", l, " to ", dev.name(), " failed (", L.error().message, "): running on the CPU");
                return false;
            }
            const bool expertsOnHost = L->expertsOnHost;
            m_placement.layers[l] = std::move(*L);
            if (!m_plan.hotSlots.empty() && m_plan.hotSlots[i] > 0 && d.moe[l] && !uploadHotExperts(i, l, note))
                return false;
            // The device has its copies: their pages leave the process's resident memory.
            // Experts computed on the CPU get its layout (after the hot-expert cache read
            // its experts from the mapping: one pass over the file).
            releaseDense(d, l);
            if (expertsOnHost) prepareExpertsOnCpu(d, l);
            else releaseExperts(d, l);
        }
        where += cat(where.empty() ? "" : ", ", m_plan.count[i], " on ", dev.name(), " (", ids[i], ")");
    }
    const int last = static_cast<int>(ids.size()) - 1;
    auto out = placeOutput(*m_placement.devices[last], d, last);
    if (!out) {
        note = cat("uploading the output head to ", m_placement.devices[last]->name(), " failed: running on the CPU");
        return false;
    }
    m_placement.output = std::move(*out);
    if (d.file) releaseMapped(*d.file, d.embd->output);  // tied: the token lookup refaults its rows
    uploadStreams();
    const int64_t hot = plannedHotExperts();
    const std::string experts =
        !decoderHasExperts(d) ? ""
        : m_plan.experts      ? "; the routed experts run there too"
        : hot > 0 ? cat("; the routed experts stay in host memory and run on the CPU, the ", hot, " of ", d.h->nExpert,
                        " per layer most picked (hot-expert cache) on the GPU")
                  : "; the routed experts stay in host memory and run on the CPU";
    log(LogLevel::Info, "GPU: ", d.h->nLayer - m_plan.first, " of ", d.h->nLayer, " layers (", where,
        ") and the output head", experts);
    return true;
}

// Bytes `dev` needs for `count` layers from `first` (with their experts or not), the
// output head, their KV cache and the activations.
size_t Placement::deviceNeed(const Backend& dev, int64_t first, int64_t count, bool experts) const {
    const DeviceOverhead o = deviceOverhead(dev, m_desc);
    size_t bytes = o.fixed;
    for (int64_t l = first; l < first + count; ++l) bytes += layerDeviceBytes(dev, m_desc, l, experts) + o.kvPerLayer;
    return bytes;
}

// How many of the last layers fit on `dev` (with their experts or not), leaving room for
// the output head, their KV cache and the activations (0 with a note when not even one
// does).
int64_t Placement::layersThatFit(const Backend& dev, std::string& note, bool experts) const {
    const DecoderDesc& d = m_desc;
    const DeviceOverhead o = deviceOverhead(dev, d);
    const double budget = deviceBudget(dev, m_gpuMemory) - static_cast<double>(o.fixed);
    int64_t n = 0;
    double used = 0;
    for (int64_t l = d.h->nLayer - 1; l >= 0; --l) {
        used += static_cast<double>(layerDeviceBytes(dev, d, l, experts) + o.kvPerLayer);
        if (used > budget) break;
        ++n;
    }
    if (n == 0) note = cat(dev.name(), " has too little memory for one layer: running on the CPU");
    return n;
}

int64_t Placement::plannedDeviceLayers() const {
    return std::accumulate(m_plan.count.begin(), m_plan.count.end(), int64_t{0});
}

bool Placement::hasExperts() const { return decoderHasExperts(m_desc); }

std::vector<assistant::PlacementPart> Placement::parts() const {
    const DecoderDesc& d = m_desc;
    const int64_t L = d.h->nLayer;
    const bool moe = decoderHasExperts(d);
    std::vector<assistant::PlacementPart> parts;
    auto range = [](int64_t a, int64_t b) { return a + 1 == b ? cat("layer ", a) : cat("layers ", a, "-", b - 1); };
    // Layers [a, b) on `be` (named `where`), their experts there or on the host.
    auto layers = [&](int64_t a, int64_t b, const Backend& be, const std::string& where, bool expertsThere) {
        if (a >= b) return;
        size_t dense = 0, experts = 0, hostExperts = 0;
        for (int64_t l = a; l < b; ++l) {
            dense += layerDenseBytes(be, d, l);
            if (!d.moe[l]) continue;
            if (expertsThere) experts += expertBytes(be, *d.moe[l]);
            else hostExperts += expertBytes(*m_cpu, *d.moe[l]);
        }
        if (!moe) return parts.push_back({range(a, b), where, dense});
        parts.push_back({range(a, b) + " without the routed experts", where, dense});
        if (expertsThere) parts.push_back({"routed experts and router of " + range(a, b), where, experts});
        else parts.push_back({"routed experts and router of " + range(a, b), "cpu", hostExperts});
    };
    parts.push_back({"token embeddings", "cpu", matrixBytes(*m_cpu, d.embd->tokenEmbd)});
    const int64_t first = m_plan.count.empty() ? L : m_plan.first;
    layers(0, first, *m_cpu, "cpu", true);
    int64_t l = first;
    for (size_t i = 0; i < m_plan.count.size(); ++i) {
        const Backend& dev = *m_placement.devices[i];
        layers(l, l + m_plan.count[i], dev, dev.id(), m_plan.experts);
        const DeviceOverhead o = deviceOverhead(dev, d);
        if (const int64_t slots = m_plan.hotSlots.empty() ? 0 : m_plan.hotSlots[i]; slots > 0) {
            size_t bytes = 0;
            for (int64_t k = l; k < l + m_plan.count[i]; ++k)
                if (const MoeWeights* m = d.moe[k])
                    bytes += static_cast<size_t>(slots) * (matrixBytes(dev, m->gate[0]) + matrixBytes(dev, m->up[0]) +
                                                           matrixBytes(dev, m->down[0]));
            parts.push_back({cat("hot-expert cache of ", range(l, l + m_plan.count[i]), " (", slots, " of ",
                                 d.h->nExpert, " experts per layer)"),
                             dev.id(), bytes});
        }
        if (const size_t stream = m_plan.streamBytes.empty() ? 0 : m_plan.streamBytes[i]; stream > 0) {
            parts.push_back({cat("prefill expert stream (2 layers' routed experts, batches of ", m_streamMinTokens,
                                 "+ tokens)"),
                             dev.id(), stream});
            // Its staging: a ring of pinned host chunks (resident while the model is loaded).
            parts.push_back({cat("prefill expert stream staging for ", dev.id(), " (pinned ring)"), "cpu",
                             i < m_plan.streamHostBytes.size() ? m_plan.streamHostBytes[i] : 0});
        }
        parts.push_back({cat("KV cache of ", range(l, l + m_plan.count[i]), " (", o.kvTokens, " tokens, F16)"), dev.id(),
                         o.kvPerLayer * static_cast<size_t>(m_plan.count[i])});
        const size_t head = matrixBytes(dev, d.embd->output);  // counted in o.fixed by every device
        if (i + 1 == m_plan.count.size()) parts.push_back({"output head", dev.id(), head});
        parts.push_back({"activations (512-token batch)", dev.id(), o.fixed - head});
        l += m_plan.count[i];
    }
    if (m_plan.count.empty()) {
        const bool tied = d.embd->output.data == d.embd->tokenEmbd.data;
        parts.push_back({tied ? "output head (the token embeddings)" : "output head", "cpu",
                         tied ? 0 : matrixBytes(*m_cpu, d.embd->output)});
    }
    return parts;
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
    sp->pool = &pool;
    return sp;
}

assistant::Result<std::unique_ptr<SessionPlacement>> Placement::createSession(kernels::ThreadPool& pool,
                                                                             kv::Cache& kv) const {
    const Hparams& h = *m_desc.h;
    auto sp = std::make_unique<SessionPlacement>();
    sp->model = &m_placement;
    sp->cpu = kernels::makeCpuBackend(&pool);
    sp->pool = &pool;
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

CpuPlacement placeOnCpu(const Architecture& arch, kernels::ThreadPool& pool, kv::Cache& kv) {
    CpuPlacement c;
    std::string note;
    assistant::ModelParams cpuOnly;
    cpuOnly.device = "cpu";
    cpuOnly.gpuLayers = 0;
    if (auto p = Placement::create(arch, cpuOnly, note)) c.placement = std::move(*p);
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
