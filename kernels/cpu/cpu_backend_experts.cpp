// The CPU backend's mixture-of-experts feed-forward (Backend::experts): route every
// token, then run each expert once on the tokens routed to it (prefill: all experts'
// gate/up in one parallel loop, all downs in another) or the chosen experts of one
// token in two parallel loops (decode). The sum over a token's experts
// runs in slot order (descending router weight) on both paths. routeExperts and
// expertsChosen are the two halves apart (a hot-expert cache splits a token's experts
// between the CPU and a device); uploadExpertSlots keeps views of chosen experts.
#include <algorithm>
#include <vector>

#include "cpu_backend.h"

namespace kernels::cpu {

BackendResult<WeightPtr> CpuBackend::uploadExpertSlots(const ExpertSet& set, std::span<const int32_t> experts) {
    auto w = std::make_unique<HostExperts>();
    for (int32_t e : experts) {
        if (e < 0 || static_cast<size_t>(e) >= set.gate.size()) return std::unexpected("experts: no expert " + std::to_string(e));
        w->slots[0].push_back(set.gate[e]);
        w->slots[1].push_back(set.up[e]);
        w->slots[2].push_back(set.down[e]);
    }
    w->set = set;
    w->set.gate = w->slots[0];
    w->set.up = w->slots[1];
    w->set.down = w->slots[2];
    w->rows = w->cols = set.router->cols;
    return w;
}

BackendResult<bool> CpuBackend::replaceExpertSlot(DeviceWeight& slots, int64_t slot, const DeviceWeight& staged) {
    auto& w = static_cast<HostExperts&>(slots);
    const auto& from = static_cast<const HostExperts&>(staged);
    if (slot < 0 || static_cast<size_t>(slot) >= w.slots[0].size() || from.slots[0].empty())
        return std::unexpected("experts: slot " + std::to_string(slot) + " out of range, or nothing staged");
    for (int i = 0; i < 3; ++i) w.slots[i][slot] = from.slots[i][0];
    return true;
}

void CpuBackend::expertsOneToken(const ExpertSet& set, std::span<const ExpertChoice> choice, const float* in,
                                 float* out) {
    const int64_t K = static_cast<int64_t>(choice.size()), E = set.router->cols, Fe = set.gate[0].rows;
    if (K == 0) {
        std::fill_n(out, E, 0.0f);
        return;
    }
    m_ffnA.resize(std::max<size_t>(m_ffnA.size(), K * Fe));
    m_ffnB.resize(std::max<size_t>(m_ffnB.size(), K * Fe));
    m_slots.resize(std::max<size_t>(m_slots.size(), K * E));
    // Gate and up of every chosen expert in one loop on the input quantized once, then
    // the downs in another, instead of 3K small loops.
    std::vector<MatmulItem> items;
    for (int64_t k = 0; k < K; ++k) {
        const int32_t e = choice[k].expert;
        items.push_back({&set.gate[e], in, 1, m_ffnA.data() + k * Fe});
        items.push_back({&set.up[e], in, 1, m_ffnB.data() + k * Fe});
    }
    matmulMany(*m_pool, items);
    forPieces(*m_pool, 1, K * Fe, [&](int64_t, int64_t b, int64_t e) {
        kernels::swiglu(m_ffnA.data() + b, m_ffnB.data() + b, e - b, m_ffnA.data() + b);
    });
    items.clear();
    for (int64_t k = 0; k < K; ++k)
        items.push_back({&set.down[choice[k].expert], m_ffnA.data() + k * Fe, 1, m_slots.data() + k * E});
    matmulMany(*m_pool, items);
    for (int64_t k = 0; k < K; ++k) scale(m_slots.data() + k * E, E, choice[k].weight);
    std::copy_n(m_slots.data(), E, out);
    for (int64_t k = 1; k < K; ++k) addInPlace(out, m_slots.data() + k * E, E);
}

void CpuBackend::expertsRouted(const ExpertSet& set, std::span<const ExpertChoice> choice, int64_t K,
                               const float* in, int64_t n, float* out) {
    const int64_t E = set.router->cols, X = static_cast<int64_t>(set.gate.size()), Fe = set.gate[0].rows;
    if (n == 1) {
        std::vector<ExpertChoice> chosen;  // the token's experts here, in slot order
        for (int64_t k = 0; k < K; ++k)
            if (choice[k].expert >= 0) chosen.push_back(choice[k]);
        return expertsOneToken(set, chosen, in, out);
    }

    // Each expert once on the tokens routed to it: the (token, slot) rows grouped by
    // expert (routing order within an expert), every expert's gate and up in one
    // parallel loop reading its tokens' rows of the input (quantized once for all
    // experts), then every down in another; each (token, slot) output kept apart so the
    // sum below runs in slot order, with decode's scale-then-add steps.
    std::vector<int64_t> first(static_cast<size_t>(X + 1), 0), rowOf(static_cast<size_t>(n * K), -1);
    for (int64_t i = 0; i < n * K; ++i)
        if (choice[i].expert >= 0) ++first[choice[i].expert + 1];
    for (int64_t e = 0; e < X; ++e) first[e + 1] += first[e];
    const int64_t rows = first[X];
    std::vector<int32_t> tokenOf(static_cast<size_t>(rows));
    {
        std::vector<int64_t> next(first.begin(), first.end() - 1);
        for (int64_t i = 0; i < n * K; ++i)
            if (choice[i].expert >= 0) {
                const int64_t r = next[choice[i].expert]++;
                rowOf[i] = r;
                tokenOf[r] = static_cast<int32_t>(i / K);
            }
    }
    // The ups [rows][Fe], then (SwiGLU done) the downs' outputs [rows][E] by expert in the
    // same buffer: a 512-token batch of a 30B-A3B (4,096 rows) holds 12 MiB less.
    m_ffnA.resize(std::max<size_t>(m_ffnA.size(), rows * Fe));
    m_ffnB.resize(std::max<size_t>(m_ffnB.size(), rows * std::max(Fe, E)));
    float* expertOut = m_ffnB.data();
    std::vector<MatmulItem> items;
    for (int64_t e = 0; e < X; ++e) {
        const int64_t m = first[e + 1] - first[e];
        if (m == 0) continue;
        const int32_t* tokens = tokenOf.data() + first[e];
        items.push_back({&set.gate[e], in, m, m_ffnA.data() + first[e] * Fe, tokens});  // [m][Fe]
        items.push_back({&set.up[e], in, m, m_ffnB.data() + first[e] * Fe, tokens});    // [m][Fe]
    }
    matmulMany(*m_pool, items);
    forPieces(*m_pool, 1, rows * Fe, [&](int64_t, int64_t b, int64_t e) {
        kernels::swiglu(m_ffnA.data() + b, m_ffnB.data() + b, e - b, m_ffnA.data() + b);
    });
    items.clear();
    for (int64_t e = 0; e < X; ++e) {
        const int64_t m = first[e + 1] - first[e];
        if (m > 0) items.push_back({&set.down[e], m_ffnA.data() + first[e] * Fe, m, expertOut + first[e] * E});
    }
    matmulMany(*m_pool, items);
    forEach(*m_pool, n, K * E, [&](int64_t t) {  // out[t] = w0 slot 0 + w1 slot 1 + ... (skipping empty slots)
        float* o = out + t * E;
        bool none = true;
        for (int64_t k = 0; k < K; ++k) {
            const int64_t r = rowOf[t * K + k];
            if (r < 0) continue;
            float* slot = expertOut + r * E;  // this (token, slot)'s row alone: scaled in place
            scale(slot, E, choice[t * K + k].weight);
            if (none) std::copy_n(slot, E, o);
            else addInPlace(o, slot, E);
            none = false;
        }
        if (none) std::fill_n(o, E, 0.0f);
    });
}

void CpuBackend::routeExperts(const DeviceWeight& weight, const DeviceBuffer& xb, int64_t n,
                              std::span<ExpertChoice> out) {
    const ExpertSet& set = static_cast<const HostExperts&>(weight).set;
    const int64_t X = set.router->rows, K = set.used;
    // Every token: softmax over the X router logits, top K (renormalized).
    std::vector<float> routerLogits(static_cast<size_t>(n * X));  // [n][X]
    kernels::matmul(*m_pool, *set.router, floats(xb), n, routerLogits.data());
    for (int64_t t = 0; t < n; ++t) routeTopK(&routerLogits[t * X], X, K, set.normalize, &out[t * K]);
}

void CpuBackend::expertsChosen(const DeviceWeight& weight, const DeviceBuffer& xb, int64_t n,
                               std::span<const ExpertChoice> choice, int64_t perToken, DeviceBuffer& outb) {
    expertsRouted(static_cast<const HostExperts&>(weight).set, choice, perToken, floats(xb), n, floats(outb));
}

void CpuBackend::experts(const DeviceWeight& weight, const DeviceBuffer& xb, int64_t n, DeviceBuffer& outb,
                         bool accumulate) {
    const ExpertSet& set = static_cast<const HostExperts&>(weight).set;
    std::vector<ExpertChoice> choice(static_cast<size_t>(n * set.used));  // [n][K]
    routeExperts(weight, xb, n, choice);
    if (!accumulate) return expertsRouted(set, choice, set.used, floats(xb), n, floats(outb));
    const int64_t E = set.router->cols;
    m_expertsSum.resize(std::max<size_t>(m_expertsSum.size(), static_cast<size_t>(n * E)));
    expertsRouted(set, choice, set.used, floats(xb), n, m_expertsSum.data());
    addFloats(*m_pool, floats(outb), m_expertsSum.data(), n * E);
}

}  // namespace kernels::cpu
