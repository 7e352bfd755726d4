// Causal (optionally sliding-window, soft-capped) grouped-query attention over a
// KV cache in F32, F16, Q8_0 or Q4_0. With an ISA family active: the fused, tiled kernel of
// attention_simd.inc (online softmax, cache read in its own type), one task per
// (KV head, block of query tokens). Scalar: the reference below, one task per
// (token, head), over the cache dequantized once per call. One token over a long
// context: its key chunks spread over the threads, then folded (flash decoding).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/ops.h"
#include "kernels/ref.h"
#include "kernels/thread_pool.h"
#include "matmul_isa.h"

namespace kernels {
namespace {

// Cache rows as floats: F32 rows are used in place, other types are dequantized
// once per call into `scratch`.
const float* cacheAsFloat(const void* cache, GgmlType type, int64_t rows, int64_t width,
                          std::vector<float>& scratch) {
    if (type == GgmlType::F32) return static_cast<const float*>(cache);
    scratch.resize(static_cast<size_t>(rows * width));
    const size_t stride = rowBytes(type, width);
    for (int64_t r = 0; r < rows; ++r)
        ref::dequantizeRow(type, static_cast<const uint8_t*>(cache) + r * stride, scratch.data() + r * width, width);
    return scratch.data();
}

}  // namespace

void attention(ThreadPool& pool, const float* q, int64_t tokens, int64_t pos0, const void* k, const void* v,
               GgmlType cacheType, const AttentionShape& s, float* out) {
    const cpu::IsaKernels* isa = cpu::isaKernels(activeCpuIsa());
    if (isa && isa->attention && tokens > 0 && s.headsKv > 0 && s.heads % s.headsKv == 0) {
        cpu::AttentionJob job;
        job.q = q;
        job.pos0 = pos0;
        job.k = static_cast<const uint8_t*>(k);
        job.v = static_cast<const uint8_t*>(v);
        job.cacheType = cacheType;
        job.rowStride = rowBytes(cacheType, s.headsKv * s.headDim);
        job.heads = s.heads;
        job.headsKv = s.headsKv;
        job.headDim = s.headDim;
        job.scale = s.scale;
        job.window = s.window;
        job.softCap = s.softCap;
        job.out = out;
        const int64_t group = s.heads / s.headsKv;
        // One token over several key chunks (flash decoding): task = (chunk, KV head),
        // each writing its chunk's max, sum and unnormalized output; the chunks are
        // then folded in order per KV head, so the result does not depend on the
        // thread count. Chunk-major order: threads read neighbouring cache rows.
        if (tokens == 1 && group <= 8 && s.headDim % 8 == 0 && s.headDim <= 256) {
            const int64_t first = s.window > 0 ? std::max<int64_t>(0, pos0 - s.window + 1) : 0;
            const int64_t chunks = pos0 / cpu::kAttentionChunkKeys - first / cpu::kAttentionChunkKeys + 1;
            if (chunks > 1 && (pos0 + 1 - first) * s.heads * s.headDim >= (int64_t{1} << 16)) {
                thread_local std::vector<float> partials;
                partials.resize(static_cast<size_t>(chunks * s.headsKv * cpu::attentionPartialFloats(s.headDim)));
                job.partials = partials.data();
                pool.parallelFor(chunks * s.headsKv, [&](int64_t task, int) {
                    cpu::AttentionJob part = job;
                    part.chunk = task / s.headsKv;
                    isa->attention(part, task % s.headsKv, 0, 1);
                });
                job.chunk = -1;
                for (int64_t h = 0; h < s.headsKv; ++h) isa->attention(job, h, 0, 1);
                return;
            }
        }
        // Query blocks of up to 128 rows (group heads x tokens) share each K/V tile.
        const int64_t block = std::max<int64_t>(1, 128 / group);
        const int64_t blocks = (tokens + block - 1) / block;
        auto run = [&](int64_t task, int) {
            const int64_t t0 = (task % blocks) * block;
            isa->attention(job, task / blocks, t0, std::min(tokens, t0 + block));
        };
        // Short contexts of small models: the caller alone (waking workers costs more).
        if (tokens * (pos0 + tokens) * s.heads * s.headDim < (int64_t{1} << 16)) {
            for (int64_t task = 0; task < s.headsKv * blocks; ++task) run(task, 0);
        } else {
            pool.parallelFor(s.headsKv * blocks, run);
        }
        return;
    }
    const int64_t kvLen = pos0 + tokens;
    const int64_t kvWidth = s.headsKv * s.headDim;
    const int64_t qWidth = s.heads * s.headDim;
    const int64_t group = s.heads / s.headsKv;
    std::vector<float> kScratch, vScratch;
    const float* kf = cacheAsFloat(k, cacheType, kvLen, kvWidth, kScratch);
    const float* vf = cacheAsFloat(v, cacheType, kvLen, kvWidth, vScratch);

    pool.parallelFor(tokens * s.heads, [&](int64_t task, int) {
        const int64_t t = task / s.heads;
        const int64_t h = task % s.heads;
        const int64_t pos = pos0 + t;
        const int64_t kvh = h / group;
        const float* qh = q + t * qWidth + h * s.headDim;
        const int64_t first = s.window > 0 ? std::max<int64_t>(0, pos - s.window + 1) : 0;
        thread_local std::vector<float> scores;
        scores.assign(static_cast<size_t>(pos + 1 - first), 0.0f);

        float maxScore = -std::numeric_limits<float>::infinity();
        for (int64_t j = first; j <= pos; ++j) {
            const float* kh = kf + j * kvWidth + kvh * s.headDim;
            float dot = 0.0f;
            for (int64_t d = 0; d < s.headDim; ++d) dot += qh[d] * kh[d];
            float score = dot * s.scale;
            if (s.softCap > 0.0f) score = s.softCap * std::tanh(score / s.softCap);
            scores[j - first] = score;
            maxScore = std::max(maxScore, score);
        }
        double sum = 0.0;
        for (float& sc : scores) {
            sc = std::exp(sc - maxScore);
            sum += sc;
        }
        const float inv = static_cast<float>(1.0 / sum);
        for (float& sc : scores) sc *= inv;

        float* oh = out + t * qWidth + h * s.headDim;
        std::fill(oh, oh + s.headDim, 0.0f);
        for (int64_t j = first; j <= pos; ++j) {
            const float p = scores[j - first];
            const float* vh = vf + j * kvWidth + kvh * s.headDim;
            for (int64_t d = 0; d < s.headDim; ++d) oh[d] += p * vh[d];
        }
    });
}

}  // namespace kernels
