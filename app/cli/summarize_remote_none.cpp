// summarize --remote in a build without the HTTP client.
#include "summarize_remote.h"

namespace cli {

std::expected<rag::SummaryWriter, std::string> remoteSummaryWriter(const std::string&, const std::string&,
                                                                   const std::string&, int, std::string&) {
    return std::unexpected("this build has no HTTP client: --remote needs libcpp-httplib-dev");
}

}  // namespace cli
