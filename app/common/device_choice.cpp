#include "device_choice.h"

#include <cctype>

namespace app {

namespace {

// "P.D" with decimal P and D.
bool isPlatformDevice(std::string_view s) {
    const size_t dot = s.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 == s.size()) return false;
    for (size_t i = 0; i < s.size(); ++i)
        if (i != dot && !std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    return true;
}

}  // namespace

std::string deviceChoiceError(std::string_view device) {
    if (const size_t comma = device.find(','); comma != std::string_view::npos) {  // several OpenCL devices
        for (std::string_view rest = device; !rest.empty();) {
            const size_t end = std::min(rest.find(','), rest.size());
            const std::string_view one = rest.substr(0, end);
            if (!one.starts_with("opencl:")) return "'" + std::string(one) + "': only OpenCL devices can share layers";
            if (std::string why = deviceChoiceError(one); !why.empty()) return why;
            rest = end < rest.size() ? rest.substr(end + 1) : std::string_view();
        }
        return {};
    }
    const std::string quoted = "'" + std::string(device) + "'";
    if (device.empty() || device == "auto" || device == "cpu") return {};
    if (device.starts_with("opencl:")) {
        if (isPlatformDevice(device.substr(7))) return {};
        return "device " + quoted + " is not an OpenCL device id: use opencl:P.D as `assistant-cli devices` lists it";
    }
    if (device.starts_with("level_zero:"))
        return "device " + quoted +
               " is a Level Zero device: the Level Zero backend only lists devices and their memory, it cannot run "
               "model layers; choose the same GPU's opencl:P.D id (`assistant-cli devices`), auto or cpu";
    return "unknown device " + quoted + ": use auto, cpu or an opencl:P.D id from `assistant-cli devices`";
}

}  // namespace app
