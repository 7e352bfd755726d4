#include <gtest/gtest.h>

#include "device_choice.h"

namespace {

struct Case {
    const char* device;
    const char* errorPart;  // nullptr: accepted
};

TEST(DeviceChoice, AcceptsRunnableDevicesAndSaysWhyNotForOthers) {
    const Case cases[] = {
        {"", nullptr},
        {"auto", nullptr},
        {"cpu", nullptr},
        {"opencl:0.0", nullptr},
        {"opencl:1.12", nullptr},
        {"opencl:0", "not an OpenCL device id"},  // engine.h once documented this form
        {"opencl:a.b", "not an OpenCL device id"},
        {"level_zero:0.0", "only lists devices"},
        {"level_zero:0:1", "only lists devices"},
        {"cuda:0", "unknown device 'cuda:0'"},
    };
    for (const Case& c : cases) {
        const std::string why = app::deviceChoiceError(c.device);
        if (!c.errorPart) {
            EXPECT_EQ(why, "") << c.device;
        } else {
            EXPECT_NE(why.find(c.errorPart), std::string::npos) << c.device << ": " << why;
        }
    }
}

}  // namespace
