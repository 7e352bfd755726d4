// Mixture-of-experts feed-forward (cl_experts.cpp): routing and the chosen experts'
// products, with the expert ids read on the device (no host round trip).
//
// An expert set is stored as three stacked matrices: gate and up [X*Fe][E], down
// [X*E][Fe]; expert e's rows start at e*Fe (e*E). Since every format addresses a block
// as row * (cols/32) + b, the matvec's DOT functions (matvec.cl) read an expert by
// offsetting the row. Activations of token (or slot) i start at xq + i*cols*xbytes,
// xd + i*(cols/xg)*xdbytes and xs + i*(cols/32)*2 (quantize.cl's dense layout).

// Routing, one work-item per token: softmax of the X router logits, the K most probable
// in descending order (ties: lower id first), weights divided by their sum (floored as
// kernels::routeTopK does) when normalize. ids / weights: [tokens][K].
kernel void moe_route(global const float* logits, int X, int K, int normalize, int tokens, global int* ids,
                      global float* weights) {
    const int t = get_global_id(0);
    if (t >= tokens) return;
    global const float* l = logits + (size_t)t * X;
    float mx = l[0];
    for (int e = 1; e < X; ++e) mx = fmax(mx, l[e]);
    float sum = 0.0f;
    for (int e = 0; e < X; ++e) sum += exp(l[e] - mx);
    const float inv = 1.0f / sum;
    float kept = 0.0f, prev = INFINITY;
    int prevId = -1;
    for (int k = 0; k < K; ++k) {
        // The next after (prev, prevId) in (probability descending, id ascending) order.
        int best = -1;
        float bp = -1.0f;
        for (int e = 0; e < X; ++e) {
            const float p = exp(l[e] - mx) * inv;
            const bool after = p < prev || (p == prev && e > prevId);
            if (after && p > bp) {
                bp = p;
                best = e;
            }
        }
        ids[t * K + k] = best;
        weights[t * K + k] = bp;
        kept += bp;
        prev = bp;
        prevId = best;
    }
    if (!normalize) return;
    const float denom = fmax(kept, 6.103515625e-5f);
    for (int k = 0; k < K; ++k) weights[t * K + k] /= denom;
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
        const size_t wrow = (size_t)ids[t * K + k] * rows + row;                                        \
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
            const float r = red[lid - lane] * weights[slot];                                            \
            total = k == 0 ? r : total + r;                                                             \
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
