// Matrix-vector product for decode: out[ooff + r] (+)= sum_k W[r][k] * x[k], with x
// already in the weight's activation type (quantize.cl): integer sums per 32-value block
// times the two scales, as the CPU backend computes them.
//
// Work-group: MV_ROWS rows x MV_LANES lanes. Lane l of a row reads the blocks l, l + 32,
// ... so neighbouring lanes read neighbouring blocks of the same row (16 or 32
// contiguous bytes each: coalesced); the lanes' partial sums meet in local memory
// (portable: NVIDIA's OpenCL has no sub-group functions).
// Activations: xq int8 [cols] with xd scales per xg values (half for xg 32, float for
// 256) and xs (Q8_1 block sums, half); or half / float values in xq (F16 / F32 weights).
#define MV_LANES 32  // lanes32_sum's width
#define MV_ROWS 4

#define XARGS global const uchar* xq, global const uchar* xd, global const uchar* xs, int xg

inline int isum16(char16 a, char16 b) {
    const int16 p = convert_int16(a) * convert_int16(b);
    const int8 s8 = p.lo + p.hi;
    const int4 s4 = s8.lo + s8.hi;
    return s4.x + s4.y + s4.z + s4.w;
}
inline int hsum16(char16 a) {
    const int16 p = convert_int16(a);
    const int8 s8 = p.lo + p.hi;
    const int4 s4 = s8.lo + s8.hi;
    return s4.x + s4.y + s4.z + s4.w;
}
// Integer sums of one 32-value block: q holds 4-bit values (byte j: value j | value j+16
// << 4), x0/x1 the int8 activations 0-15 / 16-31; *xsum gets their sum.
#ifdef ASSISTANT_NV_DP4A
// NVIDIA: the dp4a instruction through inline PTX (4 byte products + add per instruction).
inline int dp4a_us(uint a, int b, int c) {
    int r;
    asm volatile("dp4a.u32.s32 %0, %1, %2, %3;" : "=r"(r) : "r"(a), "r"(b), "r"(c));
    return r;
}
inline int dp4a_ss(int a, int b, int c) {
    int r;
    asm volatile("dp4a.s32.s32 %0, %1, %2, %3;" : "=r"(r) : "r"(a), "r"(b), "r"(c));
    return r;
}
inline int isum_nib(uint4 q, global const char* x, int* xsum) {
    const int4 x0 = ((global const int4*)x)[0], x1 = ((global const int4*)x)[1];  // 32-byte aligned blocks
    const uint4 lo = q & (uint4)(0x0F0F0F0Fu), hi = (q >> 4) & (uint4)(0x0F0F0F0Fu);
    int s = dp4a_us(lo.x, x0.x, 0);
    s = dp4a_us(lo.y, x0.y, s); s = dp4a_us(lo.z, x0.z, s); s = dp4a_us(lo.w, x0.w, s);
    s = dp4a_us(hi.x, x1.x, s); s = dp4a_us(hi.y, x1.y, s); s = dp4a_us(hi.z, x1.z, s); s = dp4a_us(hi.w, x1.w, s);
    const int ones = 0x01010101;
    int t = dp4a_ss(ones, x0.x, 0);
    t = dp4a_ss(ones, x0.y, t); t = dp4a_ss(ones, x0.z, t); t = dp4a_ss(ones, x0.w, t);
    t = dp4a_ss(ones, x1.x, t); t = dp4a_ss(ones, x1.y, t); t = dp4a_ss(ones, x1.z, t); t = dp4a_ss(ones, x1.w, t);
    *xsum = t;
    return s;
}
inline int isum_b32(global const char* w, global const char* x) {
    const int8 a = *(global const int8*)w, b = *(global const int8*)x;  // 32-byte aligned blocks
    int s = dp4a_ss(a.s0, b.s0, 0);
    s = dp4a_ss(a.s1, b.s1, s); s = dp4a_ss(a.s2, b.s2, s); s = dp4a_ss(a.s3, b.s3, s);
    s = dp4a_ss(a.s4, b.s4, s); s = dp4a_ss(a.s5, b.s5, s); s = dp4a_ss(a.s6, b.s6, s); s = dp4a_ss(a.s7, b.s7, s);
    return s;
}
#else
inline int isum_nib(uint4 q, global const char* x, int* xsum) {
    const char16 lo = as_char16(q & (uint4)(0x0F0F0F0Fu)), hi = as_char16((q >> 4) & (uint4)(0x0F0F0F0Fu));
    const char16 x0 = vload16(0, x), x1 = vload16(1, x);
    *xsum = hsum16(x0) + hsum16(x1);
    return isum16(lo, x0) + isum16(hi, x1);
}
inline int isum_b32(global const char* w, global const char* x) {
    return isum16(vload16(0, w), vload16(0, x)) + isum16(vload16(1, w), vload16(1, x));
}
#endif

inline float xscale(XARGS, size_t blk) {
    return xg == 32 ? vload_half(blk, (global const half*)xd) : ((global const float*)xd)[blk * 32 / xg];
}

// One 32-value block: weight block `wb` (global index), activation block `b` (in the row).
inline float dot32_q4_0(WARGS, XARGS, size_t wb, int b) {
    const uint4 q = *(global const uint4*)(wa + wb * 16);  // blocks are 16-byte aligned: one vector load
    int sx;
    const int s = isum_nib(q, (global const char*)xq + b * 32, &sx) - 8 * sx;
    return (float)s * vload_half(wb, (global const half*)ws) * vload_half(b, (global const half*)xd);
}
inline float dot32_q4_1(WARGS, XARGS, size_t wb, int b) {
    const uint4 q = vload4(0, (global const uint*)(wa + wb * 16));
    int sx;
    const int s = isum_nib(q, (global const char*)xq + b * 32, &sx);
    return (vload_half(wb, (global const half*)ws) * vload_half(b, (global const half*)xd)) * (float)s +
           vload_half(wb, (global const half*)wm) * vload_half(b, (global const half*)xs);
}
inline float dot32_q4f(WARGS, XARGS, size_t wb, int b) {
    const uint4 q = vload4(0, (global const uint*)(wa + wb * 16));
    int sx;
    const int s = isum_nib(q, (global const char*)xq + b * 32, &sx);
    return xscale(xq, xd, xs, xg, b) *
           (((global const float*)ws)[wb] * (float)s + ((global const float*)wm)[wb] * (float)sx);
}
inline float dot32_q8_0(WARGS, XARGS, size_t wb, int b) {
    const int s = isum_b32((global const char*)wa + wb * 32, (global const char*)xq + b * 32);
    return (float)s * vload_half(wb, (global const half*)ws) * vload_half(b, (global const half*)xd);
}
inline float dot32_q8f(WARGS, XARGS, size_t wb, int b) {
    const char16 w0 = vload16(0, (global const char*)wa + wb * 32), w1 = vload16(1, (global const char*)wa + wb * 32);
    const char16 x0 = vload16(0, (global const char*)xq + b * 32), x1 = vload16(1, (global const char*)xq + b * 32);
    const int s0 = isum16(w0, x0), s1 = isum16(w1, x1);
    global const float* sc = (global const float*)ws;
    global const float* mn = (global const float*)wm;
    float r;
    if (wg == 16) {
        r = sc[2 * wb] * (float)s0 + sc[2 * wb + 1] * (float)s1;
        if (mn) r += mn[2 * wb] * (float)hsum16(x0) + mn[2 * wb + 1] * (float)hsum16(x1);
    } else {
        r = sc[wb] * (float)(s0 + s1);
        if (mn) r += mn[wb] * (float)(hsum16(x0) + hsum16(x1));
    }
    return xscale(xq, xd, xs, xg, b) * r;
}
inline float dot32_iq4f(WARGS, XARGS, size_t wb, int b) {
    const uchar16 q = vload16(0, wa + wb * 16);
    const char16 lo = shuffle(IQ4_VALUES, q & (uchar)15), hi = shuffle(IQ4_VALUES, q >> (uchar)4);
    global const char* x = (global const char*)xq + b * 32;
    const int s = isum16(lo, vload16(0, x)) + isum16(hi, vload16(1, x));
    return ((global const float*)ws)[wb] * xscale(xq, xd, xs, xg, b) * (float)s;
}
// Q5: the nibbles with bit 4 from the block's qh word; Q5_1 (m) reads Q8_1 activations.
inline char16 q5high(uint bits) {
    const uint16 sh = (uint16)(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    return convert_char16((((uint16)(bits) >> sh) & 1u) << 4);
}
inline float dot32_q5(WARGS, XARGS, size_t wb, int b) {
    global const uint* p = (global const uint*)(wa + wb * 20);
    const uint4 q = vload4(0, p);
    const uint qh = p[4];
    const char16 lo = as_char16(q & (uint4)(0x0F0F0F0Fu)) | q5high(qh);
    const char16 hi = as_char16((q >> 4) & (uint4)(0x0F0F0F0Fu)) | q5high(qh >> 16);
    global const char* x = (global const char*)xq + b * 32;
    const char16 x0 = vload16(0, x), x1 = vload16(1, x);
    const int s = isum16(lo, x0) + isum16(hi, x1);
    const float d = vload_half(wb, (global const half*)ws) * vload_half(b, (global const half*)xd);
    if (wm) return d * (float)s + vload_half(wb, (global const half*)wm) * vload_half(b, (global const half*)xs);
    return d * (float)(s - 16 * (hsum16(x0) + hsum16(x1)));
}
// Q2: 8 values per shift of the block's 8 bytes; the two 16-value groups' scale and
// min bytes, and the super-block's d and dmin.
inline int isum8(char8 a, char8 b) {
    const int8 p = convert_int8(a) * convert_int8(b);
    const int4 s4 = p.lo + p.hi;
    return s4.x + s4.y + s4.z + s4.w;
}
inline int hsum8(char8 a) {
    const int8 p = convert_int8(a);
    const int4 s4 = p.lo + p.hi;
    return s4.x + s4.y + s4.z + s4.w;
}
inline float dot32_q2(WARGS, XARGS, size_t wb, int b) {
    const uint2 q = vload2(0, (global const uint*)(wa + wb * 8));
    const uint2 m = (uint2)(0x03030303u);
    global const char* x = (global const char*)xq + b * 32;
    const char8 x0 = vload8(0, x), x1 = vload8(1, x), x2 = vload8(2, x), x3 = vload8(3, x);
    const int s0 = isum8(as_char8(q & m), x0) + isum8(as_char8((q >> 2) & m), x1);
    const int s1 = isum8(as_char8((q >> 4) & m), x2) + isum8(as_char8((q >> 6) & m), x3);
    const int c0 = wm[2 * wb], c1 = wm[2 * wb + 1];
    const int sq = (c0 & 15) * s0 + (c1 & 15) * s1;
    const int sm = (c0 >> 4) * (hsum8(x0) + hsum8(x1)) + (c1 >> 4) * (hsum8(x2) + hsum8(x3));
    global const float* d = (global const float*)ws + 2 * (wb / 8);
    return xscale(xq, xd, xs, xg, b) * (d[0] * (float)sq - d[1] * (float)sm);
}
// Q3: the Q2 crumbs with bit 2 from the block's word, minus 4; int8 scales per 16.
inline char8 q3high(uint bits) {
    return convert_char8((((uint8)(bits) >> (uint8)(0, 1, 2, 3, 4, 5, 6, 7)) & 1u) << 2);
}
inline float dot32_q3(WARGS, XARGS, size_t wb, int b) {
    global const uint* p = (global const uint*)(wa + wb * 12);
    const uint2 q = vload2(0, p);
    const uint h = p[2];
    const uint2 m = (uint2)(0x03030303u);
    global const char* x = (global const char*)xq + b * 32;
    const char8 x0 = vload8(0, x), x1 = vload8(1, x), x2 = vload8(2, x), x3 = vload8(3, x);
    const int s0 = isum8(as_char8(q & m) | q3high(h), x0) + isum8(as_char8((q >> 2) & m) | q3high(h >> 8), x1) -
                   4 * (hsum8(x0) + hsum8(x1));
    const int s1 = isum8(as_char8((q >> 4) & m) | q3high(h >> 16), x2) +
                   isum8(as_char8((q >> 6) & m) | q3high(h >> 24), x3) - 4 * (hsum8(x2) + hsum8(x3));
    global const char* sc = (global const char*)wm + 2 * wb;
    return xscale(xq, xd, xs, xg, b) * ((global const float*)ws)[wb / 8] * (float)(sc[0] * s0 + sc[1] * s1);
}
inline float dot8h(float8 a, float8 b) { return dot(a.lo, b.lo) + dot(a.hi, b.hi); }
// BF16 weights read float activations already rounded to bf16 (round_bf16 in quantize.cl).
inline float dot32_bf16(WARGS, XARGS, size_t wb, int b) {
    global const ushort* p = (global const ushort*)wa + wb * 32;
    global const float* x = (global const float*)xq + b * 32;
    return dot8h(bf16to8(vload8(0, p)), vload8(0, x)) + dot8h(bf16to8(vload8(1, p)), vload8(1, x)) +
           dot8h(bf16to8(vload8(2, p)), vload8(2, x)) + dot8h(bf16to8(vload8(3, p)), vload8(3, x));
}
inline float dot32_f16(WARGS, XARGS, size_t wb, int b) {
    global const half* p = (global const half*)wa + wb * 32;
    global const half* x = (global const half*)xq + b * 32;
    return dot8h(vload_half8(0, p), vload_half8(0, x)) + dot8h(vload_half8(1, p), vload_half8(1, x)) +
           dot8h(vload_half8(2, p), vload_half8(2, x)) + dot8h(vload_half8(3, p), vload_half8(3, x));
}
inline float dot32_f32(WARGS, XARGS, size_t wb, int b) {
    global const float* p = (global const float*)wa + wb * 32;
    global const float* x = (global const float*)xq + b * 32;
    return dot8h(vload8(0, p), vload8(0, x)) + dot8h(vload8(1, p), vload8(1, x)) + dot8h(vload8(2, p), vload8(2, x)) +
           dot8h(vload8(3, p), vload8(3, x));
}

// Four (then two, then one) blocks per loop step: their loads are issued together, so each
// lane keeps up to 4 blocks in flight. The lanes of a row meet in lanes32_sum (common.cl):
// on NVIDIA a warp's shuffles, no local memory or barrier.
#define MV_DOT(DOT, b) DOT(wa, ws, wm, wg, xq, xd, xs, xg, rb + (b), (b))
// Several tokens (a few sequences decoding together): work-group row t of the launch is
// token t, whose activations start xStride / dStride / sStride bytes further and whose
// output row ldo floats further; the tokens' weight reads meet in the device's cache.
#define DEFINE_MATVEC(NAME, DOT)                                                                   \
    kernel void NAME(WARGS, XARGS, global float* out, int rows, int cols, int accum, int ooff,     \
                     int xStride, int dStride, int sStride, int ldo) {                             \
        local float red[MV_ROWS * MV_LANES];                                                       \
        const int lid = get_local_id(0);                                                           \
        const int t = get_group_id(1);                                                             \
        xq += (size_t)t * xStride;                                                                 \
        xd += (size_t)t * dStride;                                                                 \
        xs += (size_t)t * sStride;                                                                 \
        out += (size_t)t * ldo;                                                                    \
        const int lane = lid % MV_LANES;                                                           \
        const int row = get_group_id(0) * MV_ROWS + lid / MV_LANES;                                \
        float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f;                                          \
        if (row < rows) {                                                                          \
            const int nb = cols / 32;                                                              \
            const size_t rb = (size_t)row * nb;                                                    \
            int b = lane;                                                                          \
            for (; b + 3 * MV_LANES < nb; b += 4 * MV_LANES) {                                     \
                a0 += MV_DOT(DOT, b);                                                              \
                a1 += MV_DOT(DOT, b + MV_LANES);                                                   \
                a2 += MV_DOT(DOT, b + 2 * MV_LANES);                                               \
                a3 += MV_DOT(DOT, b + 3 * MV_LANES);                                               \
            }                                                                                      \
            if (b + MV_LANES < nb) {                                                               \
                a0 += MV_DOT(DOT, b);                                                              \
                a1 += MV_DOT(DOT, b + MV_LANES);                                                   \
                b += 2 * MV_LANES;                                                                 \
            }                                                                                      \
            if (b < nb) a2 += MV_DOT(DOT, b);                                                      \
        }                                                                                          \
        const float r = lanes32_sum((a0 + a1) + (a2 + a3), red, lid);                              \
        if (lane == 0 && row < rows) out[ooff + row] = accum ? out[ooff + row] + r : r;            \
    }

DEFINE_MATVEC(matvec_f32, dot32_f32)
DEFINE_MATVEC(matvec_f16, dot32_f16)
DEFINE_MATVEC(matvec_q4_0, dot32_q4_0)
DEFINE_MATVEC(matvec_q4_1, dot32_q4_1)
DEFINE_MATVEC(matvec_q4f, dot32_q4f)
DEFINE_MATVEC(matvec_q8_0, dot32_q8_0)
DEFINE_MATVEC(matvec_q8f, dot32_q8f)
DEFINE_MATVEC(matvec_bf16, dot32_bf16)
DEFINE_MATVEC(matvec_iq4f, dot32_iq4f)
DEFINE_MATVEC(matvec_q5, dot32_q5)
DEFINE_MATVEC(matvec_q2, dot32_q2)
DEFINE_MATVEC(matvec_q3, dot32_q3)
