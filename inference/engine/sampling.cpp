// Token sampler. One call of Sampler::sample is, in order:
//   logits[vocab] -> + logit bias -> repetition / frequency / presence penalties
//   -> greedy argmax                                  (temperature <= 0)
//   -> top-k -> softmax(logit / T) -> top-p -> min-p -> draw   (otherwise)
// Everything is O(vocab) except sorting the top-k and the tokens at the top-p cut.
#include "engine/sampling.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <limits>

namespace assistant {

namespace {

constexpr uint64_t kRandomSeed = 0xFFFFFFFFull;
constexpr float kNegInf = -std::numeric_limits<float>::infinity();
constexpr float kMaxFloat = std::numeric_limits<float>::max();

using Candidate = std::pair<float, int32_t>;  // (logit, later unnormalized probability; token id)

// Descending value, ascending id on ties: the order greedy, top-k and top-p agree on.
bool ranksBefore(const Candidate& a, const Candidate& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
}

uint64_t resolveSeed(uint64_t seed) {
    if (seed != kRandomSeed) return seed;
    std::random_device device;
    return (uint64_t{device()} << 32) ^ uint64_t{device()};
}

void applyLogitBias(std::vector<float>& logits,
                    const std::vector<std::pair<int32_t, float>>& bias) {
    const auto vocab = static_cast<int64_t>(logits.size());
    for (const auto& [id, value] : bias) {
        if (id >= 0 && id < vocab) logits[static_cast<size_t>(id)] += value;
    }
}

// The tokens the penalties look at: the last repeatLastN of history, all of it
// for -1, none for 0 or any other negative value.
std::span<const int32_t> penaltyWindow(std::span<const int32_t> history, int repeatLastN) {
    if (repeatLastN == -1) return history;
    if (repeatLastN <= 0) return {};
    const auto n = std::min(history.size(), static_cast<size_t>(repeatLastN));
    return history.last(n);
}

// llama.cpp's penalties: for each distinct in-range token of the window,
//   logit = logit > 0 ? logit / repeat : logit * repeat;  logit -= count * freq + presence.
// A repeat penalty <= 0 is meaningless (it would flip signs or make NaN) and is ignored.
void applyPenalties(std::vector<float>& logits, std::span<const int32_t> window,
                    const SamplingParams& p) {
    const bool repeatOn = p.repeatPenalty > 0.0f && p.repeatPenalty != 1.0f;
    if (window.empty() || (!repeatOn && p.frequencyPenalty == 0.0f && p.presencePenalty == 0.0f))
        return;

    // Sorting a copy counts occurrences in O(window log window) without touching vocab.
    std::vector<int32_t> tokens(window.begin(), window.end());
    std::sort(tokens.begin(), tokens.end());
    const auto vocab = static_cast<int64_t>(logits.size());
    for (size_t i = 0; i < tokens.size();) {
        size_t j = i;
        while (j < tokens.size() && tokens[j] == tokens[i]) ++j;
        const int32_t id = tokens[i];
        const auto count = static_cast<float>(j - i);
        i = j;
        if (id < 0 || id >= vocab) continue;

        float& logit = logits[static_cast<size_t>(id)];
        if (repeatOn) logit = logit > 0.0f ? logit / p.repeatPenalty : logit * p.repeatPenalty;
        logit -= count * p.frequencyPenalty + p.presencePenalty;
    }
}

// Lowest id wins ties; NaN never wins (it compares false).
int32_t argmaxLowestId(const std::vector<float>& logits) {
    size_t best = 0;
    float bestLogit = kNegInf;
    for (size_t i = 0; i < logits.size(); ++i) {
        if (logits[i] > bestLogit) {
            bestLogit = logits[i];
            best = i;
        }
    }
    return static_cast<int32_t>(best);
}

// Every token that is not banned (-inf) or NaN, with +inf clamped so that the
// softmax's (logit - max) never computes inf - inf. With top-k on, keeps only the
// k best (ranksBefore order): for k small next to the vocabulary, a heap of the best
// so far with its worst on top, so that most tokens cost one comparison and nothing
// is written (heap selection, as partial_sort does it; O(vocab log k) at worst);
// otherwise everything, then nth_element.
void collectCandidates(const std::vector<float>& logits, int topK, std::vector<Candidate>& out) {
    const bool topKOn = topK > 0 && static_cast<size_t>(topK) < logits.size();
    const size_t k = topKOn ? static_cast<size_t>(topK) : logits.size();
    const bool useHeap = topKOn && k <= logits.size() / 16;
    out.clear();
    for (size_t i = 0; i < logits.size(); ++i) {
        const float logit = logits[i];
        if (!(logit > kNegInf)) continue;
        const Candidate c{std::min(logit, kMaxFloat), static_cast<int32_t>(i)};
        if (!useHeap || out.size() < k) {
            out.push_back(c);
            if (useHeap) std::push_heap(out.begin(), out.end(), ranksBefore);
        } else if (ranksBefore(c, out.front())) {  // ids only grow: a tie never enters
            std::pop_heap(out.begin(), out.end(), ranksBefore);
            out.back() = c;
            std::push_heap(out.begin(), out.end(), ranksBefore);
        }
    }
    if (!useHeap && out.size() > k) {
        std::nth_element(out.begin(), out.begin() + static_cast<ptrdiff_t>(k), out.end(),
                         ranksBefore);
        out.resize(k);
    }
}

// Replaces each logit by exp((logit - max) / T): unnormalized probabilities, the
// largest exactly 1. Returns their sum (>= 1).
double softmaxUnnormalized(std::vector<Candidate>& candidates, float temperature) {
    float maxLogit = candidates.front().first;
    for (const auto& c : candidates) maxLogit = std::max(maxLogit, c.first);
    // In double: -FLT_MAX - FLT_MAX would overflow a float, 1 / 1e-45 too.
    const double invTemperature = 1.0 / double{temperature};
    double sum = 0.0;
    for (auto& c : candidates) {
        const double scaled = (double{c.first} - double{maxLogit}) * invTemperature;
        c.first = std::exp(static_cast<float>(scaled));  // expf: float is all the weight keeps
        sum += c.first;
    }
    return sum;
}

// min-p: drop weights < minP * maxWeight (maxWeight is 1). Order-preserving.
void keepMinP(std::vector<Candidate>& candidates, float minP) {
    if (minP <= 0.0f) return;
    std::erase_if(candidates, [minP](const Candidate& c) { return c.first < minP; });
}

// top-p: keeps the shortest prefix of the (weight desc, id asc) order whose mass
// reaches topP * total (total = the softmax sum before min-p), at least one token.
// O(n) without sorting everything: a histogram of the mass by weight finds the one
// bucket the cut falls in; only that bucket's tokens are sorted. Buckets come from
// a positive float's bits, which order like its value: bits >> 20 is the exponent
// plus 3 mantissa bits, so each bucket spans a factor of 2^(1/8) and weights in
// [0, 1] fall in buckets 0..kWeightBuckets-1.
constexpr uint32_t kWeightBucketShift = 20;
constexpr size_t kWeightBuckets = (std::bit_cast<uint32_t>(1.0f) >> kWeightBucketShift) + 1;

size_t weightBucket(float weight) {
    return std::bit_cast<uint32_t>(weight) >> kWeightBucketShift;
}

void keepTopP(std::vector<Candidate>& candidates, float topP, double total) {
    if (topP >= 1.0f) return;
    const double target = double{topP} * total;

    std::array<double, kWeightBuckets> mass{};
    for (const auto& c : candidates) mass[weightBucket(c.first)] += c.first;
    size_t cut = kWeightBuckets - 1;  // the bucket holding the token that reaches target
    double above = 0.0;               // mass of the buckets above it
    while (above + mass[cut] < target) {
        if (cut == 0) return;  // rounding left the target out of reach: keep all
        above += mass[cut--];
    }

    // [first, mid): buckets above the cut, all kept; [mid, last): the cut bucket.
    const auto mid = std::partition(candidates.begin(), candidates.end(),
                                    [cut](const Candidate& c) { return weightBucket(c.first) > cut; });
    const auto last = std::partition(mid, candidates.end(),
                                     [cut](const Candidate& c) { return weightBucket(c.first) == cut; });
    std::sort(mid, last, ranksBefore);
    double cumulative = above;
    for (auto it = mid; it != last; ++it) {
        cumulative += it->first;
        if (cumulative >= target || it + 1 == last) {
            candidates.erase(it + 1, candidates.end());
            return;
        }
    }
}

// Uniform in [0, 1) from the top 53 bits: the same stream on every standard library,
// unlike std::uniform_real_distribution.
double uniformUnit(std::mt19937_64& rng) {
    return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

int32_t draw(const std::vector<Candidate>& candidates, std::mt19937_64& rng) {
    double total = 0.0;
    for (const auto& c : candidates) total += c.first;
    const double u = uniformUnit(rng) * total;
    // Same summation order as total, so the last positive weight satisfies u < cumulative.
    double cumulative = 0.0;
    for (const auto& c : candidates) {
        cumulative += c.first;
        if (u < cumulative) return c.second;
    }
    return candidates.front().second;
}

}  // namespace

Sampler::Sampler(const SamplingParams& params)
    : m_params(params), m_rng(resolveSeed(params.seed)) {}

int32_t Sampler::sample(std::span<const float> logits, std::span<const int32_t> history) {
    if (logits.empty()) return -1;

    m_work.assign(logits.begin(), logits.end());
    applyLogitBias(m_work, m_params.logitBias);
    applyPenalties(m_work, penaltyWindow(history, m_params.repeatLastN), m_params);

    // Greedy for temperature <= 0, and for NaN rather than sampling garbage.
    if (!(m_params.temperature > 0.0f)) return argmaxLowestId(m_work);

    collectCandidates(m_work, m_params.topK, m_candidates);
    if (m_candidates.empty()) return argmaxLowestId(m_work);  // everything banned

    const double total = softmaxUnnormalized(m_candidates, m_params.temperature);
    // min-p before top-p gives the same set as top-p then min-p: both keep a prefix of
    // the same order, top-p measures against the pre-min-p total, and min-p's threshold
    // (minP * the top weight) is unchanged by top-p. Filtering first shrinks the sort.
    keepMinP(m_candidates, m_params.minP);
    keepTopP(m_candidates, m_params.topP, total);
    return draw(m_candidates, m_rng);
}

}  // namespace assistant
