// Prefill products on Intel's matrix engines (XMX, the DPAS instruction) through
// cl_intel_subgroup_matrix_multiply_accumulate: the weights' 32-value blocks as int8
// (Q8_0 as stored, Q4_0 nibbles - 8), the activations' Q8_0 blocks, one
// intel_sub_group_i8_i8_matrix_mad_k32 per 8 tokens x XS rows x block (K = 32 is one
// block), then the block's two scales in float, as the CPU backend sums per block.
// Built with -DASSISTANT_INTEL_XMX=XS (the device's minimum subgroup size, 8 on Xe-LP /
// Xe-HPG, 16 on Xe-HPC / Xe2) where the device has the extension; the runtime checks the
// kernels' results against the portable ones once per device before using them.
//
// The extension's operands (its OpenCL C section), with N = XS = the subgroup size:
//   a  (M = 8 rows of K = 32 int8): per row one int (XS = 8: bytes 4j..4j+3 of the row
//      from item j) or one short (XS = 16: bytes 2j, 2j+1 from item j);
//   b  (K = 32 x N): item n holds column n, 32 int8 packed in an int8 (component i:
//      rows 4i..4i+3);
//   result / acc: item n holds column n, one int per row.
// Here a = 8 tokens' activation blocks, b = XS weight rows' blocks: item n's results are
// weight row n for the 8 tokens, so the stores of a subgroup are consecutive floats.
//
// Work-group: XW subgroups (XW * XS items) stacked over rows; subgroup s takes XR * XS
// rows from row (group * XW + s) * XR * XS and XT * 8 tokens from token group * XT * 8.
// Every item loads its own rows' blocks (16 or 32 contiguous bytes); no local memory.
#ifdef ASSISTANT_INTEL_XMX
#define XS ASSISTANT_INTEL_XMX
#define XR 2
#define XT 4
#define XW 4

#if XS == 8
typedef int8 xa_t;
#define XA_LOAD(p, j) (((global const int*)(p))[j])
#define XA_MAKE(v) ((int8)(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]))
#elif XS == 16
typedef short8 xa_t;
#define XA_LOAD(p, j) (((global const short*)(p))[j])
#define XA_MAKE(v) (convert_short8((int8)(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7])))
#else
#error "ASSISTANT_INTEL_XMX must be 8 or 16"
#endif

#ifndef ASSISTANT_XMX_EMULATE
#define XMX_ATTR __attribute__((intel_reqd_sub_group_size(XS)))
#define XMX_SCRATCH
#define xmx_mad(a, b) intel_sub_group_i8_i8_matrix_mad_k32(a, b, (int8)(0))
#else
// The instruction's definition on any device (ASSISTANT_OPENCL_XMX=emulate8|emulate16), for
// testing the operand layout and the tiling on PoCL: each item publishes its a operand in
// local memory, then computes its column from its subgroup's. Every item of the
// work-group calls it the same number of times.
#define XMX_ATTR
#define XMX_SCRATCH local int xscr[XW * XS * 8];
inline int8 xmx_mad_emulated(xa_t a, int8 b, local int* xscr) {
    const int lid = get_local_id(0), base = lid - lid % XS;
    barrier(CLK_LOCAL_MEM_FENCE);
    xscr[lid * 8 + 0] = a.s0; xscr[lid * 8 + 1] = a.s1; xscr[lid * 8 + 2] = a.s2; xscr[lid * 8 + 3] = a.s3;
    xscr[lid * 8 + 4] = a.s4; xscr[lid * 8 + 5] = a.s5; xscr[lid * 8 + 6] = a.s6; xscr[lid * 8 + 7] = a.s7;
    barrier(CLK_LOCAL_MEM_FENCE);
    const int bw[8] = {b.s0, b.s1, b.s2, b.s3, b.s4, b.s5, b.s6, b.s7};
    int c[8];
    for (int m = 0; m < 8; ++m) {
        int s = 0;
        for (int k = 0; k < 32; ++k) {
            // A[m][k]: XS 8: byte k % 4 of item k / 4's int; XS 16: byte k % 2 of item k / 2's short
            const int bytesPerItem = 32 / XS;
            const int av = (int)(char)(uchar)(xscr[(base + k / bytesPerItem) * 8 + m] >> (8 * (k % bytesPerItem)));
            const int bv = (int)(char)(uchar)(bw[k / 4] >> (8 * (k % 4)));  // B[k][n], own column
            s += av * bv;
        }
        c[m] = s;
    }
    return (int8)(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]);
}
#define xmx_mad(a, b) xmx_mad_emulated(a, b, xscr)
#endif

// Row r's block kb as the b operand (zero outside the matrix).
inline int8 xb_q4_0(global const uchar* wa, size_t blk, int ok) {
    const uint4 u = ok ? ((global const uint4*)wa)[blk] : (uint4)(0u);  // byte j: values j, j+16
    const uint4 lo = nib_s8(u & (uint4)(0x0F0F0F0Fu)), hi = nib_s8((u >> 4) & (uint4)(0x0F0F0F0Fu));
    return as_int8((uint8)(lo, hi));
}
inline int8 xb_q8_0(global const uchar* wa, size_t blk, int ok) {
    const uint4 lo = ok ? ((global const uint4*)wa)[blk * 2] : (uint4)(0u);
    const uint4 hi = ok ? ((global const uint4*)wa)[blk * 2 + 1] : (uint4)(0u);
    return as_int8((uint8)(lo, hi));
}

#define DEFINE_MATMUL_XMX(NAME, BLOAD)                                                                             \
    XMX_ATTR kernel void NAME(WARGS, global const uchar* xq, global const uchar* xd, global float* out, int ldo,  \
                              int ooff, int rows, int cols, int n, int accum) {                                    \
        XMX_SCRATCH                                                                                                \
        const int lid = get_local_id(0), lane = lid % XS, sg = lid / XS;                                           \
        const int r0 = (get_group_id(0) * XW + sg) * XR * XS, t0 = get_group_id(1) * XT * 8;                       \
        const int nb = cols / 32;                                                                                  \
        float acc[XT][XR][8];                                                                                      \
        for (int i = 0; i < XT; ++i)                                                                               \
            for (int j = 0; j < XR; ++j)                                                                           \
                for (int m = 0; m < 8; ++m) acc[i][j][m] = 0.0f;                                                   \
        for (int kb = 0; kb < nb; ++kb) {                                                                          \
            int8 b[XR];                                                                                            \
            float dw[XR];                                                                                          \
            for (int j = 0; j < XR; ++j) {                                                                         \
                const int r = r0 + j * XS + lane, ok = r < rows;                                                   \
                const size_t blk = (size_t)(ok ? r : 0) * nb + kb;                                                 \
                b[j] = BLOAD(wa, blk, ok);                                                                         \
                dw[j] = ok ? vload_half(blk, (global const half*)ws) : 0.0f;                                       \
            }                                                                                                      \
            for (int i = 0; i < XT; ++i) {                                                                         \
                int av[8];                                                                                         \
                float dx[8];                                                                                       \
                for (int m = 0; m < 8; ++m) {                                                                      \
                    const int t = t0 + i * 8 + m, ok = t < n;                                                      \
                    const size_t blk = (size_t)(ok ? t : 0) * nb + kb;                                             \
                    const global uchar* p = xq + blk * 32;                                                         \
                    av[m] = ok ? XA_LOAD(p, lane) : 0;                                                             \
                    dx[m] = ok ? vload_half(blk, (global const half*)xd) : 0.0f;                                   \
                }                                                                                                  \
                const xa_t a = XA_MAKE(av);                                                                        \
                for (int j = 0; j < XR; ++j) {                                                                     \
                    const int8 c = xmx_mad(a, b[j]);                                                               \
                    const int cs[8] = {c.s0, c.s1, c.s2, c.s3, c.s4, c.s5, c.s6, c.s7};                            \
                    for (int m = 0; m < 8; ++m) acc[i][j][m] = fma(dw[j] * dx[m], (float)cs[m], acc[i][j][m]);     \
                }                                                                                                  \
            }                                                                                                      \
        }                                                                                                          \
        for (int i = 0; i < XT; ++i)                                                                               \
            for (int j = 0; j < XR; ++j) {                                                                         \
                const int r = r0 + j * XS + lane;                                                                  \
                if (r >= rows) continue;                                                                           \
                for (int m = 0; m < 8; ++m) {                                                                      \
                    const int t = t0 + i * 8 + m;                                                                  \
                    if (t >= n) break;                                                                             \
                    global float* o = out + (size_t)t * ldo + ooff + r;                                            \
                    *o = accum ? *o + acc[i][j][m] : acc[i][j][m];                                                 \
                }                                                                                                  \
            }                                                                                                      \
    }

DEFINE_MATMUL_XMX(matmul_q4_0_xmx, xb_q4_0)
DEFINE_MATMUL_XMX(matmul_q8_0_xmx, xb_q8_0)
#endif
