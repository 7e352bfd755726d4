// Uploads of an encoder's placed layers and the buffers of one pass (placed_encoder.h).
#include "arch/placed_encoder.h"

#include <algorithm>

#include "kernels/thread_pool.h"

namespace arch {

bool EncoderPlacement::begin(std::shared_ptr<kernels::Backend> dev, int64_t firstLayer, int64_t nLayer,
                             std::span<const kernels::GgmlType> types, const char* model, std::string& note) {
    for (kernels::GgmlType t : types)
        if (!dev->supports(kernels::Op::MatMul, t) || !dev->supports(kernels::Op::Encoder)) {
            note = std::string(model) + ": " + dev->name() + " does not compute " + std::string(kernels::typeName(t)) +
                   " products: running on the CPU";
            return false;
        }
    device = std::move(dev);
    first = std::clamp<int64_t>(firstLayer, 0, nLayer);
    host = kernels::makeCpuBackend(nullptr);
    error.clear();
    return true;
}

bool EncoderPlacement::uploaded(const char* model, std::string& note) {
    if (error.empty()) return true;
    note = "uploading " + std::string(model) + "'s layers to " + device->name() + " failed (" + error +
           "): running on the CPU";
    *this = {};
    return false;
}

kernels::BufferPtr EncoderPlacement::vec(kernels::Backend& be, const std::vector<float>& v) {
    auto b = be.upload(std::span<const float>(v));
    if (!b) {
        if (error.empty()) error = b.error();
        return nullptr;
    }
    return std::move(*b);
}

kernels::WeightPtr EncoderPlacement::mat(kernels::Backend& be, std::vector<const kernels::Matrix*> parts) {
    auto w = be.upload(std::span<const kernels::Matrix* const>(parts));
    if (!w) {
        if (error.empty()) error = w.error();
        return nullptr;
    }
    return std::move(*w);
}

EncoderPass::EncoderPass(const EncoderPlacement& p, kernels::ThreadPool& pool, std::span<const size_t> floats)
    : m_place(p), m_cpu(kernels::makeCpuBackend(&pool)) {
    for (size_t n : floats) {
        auto h = m_cpu->alloc(std::max<size_t>(n, 1) * sizeof(float));
        if (!h) {
            m_error = h.error();
            return;
        }
        m_host.push_back(std::move(*h));
        if (!p.device) continue;
        auto d = p.device->alloc(std::max<size_t>(n, 1) * sizeof(float));
        if (!d) {
            m_error = p.device->name() + ": " + d.error();
            return;
        }
        m_dev.push_back(std::move(*d));
    }
    if (p.device) m_lock = std::unique_lock<std::mutex>(p.device->lock());
}

void EncoderPass::toDevice(size_t i, size_t floats) {
    kernels::copyBetween(*m_cpu, *m_host[i], *m_place.device, *m_dev[i], floats * sizeof(float));
}

std::string EncoderPass::finish() { return m_place.device ? m_place.device->takeError() : std::string(); }

}  // namespace arch
