// Level Zero device discovery: drivers -> devices (GPU, NPU, ...) with memory.
#include <level_zero/ze_api.h>

#include <string>
#include <vector>

#include "kernels/device_list.h"

namespace kernels {
namespace {

const char* typeName(ze_device_type_t type) {
    switch (type) {
    case ZE_DEVICE_TYPE_GPU: return "gpu";
    case ZE_DEVICE_TYPE_CPU: return "cpu";
    case ZE_DEVICE_TYPE_VPU: return "npu";
    default: return "accelerator";
    }
}

uint64_t deviceMemory(ze_device_handle_t device) {
    uint32_t count = 0;
    if (zeDeviceGetMemoryProperties(device, &count, nullptr) != ZE_RESULT_SUCCESS || count == 0) return 0;
    std::vector<ze_device_memory_properties_t> props(count);
    for (auto& p : props) p.stype = ZE_STRUCTURE_TYPE_DEVICE_MEMORY_PROPERTIES;
    if (zeDeviceGetMemoryProperties(device, &count, props.data()) != ZE_RESULT_SUCCESS) return 0;
    uint64_t total = 0;
    for (const auto& p : props) total += p.totalSize;
    return total;
}

}  // namespace

std::vector<DeviceDesc> levelZeroDevices() {
    std::vector<DeviceDesc> out;
    // zeInit fails cleanly when the loader finds no driver: that is an empty list.
    if (zeInit(0) != ZE_RESULT_SUCCESS) return out;
    uint32_t driverCount = 0;
    if (zeDriverGet(&driverCount, nullptr) != ZE_RESULT_SUCCESS || driverCount == 0) return out;
    std::vector<ze_driver_handle_t> drivers(driverCount);
    if (zeDriverGet(&driverCount, drivers.data()) != ZE_RESULT_SUCCESS) return out;
    for (uint32_t dr = 0; dr < driverCount; ++dr) {
        uint32_t deviceCount = 0;
        if (zeDeviceGet(drivers[dr], &deviceCount, nullptr) != ZE_RESULT_SUCCESS) continue;
        std::vector<ze_device_handle_t> devices(deviceCount);
        if (zeDeviceGet(drivers[dr], &deviceCount, devices.data()) != ZE_RESULT_SUCCESS) continue;
        for (uint32_t d = 0; d < deviceCount; ++d) {
            ze_device_properties_t props{};
            props.stype = ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES;
            if (zeDeviceGetProperties(devices[d], &props) != ZE_RESULT_SUCCESS) continue;
            DeviceDesc desc;
            desc.id = "level_zero:" + std::to_string(dr) + "." + std::to_string(d);
            desc.name = props.name;
            desc.backend = "level_zero";
            desc.type = typeName(props.type);
            desc.memoryBytes = deviceMemory(devices[d]);
            const uint32_t eus = props.numSlices * props.numSubslicesPerSlice * props.numEUsPerSubslice;
            desc.details = std::to_string(eus) + " EUs, " + std::to_string(props.coreClockRate) + " MHz";
            out.push_back(std::move(desc));
        }
    }
    return out;
}

}  // namespace kernels
