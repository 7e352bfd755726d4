// Checks a device the user chose (ModelParams::device) before a model is loaded, so
// a choice that cannot run layers is an error instead of a silent run on the CPU.
#pragma once

#include <string>
#include <string_view>

namespace app {

// "" when `device` can be used: "auto" (or empty), "cpu", an OpenCL id "opencl:P.D"
// (platform P, device D, as `assistant-cli devices` lists them), or several OpenCL ids
// separated by commas (layers split across them).
// Otherwise why not: Level Zero ids ("level_zero:D.S") name devices that the Level
// Zero backend lists with their memory, but it runs no layers (compute goes through
// OpenCL); anything else is not a device id.
std::string deviceChoiceError(std::string_view device);

}  // namespace app
