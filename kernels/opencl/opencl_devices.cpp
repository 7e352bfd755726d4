// OpenCL device enumeration through the ICD loader.
#include <CL/cl.h>

#include <string>
#include <vector>

#include "kernels/device_list.h"
#include "opencl_free_memory.h"

namespace kernels {
namespace {

std::string deviceString(cl_device_id device, cl_device_info what) {
    size_t size = 0;
    if (clGetDeviceInfo(device, what, 0, nullptr, &size) != CL_SUCCESS || size == 0) return {};
    std::string s(size, '\0');
    if (clGetDeviceInfo(device, what, size, s.data(), nullptr) != CL_SUCCESS) return {};
    while (!s.empty() && s.back() == '\0') s.pop_back();
    return s;
}

template <class T>
T deviceValue(cl_device_id device, cl_device_info what) {
    T value{};
    clGetDeviceInfo(device, what, sizeof(T), &value, nullptr);
    return value;
}

const char* typeName(cl_device_type type) {
    if (type & CL_DEVICE_TYPE_GPU) return "gpu";
    if (type & CL_DEVICE_TYPE_CPU) return "cpu";
    return "accelerator";
}

}  // namespace

std::vector<DeviceDesc> openclDevices() {
    std::vector<DeviceDesc> out;
    cl_uint platformCount = 0;
    if (clGetPlatformIDs(0, nullptr, &platformCount) != CL_SUCCESS || platformCount == 0) return out;
    std::vector<cl_platform_id> platforms(platformCount);
    if (clGetPlatformIDs(platformCount, platforms.data(), nullptr) != CL_SUCCESS) return out;
    for (cl_uint p = 0; p < platformCount; ++p) {
        cl_uint deviceCount = 0;
        if (clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, 0, nullptr, &deviceCount) != CL_SUCCESS) continue;
        std::vector<cl_device_id> devices(deviceCount);
        if (clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, deviceCount, devices.data(), nullptr) != CL_SUCCESS)
            continue;
        for (cl_uint d = 0; d < deviceCount; ++d) {
            DeviceDesc desc;
            desc.id = "opencl:" + std::to_string(p) + "." + std::to_string(d);
            desc.name = deviceString(devices[d], CL_DEVICE_NAME);
            desc.backend = "opencl";
            const auto type = deviceValue<cl_device_type>(devices[d], CL_DEVICE_TYPE);
            desc.type = typeName(type);
            desc.memoryBytes = deviceValue<cl_ulong>(devices[d], CL_DEVICE_GLOBAL_MEM_SIZE);
            desc.freeBytes = openclFreeBytes(devices[d], type, desc.memoryBytes);
            desc.details = deviceString(devices[d], CL_DEVICE_VERSION) + "; driver " +
                           deviceString(devices[d], CL_DRIVER_VERSION) + "; " +
                           std::to_string(deviceValue<cl_uint>(devices[d], CL_DEVICE_MAX_COMPUTE_UNITS)) +
                           " compute units";
            out.push_back(std::move(desc));
        }
    }
    return out;
}

}  // namespace kernels
