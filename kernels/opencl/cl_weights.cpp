// Weight upload: GGUF blocks -> the device layouts of cl/common.cl (values, scales and
// offsets in separate contiguous arrays, so neighbouring work-items read neighbouring
// bytes). Every conversion is exact. K-quant super-blocks: Q4_K / Q5_K / Q6_K are
// unpacked to per-32 (per-16 for Q6_K) float scales and offsets (an fp16 scale times a
// 6- or 8-bit integer fits in a float's 24-bit mantissa); Q2_K and Q3_K keep their 2-
// and 3-bit codes and small per-16 scales with a float d per 256 (Q2: 2.75 bits per
// weight, Q3: 3.625), and the ternary types use Q2 (TQ1_0's 1.7 bits become 2.75).
// IQ4_NL / IQ4_XS keep their nibbles (IQ4F, 5 bits per weight); Q5_0 / Q5_1 keep nibbles
// and fifth bits (Q5: the file's size). deviceBytes has each type's figure.
#include <cstring>

#include "../ref/blocks.h"
#include "cl_runtime.h"

namespace kernels::opencl {
namespace {

using ref::halfToFloat;

// Where converted rows go: values, scales and offsets, each appended to a vector
// (Host: upload) or written at a cursor into fixed places (Placed: pinned staging of
// streamed experts). The converters below take either.
template <class V>
struct Sink {
    V a, s, m;
};
using Host = Sink<std::vector<uint8_t>>;

struct Cursor {
    uint8_t* p = nullptr;
    uint8_t* end() const { return p; }
    void push_back(uint8_t v) { *p++ = v; }
    void insert(uint8_t*, const uint8_t* first, const uint8_t* last) {
        std::memcpy(p, first, static_cast<size_t>(last - first));
        p += last - first;
    }
    void insert(uint8_t*, size_t n, uint8_t v) {
        std::memset(p, v, n);
        p += n;
    }
};
using Placed = Sink<Cursor>;

template <class T>
void put(std::vector<uint8_t>& v, T value) {
    const size_t at = v.size();
    v.resize(at + sizeof(T));
    std::memcpy(v.data() + at, &value, sizeof(T));
}

template <class T>
void put(Cursor& c, T value) {
    std::memcpy(c.p, &value, sizeof(T));
    c.p += sizeof(T);
}

// Q4_K / Q5_K: 6-bit scale and min of sub-block j from the 12 packed bytes.
void scaleMinK4(int j, const uint8_t* q, int& sc, int& mn) {
    if (j < 4) {
        sc = q[j] & 63;
        mn = q[j + 4] & 63;
    } else {
        sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        mn = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

// 32 values 0..3 as Q2 codes: byte j = values j, j+8, j+16, j+24 at bits 0, 2, 4, 6.
template <class V>
void putCrumbs(V& v, const int8_t* q) {
    for (int j = 0; j < 8; ++j)
        v.push_back(static_cast<uint8_t>(q[j] | (q[j + 8] << 2) | (q[j + 16] << 4) | (q[j + 24] << 6)));
}

// Q5_0 / Q5_1 -> Q5: per block the 16 nibble bytes (already in our Q4 order) and the
// 4 bytes of fifth bits, d (and Q5_1's m) kept as fp16.
template <class Block, class H>
void convertQ5(const uint8_t* src, int64_t nb, H& h) {
    const auto* b = reinterpret_cast<const Block*>(src);
    for (int64_t i = 0; i < nb; ++i) {
        h.a.insert(h.a.end(), b[i].qs, b[i].qs + 16);
        h.a.insert(h.a.end(), b[i].qh, b[i].qh + 4);
        put(h.s, b[i].d);
        if constexpr (requires(Block x) { x.m; }) put(h.m, b[i].m);
    }
}

// IQ4_NL -> IQ4F: the nibbles as they are, the fp16 d as a float.
template <class H>
void convertIq4Nl(const uint8_t* src, int64_t nb, H& h) {
    const auto* b = reinterpret_cast<const ref::BlockIQ4NL*>(src);
    for (int64_t i = 0; i < nb; ++i) {
        h.a.insert(h.a.end(), b[i].qs, b[i].qs + 16);
        put(h.s, halfToFloat(b[i].d));
    }
}

// IQ4_XS -> IQ4F: the nibbles of each sub-block of 32 (same order as IQ4_NL's) and
// the scale d * (6-bit sub-block scale - 32).
template <class H>
void convertIq4Xs(const uint8_t* src, int64_t nsb, H& h) {
    const auto* b = reinterpret_cast<const ref::BlockIQ4XS*>(src);
    for (int64_t i = 0; i < nsb; ++i) {
        const float d = halfToFloat(b[i].d);
        h.a.insert(h.a.end(), b[i].qs, b[i].qs + 128);
        for (int s = 0; s < 8; ++s) {
            const int ls = (((b[i].scalesL[s / 2] >> (4 * (s % 2))) & 15) | (((b[i].scalesH >> (2 * s)) & 3) << 4)) - 32;
            put(h.s, d * static_cast<float>(ls));
        }
    }
}

// Q2_K -> Q2: the codes repacked, d and dmin as floats, the scale | min bytes as they are.
template <class H>
void convertQ2K(const uint8_t* src, int64_t nsb, H& h) {
    const auto* b = reinterpret_cast<const ref::BlockQ2_K*>(src);
    for (int64_t i = 0; i < nsb; ++i) {
        int8_t q[256];
        for (int e = 0; e < 256; ++e)  // 2 bits at shift 2 * ((e / 32) % 4) of qs[32 * (e / 128) + e % 32]
            q[e] = static_cast<int8_t>((b[i].qs[32 * (e / 128) + e % 32] >> (2 * ((e / 32) % 4))) & 3);
        for (int blk = 0; blk < 8; ++blk) putCrumbs(h.a, q + 32 * blk);
        put(h.s, halfToFloat(b[i].d));
        put(h.s, halfToFloat(b[i].dmin));
        h.m.insert(h.m.end(), b[i].scales, b[i].scales + 16);
    }
}

// Ternary codes q + 1 (0..2) -> Q2 with d = dmin = the block's d and scale = min = 1.
template <class H>
void putTernary(const int8_t* q, uint16_t d, H& h) {
    for (int blk = 0; blk < 8; ++blk) putCrumbs(h.a, q + 32 * blk);
    put(h.s, halfToFloat(d));
    put(h.s, halfToFloat(d));
    h.m.insert(h.m.end(), 16, uint8_t{0x11});
}

// Q3_K -> Q3: per 32 values the 2 low bits as Q2's crumbs and a word of the third bits
// (bit j: the hmask bit of value j, set for q >= 0), the fp16 d as a float, and the
// 6-bit scales minus 32 as int8.
template <class H>
void convertQ3K(const uint8_t* src, int64_t nsb, H& h) {
    const auto* b = reinterpret_cast<const ref::BlockQ3_K*>(src);
    for (int64_t i = 0; i < nsb; ++i) {
        int8_t low[256];
        uint32_t high[8] = {};
        for (int half = 0; half < 2; ++half)  // 128 values per 32 bytes of qs
            for (int shift = 0; shift < 4; ++shift)
                for (int l = 0; l < 32; ++l) {
                    const int e = half * 128 + shift * 32 + l;
                    low[e] = static_cast<int8_t>((b[i].qs[half * 32 + l] >> (2 * shift)) & 3);
                    high[e / 32] |= static_cast<uint32_t>((b[i].hmask[l] >> (half * 4 + shift)) & 1) << (e % 32);
                }
        for (int blk = 0; blk < 8; ++blk) {
            putCrumbs(h.a, low + 32 * blk);
            put(h.a, high[blk]);
        }
        put(h.s, halfToFloat(b[i].d));
        const uint8_t* sc = b[i].scales;
        for (int j = 0; j < 16; ++j) {  // low 4 bits: bytes 0..7 (low nibble j < 8); high 2: bytes 8..11
            const int lo = j < 8 ? (sc[j] & 15) : (sc[j - 8] >> 4);
            const int hi = (sc[8 + j % 4] >> (2 * (j / 4))) & 3;
            put(h.m, static_cast<int8_t>((lo | (hi << 4)) - 32));
        }
    }
}

// TQ1_0 -> Q2: byte m of qs holds 5 trits (elements 32n + m for bytes 0..31,
// 160 + 16n + m - 32 for 32..47), qh byte j 4 trits (240 + 4n + j); trit n of byte x is
// ((uint8)(x * 3^n) * 3) >> 8, 0..2.
template <class H>
void convertTq1(const uint8_t* src, int64_t nsb, H& h) {
    constexpr uint8_t kPow3[5] = {1, 3, 9, 27, 81};
    const auto* b = reinterpret_cast<const ref::BlockTQ1_0*>(src);
    auto trit = [&](uint8_t x, int n) { return static_cast<int8_t>((static_cast<uint8_t>(x * kPow3[n]) * 3) >> 8); };
    for (int64_t i = 0; i < nsb; ++i) {
        int8_t q[256];
        for (int m = 0; m < 48; ++m)
            for (int n = 0; n < 5; ++n) q[m < 32 ? 32 * n + m : 160 + 16 * n + (m - 32)] = trit(b[i].qs[m], n);
        for (int j = 0; j < 4; ++j)
            for (int n = 0; n < 4; ++n) q[240 + 4 * n + j] = trit(b[i].qh[j], n);
        putTernary(q, b[i].d, h);
    }
}

// TQ2_0 -> Q2: 2 bits per value (q + 1) laid out as Q2_K's.
template <class H>
void convertTq2(const uint8_t* src, int64_t nsb, H& h) {
    const auto* b = reinterpret_cast<const ref::BlockTQ2_0*>(src);
    for (int64_t i = 0; i < nsb; ++i) {
        int8_t q[256];
        for (int e = 0; e < 256; ++e)
            q[e] = static_cast<int8_t>((b[i].qs[32 * (e / 128) + e % 32] >> (2 * ((e / 32) % 4))) & 3);
        putTernary(q, b[i].d, h);
    }
}

template <class H>
void convertRow(GgmlType type, const uint8_t* src, int64_t cols, H& h) {
    const int64_t nb = cols / 32;
    switch (type) {
    case GgmlType::F32:
    case GgmlType::F16:
    case GgmlType::BF16:
        h.a.insert(h.a.end(), src, src + rowBytes(type, cols));
        return;
    case GgmlType::Q5_0: return convertQ5<ref::BlockQ5_0>(src, nb, h);
    case GgmlType::Q5_1: return convertQ5<ref::BlockQ5_1>(src, nb, h);
    case GgmlType::IQ4_NL: return convertIq4Nl(src, nb, h);
    case GgmlType::IQ4_XS: return convertIq4Xs(src, cols / 256, h);
    case GgmlType::Q2_K: return convertQ2K(src, cols / 256, h);
    case GgmlType::Q3_K: return convertQ3K(src, cols / 256, h);
    case GgmlType::TQ1_0: return convertTq1(src, cols / 256, h);
    case GgmlType::TQ2_0: return convertTq2(src, cols / 256, h);
    case GgmlType::Q4_0: {
        const auto* b = reinterpret_cast<const ref::BlockQ4_0*>(src);
        for (int64_t i = 0; i < nb; ++i) {
            h.a.insert(h.a.end(), b[i].qs, b[i].qs + 16);
            put(h.s, b[i].d);
        }
        return;
    }
    case GgmlType::Q4_1: {
        const auto* b = reinterpret_cast<const ref::BlockQ4_1*>(src);
        for (int64_t i = 0; i < nb; ++i) {
            h.a.insert(h.a.end(), b[i].qs, b[i].qs + 16);
            put(h.s, b[i].d);
            put(h.m, b[i].m);
        }
        return;
    }
    case GgmlType::Q8_0: {
        const auto* b = reinterpret_cast<const ref::BlockQ8_0*>(src);
        for (int64_t i = 0; i < nb; ++i) {
            h.a.insert(h.a.end(), reinterpret_cast<const uint8_t*>(b[i].qs), reinterpret_cast<const uint8_t*>(b[i].qs) + 32);
            put(h.s, b[i].d);
        }
        return;
    }
    case GgmlType::Q4_K: {
        // 4 chunks of 64 values: 32 bytes, low nibbles = values 0..31, high = 32..63.
        const auto* b = reinterpret_cast<const ref::BlockQ4_K*>(src);
        for (int64_t i = 0; i < cols / 256; ++i) {
            const float d = halfToFloat(b[i].d), dmin = halfToFloat(b[i].dmin);
            for (int j = 0; j < 8; ++j) {
                int sc = 0, mn = 0;
                scaleMinK4(j, b[i].scales, sc, mn);
                const uint8_t* q = b[i].qs + (j / 2) * 32;
                const int shift = (j % 2) * 4;
                for (int l = 0; l < 16; ++l)  // our Q4 order: byte l = value l (low) | value l+16 (high)
                    h.a.push_back(static_cast<uint8_t>(((q[l] >> shift) & 15) | (((q[l + 16] >> shift) & 15) << 4)));
                put(h.s, d * static_cast<float>(sc));
                put(h.m, -(dmin * static_cast<float>(mn)));
            }
        }
        return;
    }
    case GgmlType::Q5_K: {
        const auto* b = reinterpret_cast<const ref::BlockQ5_K*>(src);
        for (int64_t i = 0; i < cols / 256; ++i) {
            const float d = halfToFloat(b[i].d), dmin = halfToFloat(b[i].dmin);
            for (int j = 0; j < 8; ++j) {
                int sc = 0, mn = 0;
                scaleMinK4(j, b[i].scales, sc, mn);
                const uint8_t* q = b[i].qs + (j / 2) * 32;
                const int shift = (j % 2) * 4;
                for (int l = 0; l < 32; ++l) {
                    const int hi = (b[i].qh[l] >> j) & 1;
                    h.a.push_back(static_cast<uint8_t>(((q[l] >> shift) & 15) | (hi << 4)));
                }
                put(h.s, d * static_cast<float>(sc));
                put(h.m, -(dmin * static_cast<float>(mn)));
            }
        }
        return;
    }
    case GgmlType::Q6_K: {
        const auto* b = reinterpret_cast<const ref::BlockQ6_K*>(src);
        for (int64_t i = 0; i < cols / 256; ++i) {
            int8_t q[256];
            for (int n = 0; n < 2; ++n) {
                const uint8_t* ql = b[i].ql + 64 * n;
                const uint8_t* qh = b[i].qh + 32 * n;
                int8_t* out = q + 128 * n;
                for (int l = 0; l < 32; ++l) {
                    out[l] = static_cast<int8_t>(((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32);
                    out[l + 32] = static_cast<int8_t>(((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32);
                    out[l + 64] = static_cast<int8_t>(((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
                    out[l + 96] = static_cast<int8_t>(((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
                }
            }
            h.a.insert(h.a.end(), reinterpret_cast<uint8_t*>(q), reinterpret_cast<uint8_t*>(q) + 256);
            const float d = halfToFloat(b[i].d);
            for (int j = 0; j < 16; ++j) put(h.s, d * static_cast<float>(b[i].scales[j]));
        }
        return;
    }
    default:
        return;
    }
}

}  // namespace

WeightFormat formatOf(GgmlType type) {
    switch (type) {
    case GgmlType::F16: return WeightFormat::F16;
    case GgmlType::BF16: return WeightFormat::BF16;
    case GgmlType::Q4_0: return WeightFormat::Q4_0;
    case GgmlType::Q4_1: return WeightFormat::Q4_1;
    case GgmlType::Q2_K:
    case GgmlType::TQ1_0:
    case GgmlType::TQ2_0: return WeightFormat::Q2;
    case GgmlType::Q3_K: return WeightFormat::Q3;
    case GgmlType::Q4_K: return WeightFormat::Q4F;
    case GgmlType::IQ4_NL:
    case GgmlType::IQ4_XS: return WeightFormat::IQ4F;
    case GgmlType::Q8_0: return WeightFormat::Q8_0;
    case GgmlType::Q5_0:
    case GgmlType::Q5_1: return WeightFormat::Q5;
    case GgmlType::Q5_K:
    case GgmlType::Q6_K: return WeightFormat::Q8F;
    default: return WeightFormat::F32;
    }
}

RowLayout rowLayout(GgmlType type, int64_t cols) {
    const std::vector<uint8_t> zeros(rowBytes(type, cols), 0);
    Host h;
    convertRow(type, zeros.data(), cols, h);
    return RowLayout{h.a.size(), h.s.size(), h.m.size()};
}

void convertRowsInto(GgmlType type, const uint8_t* src, size_t rowStride, int64_t rows, int64_t cols, uint8_t* a,
                     uint8_t* s, uint8_t* m) {
    Placed out{{a}, {s}, {m}};
    for (int64_t r = 0; r < rows; ++r) convertRow(type, src + static_cast<size_t>(r) * rowStride, cols, out);
}

bool Backend::supports(GgmlType type) {
    switch (type) {
    case GgmlType::F32: case GgmlType::F16: case GgmlType::BF16:
    case GgmlType::Q4_0: case GgmlType::Q4_1: case GgmlType::Q5_0: case GgmlType::Q5_1: case GgmlType::Q8_0:
    case GgmlType::Q2_K: case GgmlType::Q3_K: case GgmlType::Q4_K: case GgmlType::Q5_K: case GgmlType::Q6_K:
    case GgmlType::IQ4_NL: case GgmlType::IQ4_XS: case GgmlType::TQ1_0: case GgmlType::TQ2_0:
        return true;
    default:
        return false;
    }
}

size_t Backend::deviceBytes(GgmlType type, int64_t rows, int64_t cols) {
    const size_t n = static_cast<size_t>(rows) * static_cast<size_t>(cols);
    switch (type) {
    // bits per weight in the comments
    case GgmlType::F32: return n * 4;
    case GgmlType::F16:
    case GgmlType::BF16: return n * 2;
    case GgmlType::Q4_0: return n / 2 + n / 32 * 2;                     // 4.5
    case GgmlType::Q4_1: return n / 2 + n / 32 * 4;                     // 5
    case GgmlType::Q4_K: return n / 2 + n / 32 * 8;                     // 6
    case GgmlType::IQ4_NL:
    case GgmlType::IQ4_XS: return n / 2 + n / 32 * 4;                   // 5
    case GgmlType::Q5_0: return n / 32 * 22;                            // 5.5
    case GgmlType::Q5_1: return n / 32 * 24;                            // 6
    case GgmlType::Q8_0: return n + n / 32 * 2;                         // 8.5
    case GgmlType::Q5_K: return n + n / 32 * 8;                         // 10
    case GgmlType::Q6_K: return n + n / 16 * 4;                         // 10
    case GgmlType::Q3_K: return n / 32 * 12 + n / 256 * 4 + n / 16;     // 3.625
    case GgmlType::Q2_K:
    case GgmlType::TQ1_0:
    case GgmlType::TQ2_0: return n / 4 + n / 256 * 8 + n / 16;          // 2.75
    default: return n * 4;
    }
}

Expected<Weight> Backend::upload(std::span<const Matrix* const> parts) {
    if (parts.empty()) return std::unexpected(std::string("upload: no matrix"));
    const GgmlType type = parts[0]->type;
    const int64_t cols = parts[0]->cols;
    if (!supports(type)) return std::unexpected("the OpenCL backend has no kernels for " + std::string(typeName(type)));
    if (cols % 32 != 0) return std::unexpected("rows of " + std::to_string(cols) + " values are not a multiple of 32");
    int64_t rows = 0;
    for (const Matrix* m : parts) {
        if (m->type != type || m->cols != cols) return std::unexpected(std::string("upload: stacked matrices differ"));
        rows += m->rows;
    }
    Host h;
    h.a.reserve(deviceBytes(type, rows, cols));
    for (const Matrix* m : parts) {
        const auto* base = static_cast<const uint8_t*>(m->data);
        for (int64_t r = 0; r < m->rows; ++r) convertRow(type, base + static_cast<size_t>(r) * m->rowStride(), cols, h);
    }
    Weight w;
    w.format = formatOf(type);
    w.sourceType = type;
    w.rows = rows;
    w.cols = cols;
    w.group = type == GgmlType::Q6_K ? 16 : 32;
    auto send = [&](std::vector<uint8_t>& host, Buffer& dst) -> Expected<bool> {
        if (host.empty()) return true;
        auto b = alloc(host.size());
        if (!b) return std::unexpected(b.error());
        dst = std::move(*b);
        std::lock_guard<std::mutex> g(m_impl->mutex);
        write(dst, 0, host.data(), host.size());
        std::vector<uint8_t>().swap(host);
        if (std::string e = takeError(); !e.empty()) return std::unexpected(e);
        return true;
    };
    if (auto r = send(h.a, w.a); !r) return std::unexpected(r.error());
    if (auto r = send(h.s, w.s); !r) return std::unexpected(r.error());
    if (auto r = send(h.m, w.m); !r) return std::unexpected(r.error());
    return w;
}

}  // namespace kernels::opencl
