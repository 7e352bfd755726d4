// Speculative decoding with a draft model (SpeculativeParams::Draft::Model): a small
// model with the same vocabulary, or the model itself requantized to a low-bit type,
// runs its own Session beside the target's and guesses the next tokens greedily. Its
// KV cache follows the target's accepted tokens: before each guess it keeps the prefix
// it shares with the target's history (rejected guesses are dropped there) and
// evaluates the rest in one batch.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "assistant/engine.h"

namespace assistant {

class DraftModel {
public:
    // The drafter for spec.draftModel (checked with checkDraftModel against target),
    // with a context of contextSize tokens and the target session's threads.
    static Result<std::unique_ptr<DraftModel>> create(const Model& target, const SpeculativeParams& spec,
                                                      const SessionParams& targetParams, int contextSize);

    const std::shared_ptr<const Model>& model() const { return m_session->model(); }

    // Up to `most` greedy guesses continuing history (every token so far, the just
    // sampled one last), fewer where the draft's top probability falls below
    // minProbability. Empty when the draft cannot run (its context is full, cancel):
    // a missing guess only costs speed.
    std::vector<int32_t> propose(std::span<const int32_t> history, int most, float minProbability,
                                 const std::atomic<bool>* cancel);

private:
    explicit DraftModel(std::unique_ptr<Session> session) : m_session(std::move(session)) {}
    std::unique_ptr<Session> m_session;
};

}  // namespace assistant
