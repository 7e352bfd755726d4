// Weight upload: GGUF blocks -> the device layouts of cl/common.cl (values, scales and
// offsets in separate contiguous arrays, so neighbouring work-items read neighbouring
// bytes). K-quant super-blocks are unpacked to per-32 (per-16 for Q6_K) float scales
// and offsets, which are exact: an fp16 scale times a 6- or 8-bit integer fits in a
// float's 24-bit mantissa.
#include <cstring>

#include "../ref/blocks.h"
#include "cl_runtime.h"

namespace kernels::opencl {
namespace {

using ref::halfToFloat;

struct Host {
    std::vector<uint8_t> a;
    std::vector<uint8_t> s;
    std::vector<uint8_t> m;
};

template <class T>
void put(std::vector<uint8_t>& v, T value) {
    const size_t at = v.size();
    v.resize(at + sizeof(T));
    std::memcpy(v.data() + at, &value, sizeof(T));
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

void convertRow(GgmlType type, const uint8_t* src, int64_t cols, Host& h) {
    const int64_t nb = cols / 32;
    switch (type) {
    case GgmlType::F32:
    case GgmlType::F16:
        h.a.insert(h.a.end(), src, src + rowBytes(type, cols));
        return;
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

WeightFormat formatOf(GgmlType type) {
    switch (type) {
    case GgmlType::F16: return WeightFormat::F16;
    case GgmlType::Q4_0: return WeightFormat::Q4_0;
    case GgmlType::Q4_1: return WeightFormat::Q4_1;
    case GgmlType::Q4_K: return WeightFormat::Q4F;
    case GgmlType::Q8_0: return WeightFormat::Q8_0;
    case GgmlType::Q5_K:
    case GgmlType::Q6_K: return WeightFormat::Q8F;
    default: return WeightFormat::F32;
    }
}

}  // namespace

bool Backend::supports(GgmlType type) {
    switch (type) {
    case GgmlType::F32: case GgmlType::F16: case GgmlType::Q4_0: case GgmlType::Q4_1: case GgmlType::Q8_0:
    case GgmlType::Q4_K: case GgmlType::Q5_K: case GgmlType::Q6_K:
        return true;
    default:
        return false;
    }
}

size_t Backend::deviceBytes(GgmlType type, int64_t rows, int64_t cols) {
    const size_t n = static_cast<size_t>(rows) * static_cast<size_t>(cols);
    switch (type) {
    case GgmlType::F32: return n * 4;
    case GgmlType::F16: return n * 2;
    case GgmlType::Q4_0: return n / 2 + n / 32 * 2;
    case GgmlType::Q4_1: return n / 2 + n / 32 * 4;
    case GgmlType::Q4_K: return n / 2 + n / 32 * 8;
    case GgmlType::Q8_0: return n + n / 32 * 2;
    case GgmlType::Q5_K: return n + n / 32 * 8;
    case GgmlType::Q6_K: return n + n / 16 * 4;
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
