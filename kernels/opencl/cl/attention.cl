// Causal grouped-query attention over the KV cache, flash-decoding style: the keys of
// a query are cut into nSplit ranges of splitLen positions; one work-group per
// (range, head, token) runs an online softmax over its range in tiles of AT_WG keys
// and writes (max, sum, unnormalized output); attn_merge combines the ranges.
// Decode uses many ranges (the only parallelism there is heads x ranges); prefill one.
// q: qkv rows [n][ldq] (q heads first); caches: rows of headsKv*D values (F32 or F16 in
// attn_split; Q8_0 and Q4_0 blocks in attn_split_q8_0 / attn_split_q4_0).
#define AT_WG 64
#define AT_MAXD 256

inline float kv_load(global const uchar* cache, int kvType, size_t index) {
    return kvType == 0 ? ((global const float*)cache)[index] : vload_half(index, (global const half*)cache);
}

inline float wg_reduce(local float* red, float v, int lid, int isMax) {
    red[lid] = v;
    for (int s = AT_WG / 2; s > 0; s >>= 1) {
        barrier(CLK_LOCAL_MEM_FENCE);
        if (lid < s) red[lid] = isMax ? fmax(red[lid], red[lid + s]) : red[lid] + red[lid + s];
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    const float r = red[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

// Decode with one key range (whole: nSplit 1, D % 32 == 0): the range's o / l is the
// merged row already, so the split writes it to out [heads*D] and its Q8_0 quantization
// (Q8_1 sums) to oq / od / os with attn_merge_q8's very operations (a weight of exp(0)),
// and no merge is launched. Every item of the group calls it (its reductions).
inline void split_whole(const float* o, float m, float l, int h, int D, int lid, local float* red, global float* out,
                        global char* oq, global half* od, global half* os) {
    for (int i = 0; i * AT_WG < D; ++i) {
        const int d = i * AT_WG + lid;
        float num = 0.0f, den = 0.0f;
        if (m != -INFINITY) {
            const float w = exp(m - m);
            num += o[i] * w;
            den += l * w;
        }
        const float v = den > 0.0f ? num / den : 0.0f;
        if (d < D) out[h * D + d] = v;
        quantize_lanes32(d < D ? v : 0.0f, red, lid, h * D + d, d < D, oq, od, os);
    }
}

kernel void attn_split(global const float* qkv, int ldq, global const uchar* kcache, global const uchar* vcache,
                       int kvType, global float* partO, global float* partMs, int heads, int headsKv, int D,
                       int pos0, float scale, int window, float softCap, int nSplit, int splitLen, int whole, global float* out, global char* oq, global half* od,
                       global half* os) {
    local float qs[AT_MAXD];
    local float p[AT_WG];
    local float red[AT_WG];
    const int lid = get_local_id(0), split = get_group_id(0), h = get_group_id(1), t = get_group_id(2);
    const int pos = pos0 + t;
    const int hk = h / (heads / headsKv);
    const int rowW = headsKv * D;
    int lo = split * splitLen;
    const int hi = min(lo + splitLen, pos + 1);
    if (window > 0) lo = max(lo, pos - window + 1);
    for (int d = lid; d < D; d += AT_WG) qs[d] = qkv[(size_t)t * ldq + h * D + d];
    barrier(CLK_LOCAL_MEM_FENCE);

    float m = -INFINITY, l = 0.0f;
    float o[AT_MAXD / AT_WG];
    for (int i = 0; i < AT_MAXD / AT_WG; ++i) o[i] = 0.0f;
    for (int base = lo; base < hi; base += AT_WG) {
        const int j = base + lid;
        float s = -INFINITY;
        if (j < hi) {
            const size_t kr = (size_t)j * rowW + hk * D;
            float qk = 0.0f;
            if ((D & 7) == 0) {  // 8 values per load: 16 or 32 contiguous bytes
                for (int d = 0; d < D; d += 8) {
                    const float8 kv = kvType == 0 ? vload8(0, (global const float*)kcache + kr + d)
                                                  : vload_half8(0, (global const half*)kcache + kr + d);
                    const float8 qv = vload8(0, qs + d);
                    qk += dot(kv.lo, qv.lo) + dot(kv.hi, qv.hi);
                }
            } else {
                for (int d = 0; d < D; ++d) qk += qs[d] * kv_load(kcache, kvType, kr + d);
            }
            s = qk * scale;
            if (softCap > 0.0f) s = softCap * tanh(s / softCap);
        }
        const float tileMax = wg_reduce(red, s, lid, 1);
        const float newM = fmax(m, tileMax);
        const float corr = m == -INFINITY ? 0.0f : exp(m - newM);
        const float e = j < hi ? exp(s - newM) : 0.0f;
        p[lid] = e;
        const float tileSum = wg_reduce(red, e, lid, 0);  // its barriers also publish p[]
        l = l * corr + tileSum;
        const int count = min(AT_WG, hi - base);
        for (int i = 0; i * AT_WG + lid < D; ++i) {
            const int d = i * AT_WG + lid;
            float acc = o[i] * corr;
            for (int jj = 0; jj < count; ++jj)
                acc += p[jj] * kv_load(vcache, kvType, (size_t)(base + jj) * rowW + hk * D + d);
            o[i] = acc;
        }
        m = newM;
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (whole) {  // the same for the whole launch
        split_whole(o, m, l, h, D, lid, red, out, oq, od, os);
        return;
    }
    const size_t slot = ((size_t)t * heads + h) * nSplit + split;
    for (int i = 0; i * AT_WG + lid < D; ++i) partO[slot * D + i * AT_WG + lid] = o[i];
    if (lid == 0) {
        partMs[2 * slot] = m;
        partMs[2 * slot + 1] = l;
    }
}

// A Q8_0 cache value (blocks of 34 bytes: fp16 scale, 32 int8).
inline float kv_load_q8_0(global const uchar* c, size_t i) {
    global const uchar* block = c + (i / 32) * 34;
    return (float)((global const char*)block)[2 + i % 32] * vload_half(0, (global const half*)block);
}

// attn_split over a Q8_0 cache. F32 and F16 caches keep attn_split itself: on the H200 its
// run-time type choice compiles to a faster kernel (14.4 us per decode call) than a copy of
// its body specialized per type (23.0 us). Here the cache is read by rows: a key's 32-value
// blocks through 2-byte loads (a block's int8 start 2 bytes into its 34: never 4-aligned)
// with one scale multiply per block when D % 32 == 0, and a value column's block offset
// computed once per work-item instead of per key.
kernel void attn_split_q8_0(global const float* qkv, int ldq, global const uchar* kcache, global const uchar* vcache,
                            global float* partO, global float* partMs, int heads, int headsKv, int D, int pos0,
                            float scale, int window, float softCap, int nSplit, int splitLen, int whole, global float* out, global char* oq, global half* od,
                       global half* os) {
    local float qs[AT_MAXD];
    local float p[AT_WG];
    local float red[AT_WG];
    const int lid = get_local_id(0), split = get_group_id(0), h = get_group_id(1), t = get_group_id(2);
    const int pos = pos0 + t;
    const int hk = h / (heads / headsKv);
    const int rowW = headsKv * D;
    const size_t rowB = (size_t)(rowW / 32) * 34;
    int lo = split * splitLen;
    const int hi = min(lo + splitLen, pos + 1);
    if (window > 0) lo = max(lo, pos - window + 1);
    for (int d = lid; d < D; d += AT_WG) qs[d] = qkv[(size_t)t * ldq + h * D + d];
    barrier(CLK_LOCAL_MEM_FENCE);

    float m = -INFINITY, l = 0.0f;
    float o[AT_MAXD / AT_WG];
    for (int i = 0; i < AT_MAXD / AT_WG; ++i) o[i] = 0.0f;
    for (int base = lo; base < hi; base += AT_WG) {
        const int j = base + lid;
        float s = -INFINITY;
        if (j < hi) {
            global const uchar* krow = kcache + (size_t)j * rowB;
            float qk = 0.0f;
            if ((D & 31) == 0) {
                for (int b = 0; b < D / 32; ++b) {
                    global const uchar* blk = krow + (size_t)(hk * D / 32 + b) * 34;
                    global const ushort* qv = (global const ushort*)(blk + 2);
                    float bs = 0.0f;
                    for (int e = 0; e < 4; ++e) {
                        const float8 kv = convert_float8(as_char8(vload4(e, qv)));
                        const float8 qq = vload8(0, qs + b * 32 + e * 8);
                        bs += dot(kv.lo, qq.lo) + dot(kv.hi, qq.hi);
                    }
                    qk += bs * vload_half(0, (global const half*)blk);
                }
            } else {
                for (int d = 0; d < D; ++d) qk += qs[d] * kv_load_q8_0(kcache, (size_t)j * rowW + hk * D + d);
            }
            s = qk * scale;
            if (softCap > 0.0f) s = softCap * tanh(s / softCap);
        }
        const float tileMax = wg_reduce(red, s, lid, 1);
        const float newM = fmax(m, tileMax);
        const float corr = m == -INFINITY ? 0.0f : exp(m - newM);
        const float e = j < hi ? exp(s - newM) : 0.0f;
        p[lid] = e;
        const float tileSum = wg_reduce(red, e, lid, 0);  // its barriers also publish p[]
        l = l * corr + tileSum;
        const int count = min(AT_WG, hi - base);
        global const uchar* vrow = vcache + (size_t)base * rowB;
        for (int i = 0; i * AT_WG + lid < D; ++i) {
            const int c = hk * D + i * AT_WG + lid;  // value column: its block's scale, its byte
            const int s0 = c / 32 * 34, q0 = s0 + 2 + c % 32;
            float acc = o[i] * corr;
            global const uchar* r = vrow;
            for (int jj = 0; jj < count; ++jj, r += rowB)
                acc += p[jj] * ((float)((global const char*)r)[q0] * vload_half(0, (global const half*)(r + s0)));
            o[i] = acc;
        }
        m = newM;
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (whole) {  // the same for the whole launch
        split_whole(o, m, l, h, D, lid, red, out, oq, od, os);
        return;
    }
    const size_t slot = ((size_t)t * heads + h) * nSplit + split;
    for (int i = 0; i * AT_WG + lid < D; ++i) partO[slot * D + i * AT_WG + lid] = o[i];
    if (lid == 0) {
        partMs[2 * slot] = m;
        partMs[2 * slot + 1] = l;
    }
}

// attn_split over a Q4_0 cache (18-byte blocks: fp16 scale, 16 bytes holding values j and
// j+16 in the low and high nibble of byte j, offset by 8), laid out like attn_split_q8_0
// above. Written once over the block's dot product and value for both types, it ran the Q8_0
// cache 25% slower on the H200 than attn_split_q8_0's own loops (depth 4096:
// 218 against 291 tokens/s), so each type keeps its own kernel.

inline float q4_0_block_dot(global const uchar* blk, const local float* q) {
    global const ushort* qv = (global const ushort*)(blk + 2);
    float bs = 0.0f;
    for (int e = 0; e < 2; ++e) {  // bytes 8e .. 8e+7: values 8e.. (low) and 16+8e.. (high)
        const uchar8 b = as_uchar8(vload4(e, qv));
        const float8 lo = convert_float8(b & (uchar8)15) - 8.0f, hi = convert_float8(b >> (uchar8)4) - 8.0f;
        const float8 qlo = vload8(0, q + e * 8), qhi = vload8(0, q + 16 + e * 8);
        bs += dot(lo.lo, qlo.lo) + dot(lo.hi, qlo.hi) + dot(hi.lo, qhi.lo) + dot(hi.hi, qhi.hi);
    }
    return bs;
}
inline float q4_0_block_value(global const uchar* blk, int i) {
    const uchar b = blk[2 + (i & 15)];
    return (float)((i < 16 ? b & 15 : b >> 4)) - 8.0f;
}

kernel void attn_split_q4_0(global const float* qkv, int ldq, global const uchar* kcache, global const uchar* vcache,
                            global float* partO, global float* partMs, int heads, int headsKv, int D, int pos0,
                            float scale, int window, float softCap, int nSplit, int splitLen, int whole, global float* out, global char* oq, global half* od,
                       global half* os) {
    local float qs[AT_MAXD];
    local float p[AT_WG];
    local float red[AT_WG];
    const int lid = get_local_id(0), split = get_group_id(0), h = get_group_id(1), t = get_group_id(2);
    const int pos = pos0 + t;
    const int hk = h / (heads / headsKv);
    const int rowW = headsKv * D;
    const size_t rowB = (size_t)(rowW / 32) * 18;
    int lo = split * splitLen;
    const int hi = min(lo + splitLen, pos + 1);
    if (window > 0) lo = max(lo, pos - window + 1);
    for (int d = lid; d < D; d += AT_WG) qs[d] = qkv[(size_t)t * ldq + h * D + d];
    barrier(CLK_LOCAL_MEM_FENCE);

    float m = -INFINITY, l = 0.0f;
    float o[AT_MAXD / AT_WG];
    for (int i = 0; i < AT_MAXD / AT_WG; ++i) o[i] = 0.0f;
    for (int base = lo; base < hi; base += AT_WG) {
        const int j = base + lid;
        float s = -INFINITY;
        if (j < hi) {
            global const uchar* krow = kcache + (size_t)j * rowB;
            float qk = 0.0f;
            if ((D & 31) == 0) {
                for (int b = 0; b < D / 32; ++b) {
                    global const uchar* blk = krow + (size_t)(hk * D / 32 + b) * 18;
                    qk += q4_0_block_dot(blk, qs + b * 32) * vload_half(0, (global const half*)blk);
                }
            } else {
                for (int d = 0; d < D; ++d) {
                    const int c = hk * D + d;
                    global const uchar* blk = krow + (size_t)(c / 32) * 18;
                    qk += qs[d] * q4_0_block_value(blk, c % 32) * vload_half(0, (global const half*)blk);
                }
            }
            s = qk * scale;
            if (softCap > 0.0f) s = softCap * tanh(s / softCap);
        }
        const float tileMax = wg_reduce(red, s, lid, 1);
        const float newM = fmax(m, tileMax);
        const float corr = m == -INFINITY ? 0.0f : exp(m - newM);
        const float e = j < hi ? exp(s - newM) : 0.0f;
        p[lid] = e;
        const float tileSum = wg_reduce(red, e, lid, 0); // its barriers also publish p[]
        l = l * corr + tileSum;
        const int count = min(AT_WG, hi - base);
        global const uchar* vrow = vcache + (size_t)base * rowB;
        for (int i = 0; i * AT_WG + lid < D; ++i) {
            const int c = hk * D + i * AT_WG + lid; // value column: its block, its place in it
            const int s0 = c / 32 * 18, e0 = c % 32;
            float acc = o[i] * corr;
            global const uchar* r = vrow + s0;
            for (int jj = 0; jj < count; ++jj, r += rowB)
                acc += p[jj] * (q4_0_block_value(r, e0) * vload_half(0, (global const half*)r));
            o[i] = acc;
        }
        m = newM;
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (whole) {  // the same for the whole launch
        split_whole(o, m, l, h, D, lid, red, out, oq, od, os);
        return;
    }
    const size_t slot = ((size_t)t * heads + h) * nSplit + split;
    for (int i = 0; i * AT_WG + lid < D; ++i) partO[slot * D + i * AT_WG + lid] = o[i];
    if (lid == 0) {
        partMs[2 * slot] = m;
        partMs[2 * slot + 1] = l;
    }
}

// out[t][h*D + d] = sum_s o_s[d] e^(m_s - M) / sum_s l_s e^(m_s - M). Items: (d, h, t).
kernel void attn_merge(global const float* partO, global const float* partMs, global float* out, int heads, int D,
                       int nSplit) {
    const int d = get_global_id(0), h = get_global_id(1), t = get_global_id(2);
    if (d >= D) return;
    const size_t slot0 = ((size_t)t * heads + h) * nSplit;
    float M = -INFINITY;
    for (int s = 0; s < nSplit; ++s) M = fmax(M, partMs[2 * (slot0 + s)]);
    float num = 0.0f, den = 0.0f;
    for (int s = 0; s < nSplit; ++s) {
        const float ms = partMs[2 * (slot0 + s)];
        if (ms == -INFINITY) continue;
        const float w = exp(ms - M);
        num += partO[(slot0 + s) * D + d] * w;
        den += partMs[2 * (slot0 + s) + 1] * w;
    }
    out[(size_t)t * heads * D + h * D + d] = den > 0.0f ? num / den : 0.0f;
}

// Decode (one token): attn_merge, and the Q8_0 quantization (with Q8_1 sums) of its row
// into q, d, s as quantize_q8_0 makes it, for the output projection (heads * D % 32 == 0).
// Items: heads * D in work-groups of 32 (one block each).
kernel void attn_merge_q8(global const float* partO, global const float* partMs, global float* out, int heads, int D,
                          int nSplit, global char* q, global half* qd, global half* qs) {
    local float red[32];
    const int i = get_global_id(0), lid = get_local_id(0);
    const int h = i / D, d = i % D;
    const size_t slot0 = (size_t)h * nSplit;
    float M = -INFINITY;
    for (int s = 0; s < nSplit; ++s) M = fmax(M, partMs[2 * (slot0 + s)]);
    float num = 0.0f, den = 0.0f;
    for (int s = 0; s < nSplit; ++s) {
        const float ms = partMs[2 * (slot0 + s)];
        if (ms == -INFINITY) continue;
        const float w = exp(ms - M);
        num += partO[(slot0 + s) * D + d] * w;
        den += partMs[2 * (slot0 + s) + 1] * w;
    }
    const float v = den > 0.0f ? num / den : 0.0f;
    out[i] = v;
    quantize_lanes32(v, red, lid, i, 1, q, qd, qs);
}
