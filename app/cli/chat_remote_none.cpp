// chat --remote in a build without the HTTP client (libcpp-httplib-dev, nlohmann-json3-dev).
#include "chat_loop.h"

namespace cli {

std::expected<ChatAnswerer, std::string> remoteChatAnswerer(const std::string&, const std::string&, const std::string&,
                                                            const assistant::GenerateParams&, std::string&) {
    return std::unexpected("this build has no HTTP client: --remote needs libcpp-httplib-dev and nlohmann-json3-dev");
}

std::expected<std::string, std::string> checkRemoteServer(const std::string&, const std::string&, const std::string&) {
    return std::unexpected("this build has no HTTP client: --remote needs libcpp-httplib-dev and nlohmann-json3-dev");
}

}  // namespace cli
