// The OpenCL device under test behind kernels/backend.h ($ASSISTANT_TEST_OPENCL_DEVICE, else
// the first OpenCL device), for the op tests of kernels_opencl_test.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "kernels/backend.h"
#include "kernels/device_list.h"
#include "kernels/opencl_backend.h"
#include "shared_data.h"

namespace kernels_test {

// Null with the reason in `why` when there is no device or it cannot be opened.
inline std::unique_ptr<kernels::Backend> deviceBackend(std::string& why) {
    std::string id;
    if (const char* e = std::getenv("ASSISTANT_TEST_OPENCL_DEVICE"); e && *e) id = e;
    else if (auto devices = kernels::openclDevices(); !devices.empty()) id = devices.front().id;
    if (id.empty()) {
        why = "no OpenCL device (install pocl-opencl-icd)";
        return nullptr;
    }
    auto cl = kernels::opencl::Backend::create(id);
    if (!cl) {
        why = cl.error();
        return nullptr;
    }
    return kernels::opencl::makeDeviceBackend(std::shared_ptr<kernels::opencl::Backend>(std::move(*cl)));
}

}  // namespace kernels_test

// Declares `dev`; skips without a device outside CI, fails in CI or when a device failed to open.
#define REQUIRE_DEVICE(dev)                                                    \
    std::string why;                                                           \
    auto dev = kernels_test::deviceBackend(why);                               \
    if (!dev) {                                                                \
        if (testdata::inCi() || why.rfind("no OpenCL", 0) != 0) FAIL() << why; \
        GTEST_SKIP() << why;                                                   \
    }
