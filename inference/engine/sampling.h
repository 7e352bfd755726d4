// Picks the next token from logits: penalties over a window of recent tokens,
// logit bias, then greedy or temperature + top-k + top-p + min-p, seeded.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "assistant/engine.h"

namespace assistant {

class Sampler {
public:
    explicit Sampler(const SamplingParams& params);

    // Chooses a token from logits[vocab] given the tokens seen so far (prompt +
    // generated; the penalty window is the last repeatLastN of them). Does not
    // modify the caller's logits. Greedy (temperature <= 0) = argmax, lowest id on ties.
    int32_t sample(std::span<const float> logits, std::span<const int32_t> history);

    const SamplingParams& params() const { return m_params; }

private:
    SamplingParams m_params;
    std::mt19937_64 m_rng;
    std::vector<float> m_work;               // logits after penalties and bias
    std::vector<std::pair<float, int32_t>> m_candidates;
};

}  // namespace assistant
