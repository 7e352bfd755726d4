// OpenCL ops against kernels/ref and the CPU backend (label gpu). Runs on the first
// OpenCL device (PoCL in CI), or $ASSISTANT_TEST_OPENCL_DEVICE ("opencl:P.D").
// Shapes are small so that PoCL runs the suite in seconds.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <random>
#include <vector>

#include "kernels/device_list.h"
#include "kernels/opencl_backend.h"
#include "kernels/ops.h"
#include "kernels/ref.h"
#include "kernels/thread_pool.h"
#include "shared_data.h"

namespace {

using kernels::GgmlType;
using namespace kernels::opencl;

std::string testDevice() {
    if (const char* e = std::getenv("ASSISTANT_TEST_OPENCL_DEVICE"); e && *e) return e;
    const auto devices = kernels::openclDevices();
    return devices.empty() ? std::string() : devices.front().id;
}

// One backend for the whole suite (building the program is the slow part on PoCL).
Backend* backend() {
    static std::unique_ptr<Backend> b = [] {
        const std::string id = testDevice();
        if (id.empty()) return std::unique_ptr<Backend>();
        auto r = Backend::create(id);
        if (!r) {
            ADD_FAILURE() << "Backend::create(" << id << "): " << r.error();
            return std::unique_ptr<Backend>();
        }
        return std::move(*r);
    }();
    return b.get();
}

#define REQUIRE_BACKEND()                                                                    \
    Backend* be = backend();                                                                 \
    if (!be) {                                                                               \
        if (testdata::inCi()) FAIL() << "no OpenCL device (install pocl-opencl-icd)";       \
        GTEST_SKIP() << "no OpenCL device";                                                  \
    }

std::vector<float> randomFloats(size_t n, uint32_t seed, float scale = 1.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, scale);
    std::vector<float> v(n);
    for (float& x : v) x = dist(rng);
    return v;
}

Buffer toDevice(Backend& be, const std::vector<float>& v) {
    auto b = be.uploadFloats(v);
    EXPECT_TRUE(b.has_value()) << (b ? "" : b.error());
    return b ? std::move(*b) : Buffer();
}

std::vector<float> fromDevice(Backend& be, const Buffer& b, size_t n) {
    std::vector<float> out(n);
    be.read(b, 0, out.data(), n * 4);
    EXPECT_EQ(be.takeError(), "");
    return out;
}

// Max |a - b| relative to the largest |b|.
float relError(const std::vector<float>& a, const std::vector<float>& b) {
    float maxDiff = 0, maxRef = 1e-6f;
    for (size_t i = 0; i < a.size(); ++i) {
        maxDiff = std::max(maxDiff, std::fabs(a[i] - b[i]));
        maxRef = std::max(maxRef, std::fabs(b[i]));
    }
    return maxDiff / maxRef;
}

struct QuantMatrix {
    std::vector<uint8_t> bytes;
    kernels::Matrix m;
};

QuantMatrix makeMatrix(GgmlType type, int64_t rows, int64_t cols, uint32_t seed) {
    const std::vector<float> w = randomFloats(static_cast<size_t>(rows * cols), seed, 0.5f);
    QuantMatrix q;
    q.bytes.resize(kernels::rowBytes(type, cols) * rows);
    for (int64_t r = 0; r < rows; ++r)
        EXPECT_TRUE(kernels::ref::quantizeRow(type, &w[r * cols], q.bytes.data() + r * kernels::rowBytes(type, cols), cols));
    q.m = kernels::Matrix{type, q.bytes.data(), rows, cols};
    return q;
}

class OpenclMatmul : public ::testing::TestWithParam<GgmlType> {};

// The oracle: kernels/ref's dequantization and a double-precision dot per output.
std::vector<float> dequantDot(const QuantMatrix& q, const std::vector<float>& x, int64_t tokens) {
    const int64_t rows = q.m.rows, cols = q.m.cols;
    std::vector<float> w(static_cast<size_t>(cols)), out(static_cast<size_t>(tokens * rows));
    for (int64_t r = 0; r < rows; ++r) {
        kernels::ref::dequantizeRow(q.m.type, q.bytes.data() + r * kernels::rowBytes(q.m.type, cols), w.data(), cols);
        for (int64_t t = 0; t < tokens; ++t) {
            double acc = 0;
            for (int64_t c = 0; c < cols; ++c) acc += static_cast<double>(w[c]) * x[t * cols + c];
            out[t * rows + r] = static_cast<float>(acc);
        }
    }
    return out;
}

// Decode (1 token, matvec) and prefill (tiled) products, plain, accumulating and with
// the SwiGLU input, against the CPU backend (same activation quantization: only the
// float summation order differs) and loosely against ref::matmul (whose scalar
// activation rounding differs from the CPU backend's x86 one) and against the ref
// dequantization with float activations (the activation rounding is the difference).
TEST_P(OpenclMatmul, MatchesReference) {
    REQUIRE_BACKEND();
    const GgmlType type = GetParam();
    const int64_t rows = 136, cols = 512;  // rows: not a multiple of the tiles (4, 128)
    QuantMatrix q = makeMatrix(type, rows, cols, 7);
    const kernels::Matrix* parts[] = {&q.m};
    auto w = be->upload(parts);
    ASSERT_TRUE(w.has_value()) << w.error();
    const float tol = 1e-4f;
    kernels::ThreadPool pool(1);

    for (int64_t tokens : {1, 3, 16, 17, 70}) {  // matvec (one token, or several in one launch), tiled
        const std::vector<float> x = randomFloats(static_cast<size_t>(tokens * cols), 11 + tokens);
        std::vector<float> want(static_cast<size_t>(tokens * rows)), refOut(want.size());
        kernels::matmul(pool, q.m, x.data(), tokens, want.data());
        kernels::ref::matmul(type, q.bytes.data(), rows, cols, x.data(), tokens, refOut.data());
        EXPECT_LT(relError(want, refOut), 2e-2f) << "CPU backend vs ref";
        Buffer xb = toDevice(*be, x);
        // out rows of ldo = rows + 5 at offset 3: the product lands in a wider buffer
        const int64_t ldo = rows + 5, ooff = 3;
        std::vector<float> init(static_cast<size_t>(tokens * ldo), 0.5f);
        Buffer ob = toDevice(*be, init);
        {
            std::lock_guard<std::mutex> g(be->lock());
            be->matmul(*w, xb, cols, tokens, ob, ldo, ooff, /*accumulate=*/true);
        }
        const std::vector<float> got = fromDevice(*be, ob, init.size());
        const std::vector<float> oracle = dequantDot(q, x, tokens);
        std::vector<float> gotRows(want.size()), wantAcc(want.size()), oracleAcc(want.size());
        for (int64_t t = 0; t < tokens; ++t)
            for (int64_t r = 0; r < rows; ++r) {
                gotRows[t * rows + r] = got[t * ldo + ooff + r];
                wantAcc[t * rows + r] = want[t * rows + r] + 0.5f;
                oracleAcc[t * rows + r] = oracle[t * rows + r] + 0.5f;
            }
        EXPECT_LT(relError(gotRows, oracleAcc), 2e-2f) << "tokens " << tokens << " vs ref dequantize + dot";
        // Q4_1 / Q5_1 prefill: the tile uses d*sum(q) of the activations, the CPU its fp16 rounding
        const bool q8_1 = type == GgmlType::Q4_1 || type == GgmlType::Q5_1;
        const float tolT = q8_1 && tokens > 1 ? 2e-3f : tol;
        EXPECT_LT(relError(gotRows, wantAcc), tolT) << "tokens " << tokens;
        EXPECT_EQ(got[0], 0.5f);  // outside [ooff, ooff + rows): untouched
        EXPECT_EQ(got[ldo - 1], 0.5f);
    }

    // SwiGLU fused into the matvec input: x = [gate | up].
    const std::vector<float> gu = randomFloats(static_cast<size_t>(2 * cols), 5);
    std::vector<float> act(static_cast<size_t>(cols));
    kernels::swiglu(gu.data(), gu.data() + cols, cols, act.data());
    std::vector<float> want(static_cast<size_t>(rows));
    kernels::matmul(pool, q.m, act.data(), 1, want.data());
    Buffer gub = toDevice(*be, gu);
    Buffer ob = toDevice(*be, std::vector<float>(static_cast<size_t>(rows), 0.0f));
    {
        std::lock_guard<std::mutex> g(be->lock());
        be->matmul(*w, gub, 2 * cols, 1, ob, rows, 0, false, /*swigluInput=*/true);
    }
    EXPECT_LT(relError(fromDevice(*be, ob, rows), want), tol);
}

// Embedding lookup is exact: dequantization only.
TEST_P(OpenclMatmul, GetRowsIsExact) {
    REQUIRE_BACKEND();
    const GgmlType type = GetParam();
    const int64_t rows = 20, cols = 256;
    QuantMatrix q = makeMatrix(type, rows, cols, 3);
    const kernels::Matrix* parts[] = {&q.m};
    auto w = be->upload(parts);
    ASSERT_TRUE(w.has_value()) << w.error();
    const std::vector<int32_t> ids = {5, 0, 19, 5};
    auto idb = be->alloc(ids.size() * 4);
    ASSERT_TRUE(idb.has_value());
    auto ob = be->alloc(ids.size() * cols * 4);
    ASSERT_TRUE(ob.has_value());
    {
        std::lock_guard<std::mutex> g(be->lock());
        be->write(*idb, 0, ids.data(), ids.size() * 4);
        be->getRows(*w, *idb, static_cast<int64_t>(ids.size()), *ob);
    }
    const std::vector<float> got = fromDevice(*be, *ob, ids.size() * cols);
    std::vector<float> want(cols), oracle(cols);
    for (size_t t = 0; t < ids.size(); ++t) {
        kernels::getRow(q.m, ids[t], want.data());
        kernels::ref::dequantizeRow(type, q.bytes.data() + ids[t] * kernels::rowBytes(type, cols), oracle.data(), cols);
        for (int64_t c = 0; c < cols; ++c) {
            ASSERT_EQ(got[t * cols + c], want[c]) << "row " << t << " col " << c;
            ASSERT_EQ(got[t * cols + c], oracle[c]) << "row " << t << " col " << c << " vs ref";
        }
    }
    EXPECT_EQ(w->bytes(), Backend::deviceBytes(type, rows, cols));
}

// The matrix-unit prefill products (cl/matmul_mma.cl; on NVIDIA, or emulated through
// ASSISTANT_OPENCL_MMA=emulate): partial row, token and block-stage tiles, plain and
// accumulating, against the CPU backend (same Q8_0 activations, same integer block sums)
// and the ref dequantization.
TEST(OpenclMma, PrefillTilesMatchCpu) {
    REQUIRE_BACKEND();
    if (!be->matrixUnits()) GTEST_SKIP() << "no matrix-unit path on " << be->deviceName();
    kernels::ThreadPool pool(1);
    for (GgmlType type : {GgmlType::Q4_0, GgmlType::Q8_0}) {
        // rows: two row tiles (128), the second partial; cols: 13 blocks (stages of 4: the
        // last has 1); tokens: three token tiles (64), the last partial.
        const int64_t rows = 200, cols = 416, tokens = 130;
        QuantMatrix q = makeMatrix(type, rows, cols, 21);
        const kernels::Matrix* parts[] = {&q.m};
        auto w = be->upload(parts);
        ASSERT_TRUE(w.has_value()) << w.error();
        const std::vector<float> x = randomFloats(static_cast<size_t>(tokens * cols), 23);
        std::vector<float> want(static_cast<size_t>(tokens * rows));
        kernels::matmul(pool, q.m, x.data(), tokens, want.data());
        const std::vector<float> oracle = dequantDot(q, x, tokens);
        Buffer xb = toDevice(*be, x);
        for (bool accumulate : {false, true}) {
            const int64_t ldo = rows + 3, ooff = 1;
            const std::vector<float> init(static_cast<size_t>(tokens * ldo), -0.25f);
            Buffer ob = toDevice(*be, init);
            {
                std::lock_guard<std::mutex> g(be->lock());
                be->matmul(*w, xb, cols, tokens, ob, ldo, ooff, accumulate);
            }
            const std::vector<float> got = fromDevice(*be, ob, init.size());
            const float base = accumulate ? -0.25f : 0.0f;
            std::vector<float> gotRows(want.size()), wantRows(want.size()), oracleRows(want.size());
            for (int64_t t = 0; t < tokens; ++t) {
                for (int64_t r = 0; r < rows; ++r) {
                    gotRows[t * rows + r] = got[t * ldo + ooff + r];
                    wantRows[t * rows + r] = want[t * rows + r] + base;
                    oracleRows[t * rows + r] = oracle[t * rows + r] + base;
                }
                ASSERT_EQ(got[t * ldo], -0.25f) << "token " << t;  // outside [ooff, ooff + rows)
                ASSERT_EQ(got[t * ldo + ooff + rows], -0.25f) << "token " << t;
            }
            EXPECT_LT(relError(gotRows, wantRows), 1e-4f) << kernels::typeName(type) << " accumulate " << accumulate;
            EXPECT_LT(relError(gotRows, oracleRows), 2e-2f) << kernels::typeName(type) << " vs ref";
        }
    }
}

// On NVIDIA's OpenCL the program carries the mma kernels (unless switched off).
TEST(OpenclMma, ActiveOnNvidia) {
    REQUIRE_BACKEND();
    const char* e = std::getenv("ASSISTANT_OPENCL_MMA");
    if (be->deviceName().find("NVIDIA") == std::string::npos || (e && *e))
        GTEST_SKIP() << "not an NVIDIA device, or ASSISTANT_OPENCL_MMA set";
    EXPECT_TRUE(be->matrixUnits()) << be->deviceName() << ": the driver refused the mma.sync kernels";
}

// With ASSISTANT_OPENCL_XMX=emulate8|emulate16 the program carries the XMX kernels with the
// instruction emulated: they must pass the backend's own check against the portable
// kernels and then be the matrix units (PrefillTilesMatchCpu and MatchesReference run
// through them in the same ctest entries).
TEST(OpenclXmx, EmulatedKernelsPassTheSelfCheck) {
    REQUIRE_BACKEND();
    const char* e = std::getenv("ASSISTANT_OPENCL_XMX");
    if (!e || !std::string(e).starts_with("emulate")) GTEST_SKIP() << "ASSISTANT_OPENCL_XMX=emulate8|16 not set";
    EXPECT_TRUE(be->matrixUnits()) << be->matrixUnitsNote();
    EXPECT_NE(be->matrixUnitsNote().find("XMX"), std::string::npos) << be->matrixUnitsNote();
}

INSTANTIATE_TEST_SUITE_P(Types, OpenclMatmul,
                         ::testing::Values(GgmlType::F32, GgmlType::F16, GgmlType::BF16, GgmlType::Q4_0,
                                           GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q8_0,
                                           GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_K, GgmlType::Q5_K,
                                           GgmlType::Q6_K, GgmlType::IQ4_NL, GgmlType::IQ4_XS, GgmlType::TQ1_0,
                                           GgmlType::TQ2_0),
                         [](const auto& info) { return std::string(kernels::typeName(info.param)); });

TEST(OpenclOps, RmsNormSwigluAdd) {
    REQUIRE_BACKEND();
    const int64_t rows = 3, cols = 300;
    const std::vector<float> x = randomFloats(rows * cols, 1), w = randomFloats(cols, 2);
    std::vector<float> want(rows * cols);
    for (int64_t r = 0; r < rows; ++r) kernels::rmsNorm(&x[r * cols], w.data(), cols, 1e-5f, &want[r * cols]);
    Buffer xb = toDevice(*be, x), wb = toDevice(*be, w), ob = toDevice(*be, std::vector<float>(rows * cols));
    {
        std::lock_guard<std::mutex> g(be->lock());
        be->rmsNorm(xb, 0, wb, rows, cols, 1e-5f, ob);
    }
    EXPECT_LT(relError(fromDevice(*be, ob, rows * cols), want), 1e-5f);
    {  // the last row alone, read at an offset
        std::lock_guard<std::mutex> g(be->lock());
        be->rmsNorm(xb, (rows - 1) * cols, wb, 1, cols, 1e-5f, ob);
    }
    const std::vector<float> last = fromDevice(*be, ob, cols);
    EXPECT_LT(relError(last, std::vector<float>(want.end() - cols, want.end())), 1e-5f);

    const int64_t f = 100;
    const std::vector<float> gu = randomFloats(rows * 2 * f, 3);
    std::vector<float> sw(rows * f), ge(rows * f);
    for (int64_t t = 0; t < rows; ++t) {
        kernels::swiglu(&gu[t * 2 * f], &gu[t * 2 * f + f], f, &sw[t * f]);
        kernels::geglu(&gu[t * 2 * f], &gu[t * 2 * f + f], f, &ge[t * f]);
    }
    Buffer gub = toDevice(*be, gu), swb = toDevice(*be, std::vector<float>(rows * f));
    Buffer geb = toDevice(*be, std::vector<float>(rows * f));
    Buffer yb = toDevice(*be, x);
    {
        std::lock_guard<std::mutex> g(be->lock());
        be->swiglu(gub, 2 * f, rows, f, swb);
        be->geglu(gub, 2 * f, rows, f, geb);
        be->add(yb, xb, rows * cols);
    }
    EXPECT_LT(relError(fromDevice(*be, swb, rows * f), sw), 1e-5f);
    // GELU through fp16 both ways: equal but where tanh's last bit flips an fp16 rounding.
    EXPECT_LT(relError(fromDevice(*be, geb, rows * f), ge), 2e-3f);
    const std::vector<float> doubled = fromDevice(*be, yb, rows * cols);
    for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(doubled[i], 2 * x[i]);
}

// RoPE (normal and NeoX, partial dims, llama3 frequency factors) + KV store, then
// attention over the cache, against the CPU backend with the same cache type.
struct AttnCase {
    bool neox;
    int dims;
    bool freqFactors;
    GgmlType kvType;
    int64_t tokens, pos0;
    int64_t window;
    float softCap;
    int64_t D = 32;  // head size (48: Q8_0 blocks span heads, the kernel's per-value path)
};

class OpenclAttention : public ::testing::TestWithParam<AttnCase> {};

TEST_P(OpenclAttention, RopeStoreAndAttentionMatchCpu) {
    REQUIRE_BACKEND();
    const AttnCase c = GetParam();
    const int64_t H = 4, Hkv = 2, D = c.D, qW = H * D, kvW = Hkv * D, ldq = qW + 2 * kvW;
    const int64_t ctx = 150, n = c.tokens, pos0 = c.pos0;
    std::vector<float> ff(D / 2);
    for (size_t i = 0; i < ff.size(); ++i) ff[i] = 1.0f + 0.5f * static_cast<float>(i % 5);
    kernels::RopeParams rope{c.dims, 10000.0f, 0.5f, c.neox, c.freqFactors ? ff.data() : nullptr};
    kernels::AttentionShape shape{H, Hkv, D, 1.0f / std::sqrt(float(D)), c.window, c.softCap};
    const size_t rowB = kernels::rowBytes(c.kvType, kvW);

    // History 0..pos0-1 then this batch: the CPU stores everything; the device gets the
    // history rows copied in, and the batch through ropeStoreKv.
    std::vector<uint8_t> kc(ctx * rowB), vc(ctx * rowB);
    const std::vector<float> hist = randomFloats(static_cast<size_t>(pos0 * 2 * kvW) + 1, 9);
    for (int64_t p = 0; p < pos0; ++p) {
        kernels::storeRow(c.kvType, &hist[p * 2 * kvW], kvW, kc.data() + p * rowB);
        kernels::storeRow(c.kvType, &hist[p * 2 * kvW + kvW], kvW, vc.data() + p * rowB);
    }
    auto kb = be->alloc(kc.size()), vb = be->alloc(vc.size());
    ASSERT_TRUE(kb && vb);
    {
        std::lock_guard<std::mutex> g(be->lock());
        be->write(*kb, 0, kc.data(), kc.size());
        be->write(*vb, 0, vc.data(), vc.size());
    }
    std::vector<float> qkv = randomFloats(static_cast<size_t>(n * ldq), 4);
    Buffer qkvb = toDevice(*be, qkv);
    Buffer freqb = toDevice(*be, ropeFrequencies(rope));
    Buffer outb = toDevice(*be, std::vector<float>(n * qW));

    std::vector<float> q(n * qW);
    for (int64_t t = 0; t < n; ++t) {
        float* row = &qkv[t * ldq];
        kernels::rope(row, H, D, pos0 + t, rope);
        kernels::rope(row + qW, Hkv, D, pos0 + t, rope);
        kernels::storeRow(c.kvType, row + qW, kvW, kc.data() + (pos0 + t) * rowB);
        kernels::storeRow(c.kvType, row + qW + kvW, kvW, vc.data() + (pos0 + t) * rowB);
        std::copy(row, row + qW, &q[t * qW]);
    }
    std::vector<float> want(n * qW);
    kernels::ThreadPool pool(1);
    kernels::attention(pool, q.data(), n, pos0, kc.data(), vc.data(), c.kvType, shape, want.data());

    {
        std::lock_guard<std::mutex> g(be->lock());
        be->ropeStoreKv(qkvb, ldq, n, H, Hkv, D, pos0, rope, freqb, *kb, *vb, c.kvType);
        be->attention(qkvb, ldq, n, pos0, *kb, *vb, c.kvType, shape, outb);
    }
    const std::vector<float> gotQkv = fromDevice(*be, qkvb, n * ldq);
    EXPECT_LT(relError(gotQkv, qkv), 2e-5f) << "rotated q/k";
    std::vector<uint8_t> gotK(kc.size());
    be->read(*kb, 0, gotK.data(), gotK.size());
    std::vector<float> a(kvW), b(kvW);
    for (int64_t p = pos0; p < pos0 + n; ++p) {
        kernels::ref::dequantizeRow(c.kvType, gotK.data() + p * rowB, a.data(), kvW);
        kernels::ref::dequantizeRow(c.kvType, kc.data() + p * rowB, b.data(), kvW);
        // The keys the two sides quantize differ by rounding (~1e-6): a Q4_0 value that
        // lands on a .5 boundary moves by a whole step (an eighth of the block's largest).
        EXPECT_LT(relError(a, b), c.kvType == GgmlType::Q4_0 ? 3e-2f : 2e-3f) << "cached key at " << p;
    }
    EXPECT_LT(relError(fromDevice(*be, outb, n * qW), want), 2e-4f);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, OpenclAttention,
    ::testing::Values(AttnCase{false, 32, false, GgmlType::F32, 1, 0, 0, 0.0f},     // first token
                      AttnCase{false, 32, false, GgmlType::F16, 1, 130, 0, 0.0f},   // decode, split keys
                      AttnCase{true, 32, false, GgmlType::F16, 7, 0, 0, 0.0f},      // neox prefill
                      AttnCase{true, 16, true, GgmlType::F32, 5, 20, 0, 0.0f},      // partial dims + factors
                      AttnCase{false, 24, true, GgmlType::F16, 70, 9, 0, 0.0f},     // > 64 queries and keys
                      AttnCase{true, 32, false, GgmlType::F32, 6, 80, 16, 5.0f},    // window + soft cap
                      AttnCase{false, 32, false, GgmlType::Q8_0, 1, 130, 0, 0.0f},  // Q8_0 cache, decode
                      AttnCase{true, 32, true, GgmlType::Q8_0, 9, 40, 0, 0.0f},     // Q8_0 cache, prefill
                      AttnCase{false, 48, false, GgmlType::Q8_0, 1, 130, 0, 0.0f, 48},  // blocks across heads
                      AttnCase{false, 32, false, GgmlType::Q4_0, 1, 130, 0, 0.0f},      // Q4_0 cache, decode
                      AttnCase{true, 32, true, GgmlType::Q4_0, 9, 40, 16, 5.0f},        // prefill, window, cap
                      AttnCase{false, 48, false, GgmlType::Q4_0, 1, 100, 0, 0.0f, 48},  // blocks across heads
                      // attn_prefill's head sizes (64, 128; 48: part of a 32-lane chunk; 136: attn_split),
                      // query blocks of 32 partly filled, key tiles of 32 from pos0 not a multiple
                      AttnCase{true, 64, false, GgmlType::F16, 45, 37, 0, 0.0f, 64},
                      AttnCase{false, 128, true, GgmlType::F16, 70, 11, 0, 0.0f, 128},
                      AttnCase{true, 48, false, GgmlType::F32, 33, 50, 20, 4.0f, 48},   // window + cap
                      AttnCase{true, 128, false, GgmlType::F16, 40, 3, 0, 0.0f, 136}));  // above AP_MAXD

// Decode: rms_norm and attention quantize their one-token row for the next product in
// the same launch (rms_norm_q8, attn_merge_q8). The product must equal, to the bit, the
// same product of a copy of the row (quantized by its own launch), for Q8_0 activations
// (Q4_0, Q8_0 weights) and Q8_1 (Q4_1: the block sums); a write into the row forgets the
// quantized copy.
TEST(OpenclOps, FusedActivationQuantizationEqualsItsOwnLaunch) {
    REQUIRE_BACKEND();
    const int64_t H = 4, Hkv = 2, D = 32, qW = H * D, kvW = Hkv * D, ldq = qW + 2 * kvW;
    const int64_t E = 288, rows = 40, pos0 = 100;  // E: not a multiple of the norm's 256 items
    const std::vector<float> x = randomFloats(E, 21), nw = randomFloats(E, 22);
    std::vector<float> want(E);
    kernels::rmsNorm(x.data(), nw.data(), E, 1e-5f, want.data());
    Buffer xb = toDevice(*be, x), nwb = toDevice(*be, nw), cur = toDevice(*be, std::vector<float>(E));

    // Attention of one query at pos0 over an F16 cache (its output feeds the product).
    const size_t rowB = kernels::rowBytes(GgmlType::F16, kvW);
    std::vector<uint8_t> kc((pos0 + 1) * rowB), vc(kc.size());
    const std::vector<float> hist = randomFloats(static_cast<size_t>((pos0 + 1) * 2 * kvW), 23);
    for (int64_t p = 0; p <= pos0; ++p) {
        kernels::storeRow(GgmlType::F16, &hist[p * 2 * kvW], kvW, kc.data() + p * rowB);
        kernels::storeRow(GgmlType::F16, &hist[p * 2 * kvW + kvW], kvW, vc.data() + p * rowB);
    }
    auto kb = be->alloc(kc.size()), vb = be->alloc(vc.size());
    ASSERT_TRUE(kb && vb);
    Buffer qkvb = toDevice(*be, randomFloats(ldq, 24)), attn = toDevice(*be, std::vector<float>(qW));
    kernels::AttentionShape shape{H, Hkv, D, 1.0f / std::sqrt(float(D)), 0, 0.0f};

    for (GgmlType type : {GgmlType::Q4_0, GgmlType::Q8_0, GgmlType::Q4_1}) {
        for (int which = 0; which < 2; ++which) {  // 0: after rms_norm (E), 1: after attention (qW)
            const int64_t cols = which == 0 ? E : qW;
            QuantMatrix q = makeMatrix(type, rows, cols, 25);
            const kernels::Matrix* parts[] = {&q.m};
            auto w = be->upload(parts);
            ASSERT_TRUE(w.has_value()) << w.error();
            Buffer fused = toDevice(*be, std::vector<float>(rows)), own = toDevice(*be, std::vector<float>(rows));
            Buffer& row = which == 0 ? cur : attn;
            {
                std::lock_guard<std::mutex> g(be->lock());
                be->write(*kb, 0, kc.data(), kc.size());
                be->write(*vb, 0, vc.data(), vc.size());
                if (which == 0) be->rmsNorm(xb, 0, nwb, 1, E, 1e-5f, cur);
                else be->attention(qkvb, ldq, 1, pos0, *kb, *vb, GgmlType::F16, shape, attn);
                be->matmul(*w, row, cols, 1, fused, rows, 0, false);
            }
            const std::vector<float> values = fromDevice(*be, row, cols);
            if (which == 0) EXPECT_LT(relError(values, want), 1e-5f);
            Buffer copy = toDevice(*be, values);
            {
                std::lock_guard<std::mutex> g(be->lock());
                be->matmul(*w, copy, cols, 1, own, rows, 0, false);
            }
            const std::vector<float> a = fromDevice(*be, fused, rows), b = fromDevice(*be, own, rows);
            for (int64_t r = 0; r < rows; ++r)
                ASSERT_EQ(a[r], b[r]) << kernels::typeName(type) << (which ? " after attention" : " after rms_norm")
                                      << ", row " << r;
        }
    }

    // A write into the normalized row: the next product reads the new values.
    QuantMatrix q = makeMatrix(GgmlType::Q8_0, rows, E, 26);
    const kernels::Matrix* parts[] = {&q.m};
    auto w = be->upload(parts);
    ASSERT_TRUE(w.has_value()) << w.error();
    const std::vector<float> other = randomFloats(E, 27);
    Buffer ob = toDevice(*be, std::vector<float>(rows)), otherb = toDevice(*be, other);
    Buffer ob2 = toDevice(*be, std::vector<float>(rows));
    {
        std::lock_guard<std::mutex> g(be->lock());
        be->rmsNorm(xb, 0, nwb, 1, E, 1e-5f, cur);
        be->write(cur, 0, other.data(), other.size() * 4);
        be->matmul(*w, cur, E, 1, ob, rows, 0, false);
        be->matmul(*w, otherb, E, 1, ob2, rows, 0, false);
    }
    EXPECT_EQ(fromDevice(*be, ob, rows), fromDevice(*be, ob2, rows));
}

TEST(OpenclBackend, BadDeviceIdIsAnError) {
    EXPECT_FALSE(Backend::create("opencl:99.0").has_value());
    EXPECT_FALSE(Backend::create("cuda:0").has_value());
}

TEST(OpenclBackend, ProgramCacheIsUsedOnSecondCreate) {
    REQUIRE_BACKEND();
    auto again = Backend::create(be->deviceId());
    ASSERT_TRUE(again.has_value()) << again.error();
    EXPECT_TRUE((*again)->programFromCache());
}

}  // namespace

namespace {

// `assistant-cli devices` and the placement's memory budget read these figures: a CPU
// device (PoCL) shares the host's memory, so its free figure is known; no device says
// more is free than it has; an NVIDIA device (on machines with NVML) reports through it.
TEST(OpenclDevices, FreeMemoryIsKnownForCpuDevicesAndNeverAboveTotal) {
    const auto devices = kernels::openclDevices();
    if (devices.empty()) GTEST_SKIP() << "no OpenCL device";
    for (const kernels::DeviceDesc& d : devices) {
        std::printf("[ info ] %s (%s, %s): %.2f GiB total, %.2f GiB free\n", d.id.c_str(), d.type.c_str(),
                    d.name.c_str(), d.memoryBytes / 1073741824.0, d.freeBytes / 1073741824.0);
        EXPECT_GT(d.memoryBytes, 0u) << d.id;
        EXPECT_LE(d.freeBytes, d.memoryBytes) << d.id;
        if (d.type == "cpu") {
            EXPECT_GT(d.freeBytes, 0u) << d.id << " shares the host's memory";
        }
        if (d.name.find("NVIDIA") != std::string::npos && std::getenv("ASSISTANT_TEST_EXPECT_NVML")) {
            EXPECT_GT(d.freeBytes, 0u) << d.id << ": NVML should answer on this machine";
        }
    }
}

}  // namespace
