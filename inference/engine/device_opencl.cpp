// Opening an OpenCL device for the placement (builds with OpenCL).
#include <cstdlib>

#include "kernels/opencl_backend.h"
#include "common/log.h"
#include "engine/placement.h"

namespace arch {

using assistant::detail::cat;
namespace cl = kernels::opencl;

std::shared_ptr<kernels::Backend> openDevice(const std::string& id, std::shared_ptr<cl::Backend>& opencl,
                                             std::string& note) {
    const char* profile = std::getenv("ASSISTANT_OPENCL_PROFILE");
    auto be = cl::Backend::create(id, profile && *profile && std::string(profile) != "0");
    if (!be) {
        note = cat("OpenCL device ", id, " unusable (", be.error(), "): running on the CPU");
        return nullptr;
    }
    opencl = std::shared_ptr<cl::Backend>(std::move(*be));
    assistant::detail::log(assistant::LogLevel::Info, "OpenCL ", opencl->deviceName(),
                           opencl->programFromCache() ? ": kernels from the disk cache" : ": kernels compiled");
    return cl::makeDeviceBackend(opencl);
}

std::string autoDevice(std::string& note) {
    std::string id = cl::firstOpenclGpu();
    if (id.empty()) note = "no OpenCL GPU found (no platform, or no device of GPU type): running on the CPU";
    return id;
}

std::vector<cl::KernelStat> deviceStats(cl::Backend* opencl) {
    if (!opencl) return {};
    std::lock_guard<std::mutex> g(opencl->lock());
    return opencl->takeStats();
}

}  // namespace arch
