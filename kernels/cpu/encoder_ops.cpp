// Ops of the encoder-only models (BERT, USE-Lite): LayerNorm, ReLU (GELU: activations.cpp),
// per-row biases, bidirectional attention over a packed batch of sequences, pooling
// and L2 normalization. Norm sums accumulate in double, as the reference engine does.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/ops.h"
#include "kernels/ref.h"
#include "kernels/thread_pool.h"

namespace kernels {

namespace {

// q.k over n values with 8 independent partial sums: the compiler turns them into
// vector lanes (a single running sum would be a serial dependency chain).
float dot(const float* a, const float* b, int64_t n) {
    float acc[8] = {};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; ++k) acc[k] += a[i + k] * b[i + k];
    float sum = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; i < n; ++i) sum += a[i] * b[i];
    return sum;
}

}  // namespace

void layerNorm(const float* x, const float* weight, const float* bias, int64_t n, float eps, float* out) {
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) sum += x[i];
    const float mean = static_cast<float>(sum / static_cast<double>(n));
    double sq = 0.0;
    for (int64_t i = 0; i < n; ++i) {
        const float d = x[i] - mean;
        out[i] = d;
        sq += static_cast<double>(d * d);
    }
    const float variance = static_cast<float>(sq / static_cast<double>(n));
    const float scale = 1.0f / std::sqrt(variance + eps);
    for (int64_t i = 0; i < n; ++i) out[i] *= scale;
    if (weight)
        for (int64_t i = 0; i < n; ++i) out[i] *= weight[i];
    if (bias)
        for (int64_t i = 0; i < n; ++i) out[i] += bias[i];
}

void reluInPlace(float* x, int64_t n) {
    for (int64_t i = 0; i < n; ++i) x[i] = std::max(x[i], 0.0f);
}

void addRowBias(float* x, const float* bias, int64_t rows, int64_t n) {
    for (int64_t r = 0; r < rows; ++r) {
        float* row = x + r * n;
        for (int64_t i = 0; i < n; ++i) row[i] += bias[i];
    }
}

void encoderAttention(ThreadPool& pool, const float* q, const float* k, const float* v, int64_t rowStride,
                      std::span<const int64_t> seqStart, int64_t heads, int64_t headDim, float scale, float* out,
                      int64_t outStride) {
    const int64_t nSeq = static_cast<int64_t>(seqStart.size()) - 1;
    if (nSeq <= 0) return;
    // One task per (sequence, head); each task's scores live in a per-thread buffer.
    std::vector<std::vector<float>> scores(static_cast<size_t>(pool.size()));
    pool.parallelFor(nSeq * heads, [&](int64_t task, int thread) {
        const int64_t s = task / heads, h = task % heads;
        const int64_t begin = seqStart[s], len = seqStart[s + 1] - begin;
        std::vector<float>& p = scores[static_cast<size_t>(thread)];
        p.resize(static_cast<size_t>(len));
        for (int64_t i = 0; i < len; ++i) {
            const float* qi = q + (begin + i) * rowStride + h * headDim;
            float maxScore = -INFINITY;
            for (int64_t j = 0; j < len; ++j) {
                p[j] = dot(qi, k + (begin + j) * rowStride + h * headDim, headDim) * scale;
                maxScore = std::max(maxScore, p[j]);
            }
            double sum = 0.0;
            for (int64_t j = 0; j < len; ++j) {
                p[j] = std::exp(p[j] - maxScore);
                sum += p[j];
            }
            const float inv = static_cast<float>(1.0 / sum);
            float* o = out + (begin + i) * outStride + h * headDim;
            std::fill(o, o + headDim, 0.0f);
            for (int64_t j = 0; j < len; ++j) {
                const float w = p[j] * inv;
                const float* vj = v + (begin + j) * rowStride + h * headDim;
                for (int64_t d = 0; d < headDim; ++d) o[d] += w * vj[d];
            }
        }
    });
}

void poolSequences(const float* x, int64_t n, std::span<const int64_t> seqStart, Pooling pooling, float* out) {
    const int64_t nSeq = static_cast<int64_t>(seqStart.size()) - 1;
    for (int64_t s = 0; s < nSeq; ++s) {
        const int64_t begin = seqStart[s], len = seqStart[s + 1] - begin;
        float* o = out + s * n;
        if (pooling == Pooling::Cls || pooling == Pooling::Last) {
            const int64_t row = pooling == Pooling::Cls ? begin : begin + len - 1;
            std::copy(x + row * n, x + (row + 1) * n, o);
            continue;
        }
        std::fill(o, o + n, 0.0f);
        for (int64_t t = begin; t < begin + len; ++t)
            for (int64_t i = 0; i < n; ++i) o[i] += x[t * n + i];
        const float inv = 1.0f / static_cast<float>(std::max<int64_t>(len, 1));
        for (int64_t i = 0; i < n; ++i) o[i] *= inv;
    }
}

void l2Normalize(float* x, int64_t n, float minSumSquares) {
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
    const float inv = static_cast<float>(1.0 / std::sqrt(std::max(sum, static_cast<double>(minSumSquares))));
    for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

}  // namespace kernels
