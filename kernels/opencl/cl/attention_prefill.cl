// Causal attention for a batch of queries (prefill) over an F32 or F16 cache, flash-attention
// style: a work-group takes AP_BQ consecutive tokens of one head and walks the keys in tiles
// of AP_BK, each key tile staged once in local memory and used by all AP_BQ queries; an
// online softmax per query row (running max, sum, and an output rescaled when the max
// grows), the output normalized at the end and written to out[t][h*D + d] directly.
// Head size D <= AP_MAXD, D % 4 == 0 (larger heads use attn_split).
//
// 128 items. Scores: item i takes key i % 32 of the tile and queries i / 32 + 4j (j < 8);
// the output: dimensions i % 32 + 32c (c < D / 32, rounded up) of the same 8 queries. Rows
// of Q and of the key/value tile are padded to D + 4 floats (float4 reads by 32 lanes of
// neighbouring rows fall on distinct banks). The key tile's buffer takes the value tile
// after the scores are made.
#define AP_BQ 32
#define AP_BK 32
#define AP_MAXD 128
#define AP_LD (AP_MAXD + 4)

inline float4 ap_load4(global const uchar* cache, int kvType, size_t i) {
    return kvType == 0 ? vload4(0, (global const float*)cache + i) : vload_half4(0, (global const half*)cache + i);
}

// Rows base .. base + AP_BK - 1 (those < hi; zeros past it) of head hk into tile.
inline void ap_stage(local float* tile, global const uchar* cache, int kvType, int base, int hi, int rowW, int hk,
                     int D, int lid) {
    const int per = D / 4;
    for (int c = lid; c < AP_BK * per; c += 128) {
        const int k = c / per, d = (c % per) * 4, j = base + k;
        const float4 v = j < hi ? ap_load4(cache, kvType, (size_t)j * rowW + hk * D + d) : (float4)(0.0f);
        vstore4(v, 0, tile + k * AP_LD + d);
    }
}

kernel void attn_prefill(global const float* qkv, int ldq, global const uchar* kcache, global const uchar* vcache,
                         int kvType, global float* out, int n, int heads, int headsKv, int D, int pos0, float scale,
                         int window, float softCap) {
    local float qs[AP_BQ * AP_LD];
    local float kv[AP_BK * AP_LD];
    local float p[AP_BQ * (AP_BK + 1)];
    local float rowM[AP_BQ], rowL[AP_BQ], rowC[AP_BQ];
    const int lid = get_local_id(0), t0 = get_group_id(0) * AP_BQ, h = get_group_id(1);
    const int hk = h / (heads / headsKv), rowW = headsKv * D;
    const int lane = lid & 31, qr = lid >> 5;  // key / dimension lane, first query row
    const int per = D / 4;
    for (int c = lid; c < AP_BQ * per; c += 128) {
        const int r = c / per, d = (c % per) * 4, t = t0 + r;
        const float4 v = t < n ? vload4(0, qkv + (size_t)t * ldq + h * D + d) : (float4)(0.0f);
        vstore4(v, 0, qs + r * AP_LD + d);
    }
    if (lid < AP_BQ) {
        rowM[lid] = -INFINITY;
        rowL[lid] = 0.0f;
    }
    const int tLast = min(t0 + AP_BQ, n) - 1;
    const int hi = pos0 + tLast + 1;                                   // keys any query here sees
    const int lo = window > 0 ? max(0, pos0 + t0 - window + 1) : 0;  // the first query's first key
    float o[8][AP_MAXD / 32];
    for (int j = 0; j < 8; ++j)
        for (int c = 0; c < AP_MAXD / 32; ++c) o[j][c] = 0.0f;

    for (int base = lo; base < hi; base += AP_BK) {
        barrier(CLK_LOCAL_MEM_FENCE);  // the previous value tile is used up
        ap_stage(kv, kcache, kvType, base, hi, rowW, hk, D, lid);
        barrier(CLK_LOCAL_MEM_FENCE);
        // scores of key `lane` for queries qr + 4j
        float s[8];
        for (int j = 0; j < 8; ++j) s[j] = 0.0f;
        for (int d = 0; d < D; d += 4) {
            const float4 k4 = vload4(0, kv + lane * AP_LD + d);
            for (int j = 0; j < 8; ++j) {
                const float4 q4 = vload4(0, qs + (qr + 4 * j) * AP_LD + d);
                s[j] += dot(q4, k4);
            }
        }
        const int key = base + lane;
        for (int j = 0; j < 8; ++j) {
            const int pos = pos0 + t0 + qr + 4 * j;
            float v = s[j] * scale;
            if (softCap > 0.0f) v = softCap * tanh(v / softCap);
            const int visible = key < hi && key <= pos && (window <= 0 || key > pos - window);
            p[(qr + 4 * j) * (AP_BK + 1) + lane] = visible ? v : -INFINITY;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        // online softmax, one item per query row
        if (lid < AP_BQ) {
            local float* row = p + lid * (AP_BK + 1);
            float mx = -INFINITY;
            for (int k = 0; k < AP_BK; ++k) mx = fmax(mx, row[k]);
            const float m0 = rowM[lid], m1 = fmax(m0, mx);
            const float corr = m0 == -INFINITY ? 0.0f : exp(m0 - m1);
            float sum = 0.0f;
            for (int k = 0; k < AP_BK; ++k) {
                const float e = row[k] == -INFINITY ? 0.0f : exp(row[k] - m1);
                row[k] = e;
                sum += e;
            }
            rowM[lid] = m1;
            rowL[lid] = rowL[lid] * corr + sum;
            rowC[lid] = corr;
        }
        ap_stage(kv, vcache, kvType, base, hi, rowW, hk, D, lid);  // after the scores' barrier
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int j = 0; j < 8; ++j) {
            const int r = qr + 4 * j;
            const float corr = rowC[r];
            for (int c = 0; c < AP_MAXD / 32; ++c) o[j][c] *= corr;
        }
        const int count = min(AP_BK, hi - base);
        for (int k = 0; k < count; ++k) {
            float pj[8];
            for (int j = 0; j < 8; ++j) pj[j] = p[(qr + 4 * j) * (AP_BK + 1) + k];
            for (int c = 0; c < AP_MAXD / 32; ++c) {
                const int d = lane + 32 * c;
                if (d >= D) break;
                const float v = kv[k * AP_LD + d];
                for (int j = 0; j < 8; ++j) o[j][c] = fma(pj[j], v, o[j][c]);
            }
        }
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int j = 0; j < 8; ++j) {
        const int r = qr + 4 * j, t = t0 + r;
        if (t >= n) continue;
        const float l = rowL[r];
        for (int c = 0; c < AP_MAXD / 32; ++c) {
            const int d = lane + 32 * c;
            if (d < D) out[(size_t)t * heads * D + h * D + d] = l > 0.0f ? o[j][c] / l : 0.0f;
        }
    }
}
