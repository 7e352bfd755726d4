// The mixture-of-experts feed-forward on the device (cl/experts.cl): router product,
// routing, the chosen experts' gate and up, SwiGLU, down and the weighted sum, all
// enqueued without reading anything back (the expert ids stay on the device).
//
// Where the formats allow (Q8_0 / Q8_1 activations), gate, up, SwiGLU and its quantization
// are one launch and the downs with their weighted sum another (fusedProducts); a one-token
// F32 router has its own product kernel (moe_router_f32). In decode, the fused gate/up
// launch also routes (each work-group from the logits), so a layer's experts take three
// launches: router, gate/up, down.
//
// Every token runs its K experts as matrix-vector products (decode's shape). Prefill
// does the same per token: correct, but each token re-reads its experts' rows; a
// grouped product (tokens sorted by expert, one GEMM each) is the step left.
#include <algorithm>
#include <iterator>

#include "cl_env.h"
#include "cl_runtime.h"

namespace kernels::opencl {
namespace {

constexpr size_t kMvLanes = 32, kMvRows = 4;  // cl/matvec.cl
constexpr size_t kRouteWg = 64;               // cl/experts.cl ROUTE_WG
constexpr int64_t kRouteMax = 512;            // cl/experts.cl ROUTE_MAX
constexpr size_t kRouterWg = 256;             // cl/experts.cl ROUTER_WG

// Per format, in WeightFormat order.
const char* const kMoeMatvec[] = {"moe_matvec_f32",  "moe_matvec_f16", "moe_matvec_q4_0", "moe_matvec_q4_1",
                                  "moe_matvec_q4f",  "moe_matvec_q8_0", "moe_matvec_q8f", "moe_matvec_bf16",
                                  "moe_matvec_iq4f", "moe_matvec_q5",  "moe_matvec_q2",   "moe_matvec_q3"};
const char* const kMoeDown[] = {"moe_down_f32",  "moe_down_f16", "moe_down_q4_0", "moe_down_q4_1",
                                "moe_down_q4f",  "moe_down_q8_0", "moe_down_q8f", "moe_down_bf16",
                                "moe_down_iq4f", "moe_down_q5",  "moe_down_q2",   "moe_down_q3"};
static_assert(std::size(kMoeMatvec) == static_cast<size_t>(WeightFormat::Q3) + 1 &&
              std::size(kMoeDown) == std::size(kMoeMatvec));

// The fused decode path (cl/experts.cl moe_gateup / moe_down2), per format; null: none.
const char* fusedName(WeightFormat f, bool gateUp) {
    switch (f) {
    case WeightFormat::Q4_0: return gateUp ? "moe_gateup_q4_0" : "moe_down2_q4_0";
    case WeightFormat::Q4_1: return gateUp ? "moe_gateup_q4_1" : "moe_down2_q4_1";
    case WeightFormat::Q8_0: return gateUp ? "moe_gateup_q8_0" : "moe_down2_q8_0";
    case WeightFormat::IQ4F: return gateUp ? "moe_gateup_iq4f" : "moe_down2_iq4f";
    case WeightFormat::Q5: return gateUp ? "moe_gateup_q5" : "moe_down2_q5";
    default: return nullptr;
    }
}
constexpr size_t kGuRows = 32, kGuLanes = 8;  // cl/experts.cl GU_ROWS, GU_LANES

// ASSISTANT_MOE_FUSED=0 takes the separate launches (for measuring one against the other).
bool fusedAllowed() {
    static const bool on = envSwitchOn("ASSISTANT_MOE_FUSED");
    return on;
}

// ASSISTANT_MOE_ROUTE_FUSED=0 keeps decode's routing a launch of its own (moe_route) while
// the products stay fused: the launch saved against the routing each gate/up group redoes.
bool routeFusedAllowed() {
    static const bool on = envSwitchOn("ASSISTANT_MOE_ROUTE_FUSED");
    return on;
}

int valueBytes(Act a) { return a == Act::F32 || a == Act::BF16 ? 4 : a == Act::F16 ? 2 : 1; }
int groupOf(Act a) { return a == Act::Q8_K ? 256 : 32; }

}  // namespace

size_t ExpertWeights::bytes() const { return router.bytes() + gate.bytes() + up.bytes() + down.bytes(); }

// Rows of x [n][ldx] (or their SwiGLU over [gate | up] when swiglu) into act's dense
// layout in s.q / s.d / s.s.
bool Backend::quantizeRows(int act, const Buffer& x, int64_t ldx, int64_t k, int64_t n, bool swiglu,
                           ExpertScratch& s) {
    Impl& b = *m_impl;
    const Act a = static_cast<Act>(act);
    const size_t rows = static_cast<size_t>(n), cols = static_cast<size_t>(k);
    if (k % groupOf(a) != 0) {
        b.fail("experts: K-quant rows must be a multiple of 256", CL_INVALID_VALUE);
        return false;
    }
    const size_t dBytes = a == Act::Q8_K ? rows * (cols / 256) * 4 : rows * (cols / 32) * 2;
    if (!grow(*this, s.q, rows * cols * valueBytes(a)) || !grow(*this, s.d, dBytes) ||
        !grow(*this, s.s, rows * (cols / 32) * 2)) {
        b.fail("experts: activation buffer allocation", CL_MEM_OBJECT_ALLOCATION_FAILURE);
        return false;
    }
    const char* name = a == Act::F32 ? "activation_f32" : a == Act::BF16 ? "round_bf16"
                       : a == Act::F16 ? "quantize_f16" : a == Act::Q8_K ? "quantize_q8_k" : "quantize_q8_0";
    cl_kernel qk = b.kernel(name);
    const int on = swiglu ? 1 : 0, ld = static_cast<int>(ldx), kk = static_cast<int>(k);
    size_t global[2] = {cols, rows};
    bool ok = false;
    if (a == Act::F32 || a == Act::BF16 || a == Act::F16) ok = qk && b.setArgs(qk, x, ld, kk, on, s.q);
    else if (a == Act::Q8_K) {
        ok = qk && b.setArgs(qk, x, ld, kk, on, s.q, s.d);
        global[0] = cols / 256;
    } else {
        static const Buffer kNone;
        ok = qk && b.setArgs(qk, x, ld, kk, on, s.q, s.d, a == Act::Q8_1 ? s.s : kNone);
        global[0] = cols / 32;
    }
    if (!ok) return false;
    const size_t local[2] = {std::min<size_t>(64, global[0]), 1};
    b.launch(name, qk, 2, global, local, static_cast<double>(rows * cols * (swiglu ? 8 : 4)));
    return true;
}

void Backend::experts(const ExpertWeights& w, const Buffer& x, int64_t tokens, const Buffer& out,
                      ExpertScratch& s, bool accumulate) {
    Impl& b = *m_impl;
    const int64_t E = w.router.cols, X = w.router.rows, K = w.used, Fe = w.gate.rows / X;
    const size_t n = static_cast<size_t>(tokens), slots = n * static_cast<size_t>(K);
    if (!grow(*this, s.logits, n * X * 4) || !grow(*this, s.ids, slots * 4) || !grow(*this, s.weights, slots * 4) ||
        !grow(*this, s.gu, slots * 2 * Fe * 4)) {
        b.fail("experts: scratch allocation", CL_MEM_OBJECT_ALLOCATION_FAILURE);
        return;
    }
    // One token whose norm left its Q8_0 quantization (1: without, 2: with the Q8_1 sums)
    // in the backend's activation buffers (rms_norm_q8): the fused path reads it there.
    // The router's product keeps it (a quantized router's matvec requantizes the same row).
    const int xInAct = tokens == 1 && x.get() && b.quantized.x == x.get() && b.quantized.cols == E
                           ? (b.quantized.sums ? 2 : 1) : 0;
    // 1. router logits [tokens][X], then ids and weights [tokens][K]
    if (w.router.format == WeightFormat::F32 && E % 4 == 0 && tokens <= 8) {  // decode: moe_router_f32
        cl_kernel rk = b.kernel("moe_router_f32");
        if (!rk || !b.setArgs(rk, w.router.a, x, static_cast<int>(E), static_cast<int>(X), s.logits)) return;
        const size_t gg[2] = {static_cast<size_t>(X) * kRouterWg, n}, gl[2] = {kRouterWg, 1};
        b.launch("moe_router_f32", rk, 2, gg, gl, static_cast<double>(X * E * 4 + static_cast<int64_t>(n) * E * 4));
    } else {
        matmul(w.router, x, E, tokens, s.logits, X, 0, false);
    }
    // Decode: the fused gate/up launch routes the token itself (where it applies).
    if (routeFusedAllowed() && tokens == 1 && X <= kRouteMax && K <= static_cast<int64_t>(kRouteWg) &&
        fusedProducts(w, x, tokens, K, out, s, xInAct, accumulate, true))
        return;
    cl_kernel route = b.kernel("moe_route");
    if (!route || !b.setArgs(route, s.logits, static_cast<int>(X), static_cast<int>(K), w.normalize ? 1 : 0, s.ids,
                             s.weights))
        return;
    const size_t rg[1] = {n * kRouteWg}, rl[1] = {kRouteWg};
    b.launch("moe_route", route, 1, rg, rl, static_cast<double>(n * X * 4));
    expertProducts(w, x, tokens, K, out, s, xInAct, accumulate);
}

void Backend::expertsChosen(const ExpertWeights& w, const Buffer& x, int64_t tokens, std::span<const int32_t> ids,
                            std::span<const float> weights, int64_t K, const Buffer& out, ExpertScratch& s) {
    Impl& b = *m_impl;
    const int64_t Fe = w.down.cols;
    const size_t slots = static_cast<size_t>(tokens * K);
    if (ids.size() < slots || weights.size() < slots) {
        b.fail("experts: fewer ids or weights than tokens x K", CL_INVALID_VALUE);
        return;
    }
    if (!grow(*this, s.ids, slots * 4) || !grow(*this, s.weights, slots * 4) || !grow(*this, s.gu, slots * 2 * Fe * 4)) {
        b.fail("experts: scratch allocation", CL_MEM_OBJECT_ALLOCATION_FAILURE);
        return;
    }
    write(s.ids, 0, ids.data(), slots * 4);
    write(s.weights, 0, weights.data(), slots * 4);
    expertProducts(w, x, tokens, K, out, s);
}

void Backend::expertProducts(const ExpertWeights& w, const Buffer& x, int64_t tokens, int64_t K, const Buffer& out,
                             ExpertScratch& s, int xInAct, bool accumulate) {
    Impl& b = *m_impl;
    const int64_t E = w.gate.cols, Fe = w.down.cols, X = w.gate.rows / Fe;
    const size_t n = static_cast<size_t>(tokens), slots = n * static_cast<size_t>(K);

    if (fusedProducts(w, x, tokens, K, out, s, xInAct, accumulate)) return;
    if (accumulate) {  // these downs write their sum: into s.sum, then added
        if (!grow(*this, s.sum, n * static_cast<size_t>(E) * 4)) {
            b.fail("experts: scratch allocation", CL_MEM_OBJECT_ALLOCATION_FAILURE);
            return;
        }
        expertProducts(w, x, tokens, K, s.sum, s, xInAct, false);
        add(out, s.sum, tokens * E);
        return;
    }

    // 2. gate and up of every (token, slot) into gu [tokens*K][2*Fe]
    int quantized = -1;
    const Weight* gateUp[2] = {&w.gate, &w.up};
    for (int part = 0; part < 2; ++part) {
        const Weight& m = *gateUp[part];
        const Act a = actOf(m);
        if (static_cast<int>(a) != quantized) {
            if (!quantizeRows(static_cast<int>(a), x, E, E, tokens, false, s)) return;
            quantized = static_cast<int>(a);
        }
        const char* name = kMoeMatvec[static_cast<int>(m.format)];
        cl_kernel k = b.kernel(name);
        if (!k || !b.setArgs(k, m.a, m.s, m.m, m.group, s.q, s.d, s.s, groupOf(a), valueBytes(a), s.ids,
                             static_cast<int>(K), s.gu, static_cast<int>(2 * Fe), static_cast<int>(part * Fe),
                             static_cast<int>(Fe), static_cast<int>(E)))
            return;
        const size_t global[3] = {(static_cast<size_t>(Fe) + kMvRows - 1) / kMvRows * kMvRows * kMvLanes,
                                  static_cast<size_t>(K), n};
        const size_t local[3] = {kMvRows * kMvLanes, 1, 1};
        b.launch(name, k, 3, global, local, static_cast<double>(m.bytes()) * K / X * static_cast<double>(n));
    }

    // 3. SwiGLU of each slot's gate | up in the down's activation type, then the
    // weighted sum of the downs into out [tokens][E]
    const Act a = actOf(w.down);
    if (!quantizeRows(static_cast<int>(a), s.gu, 2 * Fe, Fe, static_cast<int64_t>(slots), true, s)) return;
    const char* name = kMoeDown[static_cast<int>(w.down.format)];
    cl_kernel k = b.kernel(name);
    if (!k || !b.setArgs(k, w.down.a, w.down.s, w.down.m, w.down.group, s.q, s.d, s.s, groupOf(a), valueBytes(a),
                         s.ids, s.weights, static_cast<int>(K), out, static_cast<int>(E), static_cast<int>(Fe)))
        return;
    const size_t global[2] = {(static_cast<size_t>(E) + kMvRows - 1) / kMvRows * kMvRows * kMvLanes, n};
    const size_t local[2] = {kMvRows * kMvLanes, 1};
    b.launch(name, k, 2, global, local, static_cast<double>(w.down.bytes()) * K / X * static_cast<double>(n));
}

// Gate, up, SwiGLU and its quantization in one launch, then the downs and their weighted
// sum in another (cl/experts.cl): when gate and up share a format with a fused kernel and
// both sides take Q8_0 / Q8_1 activations (true: taken; a failure is recorded as any
// launch's). False (nothing enqueued) otherwise. With route, ids / weights are not given:
// the gate/up launch routes each token from s.logits (moe_route's bits) and writes them.
bool Backend::fusedProducts(const ExpertWeights& w, const Buffer& x, int64_t tokens, int64_t K, const Buffer& out,
                            ExpertScratch& s, int xInAct, bool accumulate, bool route) {
    Impl& b = *m_impl;
    const int64_t E = w.gate.cols, Fe = w.down.cols, X = w.gate.rows / Fe;
    const Act ag = actOf(w.gate), ad = actOf(w.down);
    const char* guName = fusedName(w.gate.format, true);
    const char* dnName = fusedName(w.down.format, false);
    const auto q8 = [](Act a) { return a == Act::Q8_0 || a == Act::Q8_1; };
    if (!fusedAllowed() || !guName || !dnName || w.up.format != w.gate.format || actOf(w.up) != ag || !q8(ag) ||
        !q8(ad) || Fe % static_cast<int64_t>(kGuRows) != 0)
        return false;
    const size_t n = static_cast<size_t>(tokens), slots = n * static_cast<size_t>(K), fe = static_cast<size_t>(Fe);
    const bool reuse = xInAct == 2 || (xInAct == 1 && ag == Act::Q8_0);
    if (!reuse && !quantizeRows(static_cast<int>(ag), x, E, E, tokens, false, s))
        return true;  // failed: the error is recorded
    const Buffer& xq = reuse ? b.actQ : s.q;
    const Buffer& xd = reuse ? b.actD : s.d;
    const Buffer& xs = reuse ? b.actS : s.s;
    if (!grow(*this, s.hq, slots * fe) || !grow(*this, s.hd, slots * (fe / 32) * 2) ||
        !grow(*this, s.hs, slots * (fe / 32) * 2)) {
        b.fail("experts: activation buffer allocation", CL_MEM_OBJECT_ALLOCATION_FAILURE);
        return true;  // failed: the error is recorded
    }
    static const Buffer kNone;
    const Buffer& hs = ad == Act::Q8_1 ? s.hs : kNone;
    cl_kernel gu = b.kernel(guName);
    if (!gu || !b.setArgs(gu, w.gate.a, w.gate.s, w.gate.m, w.gate.group, w.up.a, w.up.s, w.up.m, w.up.group, xq,
                          xd, xs, 32, 1, s.ids, static_cast<int>(K), s.hq, s.hd, hs, static_cast<int>(Fe),
                          static_cast<int>(E), route ? s.logits : kNone, static_cast<int>(X), w.normalize ? 1 : 0,
                          s.weights))
        return true;  // failed: the error is recorded
    const size_t gg[3] = {fe / kGuRows * kGuRows * kGuLanes, static_cast<size_t>(K), n};
    const size_t gl[3] = {kGuRows * kGuLanes, 1, 1};
    b.launch(guName, gu, 3, gg, gl,
             static_cast<double>(w.gate.bytes() + w.up.bytes()) * K / X * static_cast<double>(n) +
                 (route ? static_cast<double>(n * X * 4) : 0.0));
    cl_kernel dn = b.kernel(dnName);
    if (!dn || !b.setArgs(dn, w.down.a, w.down.s, w.down.m, w.down.group, s.hq, s.hd, hs, 32, 1, s.ids, s.weights,
                          static_cast<int>(K), out, static_cast<int>(E), static_cast<int>(Fe), accumulate ? 1 : 0))
        return true;  // failed: the error is recorded
    const size_t dg[2] = {(static_cast<size_t>(E) + kMvRows - 1) / kMvRows * kMvRows * kMvLanes, n};
    const size_t dl[2] = {kMvRows * kMvLanes, 1};
    b.launch(dnName, dn, 2, dg, dl, static_cast<double>(w.down.bytes()) * K / X * static_cast<double>(n));
    return true;
}

}  // namespace kernels::opencl
