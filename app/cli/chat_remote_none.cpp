// chat --remote in a build without the HTTP client (libcpp-httplib-dev).
#include "chat_loop.h"

namespace cli {

std::expected<ChatAnswerer, std::string> remoteChatAnswerer(const std::string&, const std::string&, const std::string&,
                                                            const assistant::GenerateParams&, std::string&) {
    return std::unexpected("this build has no HTTP client: --remote needs libcpp-httplib-dev");
}

std::expected<std::string, std::string> checkRemoteServer(const std::string&, const std::string&, const std::string&) {
    return std::unexpected("this build has no HTTP client: --remote needs libcpp-httplib-dev");
}

}  // namespace cli
