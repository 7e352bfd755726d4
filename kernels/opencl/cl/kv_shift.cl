// Sinks context policy (ContextPolicy::Sinks, StreamingLLM): cache rows [from, from+n)
// move to [to, to+n), their keys rotated by RoPE once more for the new positions (pair
// i turned by (to - from) x its angle per position; rotations add up). Step 1 here:
// the keys of the moved rows, read in the cache's type and rotated, as floats f[n][rowW];
// the host then stores f into the rows at `to` (kv_store_rows, or kv_store_q8_0 /
// kv_store_q4_0 for quantized caches) and moves the values with two copies.
// Items: (pair i < D/2, kv head h, row r).

// Element e of a cache of rows of whole 32-value blocks, as a float.
inline float kv_value(global const uchar* cache, int kvType, size_t e) {
    if (kvType < 2) return kv_load(cache, kvType, e);
    const size_t block = e / 32;
    const int j = (int)(e % 32);
    if (kvType == 2) {
        global const uchar* b = cache + block * 34;
        return vload_half(0, (global const half*)b) * (float)((global const char*)(b + 2))[j];
    }
    global const uchar* b = cache + block * 18;
    return vload_half(0, (global const half*)b) * q4_0_block_value(b, j);
}

kernel void kv_shift_keys(global const uchar* kcache, int kvType, int D, int headsKv, int from, int delta, int dims,
                          int neox, float freqScale, global const float* freq, global float* f) {
    const int i = get_global_id(0), h = get_global_id(1), r = get_global_id(2);
    if (i >= D / 2) return;
    const int rowW = headsKv * D, pairs = dims / 2;
    const bool rotated = i < pairs;
    const int a = rotated && neox ? i : 2 * i;
    const int b = rotated && neox ? i + pairs : 2 * i + 1;
    const size_t src = (size_t)(from + r) * rowW + h * D;
    const float x0 = kv_value(kcache, kvType, src + a), x1 = kv_value(kcache, kvType, src + b);
    global float* dst = f + (size_t)r * rowW + h * D;
    if (!rotated) {  // dims < D: the tail keeps its values
        dst[a] = x0;
        dst[b] = x1;
        return;
    }
    const float angle = freqScale * ((float)delta * freq[i]);
    const float c = cos(angle), s = sin(angle);
    dst[a] = x0 * c - x1 * s;
    dst[b] = x0 * s + x1 * c;
}

// f[n][rowW] into the F32 / F16 cache rows pos0... Items: (value e < rowW, row r).
kernel void kv_store_rows(global const float* f, int rowW, int pos0, global uchar* cache, int kvType) {
    const int e = get_global_id(0), r = get_global_id(1);
    if (e >= rowW) return;
    kv_store(cache, kvType, (size_t)(pos0 + r) * rowW + e, f[(size_t)r * rowW + e]);
}
