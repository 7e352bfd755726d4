// The encoders' ops (bert, use-lite): LayerNorm with weight and bias, activations in
// place (GELU through fp16 as the CPU's table, ReLU, tanh), bidirectional attention inside
// each sequence of a packed batch, and pooling of each sequence's rows.

// out[r] = (x[r] - mean) / sqrt(var + eps) * w + b; one work-group of LN_WG per row.
#define LN_WG 256
inline float ln_wg_sum(float v, local float* red, int lid) {
    red[lid] = v;
    for (int step = LN_WG / 2; step > 0; step >>= 1) {
        barrier(CLK_LOCAL_MEM_FENCE);
        if (lid < step) red[lid] += red[lid + step];
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    const float t = red[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return t;
}

kernel void layer_norm(global const float* x, global const float* w, global const float* b, global float* out,
                       int cols, float eps) {
    local float red[LN_WG];
    const int lid = get_local_id(0);
    const size_t base = (size_t)get_group_id(0) * cols;
    float s = 0.0f;
    for (int i = lid; i < cols; i += LN_WG) s += x[base + i];
    const float mean = ln_wg_sum(s, red, lid) / (float)cols;
    float sq = 0.0f;
    for (int i = lid; i < cols; i += LN_WG) {
        const float d = x[base + i] - mean;
        sq += d * d;
    }
    const float scale = 1.0f / sqrt(ln_wg_sum(sq, red, lid) / (float)cols + eps);
    for (int i = lid; i < cols; i += LN_WG) out[base + i] = (x[base + i] - mean) * scale * w[i] + b[i];
}

// act 0: GELU (tanh form) of the input rounded to fp16, the result rounded to fp16,
// x <= -10 -> 0, x >= 10 -> x (the CPU's table, computed); 1: ReLU; 2: tanh.
kernel void activate_inplace(global float* x, int n, int act) {
    const int i = get_global_id(0);
    if (i >= n) return;
    const float g = x[i];
    if (act == 1) {
        x[i] = fmax(g, 0.0f);
    } else if (act == 2) {
        x[i] = tanh(g);
    } else if (g <= -10.0f) {
        x[i] = 0.0f;
    } else if (g < 10.0f) {
        ushort h;
        vstore_half_rte(g, 0, (private half*)&h);
        const float v = vload_half(0, (private const half*)&h);
        const float y = 0.5f * v * (1.0f + tanh(0.7978845608028654f * v * (1.0f + 0.044715f * v * v)));
        vstore_half_rte(y, 0, (private half*)&h);
        x[i] = vload_half(0, (private const half*)&h);
    }
}

// One work-group of ENC_WG per (head, query row t): the scores of t's sequence's keys
// in local memory (at most ENC_MAX_KEYS), softmax, then the weighted sum of the values.
// seqStart[nSeq + 1] holds the row offsets of the sequences.
#define ENC_WG 64
#define ENC_MAX_KEYS 2048
kernel void encoder_attention(global const float* qkv, int ldq, int kOff, int vOff, global const int* seqStart,
                              int nSeq, int D, float scale, global float* out, int ldo) {
    local float p[ENC_MAX_KEYS];
    local float red[ENC_WG];
    const int lid = get_local_id(0), h = get_group_id(0), t = get_group_id(1);
    int s = 0;
    while (s + 1 < nSeq && seqStart[s + 1] <= t) ++s;
    const int begin = seqStart[s], len = seqStart[s + 1] - begin;
    global const float* q = qkv + (size_t)t * ldq + h * D;
    float mx = -INFINITY;
    for (int j = lid; j < len; j += ENC_WG) {
        global const float* k = qkv + (size_t)(begin + j) * ldq + kOff + h * D;
        float acc = 0.0f;
        for (int d = 0; d < D; ++d) acc = fma(q[d], k[d], acc);
        p[j] = acc * scale;
        mx = fmax(mx, p[j]);
    }
    red[lid] = mx;
    for (int step = ENC_WG / 2; step > 0; step >>= 1) {
        barrier(CLK_LOCAL_MEM_FENCE);
        if (lid < step) red[lid] = fmax(red[lid], red[lid + step]);
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    mx = red[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    float sum = 0.0f;
    for (int j = lid; j < len; j += ENC_WG) {
        p[j] = exp(p[j] - mx);
        sum += p[j];
    }
    red[lid] = sum;
    for (int step = ENC_WG / 2; step > 0; step >>= 1) {
        barrier(CLK_LOCAL_MEM_FENCE);
        if (lid < step) red[lid] += red[lid + step];
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    const float inv = 1.0f / red[0];
    global float* o = out + (size_t)t * ldo + h * D;
    for (int d = lid; d < D; d += ENC_WG) {
        float acc = 0.0f;
        for (int j = 0; j < len; ++j) acc = fma(p[j] * inv, qkv[(size_t)(begin + j) * ldq + vOff + h * D + d], acc);
        o[d] = acc;
    }
}

// out[s][i] for i < n: pooling 0 = mean of sequence s's rows (summed in order), 1 = its
// first row (CLS), 2 = its last row.
kernel void pool_rows(global const float* x, int n, global const int* seqStart, int pooling, global float* out) {
    const int i = get_global_id(0), s = get_global_id(1);
    if (i >= n) return;
    const int begin = seqStart[s], end = seqStart[s + 1];
    float v;
    if (pooling == 1) {
        v = x[(size_t)begin * n + i];
    } else if (pooling == 2) {
        v = x[(size_t)(end - 1) * n + i];
    } else {
        v = 0.0f;
        for (int t = begin; t < end; ++t) v += x[(size_t)t * n + i];
        v *= 1.0f / (float)max(end - begin, 1);
    }
    out[(size_t)s * n + i] = v;
}
