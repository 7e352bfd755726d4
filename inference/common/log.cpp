#include "common/log.h"

#include <mutex>

namespace assistant {
namespace {

std::mutex& callbackMutex() {
    static std::mutex m;
    return m;
}

LogCallback& callbackSlot() {
    static LogCallback cb;
    return cb;
}

std::atomic<bool> g_haveCallback{false};

}  // namespace

void setLogCallback(LogCallback callback) {
    std::lock_guard lock(callbackMutex());
    g_haveCallback = static_cast<bool>(callback);
    callbackSlot() = std::move(callback);
}

namespace detail {

bool logEnabled() { return g_haveCallback.load(std::memory_order_relaxed); }

void logMessage(LogLevel level, std::string_view message) {
    std::lock_guard lock(callbackMutex());
    if (callbackSlot()) callbackSlot()(level, message);
}

}  // namespace detail
}  // namespace assistant
