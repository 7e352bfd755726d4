// RagAnswerer in a build without the document index (ASSISTANT_WITH_RAG=OFF): `--db` is
// refused with the reason, so the server never holds one and its routes never call the rest.
#include "rag_answerer.h"

namespace server {

struct RagAnswerer::Impl {};

RagAnswerer::RagAnswerer(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
RagAnswerer::~RagAnswerer() = default;

ApiResult<std::unique_ptr<RagAnswerer>> RagAnswerer::open(const std::string&, std::shared_ptr<const assistant::Model>,
                                                          const std::string&) {
    return std::unexpected(ApiError{400, "--db: this build has no document index (configured with ASSISTANT_WITH_RAG=OFF)"});
}

std::vector<std::string> RagAnswerer::collections() { return {}; }
bool RagAnswerer::hasCollection(const std::string&) { return false; }

ApiResult<RagPrompt> RagAnswerer::prepare(const std::string& collection, const std::vector<assistant::Message>&,
                                          std::shared_ptr<const assistant::Model>, int, int) {
    return std::unexpected(ApiError{404, "'rag:" + collection + "': this build has no document index", "invalid_request_error",
                                    "model", "model_not_found"});
}

json::Value RagAnswerer::citations(const std::string&, const json::Value& sources) { return sources; }

}  // namespace server
