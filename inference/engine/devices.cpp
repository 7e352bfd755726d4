// assistant::listDevices: the CPU first, then what the compiled GPU backends see; and the
// free memory of the device a ModelParams::device names (deviceFreeMemory).
#include <algorithm>
#include <string>

#include "assistant/engine.h"
#include "kernels/cpu_features.h"
#include "kernels/device_list.h"
#include "engine/placement.h"

namespace assistant {
namespace {

DeviceInfo cpuDevice() {
    const kernels::CpuFeatures& f = kernels::cpuFeatures();
    DeviceInfo d;
    d.id = "cpu";
    d.name = f.brand.empty() ? "CPU" : f.brand;
    d.backend = "cpu";
    d.type = "cpu";
    const kernels::HostMemory mem = kernels::hostMemory();
    d.memoryBytes = mem.total;
    d.freeBytes = mem.available;
    d.details = std::to_string(f.physicalCores) + " cores, " + std::to_string(f.logicalCores) +
                " threads; " + kernels::cpuFeatureString(f);
    return d;
}

}  // namespace

std::vector<DeviceInfo> listDevices() {
    std::vector<DeviceInfo> devices{cpuDevice()};
    std::vector<kernels::DeviceDesc> gpu;
#ifdef ASSISTANT_HAVE_OPENCL
    for (auto& d : kernels::openclDevices()) gpu.push_back(std::move(d));
#endif
#ifdef ASSISTANT_HAVE_LEVEL_ZERO
    for (auto& d : kernels::levelZeroDevices()) gpu.push_back(std::move(d));
#endif
    for (kernels::DeviceDesc& d : gpu)
        devices.push_back(DeviceInfo{std::move(d.id), std::move(d.name), std::move(d.backend), std::move(d.type),
                                     d.memoryBytes, d.freeBytes, std::move(d.details)});
    return devices;
}

uint64_t deviceFreeMemory(const std::string& device) {
    std::string ids = device;
    if (ids.empty() || ids == "auto") {
        std::string note;
        ids = arch::autoDevice(note);
    }
    if (ids.empty() || ids == "cpu") return 0;
    const std::vector<DeviceInfo> devices = listDevices();
    uint64_t least = 0;
    bool first = true;
    for (size_t at = 0; at <= ids.size();) {
        const size_t comma = std::min(ids.find(',', at), ids.size());
        const std::string id = ids.substr(at, comma - at);
        at = comma + 1;
        const auto it = std::find_if(devices.begin(), devices.end(), [&](const DeviceInfo& d) { return d.id == id; });
        const uint64_t free = it == devices.end() ? 0 : it->freeBytes;
        least = first ? free : std::min(least, free);
        first = false;
    }
    return least;
}

}  // namespace assistant
