// Prefill products on NVIDIA's tensor cores (sm_80 and later): the weights' 32-value
// blocks as int8 (Q8_0 as stored, Q4_0 nibbles - 8), the activations' Q8_0 blocks, one
// mma.sync m16n8k32 (int8 x int8 -> int32, inline PTX) per 16 rows x 8 tokens x block,
// then the block's two scales in float: out = sum over blocks dw * dx * isum, the CPU
// backend's sum per block. Built only with -DASSISTANT_NV_MMA; a driver that refuses the
// PTX builds the program without these kernels and the portable matmul.cl runs instead.
//
// Work-group: 4 warps of 32 lanes, TM (128 or 64) weight rows x MQ_TN tokens; warp w takes
// rows TM / 2 * (w / 2) and tokens 32 * (w % 2) of the tile: TM / 32 x 4 mma tiles, TM / 2
// float sums per lane.
// Each stage stages MQ_KB blocks of the weight rows and token rows as int8 in local memory
// (row stride MQ_LD uints: the 32 lanes' fragment loads, row g word q, fall on 32
// distinct banks) and their scales as floats, with 16-byte coalesced loads.
// Fragments (PTX ISA, mma.m16n8k32 .s8): lane = 4g + q; A (16 x 32, rows) words: row g
// bytes 4q.., row g+8 bytes 4q.., row g bytes 16+4q.., row g+8 bytes 16+4q..; B (32 x 8,
// columns): token g bytes 4q.. and 16+4q..; C: (row g, tokens 2q, 2q+1), (row g+8, same).
#ifdef ASSISTANT_NV_MMA
#define MQ_TN 64
#define MQ_KB 4
#define MQ_LD 36

#ifndef ASSISTANT_MMA_EMULATE
#define MMA_SCRATCH
inline void mma_s8(uint a0, uint a1, uint a2, uint a3, uint b0, uint b1, int* c) {
    int c0, c1, c2, c3;
    const int z = 0;
    asm volatile(
        "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
        "{%10, %11, %12, %13};"
        : "=r"(c0), "=r"(c1), "=r"(c2), "=r"(c3)
        : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1), "r"(z), "r"(z), "r"(z), "r"(z));
    c[0] = c0;
    c[1] = c1;
    c[2] = c2;
    c[3] = c3;
}
#else
// The same fragment semantics on any device, for testing the tiling (ASSISTANT_OPENCL_MMA=
// emulate): each lane publishes its fragments in local memory, then computes its four sums
// from its warp's. Every item of the work-group calls it the same number of times.
#define MMA_SCRATCH local uint mscr[128 * 6];
inline int mma_byte(local const uint* w, int lane, int reg, int k) {
    return (int)(char)(uchar)(w[lane * 6 + reg] >> (8 * (k & 3)));
}
inline void mma_s8_emulated(uint a0, uint a1, uint a2, uint a3, uint b0, uint b1, int* c, local uint* mscr) {
    const int lid = get_local_id(0), lane = lid & 31;
    local uint* w = mscr + (lid - lane) * 6;
    barrier(CLK_LOCAL_MEM_FENCE);
    w[lane * 6 + 0] = a0; w[lane * 6 + 1] = a1; w[lane * 6 + 2] = a2; w[lane * 6 + 3] = a3;
    w[lane * 6 + 4] = b0; w[lane * 6 + 5] = b1;
    barrier(CLK_LOCAL_MEM_FENCE);
    const int g = lane >> 2, q = lane & 3;
    for (int e = 0; e < 4; ++e) {
        const int row = g + (e >> 1) * 8, tok = 2 * q + (e & 1);
        int s = 0;
        for (int k = 0; k < 32; ++k) {
            // A[row][k]: lane 4 (row % 8) + (k % 16) / 4, register (row >= 8) + 2 (k >= 16)
            const int av = mma_byte(w, 4 * (row & 7) + (k & 15) / 4, (row >> 3) + 2 * (k >> 4), k);
            // B[k][tok]: lane 4 tok + (k % 16) / 4, register 4 + (k >= 16)
            const int bv = mma_byte(w, 4 * tok + (k & 15) / 4, 4 + (k >> 4), k);
            s += av * bv;
        }
        c[e] = s;
    }
}
#define mma_s8(a0, a1, a2, a3, b0, b1, c) mma_s8_emulated(a0, a1, a2, a3, b0, b1, c, mscr)
#endif

// A block's integer sum (|c| <= 32 * 127 * 127 < 2^22) as a float, exactly, without the
// conversion unit (a quarter of the FP32 rate, and 4 conversions per mma per lane): c added
// to the mantissa of 1.5 * 2^23, then 1.5 * 2^23 subtracted.
inline float i2f(int c) { return as_float(c + 0x4B400000) - 12582912.0f; }

// Weight stage: blocks kb0 .. kb0+MQ_KB-1 of rows r0 .. r0+tm-1 into wq (int8) and wsc
// (scale per block, [block][row]; 0 outside the matrix, so those products vanish).
inline void mq_stage_q4_0(global const uchar* wa, global const uchar* ws, int r0, int rows, int nb, int kb0,
                          local uint* wq, local float* wsc, int lid, const int tm) {
    for (int c = lid; c < tm * MQ_KB; c += 128) {
        const int row = c / MQ_KB, b = c % MQ_KB, r = r0 + row, kb = kb0 + b;
        const int ok = r < rows && kb < nb;
        const size_t blk = (size_t)r * nb + kb;
        const uint4 u = ok ? ((global const uint4*)wa)[blk] : (uint4)(0u);  // byte j: values j, j+16
        local uint4* dst = (local uint4*)(wq + row * MQ_LD + b * 8);
        dst[0] = nib_s8(u & (uint4)(0x0F0F0F0Fu));
        dst[1] = nib_s8((u >> 4) & (uint4)(0x0F0F0F0Fu));
        wsc[b * tm + row] = ok ? vload_half(blk, (global const half*)ws) : 0.0f;
    }
}
inline void mq_stage_q8_0(global const uchar* wa, global const uchar* ws, int r0, int rows, int nb, int kb0,
                          local uint* wq, local float* wsc, int lid, const int tm) {
    for (int c = lid; c < tm * MQ_KB * 2; c += 128) {
        const int row = c / (MQ_KB * 2), part = c % (MQ_KB * 2), r = r0 + row, kb = kb0 + part / 2;
        const int ok = r < rows && kb < nb;
        const size_t blk = (size_t)r * nb + kb;
        const uint4 u = ok ? ((global const uint4*)wa)[blk * 2 + part % 2] : (uint4)(0u);
        *(local uint4*)(wq + row * MQ_LD + part * 4) = u;
        if (part % 2 == 0) wsc[part / 2 * tm + row] = ok ? vload_half(blk, (global const half*)ws) : 0.0f;
    }
}

#define DEFINE_MATMUL_MMA(NAME, STAGE, TM)                                                                            \
    kernel void NAME(WARGS, global const uchar* xq, global const uchar* xd, global float* out, int ldo,               \
                     int ooff, int rows, int cols, int n, int accum) {                                                \
        local uint4 wq4[TM * MQ_LD / 4];                                                                              \
        local uint4 xq4[MQ_TN * MQ_LD / 4];                                                                           \
        local float wsc[MQ_KB * TM];                                                                                  \
        local float xsc[MQ_KB * MQ_TN];                                                                               \
        MMA_SCRATCH                                                                                                   \
        local uint* wq = (local uint*)wq4;                                                                            \
        local uint* xs = (local uint*)xq4;                                                                            \
        const int lid = get_local_id(0), lane = lid & 31, warp = lid >> 5;                                            \
        const int g = lane >> 2, q = lane & 3;                                                                        \
        const int t0 = get_group_id(0) * MQ_TN, r0 = get_group_id(1) * TM;                                            \
        const int wr = (warp >> 1) * (TM / 2), wc = (warp & 1) * 32;                                                  \
        const int nb = cols / 32;                                                                                     \
        float acc[TM / 32][4][4];                                                                                     \
        for (int i = 0; i < TM / 32; ++i)                                                                             \
            for (int j = 0; j < 4; ++j)                                                                               \
                for (int e = 0; e < 4; ++e) acc[i][j][e] = 0.0f;                                                      \
        for (int kb0 = 0; kb0 < nb; kb0 += MQ_KB) {                                                                   \
            STAGE(wa, ws, r0, rows, nb, kb0, wq, wsc, lid, TM);                                                       \
            for (int c = lid; c < MQ_TN * MQ_KB * 2; c += 128) { /* activations, as q8_0 weights */                   \
                const int tok = c / (MQ_KB * 2), part = c % (MQ_KB * 2), t = t0 + tok, kb = kb0 + part / 2;           \
                const int ok = t < n && kb < nb;                                                                      \
                const size_t blk = (size_t)t * nb + kb;                                                               \
                const uint4 u = ok ? ((global const uint4*)xq)[blk * 2 + part % 2] : (uint4)(0u);                     \
                *(local uint4*)(xs + tok * MQ_LD + part * 4) = u;                                                     \
                if (part % 2 == 0) xsc[part / 2 * MQ_TN + tok] = ok ? vload_half(blk, (global const half*)xd) : 0.0f; \
            }                                                                                                         \
            barrier(CLK_LOCAL_MEM_FENCE);                                                                             \
            for (int b = 0; b < MQ_KB && kb0 + b < nb; ++b) {                                                         \
                uint a[TM / 32][4];                                                                                   \
                float dw[TM / 32][2];                                                                                 \
                for (int i = 0; i < TM / 32; ++i) {                                                                   \
                    const int row = wr + i * 16 + g;                                                                  \
                    const local uint* p = wq + row * MQ_LD + b * 8 + q;                                               \
                    a[i][0] = p[0];                                                                                   \
                    a[i][1] = p[8 * MQ_LD];                                                                           \
                    a[i][2] = p[4];                                                                                   \
                    a[i][3] = p[8 * MQ_LD + 4];                                                                       \
                    dw[i][0] = wsc[b * TM + row];                                                                     \
                    dw[i][1] = wsc[b * TM + row + 8];                                                                 \
                }                                                                                                     \
                for (int j = 0; j < 4; ++j) {                                                                         \
                    const int tok = wc + j * 8;                                                                       \
                    const local uint* p = xs + (tok + g) * MQ_LD + b * 8 + q;                                         \
                    const uint b0 = p[0], b1 = p[4];                                                                  \
                    const float2 dx = vload2(0, xsc + b * MQ_TN + tok + 2 * q);                                       \
                    for (int i = 0; i < TM / 32; ++i) {                                                               \
                        int c[4];                                                                                     \
                        mma_s8(a[i][0], a[i][1], a[i][2], a[i][3], b0, b1, c);                                        \
                        acc[i][j][0] = fma(dw[i][0] * dx.x, i2f(c[0]), acc[i][j][0]);                                 \
                        acc[i][j][1] = fma(dw[i][0] * dx.y, i2f(c[1]), acc[i][j][1]);                                 \
                        acc[i][j][2] = fma(dw[i][1] * dx.x, i2f(c[2]), acc[i][j][2]);                                 \
                        acc[i][j][3] = fma(dw[i][1] * dx.y, i2f(c[3]), acc[i][j][3]);                                 \
                    }                                                                                                 \
                }                                                                                                     \
            }                                                                                                         \
            barrier(CLK_LOCAL_MEM_FENCE);                                                                             \
        }                                                                                                             \
        for (int i = 0; i < TM / 32; ++i)                                                                             \
            for (int j = 0; j < 4; ++j)                                                                               \
                for (int e = 0; e < 4; ++e) {                                                                         \
                    const int r = r0 + wr + i * 16 + g + (e >> 1) * 8;                                                \
                    const int t = t0 + wc + j * 8 + 2 * q + (e & 1);                                                  \
                    if (r >= rows || t >= n) continue;                                                                \
                    global float* o = out + (size_t)t * ldo + ooff + r;                                               \
                    *o = accum ? *o + acc[i][j][e] : acc[i][j][e];                                                    \
                }                                                                                                     \
    }

DEFINE_MATMUL_MMA(matmul_q4_0_mma, mq_stage_q4_0, 128)
DEFINE_MATMUL_MMA(matmul_q8_0_mma, mq_stage_q8_0, 128)
// Half the rows per work-group: twice the work-groups for matrices of few rows.
DEFINE_MATMUL_MMA(matmul_q4_0_mma64, mq_stage_q4_0, 64)
DEFINE_MATMUL_MMA(matmul_q8_0_mma64, mq_stage_q8_0, 64)
#endif
