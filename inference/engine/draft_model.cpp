#include "engine/draft_model.h"

#include <algorithm>
#include <cmath>

#include "common/log.h"
#include "engine/engine_access.h"

namespace assistant {

using detail::makeError;

namespace {

// A token's text for a message, short and with control bytes escaped.
std::string shown(const std::string& text) {
    std::string out;
    for (unsigned char c : text.substr(0, 40)) {
        if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02X", c);
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    return "'" + out + "'";
}

// The argmax (lowest id on ties, as greedy sampling) and its softmax probability.
std::pair<int32_t, float> top(std::span<const float> logits) {
    const auto best = std::max_element(logits.begin(), logits.end());
    double sum = 0;
    for (float l : logits) sum += std::exp(static_cast<double>(l - *best));
    return {static_cast<int32_t>(best - logits.begin()), static_cast<float>(1.0 / sum)};
}

}  // namespace

Status checkDraftModel(const Model& target, const Model& draft) {
    const tokenizer::Tokenizer& a = *modelImpl(target).tokenizer;
    const tokenizer::Tokenizer& b = *modelImpl(draft).tokenizer;
    auto differ = [&](auto&&... what) -> Status {
        return std::unexpected(makeError(ErrorCode::InvalidArgument, "draft model ", draft.info().path,
                                         " does not share the vocabulary of ", target.info().path, ": ", what...));
    };
    if (a.model() != b.model())
        return differ("tokenizer '", a.model(), "' in the model, '", b.model(), "' in the draft");
    if (a.vocabSize() != b.vocabSize())
        return differ(a.vocabSize(), " tokens in the model, ", b.vocabSize(), " in the draft");
    for (int32_t id = 0; id < a.vocabSize(); ++id)
        if (a.tokenText(id) != b.tokenText(id))
            return differ("token ", id, " is ", shown(a.tokenText(id)), " in the model and ", shown(b.tokenText(id)),
                          " in the draft");
    if (a.bos() != b.bos() || a.eos() != b.eos())
        return differ("BOS/EOS ids ", a.bos(), "/", a.eos(), " in the model, ", b.bos(), "/", b.eos(), " in the draft");
    return {};
}

Result<std::unique_ptr<DraftModel>> DraftModel::create(const Model& target, const SpeculativeParams& spec,
                                                       const SessionParams& targetParams, int contextSize) {
    if (!spec.draftModel)
        return std::unexpected(Error{ErrorCode::InvalidArgument, "speculative decoding: a draft model is needed"});
    if (auto ok = checkDraftModel(target, *spec.draftModel); !ok) return std::unexpected(ok.error());
    SessionParams sp;
    sp.contextLength = contextSize;
    sp.threads = targetParams.threads;
    sp.batchSize = targetParams.batchSize;
    auto session = Session::create(spec.draftModel, sp);
    if (!session) return std::unexpected(makeError(session.error().code, "draft model: ", session.error().message));
    return std::unique_ptr<DraftModel>(new DraftModel(std::move(*session)));
}

std::vector<int32_t> DraftModel::propose(std::span<const int32_t> history, int most, float minProbability,
                                         const std::atomic<bool>* cancel) {
    if (most <= 0 || history.empty() || history.size() >= static_cast<size_t>(m_session->contextSize())) return {};
    // Keep what the draft shares with the target's history; the last token is evaluated
    // again when it is cached already, for its logits.
    const std::span<const int32_t> cached = m_session->tokens();
    size_t common = std::mismatch(cached.begin(), cached.end(), history.begin(), history.end()).first - cached.begin();
    common = std::min(common, history.size() - 1);
    m_session->truncate(common);
    auto logits = m_session->evaluate(history.subspan(common), false, cancel);
    std::vector<int32_t> draft;
    while (logits) {
        const auto [id, p] = top(*logits);
        if (p < minProbability) break;
        draft.push_back(id);
        // The last guess is not evaluated: its logits are needed only when it is kept,
        // and then the next call evaluates it with the target's correction.
        if (static_cast<int>(draft.size()) == most || m_session->tokens().size() + 1 >= static_cast<size_t>(m_session->contextSize()))
            break;
        logits = m_session->evaluate(std::span(&draft.back(), 1), false, cancel);
    }
    if (!logits && logits.error().code != ErrorCode::Cancelled)
        detail::log(LogLevel::Debug, "draft model: ", logits.error().message);
    return draft;
}

}  // namespace assistant
