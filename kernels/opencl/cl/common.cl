// Shared definitions of the OpenCL backend's kernels.
//
// Weight formats on the device (converted at upload, see cl_weights.cpp). A matrix
// is rows x cols, cols a multiple of 32; every format keeps three arrays:
//   a: the values, s: per-group scales, m: per-group offsets (unused by some)
//   F32  a = float[rows*cols]
//   F16  a = half[rows*cols]
//   Q4_0 a = 16 bytes per 32 values (element j: low nibble of byte j, j+16: high
//        nibble), s = half per 32;            x = s * (q - 8)
//   Q4_1 as Q4_0 with s, m = half per 32;      x = s * q + m
//   Q4F  as Q4_1 with float s, m (Q4_K: scale d*sc and offset -dmin*m are exact in float)
//   Q8_0 a = int8[rows*cols], s = half per 32; x = s * q
//   Q8F  a = int8[rows*cols], s = float per g (16 or 32), m = float per g or none
//        (Q5_K: q in 0..31 with offset; Q6_K: q - 32 in -32..31, g 16, no offset)
//   Q5   a = 20 bytes per 32: 16 of nibbles as Q4_0, then a uint whose bit j is bit 4 of
//        value j; s = half per 32, m = half per 32 or none; x = s * q + m (Q5_1), or
//        s * (q - 16) without m (Q5_0)
//   Q2   a = 8 bytes per 32 (byte j: values j, j+8, j+16, j+24 at bits 0, 2, 4, 6),
//        s = float d, dmin per 256, m = byte per 16: sc | mn << 4; x = d*sc*q - dmin*mn
//        (Q2_K as in the file; TQ1_0 / TQ2_0: q + 1 in 0..2, d = dmin, sc = mn = 1)
//   Q3   a = 12 bytes per 32: 8 of 2-bit codes as Q2, then a uint whose bit j is bit 2 of
//        value j; s = float d per 256, m = int8 scale per 16; x = d * sc * (q - 4) (Q3_K)
//   BF16 a = bfloat16[rows*cols] (the top half of a float)
//   IQ4F a as Q4_0 (nibbles index IQ4_VALUES), s = float per 32; x = s * IQ4_VALUES[q]
//        (IQ4_NL: s = d; IQ4_XS: s = d * (sub-block scale - 32))
// Offsets into the arrays are computed in size_t: an 8B model's matrices exceed 2^31 bytes
// only in total, but row * cols alone can exceed int range for the output matrix.

#define FMT_F32 0
#define FMT_F16 1
#define FMT_Q4_0 2
#define FMT_Q4_1 3
#define FMT_Q4F 4
#define FMT_Q8_0 5
#define FMT_Q8F 6
#define FMT_BF16 7
#define FMT_IQ4F 8
#define FMT_Q5 9
#define FMT_Q2 10
#define FMT_Q3 11

// Four unsigned nibble values per byte (0..15) to signed bytes q - 8 without carries:
// (q | 0x80) - 8 stays within the byte, then the top bit flipped back.
inline uint4 nib_s8(uint4 v) {
    return ((v | (uint4)(0x80808080u)) - (uint4)(0x08080808u)) ^ (uint4)(0x80808080u);
}

// The non-linear 4-bit code book of IQ4_NL / IQ4_XS, looked up with shuffle().
#define IQ4_VALUES ((char16)(-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113))

#define WARGS global const uchar* wa, global const uchar* ws, global const uchar* wm, int wg

// Eight consecutive weights of row `row` from column k0 (k0 % 8 == 0) as floats.
inline float8 nib8(uint2 b, int high) {
    const uint sh = high ? 4u : 0u;
    return (float8)((float)((b.x >> sh) & 15u), (float)((b.x >> (8u + sh)) & 15u),
                    (float)((b.x >> (16u + sh)) & 15u), (float)((b.x >> (24u + sh)) & 15u),
                    (float)((b.y >> sh) & 15u), (float)((b.y >> (8u + sh)) & 15u),
                    (float)((b.y >> (16u + sh)) & 15u), (float)((b.y >> (24u + sh)) & 15u));
}

inline float8 deq8_f32(WARGS, size_t row, int cols, int k0) {
    return vload8(0, (global const float*)wa + row * cols + k0);
}
inline float8 deq8_f16(WARGS, size_t row, int cols, int k0) {
    return vload_half8(0, (global const half*)wa + row * cols + k0);
}
inline float8 deq8_q4_0(WARGS, size_t row, int cols, int k0) {
    const size_t blk = row * (cols / 32) + k0 / 32;
    const int w = k0 & 31;
    const uint2 b = vload2(0, (global const uint*)(wa + blk * 16 + (w & 15)));
    return vload_half(blk, (global const half*)ws) * (nib8(b, w >= 16) - 8.0f);
}
inline float8 deq8_q4_1(WARGS, size_t row, int cols, int k0) {
    const size_t blk = row * (cols / 32) + k0 / 32;
    const int w = k0 & 31;
    const uint2 b = vload2(0, (global const uint*)(wa + blk * 16 + (w & 15)));
    return vload_half(blk, (global const half*)ws) * nib8(b, w >= 16) + vload_half(blk, (global const half*)wm);
}
inline float8 deq8_q4f(WARGS, size_t row, int cols, int k0) {
    const size_t blk = row * (cols / 32) + k0 / 32;
    const int w = k0 & 31;
    const uint2 b = vload2(0, (global const uint*)(wa + blk * 16 + (w & 15)));
    return ((global const float*)ws)[blk] * nib8(b, w >= 16) + ((global const float*)wm)[blk];
}
inline float8 deq8_q8_0(WARGS, size_t row, int cols, int k0) {
    const size_t i = row * cols + k0;
    return vload_half(i / 32, (global const half*)ws) * convert_float8(vload8(0, (global const char*)wa + i));
}
inline float8 deq8_q8f(WARGS, size_t row, int cols, int k0) {
    const size_t i = row * cols + k0;
    const float8 q = convert_float8(vload8(0, (global const char*)wa + i));
    const float8 r = ((global const float*)ws)[i / wg] * q;
    return wm ? r + ((global const float*)wm)[i / wg] : r;
}
inline float8 bf16to8(ushort8 h) { return as_float8(convert_uint8(h) << 16); }
inline float8 deq8_bf16(WARGS, size_t row, int cols, int k0) {
    return bf16to8(vload8(0, (global const ushort*)wa + row * cols + k0));
}
inline float8 deq8_iq4f(WARGS, size_t row, int cols, int k0) {
    const size_t blk = row * (cols / 32) + k0 / 32;
    const int w = k0 & 31;
    const uchar sh = w >= 16 ? 4 : 0;
    const uchar8 q = (vload8(0, wa + blk * 16 + (w & 15)) >> sh) & (uchar)15;
    return ((global const float*)ws)[blk] * convert_float8(shuffle(IQ4_VALUES, q));
}
inline float8 deq8_q5(WARGS, size_t row, int cols, int k0) {
    const size_t blk = row * (cols / 32) + k0 / 32;
    const int w = k0 & 31;
    global const uchar* p = wa + blk * 20;
    const uint2 b = vload2(0, (global const uint*)(p + (w & 15)));
    const uint qh = ((global const uint*)p)[4] >> w;  // bit 4 of values w .. w+7
    const float8 h = convert_float8(((uint8)(qh) >> (uint8)(0, 1, 2, 3, 4, 5, 6, 7)) & 1u);
    const float8 q = nib8(b, w >= 16) + 16.0f * h;
    const float d = vload_half(blk, (global const half*)ws);
    return wm ? d * q + vload_half(blk, (global const half*)wm) : d * (q - 16.0f);
}
inline float8 deq8_q2(WARGS, size_t row, int cols, int k0) {
    const size_t i = row * cols + k0;
    const uint2 b = vload2(0, (global const uint*)(wa + i / 32 * 8));
    const float8 q = convert_float8(as_uchar8((b >> (uint)(2 * ((k0 & 31) / 8))) & (uint2)(0x03030303u)));
    const uchar sc = wm[i / 16];
    global const float* d = (global const float*)ws + 2 * (i / 256);
    return (d[0] * (float)(sc & 15)) * q - d[1] * (float)(sc >> 4);
}
inline float8 deq8_q3(WARGS, size_t row, int cols, int k0) {
    const size_t i = row * cols + k0;
    global const uint* p = (global const uint*)(wa + i / 32 * 12);
    const int w = k0 & 31;
    const uint2 b = vload2(0, p);
    const float8 lo = convert_float8(as_uchar8((b >> (uint)(2 * (w / 8))) & (uint2)(0x03030303u)));
    const float8 hi = convert_float8(((uint8)(p[2] >> w) >> (uint8)(0, 1, 2, 3, 4, 5, 6, 7)) & 1u);
    const float s = ((global const float*)ws)[i / 256] * (float)((global const char*)wm)[i / 16];
    return s * (lo + 4.0f * hi - 4.0f);
}

// Sum / max over the 32 consecutive items (lid & ~31) .. (lid | 31) of a 1-D work-group,
// returned to each of them (every item of the work-group calls it). NVIDIA: those items
// are one warp, reduced by butterfly shuffles (inline PTX; every lane ends with the same
// value, a + b being b + a). Elsewhere through local memory red[work-group size], with
// barriers; red may be reused after the call.
#ifdef ASSISTANT_NV_DP4A
inline float shfl_xor(float v, int mask) {
    int r;
    asm volatile("shfl.sync.bfly.b32 %0, %1, %2, 0x1f, 0xffffffff;" : "=r"(r) : "r"(as_int(v)), "r"(mask));
    return as_float(r);
}
inline float lanes32_sum(float v, local float* red, int lid) {
    for (int m = 16; m > 0; m >>= 1) v += shfl_xor(v, m);
    return v;
}
inline float lanes32_max(float v, local float* red, int lid) {
    for (int m = 16; m > 0; m >>= 1) v = fmax(v, shfl_xor(v, m));
    return v;
}
#else
inline float lanes32_reduce(float v, local float* red, int lid, int isMax) {
    red[lid] = v;
    for (int s = 16; s > 0; s >>= 1) {
        barrier(CLK_LOCAL_MEM_FENCE);
        if ((lid & 31) < s) red[lid] = isMax ? fmax(red[lid], red[lid + s]) : red[lid] + red[lid + s];
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    const float r = red[lid & ~31];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}
inline float lanes32_sum(float v, local float* red, int lid) { return lanes32_reduce(v, red, lid, 0); }
inline float lanes32_max(float v, local float* red, int lid) { return lanes32_reduce(v, red, lid, 1); }
#endif

// Q8_0 quantization (with the Q8_1 block sum) of one value per item, blocks of the 32
// items (lid & ~31) .. (lid | 31), exactly as quantize_q8_0 computes them: d = amax / 127,
// q = rint(v * 127 / amax), s = d * sum(q). Item `i` of the output row stores q[i], the
// block's first item d and s (when s is given) at block i / 32; `store` false: the item
// only takes part.
inline void quantize_lanes32(float v, local float* red, int lid, int i, int store, global char* q, global half* d,
                             global half* s) {
    const float amax = lanes32_max(fabs(v), red, lid);
    const float dd = amax / 127.0f;
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    const int qi = convert_int(rint(v * id));
    const float sum = lanes32_sum((float)qi, red, lid);  // |sum| <= 32 * 127: exact
    if (!store) return;
    q[i] = (char)qi;
    if ((lid & 31) == 0) {
        vstore_half_rte(dd, i / 32, d);
        if (s) vstore_half_rte(dd * sum, i / 32, s);
    }
}
