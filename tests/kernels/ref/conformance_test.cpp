// Cross-check against files written by llama-quantize (no imatrix) from the F32
// conformance models in ../shared: quantizeRow must reproduce Q8_0 / Q4_0 tensors
// byte for byte, and every quantized tensor (K-quants included) must dequantize
// close to its F32 source.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gguf/gguf_file.h"
#include "kernels/ref.h"
#include "shared_data.h"

using kernels::GgmlType;
namespace ref = kernels::ref;

namespace {

struct ModelPair {
    const char* quantized;  // conformance/models/<name>
    const char* source;     // its F32 original
};

const ModelPair kPairs[] = {
    {"llama-a.Q8_0.gguf", "llama-a.gguf"},         {"qwen3moe-a.Q8_0.gguf", "qwen3moe-a.gguf"},
    {"qwen2-a.Q4_0.gguf", "qwen2-a.gguf"},         {"llama-a.Q4_K_M.gguf", "llama-a.gguf"},
    {"phi3-a.Q6_K.gguf", "phi3-a.gguf"},
};

std::unique_ptr<gguf::File> openModel(const std::string& path) {
    auto file = gguf::File::open(path);
    EXPECT_TRUE(file.has_value()) << path << ": " << (file ? "" : file.error().message);
    return file ? std::move(*file) : nullptr;
}

// Quantized tensors of `q` with an F32 source tensor of the same name and shape.
struct TensorPair {
    const gguf::TensorInfo* quantized;
    const gguf::TensorInfo* source;
};
std::vector<TensorPair> matchTensors(const gguf::File& q, const gguf::File& src) {
    std::vector<TensorPair> out;
    for (const gguf::TensorInfo& t : q.tensors()) {
        if (t.type == GgmlType::F32 || t.type == GgmlType::F16) continue;
        const gguf::TensorInfo* s = src.tensor(t.name);
        EXPECT_NE(s, nullptr) << "no source tensor " << t.name;
        if (!s) continue;
        EXPECT_EQ(s->type, GgmlType::F32) << t.name;
        EXPECT_EQ(s->shape, t.shape) << t.name;
        if (s->type == GgmlType::F32 && s->shape == t.shape) out.push_back({&t, s});
    }
    return out;
}

// Relative RMS error of dequantize(q) against the F32 source.
double relativeRmsError(const TensorPair& p) {
    const int64_t n = p.source->elements();
    std::vector<float> deq(static_cast<size_t>(n));
    ref::dequantizeRow(p.quantized->type, p.quantized->data, deq.data(), n);
    const auto* src = reinterpret_cast<const float*>(p.source->data);
    double err = 0.0, norm = 0.0;
    for (int64_t i = 0; i < n; ++i) {
        const double d = static_cast<double>(deq[i]) - src[i];
        err += d * d;
        norm += static_cast<double>(src[i]) * src[i];
    }
    return norm > 0 ? std::sqrt(err / norm) : std::sqrt(err);
}

}  // namespace

TEST(RefConformance, QuantizeRowIsByteIdenticalToLlamaQuantize) {
    int checked = 0;
    for (const ModelPair& m : kPairs) {
        const std::string qPath = testdata::sharedPath(std::string("conformance/models/") + m.quantized);
        const std::string sPath = testdata::sharedPath(std::string("conformance/models/") + m.source);
        REQUIRE_SHARED(qPath);
        REQUIRE_SHARED(sPath);
        const auto q = openModel(qPath), src = openModel(sPath);
        ASSERT_TRUE(q && src);
        for (const TensorPair& p : matchTensors(*q, *src)) {
            const GgmlType type = p.quantized->type;
            if (type != GgmlType::Q8_0 && type != GgmlType::Q4_0) continue;  // K-quants: no quantizer yet
            const int64_t k = p.source->shape[0];
            const size_t rowBytes = kernels::rowBytes(type, k);
            ASSERT_EQ(rowBytes * static_cast<size_t>(p.source->rows()), p.quantized->bytes) << p.quantized->name;
            std::vector<uint8_t> row(rowBytes);
            int64_t badRows = 0;
            for (int64_t r = 0; r < p.source->rows(); ++r) {
                const auto* x = reinterpret_cast<const float*>(p.source->data) + r * k;
                ASSERT_TRUE(ref::quantizeRow(type, x, row.data(), k));
                badRows += std::memcmp(row.data(), p.quantized->data + r * rowBytes, rowBytes) != 0;
            }
            EXPECT_EQ(badRows, 0) << m.quantized << " " << p.quantized->name << " ("
                                  << kernels::typeName(type) << ")";
            ++checked;
        }
    }
    EXPECT_GT(checked, 50);  // 30 + 15 Q8_0 and 14 Q4_0 tensors
}

TEST(RefConformance, DequantizedTensorsAreCloseToF32) {
    // Relative RMS bounds per type, about 1.5x what these models measure (Q8_0 0.0055,
    // Q4_0 0.087, Q4_K 0.072, Q6_K 0.018 at worst).
    const std::map<GgmlType, double> bound = {
        {GgmlType::Q8_0, 0.008}, {GgmlType::Q4_0, 0.13}, {GgmlType::Q4_K, 0.11}, {GgmlType::Q6_K, 0.027},
    };
    std::map<GgmlType, int> counts;
    for (const ModelPair& m : kPairs) {
        const std::string qPath = testdata::sharedPath(std::string("conformance/models/") + m.quantized);
        const std::string sPath = testdata::sharedPath(std::string("conformance/models/") + m.source);
        REQUIRE_SHARED(qPath);
        REQUIRE_SHARED(sPath);
        const auto q = openModel(qPath), src = openModel(sPath);
        ASSERT_TRUE(q && src);
        for (const TensorPair& p : matchTensors(*q, *src)) {
            const auto it = bound.find(p.quantized->type);
            ASSERT_NE(it, bound.end()) << "unexpected type in " << m.quantized << ": " << p.quantized->name;
            const double err = relativeRmsError(p);
            EXPECT_LT(err, it->second) << m.quantized << " " << p.quantized->name << " ("
                                       << kernels::typeName(p.quantized->type) << ")";
            ++counts[p.quantized->type];
        }
    }
    EXPECT_GT(counts[GgmlType::Q4_K], 0);
    EXPECT_GT(counts[GgmlType::Q6_K], 0);
}

TEST(RefConformance, QuantizedMatmulTracksF32Matmul) {
    // vecDot on real weights: each quantized tensor's matmul against random tokens
    // stays close to the F32 matmul (the error is the weight + activation rounding).
    for (const ModelPair& m : kPairs) {
        const std::string qPath = testdata::sharedPath(std::string("conformance/models/") + m.quantized);
        const std::string sPath = testdata::sharedPath(std::string("conformance/models/") + m.source);
        REQUIRE_SHARED(qPath);
        REQUIRE_SHARED(sPath);
        const auto q = openModel(qPath), src = openModel(sPath);
        ASSERT_TRUE(q && src);
        for (const TensorPair& p : matchTensors(*q, *src)) {
            const int64_t k = p.source->shape[0], rows = std::min<int64_t>(p.source->rows(), 64);
            std::vector<float> x(static_cast<size_t>(2 * k));
            for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.37f * static_cast<float>(i));
            std::vector<float> got(2 * rows), expect(2 * rows);
            ref::matmul(p.quantized->type, p.quantized->data, rows, k, x.data(), 2, got.data());
            ref::matmul(GgmlType::F32, p.source->data, rows, k, x.data(), 2, expect.data());
            double err = 0.0, norm = 0.0;
            for (size_t i = 0; i < got.size(); ++i) {
                err += (got[i] - expect[i]) * static_cast<double>(got[i] - expect[i]);
                norm += expect[i] * static_cast<double>(expect[i]);
            }
            EXPECT_LT(std::sqrt(err / norm), 0.15) << m.quantized << " " << p.quantized->name;
        }
    }
}
