// --remote-embeddings in a build without the HTTP client (no cpp-httplib).
#include "cli_rag.h"

namespace cli {

std::expected<rag::Embedder, std::string> remoteEmbedder(const std::string&, const std::string&, const std::string&) {
    return std::unexpected("--remote-embeddings needs the HTTP client, which this build left out (cpp-httplib was "
                           "not found)");
}

}  // namespace cli
