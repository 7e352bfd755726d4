// JSON in the server tests: response bodies parsed with the project's json::Value (a
// body that does not parse fails the test and reads as null), and values printed as
// JSON text in failure messages.
#pragma once

#include <gtest/gtest.h>

#include <ostream>
#include <string_view>

#include "json/json.h"

namespace json {
inline void PrintTo(const Value& v, std::ostream* os) { *os << v.dump(); }
}  // namespace json

namespace server_test {

inline json::Value parseJson(std::string_view text) {
    auto v = json::Value::parse(text);
    EXPECT_TRUE(v.has_value()) << (v ? std::string() : v.error()) << ": " << text.substr(0, 200);
    return v ? std::move(*v) : json::Value();
}

}  // namespace server_test
