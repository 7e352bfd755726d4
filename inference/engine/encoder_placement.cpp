// An encoder's device (ModelParams::device / gpuLayers) through the decoders' device
// machinery: the same ids, "auto", the last gpuLayers layers (-1: all) on the device.
#include "engine/placement.h"

namespace arch {

int64_t placeEncoder(Encoder& encoder, const assistant::ModelParams& params, std::string& note) {
    note.clear();
    const int64_t nLayer = encoder.hparams().nLayer;
    if (params.device == "cpu" || params.gpuLayers == 0 || nLayer <= 0) return 0;
    std::string id = params.device.substr(0, params.device.find(','));
    if (id == "auto" || id.empty()) id = autoDevice(note);
    if (id.empty()) return 0;
    if (id.rfind("opencl:", 0) != 0) {
        note = "device '" + id + "' cannot run layers (compute runs through OpenCL): running on the CPU";
        return 0;
    }
    std::shared_ptr<kernels::opencl::Backend> opencl;
    std::shared_ptr<kernels::Backend> dev = openDevice(id, opencl, note);
    if (!dev) return 0;
    const int64_t n = params.gpuLayers < 0 ? nLayer : std::min<int64_t>(params.gpuLayers, nLayer);
    if (!encoder.placeOnDevice(std::move(dev), nLayer - n, note)) return 0;
    if (params.device.find(',') != std::string::npos)
        note = "an embedding model runs on one device: " + id + " (the others are left unused)";
    return n;
}

}  // namespace arch
