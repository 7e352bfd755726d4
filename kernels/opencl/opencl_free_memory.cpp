// Free memory of an OpenCL device, where the driver or a vendor library tells it.
// Core OpenCL has no such query, so: a CPU device shares the host's memory
// (MemAvailable, at most the device's global size); AMD drivers answer
// CL_DEVICE_GLOBAL_FREE_MEMORY_AMD (cl_amd_device_attribute_query); NVIDIA devices
// are matched by PCI address (cl_nv_device_attribute_query) to NVML's, read through
// libnvidia-ml if it is installed (opened at run time, never linked). Anything else:
// 0, which callers print as "unknown".
#include "opencl_free_memory.h"

#include "kernels/cpu_features.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdio>
#include <string>

namespace kernels {
namespace {

// Values from the vendors' published extension specifications.
constexpr cl_device_info kGlobalFreeMemoryAmd = 0x4039;  // size_t[2]: free KiB, largest free block KiB
constexpr cl_device_info kPciBusIdNv = 0x4008;
constexpr cl_device_info kPciSlotIdNv = 0x4009;
constexpr cl_device_info kPciDomainIdNv = 0x400A;

bool hasExtension(cl_device_id device, const char* name) {
    size_t size = 0;
    if (clGetDeviceInfo(device, CL_DEVICE_EXTENSIONS, 0, nullptr, &size) != CL_SUCCESS || size == 0) return false;
    std::string ext(size, '\0');
    if (clGetDeviceInfo(device, CL_DEVICE_EXTENSIONS, size, ext.data(), nullptr) != CL_SUCCESS) return false;
    ext = " " + ext + " ";
    return ext.find(std::string(" ") + name + " ") != std::string::npos;
}

uint64_t amdFreeBytes(cl_device_id device) {
    size_t kib[2] = {};
    if (clGetDeviceInfo(device, kGlobalFreeMemoryAmd, sizeof kib, kib, nullptr) != CL_SUCCESS) return 0;
    return static_cast<uint64_t>(kib[0]) * 1024;
}

// NVML's C API as documented (nvml.h): the three calls used here, declared locally.
struct NvmlMemory {
    unsigned long long total, free, used;
};
using NvmlInit = int (*)();
using NvmlShutdown = int (*)();
using NvmlHandleByPci = int (*)(const char* pciBusId, void** device);
using NvmlMemoryInfo = int (*)(void* device, NvmlMemory* memory);

uint64_t nvidiaFreeBytes(cl_device_id device) {
    cl_uint bus = 0, slot = 0, domain = 0;
    if (clGetDeviceInfo(device, kPciBusIdNv, sizeof bus, &bus, nullptr) != CL_SUCCESS ||
        clGetDeviceInfo(device, kPciSlotIdNv, sizeof slot, &slot, nullptr) != CL_SUCCESS)
        return 0;
    if (clGetDeviceInfo(device, kPciDomainIdNv, sizeof domain, &domain, nullptr) != CL_SUCCESS) domain = 0;
    void* lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) return 0;
    uint64_t freeBytes = 0;
    auto init = reinterpret_cast<NvmlInit>(dlsym(lib, "nvmlInit_v2"));
    auto shutdown = reinterpret_cast<NvmlShutdown>(dlsym(lib, "nvmlShutdown"));
    auto byPci = reinterpret_cast<NvmlHandleByPci>(dlsym(lib, "nvmlDeviceGetHandleByPciBusId_v2"));
    auto memoryInfo = reinterpret_cast<NvmlMemoryInfo>(dlsym(lib, "nvmlDeviceGetMemoryInfo"));
    if (init && shutdown && byPci && memoryInfo && init() == 0) {
        char busId[32];
        std::snprintf(busId, sizeof busId, "%08x:%02x:%02x.0", domain, bus, slot);
        void* handle = nullptr;
        NvmlMemory mem{};
        if (byPci(busId, &handle) == 0 && memoryInfo(handle, &mem) == 0) freeBytes = mem.free;
        shutdown();
    }
    dlclose(lib);
    return freeBytes;
}

}  // namespace

uint64_t openclFreeBytes(cl_device_id device, cl_device_type type, uint64_t globalBytes) {
    if (type & CL_DEVICE_TYPE_CPU) {
        const uint64_t available = hostMemory().available;
        return globalBytes ? std::min(available, globalBytes) : available;
    }
    if (hasExtension(device, "cl_amd_device_attribute_query")) return amdFreeBytes(device);
    if (hasExtension(device, "cl_nv_device_attribute_query")) return nvidiaFreeBytes(device);
    return 0;
}

}  // namespace kernels
