// Row-wise and element-wise ops: RMSNorm, SwiGLU, add, RoPE + KV-cache store.

// out[t][i] = x[t][i] / sqrt(mean(x[t]^2) + eps) * w[i]; one work-group of NORM_WG per row.
#define NORM_WG 256
// x starts at element xoff (the last row of a batch, say); out is dense [rows][cols].
kernel void rms_norm(global const float* x, int xoff, global const float* w, global float* out, int cols, float eps) {
    local float red[NORM_WG];
    const int lid = get_local_id(0);
    const size_t base = (size_t)get_group_id(0) * cols;
    x += xoff;
    float s = 0.0f;
    if ((cols & 3) == 0) {  // float4 loads
        for (int i = lid * 4; i < cols; i += NORM_WG * 4) {
            const float4 v = vload4(0, x + base + i);
            s += dot(v, v);
        }
    } else {
        for (int i = lid; i < cols; i += NORM_WG) s += x[base + i] * x[base + i];
    }
    red[lid] = s;
    for (int step = NORM_WG / 2; step > 0; step >>= 1) {
        barrier(CLK_LOCAL_MEM_FENCE);
        if (lid < step) red[lid] += red[lid + step];
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    const float scale = 1.0f / sqrt(red[0] / (float)cols + eps);
    for (int i = lid; i < cols; i += NORM_WG) out[base + i] = x[base + i] * scale * (w ? w[i] : 1.0f);
}

// Sum of v over a work-group of NORM_WG items, the same order in every group.
inline float norm_wg_sum(float v, local float* red, int lid) {
    v = lanes32_sum(v, red, lid);
    if ((lid & 31) == 0) red[lid / 32] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    float t = 0.0f;
    for (int k = 0; k < NORM_WG / 32; ++k) t += red[k];
    barrier(CLK_LOCAL_MEM_FENCE);
    return t;
}

// Decode: rms_norm of one row (cols % 32 == 0, out not x) and the Q8_0 quantization of
// out (with Q8_1 sums) into q, d, s as quantize_q8_0 makes it, so that the next weight
// product skips its quantize launch. Work-group g writes values g*NORM_WG ..; each group
// sums the row's squares itself (a row is a few KB: the redundant reads come from cache).
kernel void rms_norm_q8(global const float* x, int xoff, global const float* w, global float* out, int cols, float eps,
                        global char* q, global half* d, global half* s) {
    local float red[NORM_WG];
    const int lid = get_local_id(0);
    x += xoff;
    float acc0 = 0.0f, acc1 = 0.0f;
    int i = lid * 4;
    for (; i + NORM_WG * 4 < cols; i += NORM_WG * 8) {  // two float4 loads in flight
        const float4 a = vload4(0, x + i), b = vload4(0, x + i + NORM_WG * 4);
        acc0 += dot(a, a);
        acc1 += dot(b, b);
    }
    if (i < cols) {
        const float4 a = vload4(0, x + i);
        acc0 += dot(a, a);
    }
    const float scale = 1.0f / sqrt(norm_wg_sum(acc0 + acc1, red, lid) / (float)cols + eps);
    const int c = get_group_id(0) * NORM_WG + lid;
    const float v = c < cols ? x[c] * scale * (w ? w[c] : 1.0f) : 0.0f;
    if (c < cols) out[c] = v;
    quantize_lanes32(v, red, lid, c, c < cols, q, d, s);
}

// out[t][i] = silu(gu[t*ld + i]) * gu[t*ld + f + i] for i < f (gate | up rows).
kernel void swiglu(global const float* gu, global float* out, int ld, int f) {
    const int i = get_global_id(0), t = get_global_id(1);
    if (i >= f) return;
    const float g = gu[(size_t)t * ld + i];
    out[(size_t)t * f + i] = g / (1.0f + exp(-g)) * gu[(size_t)t * ld + f + i];
}

// out[t][i] = gelu(gate) * up with GELU's tanh form on the gate rounded to fp16, the
// result rounded to fp16, saturated outside (-10, 10): the CPU's table, computed.
kernel void geglu(global const float* gu, global float* out, int ld, int f) {
    const int i = get_global_id(0), t = get_global_id(1);
    if (i >= f) return;
    float g = gu[(size_t)t * ld + i];
    float a;
    if (g <= -10.0f) {
        a = 0.0f;
    } else if (g >= 10.0f) {
        a = g;
    } else {
        ushort h;  // an fp16 value's bits (half is a storage type only)
        vstore_half_rte(g, 0, (private half*)&h);
        const float x = vload_half(0, (private const half*)&h);
        const float y = 0.5f * x * (1.0f + tanh(0.7978845608028654f * x * (1.0f + 0.044715f * x * x)));
        vstore_half_rte(y, 0, (private half*)&h);
        a = vload_half(0, (private const half*)&h);
    }
    out[(size_t)t * f + i] = a * gu[(size_t)t * ld + f + i];
}

// Per-head RMSNorm in place: slice h of row t is x[t*ld + off + h*width ..], times
// w[width]. One work-group of HEAD_WG per (head, token).
#define HEAD_WG 64

// One work-group's head: v[0 .. width) normalized and times w, in place.
void norm_head(global float* v, int width, global const float* w, float eps, local float* red) {
    const int lid = get_local_id(0);
    float s = 0.0f;
    for (int i = lid; i < width; i += HEAD_WG) s += v[i] * v[i];
    red[lid] = s;
    for (int step = HEAD_WG / 2; step > 0; step >>= 1) {
        barrier(CLK_LOCAL_MEM_FENCE);
        if (lid < step) red[lid] += red[lid + step];
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    const float scale = 1.0f / sqrt(red[0] / (float)width + eps);
    for (int i = lid; i < width; i += HEAD_WG) v[i] = v[i] * scale * w[i];
}

kernel void head_rms_norm(global float* x, int ld, int off, int width, global const float* w, float eps) {
    local float red[HEAD_WG];
    const int h = get_group_id(0), t = get_group_id(1);
    norm_head(x + (size_t)t * ld + off + (size_t)h * width, width, w, eps, red);
}

// head_rms_norm over the q heads (w: wq) and the k heads after them (wk) of each row:
// heads [0, nq) and [nq, get_num_groups(0)), slices of width from x[t*ld].
kernel void head_rms_norm_qk(global float* x, int ld, int width, global const float* wq, global const float* wk,
                             int nq, float eps) {
    local float red[HEAD_WG];
    const int h = get_group_id(0), t = get_group_id(1);
    norm_head(x + (size_t)t * ld + (size_t)h * width, width, h < nq ? wq : wk, eps, red);
}

// x[t*ld + i] += bias[i] for i < width.
kernel void add_bias(global float* x, int ld, int width, global const float* bias) {
    const int i = get_global_id(0), t = get_global_id(1);
    if (i < width) x[(size_t)t * ld + i] += bias[i];
}

// y[i] += x[i]
kernel void add_inplace(global float* y, global const float* x, int n) {
    const int i = get_global_id(0);
    if (i < n) y[i] += x[i];
}

// Stores one value into a cache row: kvType 0 = F32, 1 = F16; 2 = Q8_0 and 3 = Q4_0 store
// nothing here (kv_store_q8_0 / kv_store_q4_0 quantize whole blocks after RoPE).
inline void kv_store(global uchar* cache, int kvType, size_t index, float v) {
    if (kvType == 0) ((global float*)cache)[index] = v;
    else if (kvType == 1) vstore_half_rte(v, index, (global half*)cache);
}

// Q8_0 cache rows (GGUF blocks of 34 bytes: fp16 scale, 32 int8) from the rotated keys
// and the values of qkv rows, as the CPU's quantizer writes them: d = max|x| / 127,
// q = round(x / d). Items: (block b < rowW/32, 0 = key / 1 = value, token t).
kernel void kv_store_q8_0(global const float* qkv, int ldq, int kOff, int rowW, int pos0, global uchar* kcache,
                          global uchar* vcache) {
    const int b = get_global_id(0), which = get_global_id(1), t = get_global_id(2);
    if (b >= rowW / 32) return;
    global const float* x = qkv + (size_t)t * ldq + kOff + which * rowW + b * 32;
    global uchar* dst = (which == 0 ? kcache : vcache) + ((size_t)(pos0 + t) * (rowW / 32) + b) * 34;
    float amax = 0.0f;
    for (int j = 0; j < 32; ++j) amax = fmax(amax, fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    vstore_half_rte(d, 0, (global half*)dst);
    global char* q = (global char*)(dst + 2);
    for (int j = 0; j < 32; ++j) q[j] = (char)round(x[j] * id);
}

// Q4_0 cache rows (GGUF blocks of 18 bytes: fp16 scale d, then byte j holding values j
// and j+16 in its low and high nibble, offset by 8), as the CPU's quantizer writes them:
// d = the block's value of largest magnitude (the first such) / -8, q = min(15, trunc(x/d + 8.5)).
// Items as kv_store_q8_0.
kernel void kv_store_q4_0(global const float* qkv, int ldq, int kOff, int rowW, int pos0, global uchar* kcache,
                          global uchar* vcache) {
    const int b = get_global_id(0), which = get_global_id(1), t = get_global_id(2);
    if (b >= rowW / 32) return;
    global const float* x = qkv + (size_t)t * ldq + kOff + which * rowW + b * 32;
    global uchar* dst = (which == 0 ? kcache : vcache) + ((size_t)(pos0 + t) * (rowW / 32) + b) * 18;
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < 32; ++j)
        if (amax < fabs(x[j])) {
            amax = fabs(x[j]);
            max = x[j];
        }
    const float d = max / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    vstore_half_rte(d, 0, (global half*)dst);
    for (int j = 0; j < 16; ++j) {
        const int q0 = min(15, (int)(char)(x[j] * id + 8.5f));
        const int q1 = min(15, (int)(char)(x[j + 16] * id + 8.5f));
        dst[2 + j] = (uchar)(q0 | (q1 << 4));
    }
}

// RoPE of the queries and keys of n tokens at positions pos0.., then the keys and
// values go to the cache rows pos0... qkv is [n][ldq] with q (heads x D), k and v
// (headsKv x D each) at columns 0, heads*D and (heads+headsKv)*D. freq[i] is the
// angle per position of pair i (base^(-2i/dims) / freqFactor_i, from the host).
// One item's share: pair i < D/2 of slot (q heads, k heads, v heads) of row (token t).
inline void rope_pair(global float* row, int heads, int headsKv, int D, int pos, int dims, int neox, float freqScale,
                      global const float* freq, global uchar* kcache, global uchar* vcache, int kvType,
                      float qkScale, int i, int slot) {
    const int pairs = dims / 2;
    if (slot >= heads + headsKv) {  // value: copy two elements
        const int h = slot - heads - headsKv;
        global const float* v = row + (heads + headsKv) * D + h * D;
        const size_t dst = (size_t)pos * headsKv * D + h * D + 2 * i;
        kv_store(vcache, kvType, dst, v[2 * i]);
        kv_store(vcache, kvType, dst + 1, v[2 * i + 1]);
        return;
    }
    const bool isK = slot >= heads;
    global float* v = row + slot * D;  // k heads follow the q heads
    int a, b;
    if (i < pairs) {
        a = neox ? i : 2 * i;
        b = neox ? i + pairs : 2 * i + 1;
        const float angle = freqScale * ((float)pos * freq[i]);
        const float c = cos(angle), s = sin(angle);
        const float x0 = v[a], x1 = v[b];
        v[a] = (x0 * c - x1 * s) * qkScale;
        v[b] = (x0 * s + x1 * c) * qkScale;
    } else {  // dims < D: the tail is not rotated; item i covers values 2i, 2i+1 (neox: same)
        a = 2 * i;
        b = 2 * i + 1;
        v[a] *= qkScale;
        v[b] *= qkScale;
    }
    if (isK) {
        const int h = slot - heads;
        const size_t dst = (size_t)pos * headsKv * D + h * D;
        kv_store(kcache, kvType, dst + a, v[a]);
        kv_store(kcache, kvType, dst + b, v[b]);
    }
}

// Items: (pair i < D/2, slot < heads + 2*headsKv, token t).
kernel void rope_kv(global float* qkv, int ldq, int heads, int headsKv, int D, int pos0, int dims, int neox,
                    float freqScale, global const float* freq, global uchar* kcache, global uchar* vcache,
                    int kvType, float qkScale) {
    const int i = get_global_id(0), slot = get_global_id(1), t = get_global_id(2);
    if (i >= D / 2) return;
    rope_pair(qkv + (size_t)t * ldq, heads, headsKv, D, pos0 + t, dims, neox, freqScale, freq, kcache, vcache, kvType,
              qkScale, i, slot);
}

// Qwen3's head norms and rope_kv in one launch: a work-group of HEAD_WG items per (slot,
// token) first normalizes a q head (times wq) or k head (times wk) as head_rms_norm_qk
// does (norm_head: the same bits), then rotates and stores it as rope_kv does; v slots
// are only stored.
kernel void rope_kv_norm(global float* qkv, int ldq, int heads, int headsKv, int D, int pos0, int dims, int neox,
                         float freqScale, global const float* freq, global uchar* kcache, global uchar* vcache,
                         int kvType, float qkScale, global const float* wq, global const float* wk, float eps) {
    local float red[HEAD_WG];
    const int slot = get_group_id(0), t = get_group_id(1), lid = get_local_id(0);
    global float* row = qkv + (size_t)t * ldq;
    if (slot < heads + headsKv) {  // the same for the whole group
        norm_head(row + (size_t)slot * D, D, slot < heads ? wq : wk, eps, red);
        barrier(CLK_GLOBAL_MEM_FENCE);  // the pairs read values other items normalized
    }
    for (int i = lid; i < D / 2; i += HEAD_WG)
        rope_pair(row, heads, headsKv, D, pos0 + t, dims, neox, freqScale, freq, kcache, vcache, kvType, qkScale, i,
                  slot);
}
