// Mixture-of-experts feed-forward (cl_experts.cpp): routing and the chosen experts'
// products, with the expert ids read on the device (no host round trip).
//
// An expert set is stored as three stacked matrices: gate and up [X*Fe][E], down
// [X*E][Fe]; expert e's rows start at e*Fe (e*E). Since every format addresses a block
// as row * (cols/32) + b, the matvec's DOT functions (matvec.cl) read an expert by
// offsetting the row. Activations of token (or slot) i start at xq + i*cols*xbytes,
// xd + i*(cols/xg)*xdbytes and xs + i*(cols/32)*2 (quantize.cl's dense layout).

// Routing of one token: softmax of its X router logits l (X <= ROUTE_MAX), the K most
// probable (K <= ROUTE_WG) in descending order (ties: lower id first), weights divided by
// their sum (in pick order; floored as kernels::routeTopK does) when normalize, into
// chosen / chosenId [K] (local). Maximum and sum are tree reductions over the work-group's
// first ROUTE_WG items (the others only meet the barriers), so every caller gets the same
// bits whatever its group size (one item per token made each layer wait on ~1,000 serial
// exp's). The picks are ranks: each probability counts those ahead of it (larger, or
// equal at a lower id), no barrier per pick (moe_gateup's every group routes: K rounds
// of reductions each doubled its time on PoCL). p [ROUTE_MAX], rv [ROUTE_WG]: scratch.
#define ROUTE_WG 64
#define ROUTE_MAX 512
inline void route_topk(global const float* l, int X, int K, int normalize, int lid, local float* p, local float* rv,
                       local float* chosen, local int* chosenId) {
    const bool on = lid < ROUTE_WG;
    float m = -INFINITY;
    if (on)
        for (int e = lid; e < X; e += ROUTE_WG) m = fmax(m, l[e]);
    if (on) rv[lid] = m;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = ROUTE_WG / 2; s > 0; s >>= 1) {
        if (lid < s) rv[lid] = fmax(rv[lid], rv[lid + s]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float mx = rv[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    float sum = 0.0f;
    if (on)
        for (int e = lid; e < X; e += ROUTE_WG) {
            p[e] = exp(l[e] - mx);
            sum += p[e];
        }
    if (on) rv[lid] = sum;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = ROUTE_WG / 2; s > 0; s >>= 1) {
        if (lid < s) rv[lid] += rv[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float inv = 1.0f / rv[0];
    if (on)
        for (int e = lid; e < X; e += ROUTE_WG) p[e] *= inv;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int e = lid; e < X; e += get_local_size(0)) {
        const float pe = p[e];
        int rank = 0;
        for (int j = 0; j < X && rank < K; ++j) rank += p[j] > pe || (p[j] == pe && j < e);
        if (rank < K) {
            chosen[rank] = pe;
            chosenId[rank] = e;
        }
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    float kept = 0.0f;
    for (int k = 0; k < K; ++k) kept += chosen[k];
    barrier(CLK_LOCAL_MEM_FENCE);  // all have read chosen
    if (lid < K && normalize) chosen[lid] = chosen[lid] / fmax(kept, 6.103515625e-5f);
    barrier(CLK_LOCAL_MEM_FENCE);
}

// Routing, one work-group of ROUTE_WG items per token: ids / weights [tokens][K].
kernel void moe_route(global const float* logits, int X, int K, int normalize, global int* ids,
                      global float* weights) {
    local float p[ROUTE_MAX];
    local float rv[ROUTE_WG];
    local float chosen[ROUTE_WG];
    local int chosenId[ROUTE_WG];
    const int t = get_group_id(0), lid = get_local_id(0);
    route_topk(logits + (size_t)t * X, X, K, normalize, lid, p, rv, chosen, chosenId);
    if (lid < K) {
        ids[t * K + lid] = chosenId[lid];
        weights[t * K + lid] = chosen[lid];
    }
}

// Router logits of one-token rows with F32 router weights: logits[t*rows + r] = w[r] . x[t],
// a work-group of ROUTER_WG items per (row, token), float4 loads, two in flight (the
// generic matvec gave a 128-row router 32 work-groups: 15 us a layer on the H200).
#define ROUTER_WG 256
kernel void moe_router_f32(global const float* w, global const float* x, int cols, int rows, global float* logits) {
    local float red[ROUTER_WG];
    local float part[ROUTER_WG / 32];
    const int r = get_group_id(0), t = get_group_id(1), lid = get_local_id(0), n4 = cols / 4;
    global const float4* wr = (global const float4*)(w + (size_t)r * cols);
    global const float4* xr = (global const float4*)(x + (size_t)t * cols);
    float a0 = 0.0f, a1 = 0.0f;
    int i = lid;
    for (; i + ROUTER_WG < n4; i += 2 * ROUTER_WG) {
        a0 += dot(wr[i], xr[i]);
        a1 += dot(wr[i + ROUTER_WG], xr[i + ROUTER_WG]);
    }
    if (i < n4) a0 += dot(wr[i], xr[i]);
    const float s = lanes32_sum(a0 + a1, red, lid);
    if ((lid & 31) == 0) part[lid / 32] = s;
    barrier(CLK_LOCAL_MEM_FENCE);
    if (lid == 0) {
        float total = 0.0f;
        for (int k = 0; k < ROUTER_WG / 32; ++k) total += part[k];
        logits[(size_t)t * rows + r] = total;
    }
}

// out[(t*K + k)*ldo + ooff + r] = expert ids[t*K+k]'s row r · x[t]; work-group: MV_ROWS rows x
// MV_LANES lanes; group (row block, slot k, token t).
#define DEFINE_MOE_MATVEC(NAME, DOT)                                                                    \
    kernel void NAME(WARGS, XARGS, int xbytes, global const int* ids, int K, global float* out, int ldo,    \
                     int ooff, int rows, int cols) {                                                    \
        local float red[MV_ROWS * MV_LANES];                                                            \
        const int lid = get_local_id(0), lane = lid % MV_LANES;                                         \
        const int row = get_group_id(0) * MV_ROWS + lid / MV_LANES;                                     \
        const int k = get_group_id(1), t = get_group_id(2), nb = cols / 32;                             \
        const int id = ids[t * K + k];                                                                  \
        if (id < 0) return; /* no expert in this slot (the whole group returns) */                      \
        const size_t wrow = (size_t)id * rows + row;                                                    \
        global const uchar* tq = xq + (size_t)t * cols * xbytes;                                        \
        global const uchar* td = xd + (size_t)t * (cols / xg) * (xg == 32 ? 2 : 4);                     \
        global const uchar* ts = xs ? xs + (size_t)t * nb * 2 : xs;                                     \
        float acc = 0.0f;                                                                               \
        if (row < rows)                                                                                 \
            for (int b = lane; b < nb; b += MV_LANES) acc += DOT(wa, ws, wm, wg, tq, td, ts, xg, wrow * nb + b, b); \
        red[lid] = acc;                                                                                 \
        for (int s = MV_LANES / 2; s > 0; s >>= 1) {                                                    \
            barrier(CLK_LOCAL_MEM_FENCE);                                                               \
            if (lane < s) red[lid] += red[lid + s];                                                     \
        }                                                                                               \
        if (lane == 0 && row < rows) out[(size_t)(t * K + k) * ldo + ooff + row] = red[lid];                   \
    }

// out[t*rows + r] = sum over slots k (in order) of weights[t*K+k] * (expert ids[t*K+k]'s
// down row r · h[t*K + k]); group (row block, token t).
#define DEFINE_MOE_DOWN(NAME, DOT)                                                                      \
    kernel void NAME(WARGS, XARGS, int xbytes, global const int* ids, global const float* weights, int K,  \
                     global float* out, int rows, int cols) {                                           \
        local float red[MV_ROWS * MV_LANES];                                                            \
        const int lid = get_local_id(0), lane = lid % MV_LANES;                                         \
        const int row = get_group_id(0) * MV_ROWS + lid / MV_LANES;                                     \
        const int t = get_group_id(1), nb = cols / 32;                                                  \
        float total = 0.0f;                                                                             \
        for (int k = 0; k < K; ++k) {                                                                   \
            const int slot = t * K + k;                                                                 \
            if (ids[slot] < 0) continue; /* no expert: the same for the whole group */                  \
            const size_t wrow = (size_t)ids[slot] * rows + row;                                         \
            global const uchar* tq = xq + (size_t)slot * cols * xbytes;                                 \
            global const uchar* td = xd + (size_t)slot * (cols / xg) * (xg == 32 ? 2 : 4);              \
            global const uchar* ts = xs ? xs + (size_t)slot * nb * 2 : xs;                              \
            float acc = 0.0f;                                                                           \
            if (row < rows)                                                                             \
                for (int b = lane; b < nb; b += MV_LANES) acc += DOT(wa, ws, wm, wg, tq, td, ts, xg, wrow * nb + b, b); \
            barrier(CLK_LOCAL_MEM_FENCE);                                                               \
            red[lid] = acc;                                                                             \
            for (int s = MV_LANES / 2; s > 0; s >>= 1) {                                                \
                barrier(CLK_LOCAL_MEM_FENCE);                                                           \
                if (lane < s) red[lid] += red[lid + s];                                                 \
            }                                                                                           \
            barrier(CLK_LOCAL_MEM_FENCE);                                                               \
            total += red[lid - lane] * weights[slot];                                                   \
        }                                                                                               \
        if (lane == 0 && row < rows) out[(size_t)t * rows + row] = total;                               \
    }

DEFINE_MOE_MATVEC(moe_matvec_f32, dot32_f32)
DEFINE_MOE_MATVEC(moe_matvec_f16, dot32_f16)
DEFINE_MOE_MATVEC(moe_matvec_q4_0, dot32_q4_0)
DEFINE_MOE_MATVEC(moe_matvec_q4_1, dot32_q4_1)
DEFINE_MOE_MATVEC(moe_matvec_q4f, dot32_q4f)
DEFINE_MOE_MATVEC(moe_matvec_q8_0, dot32_q8_0)
DEFINE_MOE_MATVEC(moe_matvec_q8f, dot32_q8f)
DEFINE_MOE_MATVEC(moe_matvec_bf16, dot32_bf16)
DEFINE_MOE_MATVEC(moe_matvec_iq4f, dot32_iq4f)
DEFINE_MOE_MATVEC(moe_matvec_q5, dot32_q5)
DEFINE_MOE_MATVEC(moe_matvec_q2, dot32_q2)
DEFINE_MOE_MATVEC(moe_matvec_q3, dot32_q3)

DEFINE_MOE_DOWN(moe_down_f32, dot32_f32)
DEFINE_MOE_DOWN(moe_down_f16, dot32_f16)
DEFINE_MOE_DOWN(moe_down_q4_0, dot32_q4_0)
DEFINE_MOE_DOWN(moe_down_q4_1, dot32_q4_1)
DEFINE_MOE_DOWN(moe_down_q4f, dot32_q4f)
DEFINE_MOE_DOWN(moe_down_q8_0, dot32_q8_0)
DEFINE_MOE_DOWN(moe_down_q8f, dot32_q8f)
DEFINE_MOE_DOWN(moe_down_bf16, dot32_bf16)
DEFINE_MOE_DOWN(moe_down_iq4f, dot32_iq4f)
DEFINE_MOE_DOWN(moe_down_q5, dot32_q5)
DEFINE_MOE_DOWN(moe_down_q2, dot32_q2)
DEFINE_MOE_DOWN(moe_down_q3, dot32_q3)

// Decode's fused path (cl_experts.cpp, Q8_0 / Q8_1 activations on both sides):
//
// moe_gateup: one launch for gate and up of every (token, slot): a work-group holds
// GU_ROWS rows x GU_LANES lanes, each lane reading a block of gate and of up per step (the
// activation block once for both, two steps' loads in flight). The group's 32 rows are one
// 32-value block of the SwiGLU output silu(gate) * up, quantized there as quantize_q8_0
// does (d = amax / 127, q = rint(h * 127 / amax), s = d * sum(q) when hs): the down's
// activation, [slot][rows] in hq, [slot][rows/32] in hd / hs, with no float round trip and
// no quantize launch. rows (the expert's width Fe) is a multiple of 32. Group (row block,
// slot k, token t).
// With logits (decode: the token's X router logits), every group first routes the token
// itself (route_topk: moe_route's bits) and takes slot k's id from that; group (0, 0, t)
// writes ids / weights for the down, which runs after on the in-order queue (one launch
// less a layer; the routing is cheap next to a group's rows). Without, ids are read.
#define GU_ROWS 32
#define GU_LANES 8
#ifdef ASSISTANT_NV_DP4A
inline float lanes8_sum(float v, local float* red, int lid) {
    for (int m = GU_LANES / 2; m > 0; m >>= 1) v += shfl_xor(v, m);
    return v;
}
#else
inline float lanes8_sum(float v, local float* red, int lid) {
    red[lid] = v;
    for (int s = GU_LANES / 2; s > 0; s >>= 1) {
        barrier(CLK_LOCAL_MEM_FENCE);
        if ((lid % GU_LANES) < s) red[lid] += red[lid + s];
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    const float r = red[lid - lid % GU_LANES];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}
#endif

#define GU_DOT(DOT, A, S, M, G, b) DOT(A, S, M, G, tq, td, ts, xg, wrow * nb + (b), (b))
#define DEFINE_MOE_GATEUP(NAME, DOT)                                                                 \
    kernel void NAME(WARGS, global const uchar* ua, global const uchar* us, global const uchar* um, int ug, \
                     XARGS, int xbytes, global int* ids, int K, global char* hq, global half* hd,             \
                     global half* hs, int rows, int cols, global const float* logits, int X, int normalize,   \
                     global float* weights) {                                                         \
        local float red[GU_ROWS * GU_LANES];                                                          \
        local float h[GU_ROWS];                                                                       \
        local float p[ROUTE_MAX], rv[ROUTE_WG], chosen[ROUTE_WG];                                     \
        local int chosenId[ROUTE_WG];                                                                 \
        const int lid = get_local_id(0), lane = lid % GU_LANES, r = lid / GU_LANES;                  \
        const int row0 = get_group_id(0) * GU_ROWS, row = row0 + r;                                   \
        const int k = get_group_id(1), t = get_group_id(2), nb = cols / 32, slot = t * K + k;         \
        if (logits) { /* the same for the whole launch: the barriers inside are met by all */         \
            route_topk(logits + (size_t)t * X, X, K, normalize, lid, p, rv, chosen, chosenId);        \
            if (get_group_id(0) == 0 && k == 0 && lid < K) {                                          \
                ids[t * K + lid] = chosenId[lid];                                                     \
                weights[t * K + lid] = chosen[lid];                                                   \
            }                                                                                         \
        }                                                                                             \
        const int id = logits ? chosenId[k] : ids[slot];                                              \
        /* id < 0: no expert in this slot (down skips it); the group still meets its barriers */     \
        /* (PoCL mis-runs the code after them when the whole group returned before) */               \
        const size_t wrow = (size_t)max(id, 0) * rows + row;                                          \
        global const uchar* tq = xq + (size_t)t * cols * xbytes;                                      \
        global const uchar* td = xd + (size_t)t * (cols / xg) * (xg == 32 ? 2 : 4);                   \
        global const uchar* ts = xs ? xs + (size_t)t * nb * 2 : xs;                                   \
        float g0 = 0.0f, g1 = 0.0f, u0 = 0.0f, u1 = 0.0f;                                             \
        int b = id < 0 ? nb : lane;                                                                   \
        for (; b + GU_LANES < nb; b += 2 * GU_LANES) {                                                \
            g0 += GU_DOT(DOT, wa, ws, wm, wg, b);                                                     \
            u0 += GU_DOT(DOT, ua, us, um, ug, b);                                                     \
            g1 += GU_DOT(DOT, wa, ws, wm, wg, b + GU_LANES);                                          \
            u1 += GU_DOT(DOT, ua, us, um, ug, b + GU_LANES);                                          \
        }                                                                                             \
        if (b < nb) {                                                                                 \
            g0 += GU_DOT(DOT, wa, ws, wm, wg, b);                                                     \
            u0 += GU_DOT(DOT, ua, us, um, ug, b);                                                     \
        }                                                                                             \
        const float g = lanes8_sum(g0 + g1, red, lid), u = lanes8_sum(u0 + u1, red, lid);             \
        if (lane == 0) h[r] = g / (1.0f + exp(-g)) * u;                                               \
        barrier(CLK_LOCAL_MEM_FENCE);                                                                 \
        if (lid < GU_ROWS && id >= 0) {                                                               \
            float amax = 0.0f;                                                                        \
            for (int i = 0; i < GU_ROWS; ++i) amax = fmax(amax, fabs(h[i]));                          \
            const float dd = amax / 127.0f;                                                           \
            const float inv = amax != 0.0f ? 127.0f / amax : 0.0f;                                    \
            hq[(size_t)slot * rows + row0 + lid] = (char)convert_int(rint(h[lid] * inv));             \
            if (lid == 0) {                                                                           \
                const size_t bi = (size_t)slot * (rows / 32) + row0 / 32;                             \
                vstore_half_rte(dd, bi, hd);                                                          \
                if (hs) {                                                                             \
                    int sum = 0;                                                                      \
                    for (int i = 0; i < GU_ROWS; ++i) sum += convert_int(rint(h[i] * inv));           \
                    vstore_half_rte(dd * (float)sum, bi, hs);                                         \
                }                                                                                     \
            }                                                                                         \
        }                                                                                             \
    }

// moe_down2: out[t*rows + r] (+= when accum) sum over slots of weights[slot] * (the slot's
// down row r . h[slot]): the 32 lanes of a row share the K x (cols/32) blocks of all
// slots (an expert's row is short: 24 blocks for Fe 768), each term scaled by its slot's
// weight, two in flight, one warp sum at the end. Group (row block of MV_ROWS, token t).
#define DOWN_TERM(DOT, j, acc)                                                                        \
    {                                                                                                 \
        const int kk = (j) / nb, bb = (j) - kk * nb, slot = t * K + kk, id = ids[slot];               \
        if (id >= 0) {                                                                                \
            global const uchar* tq = xq + (size_t)slot * cols * xbytes;                               \
            global const uchar* td = xd + (size_t)slot * (cols / xg) * (xg == 32 ? 2 : 4);            \
            global const uchar* ts = xs ? xs + (size_t)slot * nb * 2 : xs;                            \
            acc += weights[slot] * DOT(wa, ws, wm, wg, tq, td, ts, xg, ((size_t)id * rows + row) * nb + bb, bb); \
        }                                                                                             \
    }
#define DEFINE_MOE_DOWN2(NAME, DOT)                                                                   \
    kernel void NAME(WARGS, XARGS, int xbytes, global const int* ids, global const float* weights, int K,  \
                     global float* out, int rows, int cols, int accum) {                              \
        local float red[MV_ROWS * MV_LANES];                                                          \
        const int lid = get_local_id(0), lane = lid % MV_LANES;                                       \
        const int row = get_group_id(0) * MV_ROWS + lid / MV_LANES;                                   \
        const int t = get_group_id(1), nb = cols / 32, n = K * nb;                                    \
        float a0 = 0.0f, a1 = 0.0f;                                                                   \
        if (row < rows) {                                                                             \
            int j = lane;                                                                             \
            for (; j + MV_LANES < n; j += 2 * MV_LANES) {                                             \
                DOWN_TERM(DOT, j, a0)                                                                 \
                DOWN_TERM(DOT, j + MV_LANES, a1)                                                      \
            }                                                                                         \
            if (j < n) DOWN_TERM(DOT, j, a0)                                                          \
        }                                                                                             \
        const float r = lanes32_sum(a0 + a1, red, lid);                                               \
        if (lane == 0 && row < rows) out[(size_t)t * rows + row] = accum ? out[(size_t)t * rows + row] + r : r; \
    }

DEFINE_MOE_GATEUP(moe_gateup_q4_0, dot32_q4_0)
DEFINE_MOE_GATEUP(moe_gateup_q4_1, dot32_q4_1)
DEFINE_MOE_GATEUP(moe_gateup_q8_0, dot32_q8_0)
DEFINE_MOE_GATEUP(moe_gateup_iq4f, dot32_iq4f)
DEFINE_MOE_GATEUP(moe_gateup_q5, dot32_q5)

DEFINE_MOE_DOWN2(moe_down2_q4_0, dot32_q4_0)
DEFINE_MOE_DOWN2(moe_down2_q4_1, dot32_q4_1)
DEFINE_MOE_DOWN2(moe_down2_q8_0, dot32_q8_0)
DEFINE_MOE_DOWN2(moe_down2_iq4f, dot32_iq4f)
DEFINE_MOE_DOWN2(moe_down2_q5, dot32_q5)
