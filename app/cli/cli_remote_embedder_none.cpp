// --remote-embeddings in a build without the HTTP client (no cpp-httplib or nlohmann-json).
#include "cli_rag.h"

namespace cli {

std::expected<rag::Embedder, std::string> remoteEmbedder(const std::string&, const std::string&, const std::string&) {
    return std::unexpected("--remote-embeddings needs the HTTP client, which this build left out (cpp-httplib and "
                           "nlohmann-json were not found)");
}

}  // namespace cli
