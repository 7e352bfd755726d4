#include "assistant/engine.h"

namespace assistant {

struct Session::Impl {
    std::shared_ptr<const Model> model;
    std::vector<int32_t> tokens;
    int contextSize = 0;
};

Session::Session(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Session::~Session() = default;

Result<std::unique_ptr<Session>> Session::create(std::shared_ptr<const Model> model,
                                                 const SessionParams&) {
    if (!model) return std::unexpected(Error{ErrorCode::InvalidArgument, "Session::create: no model"});
    return std::unexpected(Error{ErrorCode::NotImplemented, "sessions are not implemented yet"});
}

namespace {
Error notYet() { return Error{ErrorCode::NotImplemented, "generation is not implemented yet"}; }
}  // namespace

Result<GenerateResult> Session::generate(std::span<const Message>, const GenerateParams&, const TokenSink&) {
    return std::unexpected(notYet());
}
Result<GenerateResult> Session::generate(std::string_view, const GenerateParams&, const TokenSink&) {
    return std::unexpected(notYet());
}
Result<GenerateResult> Session::generate(std::span<const int32_t>, const GenerateParams&, const TokenSink&) {
    return std::unexpected(notYet());
}
Result<std::vector<float>> Session::evaluate(std::span<const int32_t>, bool, const std::atomic<bool>*) {
    return std::unexpected(notYet());
}
void Session::reset() { m_impl->tokens.clear(); }
void Session::truncate(int n) {
    if (n >= 0 && static_cast<size_t>(n) < m_impl->tokens.size()) m_impl->tokens.resize(n);
}
std::span<const int32_t> Session::tokens() const { return m_impl->tokens; }
const std::shared_ptr<const Model>& Session::model() const { return m_impl->model; }
int Session::contextSize() const { return m_impl->contextSize; }

}  // namespace assistant
