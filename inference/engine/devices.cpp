// assistant::listDevices: the CPU first, then what the compiled GPU backends see.
#include <string>

#include "assistant/engine.h"
#include "kernels/cpu_features.h"
#include "kernels/device_list.h"

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

}  // namespace assistant
