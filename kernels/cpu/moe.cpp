// Mixture-of-experts routing: softmax over the router logits, top-k, renormalization.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "kernels/ops.h"

namespace kernels {

void routeTopK(const float* logits, int64_t nExpert, int64_t k, bool normalize, ExpertChoice* out) {
    // Softmax as the reference does it: float exp(x - max), double sum, one float
    // reciprocal multiplied in.
    float maxLogit = logits[0];
    for (int64_t e = 1; e < nExpert; ++e) maxLogit = std::max(maxLogit, logits[e]);
    thread_local std::vector<float> probs;
    probs.resize(static_cast<size_t>(nExpert));
    double sum = 0.0;
    for (int64_t e = 0; e < nExpert; ++e) {
        probs[e] = std::exp(logits[e] - maxLogit);
        sum += probs[e];
    }
    const float inv = static_cast<float>(1.0 / sum);
    for (float& p : probs) p *= inv;

    thread_local std::vector<int32_t> order;
    order.resize(static_cast<size_t>(nExpert));
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int32_t a, int32_t b) {
        return probs[a] > probs[b] || (probs[a] == probs[b] && a < b);
    });
    double kept = 0.0;
    for (int64_t i = 0; i < k; ++i) {
        out[i] = ExpertChoice{order[i], probs[order[i]]};
        kept += out[i].weight;
    }
    if (!normalize) return;
    // Floor of the sum as in the reference (guards an all-underflow row).
    const float denom = std::max(static_cast<float>(kept), 6.103515625e-5f);
    for (int64_t i = 0; i < k; ++i) out[i].weight /= denom;
}

}  // namespace kernels
