// Matrix-matrix product for prefill: out[t*ldo + ooff + r] (+)= sum_k W[r][k] * x[t][k]
// for t < n tokens, r < rows; x dense [n][cols] in the weight's activation type
// (quantize.cl; xfmt 0 float, 1 half, 2 int8 + half scale per 32, 3 int8 + float per 256),
// dequantized into the tile: the products are float, the activation rounding is the CPU's.
//
// Tiles: MM_TM weight rows x MM_TN tokens per work-group of 16 x 16 items, MM_TK = 32
// columns (one quant block) per step. Each step dequantizes the weight tile once into
// local memory (reused by MM_TN tokens) and stages the activation tile beside it; each
// item accumulates MM_I rows x MM_J tokens, strided by 16 so that neighbouring items
// write neighbouring output rows.
#define MM_I 8
#define MM_J 4
#define MM_TM (16 * MM_I)
#define MM_TN (16 * MM_J)
#define MM_TK 32

inline float8 xload8(global const uchar* xq, global const uchar* xd, int xfmt, size_t i) {
    if (xfmt == 0) return vload8(0, (global const float*)xq + i);
    if (xfmt == 1) return vload_half8(0, (global const half*)xq + i);
    const float8 q = convert_float8(vload8(0, (global const char*)xq + i));
    return q * (xfmt == 2 ? vload_half(i / 32, (global const half*)xd) : ((global const float*)xd)[i / 256]);
}

#define DEFINE_MATMUL(NAME, DEQ8)                                                                  \
    kernel void NAME(WARGS, global const uchar* xq, global const uchar* xd, int xfmt,             \
                     global float* out, int ldo, int ooff, int rows, int cols, int n, int accum) { \
        local float wt[MM_TK][MM_TM + 1];                                                          \
        local float xt[MM_TK][MM_TN + 1];                                                          \
        const int tx = get_local_id(0), ty = get_local_id(1);                                      \
        const int lid = ty * 16 + tx;                                                              \
        const int r0 = get_group_id(0) * MM_TM, t0 = get_group_id(1) * MM_TN;                      \
        float acc[MM_I][MM_J];                                                                     \
        for (int i = 0; i < MM_I; ++i)                                                             \
            for (int j = 0; j < MM_J; ++j) acc[i][j] = 0.0f;                                       \
        for (int k0 = 0; k0 < cols; k0 += MM_TK) {                                                 \
            /* weight tile: MM_TM rows x 4 chunks of 8 */                                          \
            for (int c = lid; c < MM_TM * 4; c += 256) {                                           \
                const int rr = c / 4, part = c % 4;                                                \
                float8 v = (float8)(0.0f);                                                         \
                if (r0 + rr < rows) v = DEQ8(wa, ws, wm, wg, (size_t)(r0 + rr), cols, k0 + part * 8); \
                wt[part * 8 + 0][rr] = v.s0; wt[part * 8 + 1][rr] = v.s1;                          \
                wt[part * 8 + 2][rr] = v.s2; wt[part * 8 + 3][rr] = v.s3;                          \
                wt[part * 8 + 4][rr] = v.s4; wt[part * 8 + 5][rr] = v.s5;                          \
                wt[part * 8 + 6][rr] = v.s6; wt[part * 8 + 7][rr] = v.s7;                          \
            }                                                                                      \
            for (int c = lid; c < MM_TN * 4; c += 256) {                                           \
                const int tt = c / 4, part = c % 4;                                                \
                float8 v = (float8)(0.0f);                                                         \
                if (t0 + tt < n) v = xload8(xq, xd, xfmt, (size_t)(t0 + tt) * cols + k0 + part * 8); \
                xt[part * 8 + 0][tt] = v.s0; xt[part * 8 + 1][tt] = v.s1;                          \
                xt[part * 8 + 2][tt] = v.s2; xt[part * 8 + 3][tt] = v.s3;                          \
                xt[part * 8 + 4][tt] = v.s4; xt[part * 8 + 5][tt] = v.s5;                          \
                xt[part * 8 + 6][tt] = v.s6; xt[part * 8 + 7][tt] = v.s7;                          \
            }                                                                                      \
            barrier(CLK_LOCAL_MEM_FENCE);                                                          \
            for (int kk = 0; kk < MM_TK; ++kk) {                                                   \
                float a[MM_I], b[MM_J];                                                            \
                for (int i = 0; i < MM_I; ++i) a[i] = wt[kk][tx + 16 * i];                         \
                for (int j = 0; j < MM_J; ++j) b[j] = xt[kk][ty + 16 * j];                         \
                for (int i = 0; i < MM_I; ++i)                                                     \
                    for (int j = 0; j < MM_J; ++j) acc[i][j] = fma(a[i], b[j], acc[i][j]);         \
            }                                                                                      \
            barrier(CLK_LOCAL_MEM_FENCE);                                                          \
        }                                                                                          \
        for (int j = 0; j < MM_J; ++j) {                                                           \
            const int t = t0 + ty + 16 * j;                                                        \
            if (t >= n) continue;                                                                  \
            for (int i = 0; i < MM_I; ++i) {                                                       \
                const int r = r0 + tx + 16 * i;                                                    \
                if (r >= rows) continue;                                                           \
                global float* o = out + (size_t)t * ldo + ooff + r;                               \
                *o = accum ? *o + acc[i][j] : acc[i][j];                                           \
            }                                                                                      \
        }                                                                                          \
    }

DEFINE_MATMUL(matmul_f32, deq8_f32)
DEFINE_MATMUL(matmul_f16, deq8_f16)
DEFINE_MATMUL(matmul_q4_0, deq8_q4_0)
DEFINE_MATMUL(matmul_q4_1, deq8_q4_1)
DEFINE_MATMUL(matmul_q4f, deq8_q4f)
DEFINE_MATMUL(matmul_q8_0, deq8_q8_0)
DEFINE_MATMUL(matmul_q8f, deq8_q8f)
DEFINE_MATMUL(matmul_bf16, deq8_bf16)
DEFINE_MATMUL(matmul_iq4f, deq8_iq4f)
DEFINE_MATMUL(matmul_q5, deq8_q5)
DEFINE_MATMUL(matmul_q2, deq8_q2)
DEFINE_MATMUL(matmul_q3, deq8_q3)

// Embedding lookup: out[t][k] = W[ids[t]][k] as floats; one item per 8 values.
#define DEFINE_GET_ROWS(NAME, DEQ8)                                                                \
    kernel void NAME(WARGS, global const int* ids, global float* out, int cols) {                 \
        const int c8 = get_global_id(0) * 8, t = get_global_id(1);                                 \
        if (c8 >= cols) return;                                                                    \
        vstore8(DEQ8(wa, ws, wm, wg, (size_t)ids[t], cols, c8), 0, out + (size_t)t * cols + c8);   \
    }

DEFINE_GET_ROWS(get_rows_f32, deq8_f32)
DEFINE_GET_ROWS(get_rows_f16, deq8_f16)
DEFINE_GET_ROWS(get_rows_q4_0, deq8_q4_0)
DEFINE_GET_ROWS(get_rows_q4_1, deq8_q4_1)
DEFINE_GET_ROWS(get_rows_q4f, deq8_q4f)
DEFINE_GET_ROWS(get_rows_q8_0, deq8_q8_0)
DEFINE_GET_ROWS(get_rows_q8f, deq8_q8f)
DEFINE_GET_ROWS(get_rows_bf16, deq8_bf16)
DEFINE_GET_ROWS(get_rows_iq4f, deq8_iq4f)
DEFINE_GET_ROWS(get_rows_q5, deq8_q5)
DEFINE_GET_ROWS(get_rows_q2, deq8_q2)
DEFINE_GET_ROWS(get_rows_q3, deq8_q3)
