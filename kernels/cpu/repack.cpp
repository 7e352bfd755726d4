// Load-time weight repacking for the CPU kernels (ops.h: repackForCpu).
//
// Q4_0, Q8_0, IQ4_NL, Q4_K, Q5_K, Q6_K, IQ4_XS, TQ2_0 (and TQ1_0 as TQ2_0) -> rows interleaved in groups of 8 (layouts in matmul_x8.inc): one
// activation broadcast feeds 8 rows and each row's sum stays in its own lane. Made
// only when the active ISA's table has a kernel for it.
//
// TQ1_0 -> TQ2_0: a TQ1_0 byte holds 5 trits as a base-3 fixed-point fraction, which
// costs a multiply per trit to decode in the inner loop; TQ2_0 holds the same
// values as 2-bit codes that `(byte >> 2l) & 3` turns into vpdpbusd operands. The
// conversion is exact (same d, same trits); the weights grow from 54 to 66 bytes per
// 256 values, and decode becomes as cheap as TQ2_0's.
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>

#include "kernels/cpu_features.h"
#include "kernels/ops.h"
#include "matmul_isa.h"
#include "../ref/blocks.h"

namespace kernels {
namespace {

constexpr uint8_t kPow3[5] = {1, 3, 9, 27, 81};

// Trit n (0, 1, 2) of a TQ1_0 byte (the layout's fixed-point decoding).
inline int trit(uint8_t b, int n) {
    const uint8_t shifted = static_cast<uint8_t>(b * kPow3[n]);
    return (static_cast<uint16_t>(shifted) * 3) >> 8;
}

// One 256-value block: TQ1_0 (48 bytes qs, 4 bytes qh, f16 d) -> TQ2_0 (64 bytes, f16 d).
// TQ1_0 element order: qs[0..31] trit n -> 32n + m; qs[32..47] trit n -> 160 + 16n + m;
// qh[j] trit n -> 240 + 4n + j. TQ2_0: element 128h + 32l + m in bits 2l of byte 32h + m.
void tq1BlockToTq2(const uint8_t* src, uint8_t* dst) {
    uint8_t codes[256];
    for (int m = 0; m < 32; ++m)
        for (int n = 0; n < 5; ++n) codes[32 * n + m] = static_cast<uint8_t>(trit(src[m], n));
    for (int m = 0; m < 16; ++m)
        for (int n = 0; n < 5; ++n) codes[160 + 16 * n + m] = static_cast<uint8_t>(trit(src[32 + m], n));
    for (int j = 0; j < 4; ++j)
        for (int n = 0; n < 4; ++n) codes[240 + 4 * n + j] = static_cast<uint8_t>(trit(src[48 + j], n));
    std::memset(dst, 0, 64);
    for (int e = 0; e < 256; ++e) dst[32 * (e / 128) + e % 32] |= static_cast<uint8_t>(codes[e] << (2 * ((e / 32) % 4)));
    std::memcpy(dst + 64, src + 52, 2);  // d
}

// One block column of an 8-row group: its bytes, the source block's, the elements.
struct X8Format {
    size_t bytes, srcBytes;
    int64_t elements;
};

X8Format x8Format(GgmlType t) {
    switch (t) {
        case GgmlType::Q4_0: return {144, 18, 32};
        case GgmlType::Q8_0: return {272, 34, 32};
        case GgmlType::IQ4_NL: return {144, 18, 32};  // Q4_0's layout
        case GgmlType::Q4_K: return {1184, 144, 256};
        case GgmlType::Q5_K: return {1440, 176, 256};
        case GgmlType::IQ4_XS: return {1104, 136, 256};
        case GgmlType::Q6_K: return {1680, 210, 256};
        case GgmlType::TQ2_0: return {528, 66, 256};
        case GgmlType::TQ1_0: return {528, 54, 256};  // made TQ2_0x8 through tq1BlockToTq2
        default: return {0, 0, 0};
    }
}

// Q4_0 / Q8_0: the 8 f16 scales, then 4-byte words of the rows' quant bytes, word c
// of row i at chunk c lane i. `src` is block b of row 0.
void interleaveLegacy(const uint8_t* src, size_t rowStride, size_t srcBytes, uint8_t* dst) {
    const size_t qBytes = srcBytes - 2;
    for (int i = 0; i < 8; ++i, src += rowStride) {
        std::memcpy(dst + 2 * i, src, 2);
        for (size_t c = 0; c < qBytes / 4; ++c) std::memcpy(dst + 16 + 32 * c + 4 * i, src + 2 + 4 * c, 4);
    }
}

// Q4_K / Q5_K: d[8], dmin[8], scales by sub-block, mins by pairs of sub-blocks,
// then the nibble bytes (at `qs` in the source block) in 4-byte words
// (matmul_x8.inc: Q4_Kx8).
void interleaveQ4K(const uint8_t* src, size_t rowStride, size_t qs, uint8_t* dst) {
    for (int i = 0; i < 8; ++i, src += rowStride) {
        std::memcpy(dst + 2 * i, src, 2);
        std::memcpy(dst + 16 + 2 * i, src + 2, 2);
        for (int s = 0; s < 8; ++s) {
            const ref::ScaleMin sm = ref::q4kScaleMin(s, src + 4);
            dst[32 + 8 * s + i] = static_cast<uint8_t>(sm.scale);
            dst[96 + 16 * (s / 2) + 2 * i + s % 2] = static_cast<uint8_t>(sm.min);
        }
        for (int c = 0; c < 32; ++c) std::memcpy(dst + 160 + 32 * c + 4 * i, src + qs + 4 * c, 4);
    }
}

// Q5_K: Q4_K's layout of its scales and low 4 bits, then the 32 bytes of fifth bits
// in 4-byte words (matmul_x8.inc: Q5_Kx8).
void interleaveQ5K(const uint8_t* src, size_t rowStride, uint8_t* dst) {
    interleaveQ4K(src, rowStride, offsetof(ref::BlockQ5_K, qs), dst);
    for (int i = 0; i < 8; ++i, src += rowStride)
        for (int c = 0; c < 8; ++c) std::memcpy(dst + 1184 + 32 * c + 4 * i, src + offsetof(ref::BlockQ5_K, qh) + 4 * c, 4);
}

// IQ4_XS: d[8], the 8 sub-blocks' scales unpacked to int8, then the nibble bytes in
// 4-byte words (matmul_x8.inc: IQ4_XSx8).
void interleaveIq4Xs(const uint8_t* src, size_t rowStride, uint8_t* dst) {
    for (int i = 0; i < 8; ++i, src += rowStride) {
        ref::BlockIQ4XS blk;
        std::memcpy(&blk, src, sizeof blk);
        std::memcpy(dst + 2 * i, &blk.d, 2);
        for (int s = 0; s < 8; ++s) {
            const int low = (blk.scalesL[s / 2] >> (4 * (s % 2))) & 0x0f, high = (blk.scalesH >> (2 * s)) & 3;
            dst[16 + 8 * s + i] = static_cast<uint8_t>(static_cast<int8_t>((low | (high << 4)) - 32));
        }
        for (int c = 0; c < 32; ++c) std::memcpy(dst + 80 + 32 * c + 4 * i, blk.qs + 4 * c, 4);
    }
}

// Q6_K: d[8], scales by 16-element group, low 4 bits of two sub-blocks per byte,
// high 2 bits of four sub-blocks per byte (matmul_x8.inc: Q6_Kx8).
void interleaveQ6K(const uint8_t* src, size_t rowStride, uint8_t* dst) {
    for (int i = 0; i < 8; ++i, src += rowStride) {
        ref::BlockQ6_K blk;
        std::memcpy(&blk, src, sizeof blk);
        std::memcpy(dst + 2 * i, &blk.d, 2);
        for (int gi = 0; gi < 16; ++gi) dst[16 + 8 * gi + i] = static_cast<uint8_t>(blk.scales[gi]);
        int8_t v[256];
        ref::unpackQ6K(blk, v);
        uint8_t q[256];  // codes 0..63 in element order
        for (int e = 0; e < 256; ++e) q[e] = static_cast<uint8_t>(v[e] + 32);
        for (int c = 0; c < 4; ++c)
            for (int w = 0; w < 8; ++w)
                for (int k = 0; k < 4; ++k)
                    dst[144 + 32 * (8 * c + w) + 4 * i + k] =
                        static_cast<uint8_t>((q[64 * c + 4 * w + k] & 0xf) | ((q[64 * c + 32 + 4 * w + k] & 0xf) << 4));
        for (int h = 0; h < 2; ++h)
            for (int w = 0; w < 8; ++w)
                for (int k = 0; k < 4; ++k) {
                    uint8_t b = 0;
                    for (int m = 0; m < 4; ++m) b |= static_cast<uint8_t>((q[32 * (4 * h + m) + 4 * w + k] >> 4) << (2 * m));
                    dst[1168 + 32 * (8 * h + w) + 4 * i + k] = b;
                }
    }
}

// TQ2_0 (TQ1_0 converted first): d[8], then the code bytes in 4-byte words
// (matmul_x8.inc: TQ2_0x8).
void interleaveTq2(const uint8_t* src, size_t rowStride, bool fromTq1, uint8_t* dst) {
    uint8_t tq2[66];
    for (int i = 0; i < 8; ++i, src += rowStride) {
        const uint8_t* b = src;
        if (fromTq1) {
            tq1BlockToTq2(src, tq2);
            b = tq2;
        }
        std::memcpy(dst + 2 * i, b + 64, 2);
        for (int h = 0; h < 2; ++h)
            for (int w = 0; w < 8; ++w) std::memcpy(dst + 16 + 256 * h + 32 * w + 4 * i, b + 32 * h + 4 * w, 4);
    }
}

bool wantsInterleave(const Matrix& w) {
    const X8Format f = x8Format(w.type);
    if (f.bytes == 0 || w.rows % 8 != 0 || w.cols % f.elements != 0) return false;
    const cpu::IsaKernels* isa = cpu::isaKernels(activeCpuIsa());
    return isa && isa->tileX8[static_cast<size_t>(w.type)];
}

// A tensor bound several times (row slices of a fused QKV, tied embeddings) is
// repacked once: later calls with the same source, shape and layout share the first
// copy while it is alive. make() returns the new copy, or null when out of memory.
template <typename Make>
std::shared_ptr<const void> sharedCopy(const Matrix& w, bool interleaved, Make&& make) {
    using Key = std::tuple<const void*, int64_t, int64_t, bool>;
    static std::mutex mutex;
    static std::map<Key, std::weak_ptr<const void>> done;
    std::lock_guard lock(mutex);
    const Key key{w.data, w.rows, w.cols, interleaved};
    if (auto it = done.find(key); it != done.end()) {
        if (std::shared_ptr<const void> prev = it->second.lock()) return prev;
        done.erase(it);
    }
    std::shared_ptr<const void> copy = make();
    if (copy) done[key] = copy;
    return copy;
}

// Bytes of one group of 8 interleaved rows of w.
size_t interleavedGroupBytes(const Matrix& w) {
    const X8Format f = x8Format(w.type);
    return static_cast<size_t>(w.cols / f.elements) * f.bytes;
}

// w's rows interleaved in groups of 8 at out (rows / 8 groups of interleavedGroupBytes).
void interleaveInto(const Matrix& w, uint8_t* out) {
    const X8Format f = x8Format(w.type);
    const int64_t nb = w.cols / f.elements, groups = w.rows / 8;
    const size_t groupBytes = interleavedGroupBytes(w);
    const auto* src = static_cast<const uint8_t*>(w.data);
    const size_t stride = w.rowStride();
    for (int64_t g = 0; g < groups; ++g)
        for (int64_t b = 0; b < nb; ++b) {
            const uint8_t* blk = src + g * 8 * stride + b * f.srcBytes;
            uint8_t* dst = out + g * groupBytes + b * f.bytes;
            if (w.type == GgmlType::Q4_K) interleaveQ4K(blk, stride, offsetof(ref::BlockQ4_K, qs), dst);
            else if (w.type == GgmlType::Q5_K) interleaveQ5K(blk, stride, dst);
            else if (w.type == GgmlType::IQ4_XS) interleaveIq4Xs(blk, stride, dst);
            else if (w.type == GgmlType::Q6_K) interleaveQ6K(blk, stride, dst);
            else if (w.type == GgmlType::TQ2_0 || w.type == GgmlType::TQ1_0)
                interleaveTq2(blk, stride, w.type == GgmlType::TQ1_0, dst);
            else interleaveLegacy(blk, stride, f.srcBytes, dst);
        }
}

bool interleave(Matrix& w) {
    const size_t groupBytes = interleavedGroupBytes(w);
    std::shared_ptr<const void> packed = sharedCopy(w, true, [&]() -> std::shared_ptr<const void> {
        std::shared_ptr<uint8_t[]> buf(new (std::nothrow) uint8_t[groupBytes * static_cast<size_t>(w.rows / 8)]);
        if (!buf) return nullptr;  // the GGUF layout's kernels still work
        interleaveInto(w, buf.get());
        return std::shared_ptr<const void>(buf, buf.get());
    });
    if (!packed) return false;
    w.interleaved = packed.get();
    w.interleavedGroupBytes = groupBytes;
    w.interleavedOwned = std::move(packed);
    return true;
}

}  // namespace

Matrix sliceRows(const Matrix& w, int64_t first, int64_t count) {
    Matrix m = w;
    m.data = static_cast<const uint8_t*>(w.data) + static_cast<size_t>(first) * w.rowStride();
    m.rows = count;
    if (w.interleaved && first % 8 == 0 && count % 8 == 0) {
        m.interleaved = static_cast<const uint8_t*>(w.interleaved) + static_cast<size_t>(first / 8) * w.interleavedGroupBytes;
    } else {
        m.interleaved = nullptr;
        m.interleavedGroupBytes = 0;
        m.interleavedOwned = nullptr;
    }
    return m;
}

namespace {

// Group `group` of w's interleaved copy back into rows: row i's block b scale (2 bytes) at
// scales + i * scaleStride + b * scalePitch and its quants at quants + i * quantStride +
// b * quantPitch (interleaveLegacy inverted: per block the 8 scales, then word c of row i
// at chunk c lane i).
void deinterleaveInto(const Matrix& w, int64_t group, uint8_t* quants, size_t quantStride, size_t quantPitch,
                      uint8_t* scales, size_t scaleStride, size_t scalePitch) {
    const X8Format f = x8Format(w.type);
    const int64_t nb = w.cols / f.elements;
    const size_t words = (f.srcBytes - 2) / 4;
    const auto* g = static_cast<const uint8_t*>(w.interleaved) + static_cast<size_t>(group) * w.interleavedGroupBytes;
    for (int64_t b = 0; b < nb; ++b, g += f.bytes)
        for (int i = 0; i < 8; ++i) {
            std::memcpy(scales + i * scaleStride + static_cast<size_t>(b) * scalePitch, g + 2 * i, 2);
            uint8_t* qs = quants + i * quantStride + static_cast<size_t>(b) * quantPitch;
            for (size_t c = 0; c < words; ++c) std::memcpy(qs + 4 * c, g + 16 + 32 * c + 4 * i, 4);
        }
}

}  // namespace

bool deinterleaveGroup(const Matrix& w, int64_t group, uint8_t* dst) {
    if (!w.interleaved || (w.type != GgmlType::Q4_0 && w.type != GgmlType::Q8_0 && w.type != GgmlType::IQ4_NL))
        return false;
    const size_t stride = w.rowStride(), block = x8Format(w.type).srcBytes;  // GGUF blocks: scale, then quants
    deinterleaveInto(w, group, dst + 2, stride, block, dst, stride, block);
    return true;
}

bool deinterleaveGroupSplit(const Matrix& w, int64_t group, uint8_t* quants, size_t quantStride, uint8_t* scales,
                            size_t scaleStride) {
    if (!w.interleaved || (w.type != GgmlType::Q4_0 && w.type != GgmlType::Q8_0)) return false;
    deinterleaveInto(w, group, quants, quantStride, x8Format(w.type).srcBytes - 2, scales, scaleStride, 2);
    return true;
}

bool repackForCpu(std::span<Matrix> ws) {
    const bool alike = !ws.empty() && std::all_of(ws.begin(), ws.end(), [&](const Matrix& w) {
        return w.data && w.rows > 0 && !w.interleaved && !w.owned && w.type == ws[0].type && w.rows == ws[0].rows &&
               w.cols == ws[0].cols && wantsInterleave(w);
    });
    if (alike) {
        // One block for all: a block of its own each would be an mmap of its own, with a
        // page of malloc's header and tail beyond its bytes (a 30B-A3B's 18,432 experts: 72 MiB).
        const size_t groupBytes = interleavedGroupBytes(ws[0]), bytes = groupBytes * static_cast<size_t>(ws[0].rows / 8);
        std::shared_ptr<uint8_t[]> block(new (std::nothrow) uint8_t[bytes * ws.size()]);
        if (block) {
            for (size_t i = 0; i < ws.size(); ++i) {
                uint8_t* copy = block.get() + i * bytes;
                interleaveInto(ws[i], copy);
                ws[i].interleaved = copy;
                ws[i].interleavedGroupBytes = groupBytes;
                ws[i].interleavedOwned = std::shared_ptr<const void>(block, copy);
            }
            return true;
        }
    }
    bool all = true;
    for (Matrix& w : ws) all = (w.interleaved || w.owned || repackForCpu(w)) && all;
    return all;
}

bool repackForCpu(Matrix& w) {
    if (!w.data || w.rows <= 0) return false;
    if (wantsInterleave(w)) return interleave(w);
    if (w.type != GgmlType::TQ1_0 || w.cols % 256 != 0) return false;
    std::shared_ptr<const void> packed = sharedCopy(w, false, [&]() -> std::shared_ptr<const void> {
        const int64_t blocks = w.rows * (w.cols / 256);
        std::shared_ptr<uint8_t[]> buf(new (std::nothrow) uint8_t[static_cast<size_t>(blocks) * 66]);
        if (!buf) return nullptr;  // keep the original layout (the scalar kernel reads it)
        const auto* src = static_cast<const uint8_t*>(w.data);
        for (int64_t b = 0; b < blocks; ++b) tq1BlockToTq2(src + b * 54, buf.get() + b * 66);
        return std::shared_ptr<const void>(buf, buf.get());
    });
    if (!packed) return false;
    w.type = GgmlType::TQ2_0;
    w.data = packed.get();
    w.owned = std::move(packed);
    return true;
}

}  // namespace kernels
