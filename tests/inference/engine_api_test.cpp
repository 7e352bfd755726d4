#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "assistant/engine.h"

TEST(EngineApi, ErrorCodesHaveNames) {
    EXPECT_EQ(assistant::errorCodeName(assistant::ErrorCode::InvalidFormat), "InvalidFormat");
    EXPECT_EQ(assistant::errorCodeName(assistant::ErrorCode::Cancelled), "Cancelled");
}

TEST(EngineApi, CpuIsTheFirstDevice) {
    const auto devices = assistant::listDevices();
    ASSERT_FALSE(devices.empty());
    EXPECT_EQ(devices.front().id, "cpu");
    EXPECT_EQ(devices.front().backend, "cpu");
    EXPECT_GT(devices.front().memoryBytes, 0u);
}

TEST(EngineApi, VersionNamesTheProjectVersion) {
    const std::string v(assistant::versionString());
    EXPECT_EQ(v.rfind(ASSISTANT_TEST_VERSION, 0), 0u) << v;
}

TEST(EngineApi, MissingFileIsAnErrorNotACrash) {
    const auto model = assistant::Model::load("/nonexistent/dir/model.gguf");
    ASSERT_FALSE(model.has_value());
    EXPECT_FALSE(model.error().message.empty());
}

// The engine never prints: its diagnostics reach the callback, and nothing after it
// is cleared. Loading a model always logs what was loaded.
TEST(EngineApi, LogCallbackReceivesMessagesUntilCleared) {
    const std::string path = ASSISTANT_SOURCE_DIR "/resources/models/stories260K.gguf";
    std::mutex mutex;  // the callback may run on any engine thread
    std::vector<std::pair<assistant::LogLevel, std::string>> messages;
    assistant::setLogCallback([&](assistant::LogLevel level, std::string_view message) {
        std::lock_guard lock(mutex);
        messages.emplace_back(level, std::string(message));
    });
    auto model = assistant::Model::load(path);
    ASSERT_TRUE(model.has_value()) << model.error().message;
    size_t seen = 0;
    {
        std::lock_guard lock(mutex);
        seen = messages.size();
        const bool named = std::any_of(messages.begin(), messages.end(), [&](const auto& m) {
            return m.first == assistant::LogLevel::Info && m.second.find("loaded " + path) != std::string::npos;
        });
        EXPECT_TRUE(named) << "no Info message naming the loaded file among " << messages.size();
    }
    assistant::setLogCallback(nullptr);
    model = assistant::Model::load(path);
    ASSERT_TRUE(model.has_value());
    std::lock_guard lock(mutex);
    EXPECT_EQ(messages.size(), seen) << "a cleared callback was still called: " << messages.back().second;
}
