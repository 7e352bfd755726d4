// Process-wide engine entry points: error names, version, device list.
#include <string>

#include "assistant/engine.h"
#include "kernels/cpu_features.h"

namespace assistant {

std::string_view errorCodeName(ErrorCode code) {
    switch (code) {
    case ErrorCode::InvalidArgument: return "InvalidArgument";
    case ErrorCode::FileNotFound: return "FileNotFound";
    case ErrorCode::IoError: return "IoError";
    case ErrorCode::InvalidFormat: return "InvalidFormat";
    case ErrorCode::UnsupportedArchitecture: return "UnsupportedArchitecture";
    case ErrorCode::UnsupportedTensorType: return "UnsupportedTensorType";
    case ErrorCode::UnsupportedTokenizer: return "UnsupportedTokenizer";
    case ErrorCode::OutOfMemory: return "OutOfMemory";
    case ErrorCode::ContextFull: return "ContextFull";
    case ErrorCode::Cancelled: return "Cancelled";
    case ErrorCode::TemplateError: return "TemplateError";
    case ErrorCode::DeviceError: return "DeviceError";
    case ErrorCode::NotImplemented: return "NotImplemented";
    case ErrorCode::Internal: return "Internal";
    }
    return "Unknown";
}

std::string_view versionString() {
    static const std::string version = [] {
        std::string v = ASSISTANT_VERSION;
        const std::string isa = kernels::cpuFeatureString(kernels::cpuFeatures());
        v += " (cpu: " + (isa.empty() ? std::string("baseline x86-64") : isa) + ")";
        return v;
    }();
    return version;
}

}  // namespace assistant
