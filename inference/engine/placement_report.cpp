// planPlacement (assistant/model_tools.h): the placement Model::load would make for a
// file and ModelParams, planned by the same code (engine/placement.cpp) without uploading.
#include "assistant/model_tools.h"

#include "arch/arch.h"
#include "arch/streamed_experts.h"
#include "gguf/gguf_file.h"
#include "engine/placement.h"

namespace assistant {

Result<PlacementReport> planPlacement(const std::string& path, const ModelParams& params) {
    auto file = gguf::File::open(path, true);
    if (!file) return std::unexpected(file.error());
    auto arch = arch::makeArchitecture(**file);
    if (!arch) return std::unexpected(arch.error());
    PlacementReport r;
    r.layerCount = static_cast<int>((*arch)->hparams().nLayer);
    auto placement = arch::Placement::create(**arch, params, r.note, /*upload=*/false);
    if (!placement) return std::unexpected(placement.error());
    if (!*placement) {  // an encoder: placed as Model::load places it (uploads: encoders are small)
        if (auto* encoder = dynamic_cast<arch::Encoder*>(arch->get()))
            if (const int64_t n = arch::placeEncoder(*encoder, params, r.note); n > 0) {
                r.gpuLayers = static_cast<int>(n);
                r.device = params.device.substr(0, params.device.find(','));
            }
        return r;
    }
    const arch::Placement& p = **placement;
    r.parts = p.parts();
    r.gpuLayers = static_cast<int>(p.plannedDeviceLayers());
    r.device = r.gpuLayers > 0 ? p.deviceId() : "cpu";
    r.moe = p.hasExperts();
    r.expertsOnGpu = r.gpuLayers > 0 && p.expertsOnDevice();
    r.hotExpertsPerLayer = r.gpuLayers > 0 ? static_cast<int>(p.plannedHotExperts()) : 0;
    r.expertCount = r.moe ? static_cast<int>(p.expertCount()) : 0;
    if (r.moe && r.gpuLayers > 0 && !r.expertsOnGpu) {
        r.expertStreamBytes = p.plannedStreamBytes();
        r.expertStreamHostBytes = p.plannedStreamHostBytes();
        r.streamMinTokens = static_cast<int>(p.streamMinTokens());
        r.streamThresholdAdapts = r.expertStreamBytes > 0 && arch::moeStreamThresholdIsDefault();
        r.streamNote = p.streamNote();
    }
    const arch::Placement::DecodeTraffic t = p.decodeTraffic();
    r.decodeCpuBytes = t.cpuBytes;
    for (const auto& [type, bytes] : t.cpuBytesByType) r.decodeCpuBytesByType.emplace_back(kernels::typeName(type), bytes);
    r.decodeDeviceBytes = t.deviceBytes;
    r.decodeCrossings = static_cast<int>(t.crossings);
    r.decodeDeviceOps = static_cast<int>(t.deviceOps);
    r.decodeCpuOps = static_cast<int>(t.cpuOps);
    r.decodeCpuSoftCaps = static_cast<uint64_t>(t.cpuSoftCaps);
    r.decodeCpuGelus = static_cast<uint64_t>(t.cpuGelus);
    r.hitRate = t.hitRate;
    return r;
}

}  // namespace assistant
