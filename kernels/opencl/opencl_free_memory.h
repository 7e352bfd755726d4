// Free memory of an OpenCL device (opencl_free_memory.cpp says where it comes from).
#pragma once

#include <CL/cl.h>

#include <cstdint>

namespace kernels {

// Bytes free on `device` now, or 0 when neither the driver nor a vendor library can tell.
uint64_t openclFreeBytes(cl_device_id device, cl_device_type type, uint64_t globalBytes);

}  // namespace kernels
