// Builds without OpenCL: every layer stays on the CPU, and the placement says why.
#include "kernels/opencl_backend.h"
#include "engine/placement.h"

namespace arch {

std::shared_ptr<kernels::Backend> openDevice(const std::string&, std::shared_ptr<kernels::opencl::Backend>&,
                                             std::string& note) {
    note = "this build has no GPU backend (built without OpenCL): running on the CPU";
    return nullptr;
}

std::string autoDevice(std::string& note) {
    note = "this build has no GPU backend (built without OpenCL): running on the CPU";
    return {};
}

std::vector<kernels::opencl::KernelStat> deviceStats(kernels::opencl::Backend*) { return {}; }

}  // namespace arch
