// Activation quantization before a weight product, as the CPU backend does it (its
// x86 path), so that both backends round activations the same way:
//   Q8_0 / Q8_1 (for Q4_0, Q8_0 / Q4_1): per 32 values d = amax/127, q = rint(x*127/amax),
//       d stored as half; Q8_1 also s = half(d * sum(q)).
//   Q8_K (for the K-quants): per 256 values iscale = -127/max (max: the value of largest
//       magnitude), q = min(127, rint(iscale*x)), d = 1/iscale as float.
//   F16 (for F16 weights): round to nearest even.
//   BF16 (for BF16 weights): floats rounded to bf16 (nearest even; NaN kept quiet).
// x rows are [n][ldx]; act = 1 reads silu(x[k]) * x[k + k] (SwiGLU of [gate | up]).
// Outputs are dense: q [n][k], d and s [n][k/group].

inline float act_load(global const float* x, int k, int i, int act) {
    if (!act) return x[i];
    const float g = x[i];
    return g / (1.0f + exp(-g)) * x[k + i];
}

inline float8 act_load8(global const float* x, int k, int i, int act) {
    const float8 g = vload8(0, x + i);
    if (!act) return g;
    return g / (1.0f + exp(-g)) * vload8(0, x + k + i);
}

// One item per 32 values (global: k/32 x n); vector loads: 4 (8 with act) per item.
kernel void quantize_q8_0(global const float* x, int ldx, int k, int act, global char* q, global half* d,
                          global half* s) {
    const int b = get_global_id(0), t = get_global_id(1);
    if (b >= k / 32) return;
    global const float* row = x + (size_t)t * ldx;
    const float8 v0 = act_load8(row, k, b * 32, act), v1 = act_load8(row, k, b * 32 + 8, act);
    const float8 v2 = act_load8(row, k, b * 32 + 16, act), v3 = act_load8(row, k, b * 32 + 24, act);
    const float8 m8 = fmax(fmax(fabs(v0), fabs(v1)), fmax(fabs(v2), fabs(v3)));
    const float4 m4 = fmax(m8.lo, m8.hi);
    const float amax = fmax(fmax(m4.x, m4.y), fmax(m4.z, m4.w));
    const float dd = amax / 127.0f;
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    const int8 q0 = convert_int8(rint(v0 * id)), q1 = convert_int8(rint(v1 * id));
    const int8 q2 = convert_int8(rint(v2 * id)), q3 = convert_int8(rint(v3 * id));
    global char* o = q + (size_t)t * k + b * 32;
    vstore8(convert_char8(q0), 0, o);
    vstore8(convert_char8(q1), 1, o);
    vstore8(convert_char8(q2), 2, o);
    vstore8(convert_char8(q3), 3, o);
    const size_t bi = (size_t)t * (k / 32) + b;
    vstore_half_rte(dd, bi, d);
    if (s) {
        const int8 q8 = q0 + q1 + q2 + q3;
        const int4 q4 = q8.lo + q8.hi;
        vstore_half_rte(dd * (float)(q4.x + q4.y + q4.z + q4.w), bi, s);
    }
}

// The same with one item per value (global: k rounded up to 128 x n, work-groups of 128):
// neighbouring items read neighbouring floats, and a block's 32 items find its largest
// magnitude and sum together (quantize_lanes32: warp shuffles on NVIDIA). The values are
// those of quantize_q8_0: the same operations per value.
kernel void quantize_q8_0_lanes(global const float* x, int ldx, int k, int act, global char* q, global half* d,
                                global half* s) {
    local float red[128];
    const int i = get_global_id(0), t = get_global_id(1), lid = get_local_id(0);
    const float v = i < k ? act_load(x + (size_t)t * ldx, k, i, act) : 0.0f;
    const size_t blocks = (size_t)t * (k / 32);
    quantize_lanes32(v, red, lid, i, i < k, q + (size_t)t * k, d + blocks, s ? s + blocks : s);
}

// One item per 256 values (global: k/256 x n).
kernel void quantize_q8_k(global const float* x, int ldx, int k, int act, global char* q, global float* d) {
    const int b = get_global_id(0), t = get_global_id(1);
    if (b >= k / 256) return;
    global const float* row = x + (size_t)t * ldx;
    float amax = 0.0f, mx = 0.0f;
    for (int i = 0; i < 256; ++i) {
        const float v = act_load(row, k, b * 256 + i, act);
        if (fabs(v) > amax) {
            amax = fabs(v);
            mx = v;
        }
    }
    const size_t o = (size_t)t * k + b * 256;
    const size_t bi = (size_t)t * (k / 256) + b;
    if (amax == 0.0f) {
        for (int i = 0; i < 256; ++i) q[o + i] = 0;
        d[bi] = 0.0f;
        return;
    }
    const float iscale = -127.0f / mx;
    for (int i = 0; i < 256; ++i) q[o + i] = (char)min(127, (int)rint(iscale * act_load(row, k, b * 256 + i, act)));
    d[bi] = 1.0f / iscale;
}

// global: k x n
kernel void quantize_f16(global const float* x, int ldx, int k, int act, global half* out) {
    const int i = get_global_id(0), t = get_global_id(1);
    if (i >= k) return;
    vstore_half_rte(act_load(x + (size_t)t * ldx, k, i, act), (size_t)t * k + i, out);
}

// out[t][i] = x[t][i] or the SwiGLU of it, as floats (for F32 weights); global: k x n.
kernel void activation_f32(global const float* x, int ldx, int k, int act, global float* out) {
    const int i = get_global_id(0), t = get_global_id(1);
    if (i >= k) return;
    out[(size_t)t * k + i] = act_load(x + (size_t)t * ldx, k, i, act);
}

// out[t][i] = x[t][i] (or its SwiGLU) rounded to bf16, kept as floats; global: k x n.
kernel void round_bf16(global const float* x, int ldx, int k, int act, global float* out) {
    const int i = get_global_id(0), t = get_global_id(1);
    if (i >= k) return;
    const uint u = as_uint(act_load(x + (size_t)t * ldx, k, i, act));
    const uint r = (u & 0x7fffffffu) > 0x7f800000u ? (u | 0x00400000u) : u + 0x7fffu + ((u >> 16) & 1u);
    out[(size_t)t * k + i] = as_float(r & 0xffff0000u);
}
