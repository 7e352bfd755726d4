#include <gtest/gtest.h>

#include <string>

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

TEST(EngineApi, LogCallbackCanBeSetAndCleared) {
    assistant::setLogCallback([](assistant::LogLevel, std::string_view) {});
    assistant::setLogCallback(nullptr);
    SUCCEED();
}
