// An encoder's layers on backends (kernels/backend.h), as the decoders place theirs: the
// last layers (--gpu-layers counts from the end) and the pooling after them on one
// device, the earlier ones on the CPU backend (views of the host weights). bert.cpp and
// use_lite.cpp keep their placed layers here and run a pass with EncoderPass.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "kernels/backend.h"

namespace kernels {
class ThreadPool;
}

namespace arch {

struct EncoderPlacement {
    std::shared_ptr<kernels::Backend> device;  // null: every layer on the CPU
    int64_t first = 0;                         // first device layer
    std::unique_ptr<kernels::Backend> host;    // uploads the CPU layers' views (no pool)
    std::string error;                         // the first upload error

    // Takes `dev` for layers first.. of nLayer when it computes every type in `types` and the
    // encoder ops; else false with the reason in `note` ("<model>: ... running on the CPU").
    bool begin(std::shared_ptr<kernels::Backend> dev, int64_t firstLayer, int64_t nLayer,
               std::span<const kernels::GgmlType> types, const char* model, std::string& note);
    // After the uploads: true when all succeeded, else false with the reason in `note` and the
    // placement cleared (every layer back on the CPU).
    bool uploaded(const char* model, std::string& note);

    bool onDevice(int64_t layer) const { return device && layer >= first; }
    kernels::Backend& uploader(int64_t layer) { return onDevice(layer) ? *device : *host; }
    // Uploads; null (and `error` set) on failure.
    kernels::BufferPtr vec(kernels::Backend& be, const std::vector<float>& v);
    kernels::WeightPtr mat(kernels::Backend& be, std::vector<const kernels::Matrix*> parts);
};

// The activations of one pass on the CPU backend and on the device, the residual stream
// moved to the device at the first device layer; the device is held (lock()) for the pass.
class EncoderPass {
public:
    // Buffers of `floats[i]` floats named by index (the caller's layout), on both backends.
    EncoderPass(const EncoderPlacement& p, kernels::ThreadPool& pool, std::span<const size_t> floats);
    bool ok() const { return m_error.empty(); }
    const std::string& error() const { return m_error; }
    kernels::Backend& backend(bool device) { return device ? *m_place.device : *m_cpu; }
    kernels::DeviceBuffer& buf(bool device, size_t i) { return *(device ? m_dev : m_host)[i]; }
    void swap(bool device, size_t i, size_t j) { std::swap((device ? m_dev : m_host)[i], (device ? m_dev : m_host)[j]); }
    // Buffer i (`floats` of it) from the CPU backend to the device.
    void toDevice(size_t i, size_t floats);
    // Waits for the device; its first error ("" if none).
    std::string finish();

private:
    const EncoderPlacement& m_place;
    std::unique_ptr<kernels::Backend> m_cpu;
    std::vector<kernels::BufferPtr> m_host, m_dev;
    std::unique_lock<std::mutex> m_lock;
    std::string m_error;
};

}  // namespace arch
