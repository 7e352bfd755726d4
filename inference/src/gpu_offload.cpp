// GPU offload of llama-family layers through the OpenCL backend (see gpu_offload.h).
#include "src/gpu_offload.h"

#include <algorithm>
#include <cstdlib>

#include "kernels/opencl_backend.h"
#include "src/log.h"

namespace arch {

using assistant::LogLevel;
using assistant::detail::cat;
using assistant::detail::log;

#ifdef ASSISTANT_HAVE_OPENCL

namespace cl = kernels::opencl;
using kernels::GgmlType;
using kernels::Matrix;

// One layer's weights on the device. Q/K/V (and gate/up) are stacked into one matrix
// when their types agree, so each is one launch.
struct GpuModel::LayerWeights {
    cl::Buffer attnNorm, ffnNorm;
    std::vector<cl::Weight> qkv;     // 1 stacked [q;k;v], or 3
    cl::Weight wo;
    std::vector<cl::Weight> gateUp;  // 1 stacked [gate;up], or 2
    cl::Weight down;
};

struct GpuModel::Output {
    cl::Buffer norm;
    cl::Weight w;
    cl::Buffer ropeFreq;
};

struct GpuLayers::State {
    GgmlType kvType = GgmlType::F16;
    int64_t capacity = 0;
    std::vector<cl::Buffer> k, v;  // [offloaded layer] capacity rows of Hkv*D values
    int64_t batch = 0;             // tokens the activations below hold
    cl::Buffer x, cur, qkv, attn, gu, ffn, logits;
    bool xOnDevice = false;        // the last runLayers left x on the device
};

namespace {

bool matrixOk(const Matrix& m, std::string& why, const char* what) {
    if (!cl::Backend::supports(m.type)) {
        why = cat(what, " is ", kernels::typeName(m.type), ", which the OpenCL backend does not compute");
        return false;
    }
    if (m.cols % 32 != 0) {
        why = cat(what, " rows of ", m.cols, " values are not a multiple of 32");
        return false;
    }
    return true;
}

size_t matrixBytes(const Matrix& m) { return cl::Backend::deviceBytes(m.type, m.rows, m.cols); }

size_t layerBytes(const DecoderDesc& d, int64_t l) {
    const AttentionWeights& a = *d.attn[l];
    const FfnWeights& f = *d.ffn[l];
    return matrixBytes(a.wq) + matrixBytes(a.wk) + matrixBytes(a.wv) + matrixBytes(a.wo) + matrixBytes(f.gate) +
           matrixBytes(f.up) + matrixBytes(f.down) + 8 * static_cast<size_t>(d.h->nEmbd);
}

// Uploads `parts` stacked when they share type and width, else one by one.
assistant::Result<std::vector<cl::Weight>> uploadStacked(cl::Backend& be, std::vector<const Matrix*> parts) {
    std::vector<cl::Weight> out;
    const bool same = std::all_of(parts.begin(), parts.end(), [&](const Matrix* m) {
        return m->type == parts[0]->type && m->cols == parts[0]->cols;
    });
    std::vector<std::vector<const Matrix*>> groups;
    if (same) groups.push_back(parts);
    else
        for (const Matrix* m : parts) groups.push_back({m});
    for (auto& g : groups) {
        auto w = be.upload(g);
        if (!w) return std::unexpected(assistant::Error{assistant::ErrorCode::DeviceError, w.error()});
        out.push_back(std::move(*w));
    }
    return out;
}

}  // namespace

GpuModel::GpuModel() = default;
GpuModel::~GpuModel() = default;
GpuLayers::GpuLayers(const GpuModel& model) : m_model(model) {}
GpuLayers::~GpuLayers() = default;

const std::string& GpuModel::deviceId() const { return m_backend->deviceId(); }

std::vector<cl::KernelStat> GpuModel::takeStats() const {
    std::lock_guard<std::mutex> g(m_backend->lock());
    return m_backend->takeStats();
}

std::string GpuModel::chooseDevice(const std::string& device, std::string& note) {
    if (device == "auto" || device.empty()) {
        std::string id = cl::firstOpenclGpu();
        if (id.empty()) note = "no OpenCL GPU found (no platform, or no device of GPU type): running on the CPU";
        return id;
    }
    if (device.rfind("opencl:", 0) != 0) {
        note = cat("device '", device, "' cannot run layers (Level Zero devices are listed only; ",
                   "compute runs through OpenCL): running on the CPU");
        return {};
    }
    return device;
}

bool GpuModel::runsOnGpu(const DecoderDesc& d, std::string& note) {
    const Hparams& h = *d.h;
    for (int64_t l = 0; l < h.nLayer; ++l) {
        const AttentionWeights& a = *d.attn[l];
        const FfnWeights& f = *d.ffn[l];
        if (!a.bq.empty() || !a.qNorm.empty() || d.params.qkScale != 1.0f) {
            note = "the GPU path has no attention biases or per-head norms: running on the CPU";
            return false;
        }
        const Matrix* mats[] = {&a.wq, &a.wk, &a.wv, &a.wo, &f.gate, &f.up, &f.down};
        for (const Matrix* m : mats)
            if (!matrixOk(*m, note, "a layer matrix")) {
                note += ": running on the CPU";
                return false;
            }
    }
    if (!matrixOk(d.embd->output, note, "the output matrix") || h.headDim > 256 || h.headDim % 2 != 0) {
        if (note.empty()) note = "head size above 256";
        note += ": running on the CPU";
        return false;
    }
    return true;
}

// All that fit when gpuLayers < 0, leaving room for the output head, a KV cache of
// min(trained context, 4096) F16 rows per layer and the activations; 0 with a note
// when not even one does.
int64_t GpuModel::layersThatFit(int gpuLayers, std::string& note) const {
    const DecoderDesc& d = m_desc;
    const Hparams& h = *d.h;
    if (gpuLayers >= 0) return std::min<int64_t>(gpuLayers, h.nLayer);
    const int64_t ctx = std::min<int64_t>(h.nCtxTrain > 0 ? h.nCtxTrain : 4096, 4096);
    const size_t kvPerLayer = static_cast<size_t>(2 * ctx * h.nHeadKv * h.headDim * 2);
    const size_t fixed = matrixBytes(d.embd->output) + static_cast<size_t>(512 * (4 * h.nEmbd + 3 * h.nFf) * 4) +
                         static_cast<size_t>(512 * h.nVocab * 4);
    const double budget = 0.9 * static_cast<double>(m_backend->memoryBytes()) - static_cast<double>(fixed);
    int64_t n = 0;
    double used = 0;
    for (int64_t l = h.nLayer - 1; l >= 0; --l) {
        used += static_cast<double>(layerBytes(d, l) + kvPerLayer);
        if (used > budget) break;
        ++n;
    }
    if (n == 0) note = cat(m_backend->deviceName(), " has too little memory for one layer: running on the CPU");
    return n;
}

// Layers [m_first, nLayer) and the output head, onto the device.
bool GpuModel::uploadWeights(std::string& note) {
    cl::Backend& b = *m_backend;
    const DecoderDesc& d = m_desc;
    for (int64_t l = m_first; l < d.h->nLayer; ++l) {
        const AttentionWeights& a = *d.attn[l];
        const FfnWeights& f = *d.ffn[l];
        auto L = std::make_unique<LayerWeights>();
        auto an = b.uploadFloats(a.norm), fn = b.uploadFloats(f.norm);
        auto qkv = uploadStacked(b, {&a.wq, &a.wk, &a.wv});
        auto wo = uploadStacked(b, {&a.wo});
        auto gu = uploadStacked(b, {&f.gate, &f.up});
        auto down = uploadStacked(b, {&f.down});
        if (!an || !fn || !qkv || !wo || !gu || !down) {
            std::string why = !an ? an.error() : !fn ? fn.error() : !qkv ? qkv.error().message
                              : !wo ? wo.error().message : !gu ? gu.error().message : down.error().message;
            note = cat("uploading layer ", l, " to ", b.deviceName(), " failed (", why, "): running on the CPU");
            return false;
        }
        L->attnNorm = std::move(*an);
        L->ffnNorm = std::move(*fn);
        L->qkv = std::move(*qkv);
        L->wo = std::move(wo->front());
        L->gateUp = std::move(*gu);
        L->down = std::move(down->front());
        m_layers.push_back(std::move(L));
    }
    auto out = std::make_unique<Output>();
    auto on = b.uploadFloats(d.embd->outputNorm);
    auto ow = uploadStacked(b, {&d.embd->output});
    auto rf = b.uploadFloats(cl::ropeFrequencies(d.params.rope));
    if (!on || !ow || !rf) {
        note = cat("uploading the output head to ", b.deviceName(), " failed: running on the CPU");
        return false;
    }
    out->norm = std::move(*on);
    out->w = std::move(ow->front());
    out->ropeFreq = std::move(*rf);
    m_output = std::move(out);
    return true;
}

std::unique_ptr<GpuModel> GpuModel::create(const Architecture& arch, const std::string& device, int gpuLayers,
                                           std::string& note) {
    note.clear();
    if (device == "cpu" || gpuLayers == 0) return nullptr;
    const std::string id = chooseDevice(device, note);
    if (id.empty()) return nullptr;
    auto model = std::unique_ptr<GpuModel>(new GpuModel());
    if (const Decoder* decoder = arch.decoder(); !decoder || !decoder->describeDecoder(model->m_desc)) {
        note = cat("the GPU path runs llama-family models; ", arch.hparams().arch, " runs on the CPU");
        return nullptr;
    }
    if (!runsOnGpu(model->m_desc, note)) return nullptr;
    const char* profile = std::getenv("ASSISTANT_OPENCL_PROFILE");
    auto be = cl::Backend::create(id, profile && *profile && std::string(profile) != "0");
    if (!be) {
        note = cat("OpenCL device ", id, " unusable (", be.error(), "): running on the CPU");
        return nullptr;
    }
    model->m_backend = std::shared_ptr<cl::Backend>(std::move(*be));
    const int64_t nLayer = model->m_desc.h->nLayer;
    const int64_t n = model->layersThatFit(gpuLayers, note);
    if (n == 0) return nullptr;
    model->m_first = nLayer - n;
    if (!model->uploadWeights(note)) return nullptr;
    const cl::Backend& b = *model->m_backend;
    log(LogLevel::Info, "GPU: ", n, " of ", nLayer, " layers and the output head on ", b.deviceName(), " (", id,
        b.programFromCache() ? ", kernels from the disk cache)" : ", kernels compiled)");
    return model;
}

std::unique_ptr<GpuLayers> GpuModel::createSession(int64_t capacity, GgmlType kvType, std::string& error) const {
    auto s = std::unique_ptr<GpuLayers>(new GpuLayers(*this));
    s->m_state = std::make_unique<GpuLayers::State>();
    GpuLayers::State& st = *s->m_state;
    if (kvType == GgmlType::Q8_0 || kvType == GgmlType::Q4_0) {
        log(LogLevel::Warning, "GPU layers keep their KV cache in F16 (quantized KV caches are CPU-only)");
        kvType = GgmlType::F16;
    }
    st.kvType = kvType;
    st.capacity = capacity;
    const Hparams& h = *m_desc.h;
    const size_t bytes = kernels::rowBytes(kvType, h.nHeadKv * h.headDim) * static_cast<size_t>(capacity);
    for (size_t i = 0; i < m_layers.size(); ++i) {
        auto k = m_backend->alloc(bytes), v = m_backend->alloc(bytes);
        if (!k || !v) {
            error = cat("GPU KV cache (", m_layers.size(), " layers x ", capacity, " rows): ", !k ? k.error() : v.error());
            return nullptr;
        }
        st.k.push_back(std::move(*k));
        st.v.push_back(std::move(*v));
    }
    return s;
}

bool GpuLayers::ensureBatch(int64_t n) {
    State& st = *m_state;
    if (n <= st.batch) return true;
    const Hparams& h = *m_model.m_desc.h;
    const int64_t E = h.nEmbd, qW = h.nHead * h.headDim, kvW = h.nHeadKv * h.headDim, F = h.nFf;
    cl::Backend& b = *m_model.m_backend;
    auto get = [&](int64_t floats, cl::Buffer& dst) {
        auto r = b.alloc(static_cast<size_t>(floats) * 4);
        if (!r) {
            if (m_error.empty()) m_error = r.error();
            return false;
        }
        dst = std::move(*r);
        return true;
    };
    const bool ok = get(n * E, st.x) && get(n * E, st.cur) && get(n * (qW + 2 * kvW), st.qkv) &&
                    get(n * qW, st.attn) && get(n * 2 * F, st.gu) && get(n * F, st.ffn) &&
                    get(n * h.nVocab, st.logits);
    if (ok) st.batch = n;
    return ok;
}

int64_t GpuLayers::runLayers(ForwardContext& ctx, int64_t layer, int64_t n, int64_t pos0) {
    const GpuModel& M = m_model;
    const Hparams& h = *M.m_desc.h;
    const int64_t E = h.nEmbd, D = h.headDim, qW = h.nHead * D, kvW = h.nHeadKv * D, F = h.nFf;
    const int64_t ldq = qW + 2 * kvW;
    State& st = *m_state;
    cl::Backend& b = *M.m_backend;
    std::lock_guard<std::mutex> guard(b.lock());
    st.xOnDevice = false;
    if (pos0 + n > st.capacity) {
        m_error = cat("GPU KV cache holds ", st.capacity, " rows; ", pos0 + n, " needed");
        return h.nLayer;
    }
    if (!ensureBatch(n)) return h.nLayer;
    b.write(st.x, 0, ctx.scratch.x.data(), static_cast<size_t>(n * E) * 4);
    for (int64_t l = layer; l < h.nLayer; ++l) {
        const GpuModel::LayerWeights& L = *M.m_layers[l - M.m_first];
        const size_t slot = static_cast<size_t>(l - M.m_first);
        // x += Wo · attention(rope(q), rope(k), v), q|k|v = Wqkv · norm(x)
        b.rmsNorm(st.x, 0, L.attnNorm, n, E, h.rmsEps, st.cur);
        int64_t off = 0;
        for (const cl::Weight& w : L.qkv) {
            b.matmul(w, st.cur, E, n, st.qkv, ldq, off, false);
            off += w.rows;
        }
        b.ropeStoreKv(st.qkv, ldq, n, h.nHead, h.nHeadKv, D, pos0, M.m_desc.params.rope, M.m_output->ropeFreq,
                      st.k[slot], st.v[slot], st.kvType);
        b.attention(st.qkv, ldq, n, pos0, st.k[slot], st.v[slot], st.kvType, M.m_desc.params.shape, st.attn);
        b.matmul(L.wo, st.attn, qW, n, st.x, E, 0, true);
        // x += Wdown · swiglu(Wgate · norm(x), Wup · norm(x))
        b.rmsNorm(st.x, 0, L.ffnNorm, n, E, h.rmsEps, st.cur);
        off = 0;
        for (const cl::Weight& w : L.gateUp) {
            b.matmul(w, st.cur, E, n, st.gu, 2 * F, off, false);
            off += w.rows;
        }
        if (n == 1) {
            b.matmul(L.down, st.gu, 2 * F, 1, st.x, E, 0, true, /*swigluInput=*/true);
        } else {
            b.swiglu(st.gu, n, F, st.ffn);
            b.matmul(L.down, st.ffn, F, n, st.x, E, 0, true);
        }
    }
    st.xOnDevice = true;  // outputLogits reads it there
    if (std::string e = b.takeError(); !e.empty() && m_error.empty()) m_error = e;
    return h.nLayer;
}

bool GpuLayers::outputLogits(ForwardContext& ctx, int64_t n, bool allLogits) {
    State& st = *m_state;
    const GpuModel& M = m_model;
    const Hparams& h = *M.m_desc.h;
    const int64_t E = h.nEmbd, V = h.nVocab;
    if (!st.xOnDevice) return false;
    cl::Backend& b = *M.m_backend;
    std::lock_guard<std::mutex> guard(b.lock());
    const int64_t first = allLogits ? 0 : n - 1;
    const int64_t rows = n - first;
    b.rmsNorm(st.x, first * E, M.m_output->norm, rows, E, h.rmsEps, st.cur);
    b.matmul(M.m_output->w, st.cur, E, rows, st.logits, V, 0, false);
    ctx.scratch.logits.resize(static_cast<size_t>(rows * V));
    b.read(st.logits, 0, ctx.scratch.logits.data(), static_cast<size_t>(rows * V) * 4);  // the token's one sync
    if (std::string e = b.takeError(); !e.empty() && m_error.empty()) m_error = e;
    st.xOnDevice = false;
    return true;
}

std::string GpuLayers::takeError() {
    std::string e = std::move(m_error);
    m_error.clear();
    return e;
}

#else  // no OpenCL in this build

struct GpuModel::LayerWeights {};
struct GpuModel::Output {};
struct GpuLayers::State {};

GpuModel::GpuModel() = default;
GpuModel::~GpuModel() = default;
GpuLayers::GpuLayers(const GpuModel& model) : m_model(model) {}
GpuLayers::~GpuLayers() = default;

std::unique_ptr<GpuModel> GpuModel::create(const Architecture&, const std::string& device, int gpuLayers,
                                           std::string& note) {
    note.clear();
    if (device != "cpu" && gpuLayers != 0) note = "this build has no GPU backend (built without OpenCL): running on the CPU";
    return nullptr;
}
const std::string& GpuModel::deviceId() const {
    static const std::string kCpu = "cpu";
    return kCpu;
}
std::unique_ptr<GpuLayers> GpuModel::createSession(int64_t, kernels::GgmlType, std::string& error) const {
    error = "built without OpenCL";
    return nullptr;
}
std::vector<kernels::opencl::KernelStat> GpuModel::takeStats() const { return {}; }
bool GpuLayers::ensureBatch(int64_t) { return false; }
int64_t GpuLayers::runLayers(ForwardContext&, int64_t, int64_t, int64_t) { return 0; }
bool GpuLayers::outputLogits(ForwardContext&, int64_t, bool) { return false; }
std::string GpuLayers::takeError() { return {}; }

#endif

}  // namespace arch
