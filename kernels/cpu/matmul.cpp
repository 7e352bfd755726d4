// Matrix multiplication on the CPU backend. Activations are converted once per call
// to the weight type's dot-product type (in parallel over tokens), then row blocks
// are spread over the pool; each block runs the register-blocked kernel of the
// active ISA family (matmul_<isa>.cpp), or the scalar reference when that family
// has no kernel for the type.
#include <algorithm>
#include <span>
#include <cstring>
#include <vector>

#include "kernels/cpu_ops_internal.h"
#include "kernels/ops.h"
#include "kernels/ref.h"
#include "kernels/thread_pool.h"
#include "matmul_isa.h"

namespace kernels {
namespace cpu {

const IsaKernels* isaKernels(CpuIsa isa) {
#if defined(__x86_64__)
    switch (isa) {
        case CpuIsa::Scalar: return nullptr;
        case CpuIsa::Avx2: return &kernelsAvx2();
        case CpuIsa::AvxVnni: return &kernelsAvxVnni();
        case CpuIsa::Avx512: return &kernelsAvx512();
        case CpuIsa::Avx512Vnni: return &kernelsAvx512Vnni();
        case CpuIsa::Amx: return &kernelsAmx();
    }
#endif
    (void)isa;
    return nullptr;
}

}  // namespace cpu

namespace {

// Per-calling-thread buffers of converted activations (reused across calls).
struct ActScratch {
    std::vector<int8_t> pairQs;
    std::vector<float> pairD;
    std::vector<int32_t> pairInit;
    std::vector<uint8_t> blocks;
    std::vector<float> d;
    std::vector<int32_t> sums;
    std::vector<float> floats;
};

// Below this many multiply-adds a matmul is not split over threads.
constexpr int64_t kInlineMacs = int64_t{1} << 17;

void forTokens(ThreadPool& pool, int64_t tokens, const std::function<void(int64_t)>& fn) {
    if (tokens == 1) {
        fn(0);
        return;
    }
    pool.parallelFor(tokens, [&](int64_t t, int) { fn(t); });
}

// Fills job.act for weights of `type`; false for an activation type the kernels do not read.
bool prepareActivations(ThreadPool& pool, GgmlType type, const float* x, int64_t tokens, int64_t k,
                        const cpu::IsaKernels& isa, bool interleaved, ActScratch& s, cpu::Activations& act) {
    bool paired = isa.pairedQ8 && !interleaved;  // only the 512-bit GGUF-layout kernels read pairs
    const GgmlType actType = ref::vecDotType(type);
    if (actType == GgmlType::F32) {
        act.data = reinterpret_cast<const uint8_t*>(x);
        act.stride = static_cast<size_t>(k) * sizeof(float);
        return true;
    }
    if (actType == GgmlType::F16 || actType == GgmlType::BF16) {
        // the reference rounds activations to f16 / bf16; the kernels read them back as floats
        s.floats.resize(static_cast<size_t>(tokens * k));
        const bool half = actType == GgmlType::F16;
        forTokens(pool, tokens, [&](int64_t t) {
            const float* src = x + t * k;
            float* dst = s.floats.data() + t * k;
            if (half)
                for (int64_t i = 0; i < k; ++i) dst[i] = ref::fp16ToFp32(ref::fp32ToFp16(src[i]));
            else
                for (int64_t i = 0; i < k; ++i) dst[i] = ref::bf16ToFp32(ref::fp32ToBf16(src[i]));
        });
        act.data = reinterpret_cast<const uint8_t*>(s.floats.data());
        act.stride = static_cast<size_t>(k) * sizeof(float);
        return true;
    }
    // Q8_1 (Q4_1 / Q5_1 weights): the kernels read d and s from the blocks themselves
    if (actType != GgmlType::Q8_0 && actType != GgmlType::Q8_K && actType != GgmlType::Q8_1) return false;
    const size_t stride = rowBytes(actType, k);
    s.blocks.resize(stride * static_cast<size_t>(tokens));
    const int64_t nb = k / 32;
    // the offset the weight codes carry: Q4_0 nibbles - 8, Q8_0 as w + 128 in vpdpbusd
    const int32_t offset = type == GgmlType::Q4_0 ? 8 : 128;
    paired = paired && (type == GgmlType::Q4_0 || type == GgmlType::Q8_0);
    const int64_t np = paired ? nb / 2 : 0;
    if (actType == GgmlType::Q8_0) {
        s.d.resize(static_cast<size_t>(tokens * nb));
        s.sums.resize(static_cast<size_t>(tokens * nb));
        s.pairQs.resize(static_cast<size_t>(tokens * np * 64));
        s.pairD.resize(static_cast<size_t>(tokens * np * 16));
        s.pairInit.resize(static_cast<size_t>(tokens * np * 16));
    }
    forTokens(pool, tokens, [&](int64_t t) {
        uint8_t* dst = s.blocks.data() + t * stride;
        if (actType == GgmlType::Q8_0 && isa.quantizeQ8_0) {
            isa.quantizeQ8_0(x + t * k, k, dst, &s.d[t * nb], &s.sums[t * nb]);
        } else if (actType == GgmlType::Q8_K && isa.quantizeQ8_K) {
            isa.quantizeQ8_K(x + t * k, k, dst);
        } else {
            quantizeActivations(actType, x + t * k, dst, k);
        }
        if (actType != GgmlType::Q8_0) return;
        for (int64_t b = 0; b < nb && !isa.quantizeQ8_0; ++b) {
            const uint8_t* blk = dst + b * 34;
            uint16_t h;
            std::memcpy(&h, blk, 2);
            s.d[t * nb + b] = ref::fp16ToFp32(h);
            int32_t sum = 0;
            for (int i = 0; i < 32; ++i) sum += static_cast<int8_t>(blk[2 + i]);
            s.sums[t * nb + b] = sum;
        }
        for (int64_t p = 0; p < np; ++p) {
            const int64_t i = t * np + p, b = 2 * p;
            std::memcpy(&s.pairQs[i * 64], dst + b * 34 + 2, 32);
            std::memcpy(&s.pairQs[i * 64 + 32], dst + (b + 1) * 34 + 2, 32);
            for (int l = 0; l < 16; ++l) {
                s.pairD[i * 16 + l] = s.d[t * nb + b + l / 8];
                s.pairInit[i * 16 + l] = l % 8 ? 0 : -offset * s.sums[t * nb + b + l / 8];
            }
        }
    });
    if (np > 0) {
        act.pairQs = s.pairQs.data();
        act.pairD = s.pairD.data();
        act.pairInit = s.pairInit.data();
        act.pairsPerToken = np;
    }
    act.data = s.blocks.data();
    act.stride = stride;
    act.d = s.d.data();
    act.sums = s.sums.data();
    act.blocksPerToken = nb;
    return true;
}

// out = the rows rows[0..n) of prepared activations `base` (k elements a token, of
// dot type actType), copied into s: what prepareActivations gives for those rows'
// floats, since every token is converted on its own.
void gatherActivations(const cpu::Activations& base, GgmlType actType, int64_t k, const int32_t* rows, int64_t n,
                       ActScratch& s, cpu::Activations& out) {
    out = base;
    if (actType == GgmlType::F32 || actType == GgmlType::F16 || actType == GgmlType::BF16) {
        s.floats.resize(static_cast<size_t>(n * k));
        for (int64_t t = 0; t < n; ++t)
            std::memcpy(&s.floats[t * k], base.data + rows[t] * base.stride, static_cast<size_t>(k) * sizeof(float));
        out.data = reinterpret_cast<const uint8_t*>(s.floats.data());
        return;
    }
    s.blocks.resize(base.stride * static_cast<size_t>(n));
    for (int64_t t = 0; t < n; ++t) std::memcpy(&s.blocks[t * base.stride], base.data + rows[t] * base.stride, base.stride);
    out.data = s.blocks.data();
    if (actType != GgmlType::Q8_0) return;
    const int64_t nb = base.blocksPerToken, np = base.pairsPerToken;
    s.d.resize(static_cast<size_t>(n * nb));
    s.sums.resize(static_cast<size_t>(n * nb));
    for (int64_t t = 0; t < n; ++t) {
        std::memcpy(&s.d[t * nb], base.d + rows[t] * nb, static_cast<size_t>(nb) * sizeof(float));
        std::memcpy(&s.sums[t * nb], base.sums + rows[t] * nb, static_cast<size_t>(nb) * sizeof(int32_t));
    }
    out.d = s.d.data();
    out.sums = s.sums.data();
    if (np == 0) return;
    s.pairQs.resize(static_cast<size_t>(n * np * 64));
    s.pairD.resize(static_cast<size_t>(n * np * 16));
    s.pairInit.resize(static_cast<size_t>(n * np * 16));
    for (int64_t t = 0; t < n; ++t) {
        std::memcpy(&s.pairQs[t * np * 64], base.pairQs + rows[t] * np * 64, static_cast<size_t>(np) * 64);
        std::memcpy(&s.pairD[t * np * 16], base.pairD + rows[t] * np * 16, static_cast<size_t>(np) * 16 * sizeof(float));
        std::memcpy(&s.pairInit[t * np * 16], base.pairInit + rows[t] * np * 16, static_cast<size_t>(np) * 16 * sizeof(int32_t));
    }
    out.pairQs = s.pairQs.data();
    out.pairD = s.pairD.data();
    out.pairInit = s.pairInit.data();
}

// The scalar path: the reference dot product per (row, token).
void matmulScalar(ThreadPool& pool, const Matrix& w, const float* x, int64_t tokens, float* out) {
    const GgmlType actType = ref::vecDotType(w.type);
    const size_t actStride = rowBytes(actType, w.cols);
    thread_local std::vector<uint8_t> act;
    if (actType != GgmlType::F32) {
        act.resize(actStride * static_cast<size_t>(tokens));
        for (int64_t t = 0; t < tokens; ++t)
            quantizeActivations(actType, x + t * w.cols, act.data() + t * actStride, w.cols);
    }
    const uint8_t* actBase = actType == GgmlType::F32 ? reinterpret_cast<const uint8_t*>(x) : act.data();
    const int64_t rowsPerTask = std::max<int64_t>(1, std::min<int64_t>(64, w.rows / (4 * pool.size())));
    const int64_t tasks = (w.rows + rowsPerTask - 1) / rowsPerTask;
    const auto* wBase = static_cast<const uint8_t*>(w.data);
    const size_t wStride = w.rowStride();
    pool.parallelFor(tasks, [&](int64_t task, int) {
        const int64_t r0 = task * rowsPerTask;
        const int64_t r1 = std::min(w.rows, r0 + rowsPerTask);
        for (int64_t t = 0; t < tokens; ++t) {
            const uint8_t* a = actBase + t * actStride;
            float* o = out + t * w.rows;
            for (int64_t r = r0; r < r1; ++r) o[r] = ref::vecDot(w.type, w.cols, wBase + r * wStride, a);
        }
    });
}

// The kernel for w on this ISA: the prefill one (AMX tiles) for enough tokens on
// interleaved weights, the 8-row interleaved one when w was interleaved at load, else
// the GGUF-layout tile; null when the type has none (the scalar path). `unit`: the
// row count a task's block is a multiple of.
struct Kernel {
    cpu::TileFn tile = nullptr;
    bool interleaved = false;
    int64_t unit = 4;
};

Kernel kernelFor(const cpu::IsaKernels* isa, const Matrix& w, int64_t tokens) {
    const auto slot = static_cast<size_t>(w.type);
    if (!isa || slot >= cpu::kTypeSlots) return {};
    if (w.interleaved && isa->prefillX8[slot] && tokens >= isa->prefillMinTokens) return {isa->prefillX8[slot], true, 16};
    if (w.interleaved && isa->tileX8[slot]) return {isa->tileX8[slot], true, 8};
    return {isa->tile[slot], false, 4};
}

// The weight side of a job (its activations are the caller's).
cpu::MatmulJob jobFor(const Matrix& w, bool interleaved, float* out) {
    cpu::MatmulJob job;
    job.w = static_cast<const uint8_t*>(interleaved ? w.interleaved : w.data);
    job.wStride = interleaved ? w.interleavedGroupBytes : w.rowStride();
    job.k = w.cols;
    job.out = out;
    job.ldo = w.rows;
    return job;
}

}  // namespace

void matmul(ThreadPool& pool, const Matrix& w, const float* x, int64_t tokens, float* out) {
    if (tokens <= 0 || w.rows <= 0) return;
    const cpu::IsaKernels* isa = cpu::isaKernels(activeCpuIsa());
    const auto [tile, interleaved, unit] = kernelFor(isa, w, tokens);
    thread_local ActScratch scratch;
    cpu::MatmulJob job = jobFor(w, interleaved, out);
    if (!tile || !prepareActivations(pool, w.type, x, tokens, w.cols, *isa, interleaved, scratch, job.act)) {
        matmulScalar(pool, w, x, tokens, out);
        return;
    }

    // Row blocks (multiples of the kernel's unit: 4, the tiles' row count, 8 for
    // interleaved weights, 16 for AMX tiles): ~8 per thread for one token (dynamic scheduling evens out the tail),
    // up to 64 rows with many tokens so a block's weights stay in L2 while every
    // token tile streams past them.
    // Tiny products (the demo model's 64-wide rows) run on the caller: waking a worker
    // costs more than the work, and on a busy machine a descheduled worker costs a
    // whole scheduler slice.
    if (w.rows * w.cols * tokens < kInlineMacs) {
        tile(job, 0, w.rows, 0, tokens);
        return;
    }
    const int64_t threads = pool.size();
    const int64_t target = tokens == 1 ? w.rows / (8 * threads) : w.rows / (4 * threads);
    const int64_t chunk = std::clamp<int64_t>((target + unit - 1) / unit * unit, unit, tokens == 1 ? 1024 : 64);
    const int64_t tasks = (w.rows + chunk - 1) / chunk;
    pool.parallelFor(tasks, [&](int64_t task, int) {
        const int64_t r0 = task * chunk;
        tile(job, r0, std::min(w.rows, r0 + chunk), 0, tokens);
    });
}

void matmulMany(ThreadPool& pool, std::span<const MatmulItem> items) {
    // Products with tile kernels run as row blocks of one parallel loop, and each
    // distinct input is quantized once (a token's experts share theirs); the others run
    // one by one as matmul() would.
    struct Planned {
        cpu::MatmulJob job;
        cpu::TileFn tile;
        int64_t tokens, chunk, firstTask;
    };
    struct Input {
        const float* x;
        GgmlType type;
        int64_t tokens, cols;
        bool interleaved;
        const int32_t* rows;  // a gathered item's rows (its own Input), or null
        cpu::Activations act;
    };
    thread_local std::vector<ActScratch> scratch;
    if (scratch.size() < 2 * items.size()) scratch.resize(2 * items.size());
    std::vector<Planned> plan;
    std::vector<Input> inputs;
    std::vector<float> gatheredFloats;  // for an item without a kernel
    const cpu::IsaKernels* isa = cpu::isaKernels(activeCpuIsa());
    // An input several gathering items read: quantized once, all the rows any of them reads.
    std::vector<std::pair<const float*, int64_t>> rowCounts;  // per gathered input, counted once
    auto baseRows = [&](const float* x) {
        for (const auto& [y, n] : rowCounts)
            if (y == x) return n;
        int64_t n = 0;
        for (const MatmulItem& o : items)
            if (o.x == x && o.rows)
                for (int64_t t = 0; t < o.tokens; ++t) n = std::max<int64_t>(n, o.rows[t] + 1);
        rowCounts.emplace_back(x, n);
        return n;
    };
    auto find = [&](const float* x, GgmlType actType, int64_t tokens, int64_t cols, bool interleaved,
                    const int32_t* rows) -> const Input* {
        for (const Input& i : inputs)
            if (i.x == x && i.type == actType && i.tokens == tokens && i.cols == cols && i.interleaved == interleaved &&
                i.rows == rows)
                return &i;
        return nullptr;
    };
    // The converted input of an item with a kernel (made on first use); null when the
    // kernels do not read its type.
    auto prepared = [&](const float* x, GgmlType wType, GgmlType actType, int64_t tokens, int64_t cols, bool interleaved,
                        const int32_t* rows) -> const Input* {
        if (const Input* in = find(x, actType, tokens, cols, interleaved, rows)) return in;
        const int64_t n = rows ? baseRows(x) : tokens;
        const Input* base = find(x, actType, n, cols, interleaved, nullptr);
        if (!base) {
            Input fresh{x, actType, n, cols, interleaved, nullptr, {}};
            if (!prepareActivations(pool, wType, x, n, cols, *isa, interleaved, scratch[inputs.size()], fresh.act))
                return nullptr;
            inputs.push_back(fresh);
            base = &inputs.back();
        }
        if (!rows) return base;
        Input gathered{x, actType, tokens, cols, interleaved, rows, {}};
        gatherActivations(base->act, actType, cols, rows, tokens, scratch[inputs.size()], gathered.act);
        inputs.push_back(gathered);
        return &inputs.back();
    };
    int64_t tasks = 0;
    for (const MatmulItem& it : items) {
        const Matrix& w = *it.w;
        if (it.tokens <= 0 || w.rows <= 0) continue;
        const auto [tile, interleaved, unit] = kernelFor(isa, w, it.tokens);
        const GgmlType actType = ref::vecDotType(w.type);
        const Input* in = tile ? prepared(it.x, w.type, actType, it.tokens, w.cols, interleaved, it.rows) : nullptr;
        if (!in) {
            const float* x = it.x;
            if (it.rows) {
                gatheredFloats.resize(static_cast<size_t>(it.tokens * w.cols));
                for (int64_t t = 0; t < it.tokens; ++t)
                    std::copy_n(it.x + it.rows[t] * w.cols, w.cols, &gatheredFloats[t * w.cols]);
                x = gatheredFloats.data();
            }
            matmul(pool, w, x, it.tokens, it.out);
            continue;
        }
        Planned p{jobFor(w, interleaved, it.out), tile, it.tokens, 0, tasks};
        p.job.act = in->act;
        // ~2 row blocks per thread per product: the loop holds several products.
        const int64_t target = w.rows / (2 * pool.size());
        p.chunk = std::clamp<int64_t>((target + unit - 1) / unit * unit, unit, 1024);
        tasks += (w.rows + p.chunk - 1) / p.chunk;
        plan.push_back(p);
    }
    if (tasks == 0) return;
    pool.parallelFor(tasks, [&](int64_t task, int) {
        auto next = std::upper_bound(plan.begin(), plan.end(), task,
                                     [](int64_t t, const Planned& p) { return t < p.firstTask; });
        const Planned& p = *(next - 1);
        const int64_t r0 = (task - p.firstTask) * p.chunk;
        p.tile(p.job, r0, std::min(p.job.ldo, r0 + p.chunk), 0, p.tokens);
    });
}

}  // namespace kernels
