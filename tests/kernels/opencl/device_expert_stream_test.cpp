// Streamed experts through the device backend (Backend::makeExpertStream, stageExperts,
// streamedExperts; kernels/opencl/cl_expert_stream*.cpp) on small F32 layers: a layer
// staged through a ring of tiny chunks (ASSISTANT_MOE_STREAM_CHUNK) gives the CPU
// backend's experts op, and a layer whose rows are wider than any the stream was made for
// (same bytes per part: it fits the slots) is refused with a clear error instead of
// overrunning a pinned staging chunk; the stream still stages its own layers after that.
// An unknown ASSISTANT_MOE_STREAM_HOLD is an error, not silently no hold. A staging of some
// experts copies only their rows (the bytes say so) and the slot serves exactly those; a
// staging that fails half-way leaves a slot that holds nothing (its ops fail, not read
// stale rows); a stream with the profile on may go while its events' callbacks are pending.
// Label gpu (PoCL in CI).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <future>
#include <string>

#include "../backend_scenario.h"
#include "kernels/device_list.h"
#include "kernels/opencl_backend.h"
#include "kernels/thread_pool.h"
#include "device_under_test.h"
#include "scoped_env.h"
#include "shared_data.h"

namespace {

using namespace kernels_test;
using kernels::GgmlType;

constexpr int64_t kE = 256, kFe = 256, kX = 8, kUsed = 2, kTokens = 5;


// kX experts of F32 matrices: gate / up [kFe][kE], down [downRows][downCols].
struct Layer {
    Quantized router;
    std::vector<Quantized> gate, up, down;
    std::vector<kernels::Matrix> g, u, d;
    Layer(int64_t downRows, int64_t downCols, uint32_t seed) : router(quantizedMatrix(GgmlType::F32, kX, kE, seed)) {
        for (int64_t e = 0; e < kX; ++e) {
            const uint32_t s = seed + 10 * static_cast<uint32_t>(e + 1);
            gate.push_back(quantizedMatrix(GgmlType::F32, kFe, kE, s + 1));
            up.push_back(quantizedMatrix(GgmlType::F32, kFe, kE, s + 2));
            down.push_back(quantizedMatrix(GgmlType::F32, downRows, downCols, s + 3));
        }
        for (int64_t e = 0; e < kX; ++e) {
            g.push_back(gate[e].m);
            u.push_back(up[e].m);
            d.push_back(down[e].m);
        }
    }
    kernels::ExpertSet set() const { return {&router.m, g, u, d, kUsed, true}; }
};

std::vector<float> readAll(kernels::Backend& be, const kernels::DeviceBuffer& b, size_t floats) {
    std::vector<float> v(floats);
    be.read(b, 0, v.data(), floats * 4);
    return v;
}

// streamedExperts on `slot` against the CPU backend's experts op on `set`.
void expectMatchesCpu(kernels::Backend& dev, kernels::ExpertStream& stream, int slot, const kernels::ExpertSet& set,
                      const std::string& what) {
    kernels::ThreadPool pool(2);
    auto cpu = kernels::makeCpuBackend(&pool);
    auto all = cpu->uploadExperts(set);
    ASSERT_TRUE(all.has_value()) << all.error();
    std::vector<float> x = randomVector(static_cast<size_t>(kTokens * kE), 77);
    for (float& v : x) v *= 4.0f;  // router logits apart
    const size_t floats = static_cast<size_t>(kTokens * kE);
    auto xc = cpu->upload(std::span<const float>(x)), xd = dev.upload(std::span<const float>(x));
    auto wantB = cpu->alloc(floats * 4), gotB = dev.alloc(floats * 4);
    ASSERT_TRUE(xc && xd && wantB && gotB);
    cpu->experts(**all, **xc, kTokens, **wantB);
    dev.streamedExperts(stream, slot, **xd, kTokens, **gotB);
    const std::vector<float> want = readAll(*cpu, **wantB, floats), got = readAll(dev, **gotB, floats);
    ASSERT_EQ(dev.takeError(), "") << what;
    // Relative to the largest output: the device may compute in half precision.
    double worst = 0, scale = 0;
    for (size_t i = 0; i < floats; ++i) {
        worst = std::max(worst, std::fabs(static_cast<double>(got[i] - want[i])));
        scale = std::max(scale, std::fabs(static_cast<double>(want[i])));
    }
    ASSERT_GT(scale, 0.0) << what;
    EXPECT_LT(worst / scale, 5e-3) << what << ": worst " << worst << " of " << scale;
}

TEST(DeviceExpertStream, RowsWiderThanTheStreamsAreRefused) {
    REQUIRE_DEVICE(dev);
    // Chunks of 8 of the widest rows (8 KiB): each layer reuses every chunk dozens of times.
    const ScopedEnv tiny("ASSISTANT_MOE_STREAM_CHUNK", "1K");
    const Layer a(kE, kFe, 100), b(kE, kFe, 500);
    const Layer wide(kE / 2, 2 * kFe, 900);  // down: half the rows, twice as wide (same bytes)
    const kernels::ExpertSet sa = a.set(), sb = b.set(), sw = wide.set();
    const kernels::ExpertSet* layers[] = {&sa, &sb};
    auto stream = dev->makeExpertStream(layers, 2);
    ASSERT_TRUE(stream.has_value()) << stream.error();
    ASSERT_EQ((*stream)->hostBytes(), 4u * 8 * kE * 4) << "4 chunks of 8 rows of 256 floats";
    kernels::ThreadPool pool(2);

    auto ok = dev->stageExperts(**stream, 0, 0, sa, &pool, {});
    ASSERT_TRUE(ok.has_value()) << ok.error();
    ok = dev->stageExperts(**stream, 1, 1, sb, nullptr, {});
    ASSERT_TRUE(ok.has_value()) << ok.error();
    expectMatchesCpu(*dev, **stream, 0, sa, "layer a in slot 0");
    expectMatchesCpu(*dev, **stream, 1, sb, "layer b in slot 1");

    auto refused = dev->stageExperts(**stream, 0, 2, sw, &pool, {});
    ASSERT_FALSE(refused.has_value()) << "8 rows of 2 KiB staged through chunks of 8 KiB";
    EXPECT_NE(refused.error().find("rows wider"), std::string::npos) << refused.error();
    // The refused slot is not used as if it held a layer; the stream goes on.
    ok = dev->stageExperts(**stream, 0, 3, sb, &pool, {});
    ASSERT_TRUE(ok.has_value()) << ok.error();
    expectMatchesCpu(*dev, **stream, 0, sb, "layer b in slot 0 after the refusal");
}

// A hold mode that is none of copies, ops or chunks (a test's typo would test nothing):
// no stream, and the error names the variable; an empty value holds nothing.
TEST(DeviceExpertStream, AnUnknownHoldIsAnError) {
    REQUIRE_DEVICE(dev);
    const Layer a(kE, kFe, 100);
    const kernels::ExpertSet sa = a.set();
    const kernels::ExpertSet* layers[] = {&sa};
    {
        const ScopedEnv typo("ASSISTANT_MOE_STREAM_HOLD", "copys");
        auto stream = dev->makeExpertStream(layers, 2);
        ASSERT_FALSE(stream.has_value());
        EXPECT_NE(stream.error().find("ASSISTANT_MOE_STREAM_HOLD=copys"), std::string::npos) << stream.error();
    }
    const ScopedEnv none("ASSISTANT_MOE_STREAM_HOLD", "");
    auto stream = dev->makeExpertStream(layers, 2);
    ASSERT_TRUE(stream.has_value()) << stream.error();
}

// expertsChosen on `set` (the CPU backend) against streamedExpertsChosen on `slot`, each
// token picking two of `experts` (weights 0.6, 0.4). The device's error, if any, returned.
std::string expectChosenMatchesCpu(kernels::Backend& dev, kernels::ExpertStream& stream, int slot,
                                   const kernels::ExpertSet& set, const std::vector<int32_t>& experts) {
    kernels::ThreadPool pool(2);
    auto cpu = kernels::makeCpuBackend(&pool);
    auto all = cpu->uploadExperts(set);
    EXPECT_TRUE(all.has_value()) << all.error();
    const std::vector<float> x = randomVector(static_cast<size_t>(kTokens * kE), 78);
    std::vector<kernels::ExpertChoice> choice;
    for (int64_t t = 0; t < kTokens; ++t) {
        choice.push_back({experts[static_cast<size_t>(t) % experts.size()], 0.6f});
        choice.push_back({experts[static_cast<size_t>(t + 1) % experts.size()], 0.4f});
    }
    const size_t floats = static_cast<size_t>(kTokens * kE);
    auto xc = cpu->upload(std::span<const float>(x)), xd = dev.upload(std::span<const float>(x));
    auto wantB = cpu->alloc(floats * 4), gotB = dev.alloc(floats * 4);
    EXPECT_TRUE(xc && xd && wantB && gotB);
    cpu->expertsChosen(**all, **xc, kTokens, choice, 2, **wantB);
    dev.streamedExpertsChosen(stream, slot, **xd, kTokens, choice, 2, **gotB);
    const std::vector<float> want = readAll(*cpu, **wantB, floats), got = readAll(dev, **gotB, floats);
    if (std::string error = dev.takeError(); !error.empty()) return error;
    double worst = 0, scale = 0;
    for (size_t i = 0; i < floats; ++i) {
        worst = std::max(worst, std::fabs(static_cast<double>(got[i] - want[i])));
        scale = std::max(scale, std::fabs(static_cast<double>(want[i])));
    }
    EXPECT_GT(scale, 0.0);
    EXPECT_LT(worst / scale, 5e-3) << "worst " << worst << " of " << scale;
    return {};
}

// Experts {1, 2, 6} of layer b over layer a in slot 0: only their gate, up and down rows
// are copied (3/8 of those bytes, no router), through chunks of 8 rows; expertsChosen on
// them gives the CPU's; an expert left as layer a's, or the whole layer's op, is an error.
TEST(DeviceExpertStream, SomeExpertsStageOnlyTheirRows) {
    REQUIRE_DEVICE(dev);
    const ScopedEnv tiny("ASSISTANT_MOE_STREAM_CHUNK", "1K");
    const Layer a(kE, kFe, 100), b(kE, kFe, 500);
    const kernels::ExpertSet sa = a.set(), sb = b.set();
    const kernels::ExpertSet* layers[] = {&sa, &sb};
    auto stream = dev->makeExpertStream(layers, 2);
    ASSERT_TRUE(stream.has_value()) << stream.error();
    kernels::ThreadPool pool(2);
    auto whole = dev->stageExperts(**stream, 0, 0, sa, &pool, {});
    ASSERT_TRUE(whole.has_value()) << whole.error();
    const size_t each = static_cast<size_t>(3 * kFe * kE) * 4;  // F32 gate, up, down of one expert
    EXPECT_EQ(*whole, static_cast<size_t>(kX * kE) * 4 + kX * each) << "router and every expert";

    const std::vector<int32_t> some = {6, 1, 2, 6};  // any order, repeats once
    auto part = dev->stageExperts(**stream, 0, 1, sb, &pool, some);
    ASSERT_TRUE(part.has_value()) << part.error();
    EXPECT_EQ(*part, 3 * each);
    EXPECT_EQ(expectChosenMatchesCpu(*dev, **stream, 0, sb, {1, 2, 6}), "");
    EXPECT_NE(expectChosenMatchesCpu(*dev, **stream, 0, sb, {1, 3}), "") << "expert 3 is still layer a's";
    const size_t floats = static_cast<size_t>(kTokens * kE);
    auto x = dev->alloc(floats * 4), out = dev->alloc(floats * 4);
    ASSERT_TRUE(x && out);
    dev->streamedExperts(**stream, 0, **x, kTokens, **out);
    EXPECT_NE(dev->takeError(), "") << "the router and five experts are layer a's";

    auto none = dev->stageExperts(**stream, 1, 2, sb, &pool, std::vector<int32_t>{});
    ASSERT_TRUE(none.has_value()) << none.error();
    const std::vector<int32_t> bad = {8};
    auto refused = dev->stageExperts(**stream, 1, 2, sb, &pool, bad);
    ASSERT_FALSE(refused.has_value());
    EXPECT_NE(refused.error().find("no expert 8 of 8"), std::string::npos) << refused.error();
}

// A staging that fails after some of its copies were enqueued (ASSISTANT_MOE_STREAM_FAIL_AT:
// its third piece) leaves the slot holding nothing: the ops on it fail instead of reading
// the previous layer's rows mixed with the new one's; a staging that succeeds then serves.
TEST(DeviceExpertStream, AFailedStagingLeavesNothingStaged) {
    REQUIRE_DEVICE(dev);
    const ScopedEnv tiny("ASSISTANT_MOE_STREAM_CHUNK", "1K");
    const Layer a(kE, kFe, 100), b(kE, kFe, 500);
    const kernels::ExpertSet sa = a.set(), sb = b.set();
    const kernels::ExpertSet* layers[] = {&sa, &sb};
    auto stream = dev->makeExpertStream(layers, 2);
    ASSERT_TRUE(stream.has_value()) << stream.error();
    kernels::ThreadPool pool(2);
    auto ok = dev->stageExperts(**stream, 0, 0, sa, &pool, {});
    ASSERT_TRUE(ok.has_value()) << ok.error();
    expectMatchesCpu(*dev, **stream, 0, sa, "layer a in slot 0");
    {
        const ScopedEnv fail("ASSISTANT_MOE_STREAM_FAIL_AT", "2");
        auto failed = dev->stageExperts(**stream, 0, 1, sb, &pool, {});
        ASSERT_FALSE(failed.has_value());
        EXPECT_NE(failed.error().find("clEnqueueWriteBuffer failed"), std::string::npos) << failed.error();
        const size_t floats = static_cast<size_t>(kTokens * kE);
        auto x = dev->alloc(floats * 4), out = dev->alloc(floats * 4);
        ASSERT_TRUE(x && out);
        dev->streamedExperts(**stream, 0, **x, kTokens, **out);
        const std::string error = dev->takeError();
        EXPECT_NE(error.find("holds no layer"), std::string::npos) << "'" << error << "'";
        EXPECT_NE(expectChosenMatchesCpu(*dev, **stream, 0, sb, {0, 1}), "") << "a half-staged slot";
        const std::vector<int32_t> two = {0, 1};
        failed = dev->stageExperts(**stream, 0, 1, sb, &pool, two);  // pieces 0..3 gate: fails too
        ASSERT_FALSE(failed.has_value());
        EXPECT_NE(expectChosenMatchesCpu(*dev, **stream, 0, sb, {0}), "") << "a half-staged slot";
    }
    ok = dev->stageExperts(**stream, 0, 1, sb, &pool, {});
    ASSERT_TRUE(ok.has_value()) << ok.error();
    expectMatchesCpu(*dev, **stream, 0, sb, "layer b in slot 0 after the failures");
}

// With ASSISTANT_MOE_STREAM_PROFILE=1 each use of a slot has completion callbacks; the
// stream may be destroyed while one is pending (here: the experts op of another stream
// ahead of it on the compute queue is held, ASSISTANT_MOE_STREAM_HOLD=ops) without waiting
// for it: the callbacks own what they write, and run after the stream is gone.
TEST(DeviceExpertStream, AProfiledStreamMayGoBeforeItsCallbacks) {
    REQUIRE_DEVICE(dev);
    const Layer a(kE, kFe, 100);
    const kernels::ExpertSet sa = a.set();
    const kernels::ExpertSet* layers[] = {&sa};
    auto holding = [&] {
        const ScopedEnv hold("ASSISTANT_MOE_STREAM_HOLD", "ops");
        return dev->makeExpertStream(layers, 1);
    }();
    auto profiled = [&] {
        const ScopedEnv profile("ASSISTANT_MOE_STREAM_PROFILE", "1");
        return dev->makeExpertStream(layers, 1);
    }();
    ASSERT_TRUE(holding.has_value() && profiled.has_value());
    kernels::ThreadPool pool(2);
    ASSERT_TRUE(dev->stageExperts(**holding, 0, 0, sa, &pool, {}).has_value());
    ASSERT_TRUE(dev->stageExperts(**profiled, 0, 0, sa, &pool, {}).has_value());
    const size_t floats = static_cast<size_t>(kTokens * kE);
    std::vector<float> xs = randomVector(floats, 79);
    auto x = dev->upload(std::span<const float>(xs));
    auto out = dev->alloc(floats * 4), out2 = dev->alloc(floats * 4);
    ASSERT_TRUE(x && out && out2);
    dev->streamedExperts(**holding, 0, **x, kTokens, **out);    // held until `holding` lets go
    dev->streamedExperts(**profiled, 0, **x, kTokens, **out2);  // its ready mark queued behind
    kernels::StreamPtr gone = std::move(*profiled);
    auto destroyed = std::async(std::launch::async, [&] { gone.reset(); });
    const bool quick = destroyed.wait_for(std::chrono::seconds(5)) == std::future_status::ready;
    EXPECT_TRUE(quick) << "the stream waited for the ops ahead of its callbacks";
    holding->reset();  // lets the held op go (and a waiting destructor finish)
    destroyed.wait();
    std::vector<float> got(floats);
    dev->read(**out2, 0, got.data(), floats * 4);  // the callbacks run meanwhile, on the stream's records
    EXPECT_EQ(dev->takeError(), "");
}

}  // namespace
