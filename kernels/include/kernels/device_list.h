// Devices the GPU backends can see, for listing and for choosing memory budgets.
// A backend that is not compiled in, or has no driver, contributes nothing: these
// functions never fail.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kernels {

struct DeviceDesc {
    std::string id;       // "opencl:P.D" (platform, device) or "level_zero:D.S" (driver, device)
    std::string name;
    std::string backend;  // "opencl" | "level_zero"
    std::string type;     // "gpu" | "cpu" | "npu" | "accelerator"
    uint64_t memoryBytes = 0;
    uint64_t freeBytes = 0;  // 0 = unknown
    std::string details;
};

std::vector<DeviceDesc> openclDevices();
std::vector<DeviceDesc> levelZeroDevices();

}  // namespace kernels
