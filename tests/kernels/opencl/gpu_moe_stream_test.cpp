// Prefill with the routed experts streamed to the device (label gpu: PoCL in CI;
// inference/arch/streamed_experts.h): hybrid placement (--moe-experts cpu), a batch of at
// least ASSISTANT_MOE_STREAM tokens copies each layer's experts into one of two device
// slots and computes them there. A deeper copy of the qwen3moe conformance models (6
// layers, each layer's experts in another order, so that a slot still holding the layer
// before last gives other logits) must give the CPU backend's greedy ids and logits
// (gpu_test::expectSameContinuation) with streamed prefill, with batches below the
// threshold, and with each side of the double buffer held back
// (ASSISTANT_MOE_STREAM_HOLD=copies|ops: a missing event wait then reads the wrong
// layer's experts every time). A budget without room for the two slots streams nothing.
// The pinned staging is a bounded ring of chunks (ASSISTANT_MOE_STREAM_CHUNK: chunks of 8
// rows make a layer reuse each chunk many times; HOLD=chunks holds each chunk's copy).
// With a hot-expert cache a streamed layer stages only the uncached experts its batch picks
// (none when the cache holds every pick).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <cstring>
#include <filesystem>
#include <string_view>

#include <unistd.h>

#include "assistant/engine.h"
#include "arch/hot_experts.h"
#include "arch/placed_layers.h"
#include "assistant/model_tools.h"
#include "engine/engine_access.h"
#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"
#include "greedy_run.h"
#include "scoped_env.h"
#include "shared_data.h"

namespace {

using namespace assistant;
using gpu_test::expectSameContinuation;
using gpu_test::greedy;
using gpu_test::GreedyRun;
using gpu_test::testDevice;

constexpr int kLayers = 6;

// `from` with kLayers layers: layer k is layer k % 2 of the file with the experts of each
// expert tensor rotated by k (expert e holds the file's expert (e + k) % X).
std::string deepCopy(const std::string& from, const std::string& to) {
    auto f = gguf::File::open(from);
    EXPECT_TRUE(f.has_value()) << (f ? "" : f.error().message);
    if (!f) return {};
    const gguf::File& in = **f;
    gguf::Writer w;
    for (const auto& [key, value] : in.metadata()) w.copyValue(key, value);
    w.setU32("qwen3moe.block_count", kLayers);
    struct Source {
        const gguf::TensorInfo* t;
        int rotate;  // experts rotated by (0: copied as is)
    };
    std::vector<Source> sources;
    for (const gguf::TensorInfo& t : in.tensors()) {
        const std::string name(t.name);
        if (name.rfind("blk.", 0) == 0) continue;
        w.addTensor(name, t.type, t.shape);
        sources.push_back({&t, 0});
    }
    for (int k = 0; k < kLayers; ++k) {
        const std::string prefix = "blk." + std::to_string(k % 2) + ".";
        for (const gguf::TensorInfo& t : in.tensors()) {
            const std::string name(t.name);
            if (name.rfind(prefix, 0) != 0) continue;
            w.addTensor("blk." + std::to_string(k) + "." + name.substr(prefix.size()), t.type, t.shape);
            sources.push_back({&t, name.find("_exps.") != std::string::npos ? k : 0});
        }
    }
    auto ok = w.write(to, [&](size_t i, std::span<uint8_t> out) -> Result<void> {
        const Source& s = sources[i];
        if (s.rotate == 0 || s.t->shape.size() != 3) {
            std::memcpy(out.data(), s.t->data, out.size());
            return {};
        }
        const int64_t X = s.t->shape[2];
        const size_t each = out.size() / static_cast<size_t>(X);
        for (int64_t e = 0; e < X; ++e)
            std::memcpy(out.data() + static_cast<size_t>(e) * each, s.t->data + static_cast<size_t>((e + s.rotate) % X) * each,
                        each);
        return {};
    });
    EXPECT_TRUE(ok.has_value()) << (ok ? "" : ok.error().message);
    return ok ? to : std::string();
}

using kernels_test::ScopedEnv;

std::shared_ptr<const Model> load(const std::string& path, const ModelParams& p) {
    auto m = Model::load(path, p);
    EXPECT_TRUE(m.has_value()) << (m ? "" : m.error().message);
    return m ? *m : nullptr;
}

ModelParams hybrid(const std::string& dev, uint64_t gpuMemory = 0) {
    ModelParams p;
    p.device = dev;
    p.moeExperts = MoeExperts::Cpu;
    p.gpuMemory = gpuMemory;
    return p;
}

class GpuMoeStream : public ::testing::TestWithParam<const char*> {
protected:
    void SetUp() override {
        m_dev = testDevice();
        if (m_dev.empty()) {
            if (testdata::inCi()) FAIL() << "no OpenCL device (install pocl-opencl-icd)";
            GTEST_SKIP() << "no OpenCL device";
        }
        const std::string src = testdata::sharedPath(std::string("conformance/models/") + GetParam());
        REQUIRE_SHARED(src);
        // One file per test and process: ctest runs the tests of one model side by side.
        std::string name = std::string("stream-") + ::testing::UnitTest::GetInstance()->current_test_info()->name() +
                           "-" + std::to_string(::getpid()) + "-" + GetParam();
        for (char& c : name)
            if (c == '/') c = '_';
        m_path = deepCopy(src, (std::filesystem::path(::testing::TempDir()) / name).string());
        ASSERT_FALSE(m_path.empty());
        auto cpu = load(m_path, [] {
            ModelParams p;
            p.device = "cpu";
            p.gpuLayers = 0;
            return p;
        }());
        ASSERT_TRUE(cpu);
        ASSERT_EQ(cpu->info().layerCount, kLayers);
        m_tol = cpu->info().fileType == "F32" ? 2e-3f : 0.15f;
        // A prompt whose first greedy steps are no near-ties: the deeper copy has one at
        // step 1 of gpu_test::kPrompt, and NVIDIA's Q8_0 kernels (within the tolerance)
        // flipped it, which leaves the comparison one step long. Same length (12): the
        // thresholds below are set for it.
        for (int k = 0; k < 32; ++k) {
            m_prompt = gpu_test::kPrompt;
            for (size_t j = 1; j < m_prompt.size(); ++j) m_prompt[j] = 2 + (m_prompt[j] + 53 * k) % 480;
            m_want = run(cpu);
            m_wantByToken = run(cpu, 1);
            if (clearSteps(m_want) && clearSteps(m_wantByToken)) break;
            m_prompt.clear();
        }
        ASSERT_FALSE(m_prompt.empty()) << "no prompt of 32 without a near-tie in its first steps";
    }
    // The first 4 greedy steps each lead the runner-up by more than twice the tolerance.
    bool clearSteps(const GreedyRun& r) const {
        if (r.stepLogits.size() < 4) return false;
        for (size_t i = 0; i < 4; ++i) {
            std::vector<float> l = r.stepLogits[i];
            std::partial_sort(l.begin(), l.begin() + 2, l.end(), std::greater<float>());
            if (l[0] - l[1] <= 2 * m_tol) return false;
        }
        return true;
    }
    GreedyRun run(const std::shared_ptr<const Model>& m, int batch = 512) const {
        return greedy(m, KvType::F32, batch, 24, m_prompt);
    }
    void TearDown() override {
        if (!m_path.empty()) std::filesystem::remove(m_path);
    }

    std::string m_dev, m_path;
    float m_tol = 0;
    std::vector<int32_t> m_prompt;
    GreedyRun m_want, m_wantByToken;
};

// The 12-token prompt streams (threshold 4) through all 6 layers: each slot is refilled
// twice within the pass; decode's single tokens keep the CPU experts.
TEST_P(GpuMoeStream, StreamedPrefillMatchesCpu) {
    const ScopedEnv threshold("ASSISTANT_MOE_STREAM", "4");
    for (const char* hold : {"", "copies", "ops"}) {
        const ScopedEnv held("ASSISTANT_MOE_STREAM_HOLD", *hold ? hold : nullptr);
        auto m = load(m_path, hybrid(m_dev));
        ASSERT_TRUE(m);
        const std::string what = std::string("streamed prefill, hold '") + hold + "'";
        ASSERT_EQ(m->info().gpuLayers, kLayers);
        ASSERT_FALSE(m->info().expertsOnGpu);
        ASSERT_GT(m->info().expertStreamBytes, 0u) << what;
        expectSameContinuation(m_want, run(m), m_tol, what);
        // evaluate() and generate() each prefill the prompt once, in one batch.
        EXPECT_EQ(m->hotExperts().streamedLayers, 2u * kLayers) << what;
    }
}

// Batches below the threshold (token by token, and 8 + 4 tokens under a threshold of 10)
// stream nothing and give the CPU's continuation.
TEST_P(GpuMoeStream, SmallBatchesKeepTheCpuExperts) {
    const ScopedEnv threshold("ASSISTANT_MOE_STREAM", "10");
    auto m = load(m_path, hybrid(m_dev));
    ASSERT_TRUE(m);
    ASSERT_GT(m->info().expertStreamBytes, 0u);
    expectSameContinuation(m_wantByToken, run(m, 1), m_tol, "token by token");
    expectSameContinuation(m_want, run(m, 8), m_tol, "batches of 8");
    EXPECT_EQ(m->hotExperts().streamedLayers, 0u);
    // ASSISTANT_MOE_STREAM=0: no stream at all.
    const ScopedEnv off("ASSISTANT_MOE_STREAM", "0");
    auto none = load(m_path, hybrid(m_dev));
    ASSERT_TRUE(none);
    EXPECT_EQ(none->info().expertStreamBytes, 0u);
    expectSameContinuation(m_want, run(none), m_tol, "streaming off");
    EXPECT_EQ(none->hotExperts().streamedLayers, 0u);
}

// The plan counts the two slots within the budget: a budget holding the dense part and
// the slots streams (and assistant-cli info's plan says so, with the bytes); one a byte
// short of the slots does not, says why, and still runs (the CPU's experts). With a
// hot-expert cache besides, the prefill streams and decode uses the cache.
TEST_P(GpuMoeStream, TheSlotsMustFitTheBudget) {
    const ScopedEnv threshold("ASSISTANT_MOE_STREAM", "4");
    auto open = planPlacement(m_path, hybrid(m_dev));
    ASSERT_TRUE(open.has_value()) << open.error().message;
    ASSERT_GT(open->expertStreamBytes, 0u);
    EXPECT_EQ(open->streamMinTokens, 4);
    uint64_t dense = 0, stream = 0;
    for (const PlacementPart& part : open->parts) {
        if (part.where != m_dev) continue;
        if (part.what.rfind("prefill expert stream", 0) == 0) stream += part.bytes;
        else dense += part.bytes;
    }
    EXPECT_EQ(stream, open->expertStreamBytes);

    auto fits = planPlacement(m_path, hybrid(m_dev, dense + stream));
    ASSERT_TRUE(fits.has_value()) << fits.error().message;
    EXPECT_EQ(fits->expertStreamBytes, stream);
    EXPECT_EQ(fits->hotExpertsPerLayer, 0);

    const ModelParams tight = hybrid(m_dev, dense + stream - 1);
    auto plan = planPlacement(m_path, tight);
    ASSERT_TRUE(plan.has_value()) << plan.error().message;
    EXPECT_EQ(plan->gpuLayers, kLayers);
    EXPECT_EQ(plan->expertStreamBytes, 0u);
    EXPECT_NE(plan->streamNote.find("too little for two layers' experts"), std::string::npos) << plan->streamNote;
    for (const PlacementPart& part : plan->parts) EXPECT_EQ(part.what.find("stream"), std::string::npos) << part.what;
    auto m = load(m_path, tight);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->info().expertStreamBytes, 0u);
    expectSameContinuation(m_want, run(m), m_tol, "no room for the slots");
    EXPECT_EQ(m->hotExperts().streamedLayers, 0u);

    // Room for the slots and about a third of each layer's experts besides: the prefill
    // streams, decode splits each token's experts between the cache and the CPU.
    const ModelParams both = hybrid(m_dev, dense + 2 * stream);
    auto bothPlan = planPlacement(m_path, both);
    ASSERT_TRUE(bothPlan.has_value()) << bothPlan.error().message;
    uint64_t onDevice = 0;
    for (const PlacementPart& part : bothPlan->parts)
        if (part.where == m_dev) onDevice += part.bytes;
    EXPECT_LE(onDevice, both.gpuMemory);  // the cache took what the slots left
    auto withCache = load(m_path, both);
    ASSERT_TRUE(withCache);
    EXPECT_EQ(withCache->info().expertStreamBytes, stream);
    EXPECT_GT(withCache->info().hotExpertsPerLayer, 0);
    expectSameContinuation(m_want, run(withCache), m_tol, "streamed prefill, cached decode");
    const Model::HotExpertStats s = withCache->hotExperts();
    EXPECT_EQ(s.streamedLayers, 2u * kLayers);
    EXPECT_GT(s.hits, 0u);
    EXPECT_LT(s.hits, s.picks);
}

// With a hot-expert cache the CPU's share of a batch is the picks the cache misses: a
// layer streams only when those are as many as a cacheless batch of the threshold gives
// (the share expected before any pick: the uncached experts'). A cache of about a third
// of the experts and a threshold of 10: the 12-token prompt's first pass leaves the CPU
// ~8 tokens' picks, so it keeps the cache and the CPU (a model without the cache streams it).
// At a threshold of 4 the same cache streams the prompt.
TEST_P(GpuMoeStream, ACacheStreamsOnlyWhatItMisses) {
    const ScopedEnv threshold("ASSISTANT_MOE_STREAM", "10");
    auto open = planPlacement(m_path, hybrid(m_dev));
    ASSERT_TRUE(open.has_value()) << open.error().message;
    uint64_t dense = 0;
    for (const PlacementPart& part : open->parts)
        if (part.where == m_dev && part.what.rfind("prefill expert stream", 0) != 0) dense += part.bytes;
    const ModelParams both = hybrid(m_dev, dense + 2 * open->expertStreamBytes);
    auto cached = load(m_path, both);
    ASSERT_TRUE(cached);
    const ModelInfo& info = cached->info();
    ASSERT_GT(info.hotExpertsPerLayer, 0);
    ASSERT_GT(info.expertStreamBytes, 0u);
    const double miss = 1.0 - static_cast<double>(info.hotExpertsPerLayer) / info.expertCount;
    ASSERT_LT(12 * miss, 10.0) << info.hotExpertsPerLayer << " of " << info.expertCount;
    {  // the first pass: no pick counted yet, the expected share decides
        SessionParams sp;
        sp.contextLength = 128;
        sp.threads = 1;
        auto session = Session::create(cached, sp);
        ASSERT_TRUE(session.has_value()) << session.error().message;
        ASSERT_TRUE((*session)->evaluate(m_prompt, false).has_value());
    }
    const Model::HotExpertStats s = cached->hotExperts();
    EXPECT_EQ(s.streamedLayers, 0u);
    EXPECT_GT(s.picks, 0u);
    EXPECT_GT(s.hits, 0u);
    // Later passes go by each layer's picks so far (a layer that misses more may stream).
    expectSameContinuation(m_want, run(cached), m_tol, "cache, threshold 10");

    auto uncached = load(m_path, hybrid(m_dev));
    ASSERT_TRUE(uncached);
    expectSameContinuation(m_want, run(uncached), m_tol, "no cache, threshold 10");
    EXPECT_EQ(uncached->hotExperts().streamedLayers, 2u * kLayers);

    const ScopedEnv low("ASSISTANT_MOE_STREAM", "4");
    auto streamed = load(m_path, both);
    ASSERT_TRUE(streamed);
    ASSERT_GE(12 * miss, 4.0);
    expectSameContinuation(m_want, run(streamed), m_tol, "cache, threshold 4");
    EXPECT_EQ(streamed->hotExperts().streamedLayers, 2u * kLayers);
}

// The default threshold (ASSISTANT_MOE_STREAM unset) moves to the break-even of what the
// passes measure: a 48-token prefill on the CPU experts times them, a 200-token one streams
// (at the default 192) and times the stream; then the threshold is their break-even
// (StreamCosts, stream_costs_test). A threshold set by hand stays as set.
TEST_P(GpuMoeStream, MeasuredCostsMoveOnlyTheDefaultThreshold) {
    const ScopedEnv unset("ASSISTANT_MOE_STREAM", nullptr);
    const auto prompt = [](int n) {
        std::vector<int32_t> p = {1};
        for (int i = 1; i < n; ++i) p.push_back(2 + (i * 37) % 480);
        return p;
    };
    const auto evaluate = [&](const std::shared_ptr<const Model>& m, int n) {
        SessionParams sp;
        sp.contextLength = 256;
        sp.threads = 2;
        auto session = Session::create(m, sp);
        ASSERT_TRUE(session.has_value()) << session.error().message;
        ASSERT_TRUE((*session)->evaluate(prompt(n), false).has_value());
    };
    auto m = load(m_path, hybrid(m_dev));
    ASSERT_TRUE(m);
    Model::HotExpertStats s = m->hotExperts();
    EXPECT_EQ(s.streamThresholdTokens, 192);
    EXPECT_EQ(s.cpuSecondsPerTokenPerLayer, 0.0);
    EXPECT_EQ(s.streamSecondsPerLayer, 0.0);
    evaluate(m, 48);
    s = m->hotExperts();
    EXPECT_EQ(s.streamedLayers, 0u);
    EXPECT_GT(s.cpuSecondsPerTokenPerLayer, 0.0);
    EXPECT_EQ(s.streamSecondsPerLayer, 0.0);
    EXPECT_EQ(s.streamThresholdTokens, 192);  // one side measured: the default still
    evaluate(m, 200);  // one threshold a pass: every layer streams, though the first's time moves it
    s = m->hotExperts();
    EXPECT_EQ(s.streamedLayers, static_cast<uint64_t>(kLayers));
    ASSERT_GT(s.streamSecondsPerLayer, 0.0);
    const double breakEven = std::ceil(s.streamSecondsPerLayer / s.cpuSecondsPerTokenPerLayer);
    EXPECT_NEAR(static_cast<double>(s.streamThresholdTokens), std::max(16.0, breakEven), 1.0);

    const ScopedEnv fixed("ASSISTANT_MOE_STREAM", "4");
    auto f = load(m_path, hybrid(m_dev));
    ASSERT_TRUE(f);
    evaluate(f, 12);
    evaluate(f, 48);
    s = f->hotExperts();
    EXPECT_EQ(s.streamedLayers, 2u * kLayers);
    EXPECT_GT(s.streamSecondsPerLayer, 0.0);
    EXPECT_EQ(s.cpuSecondsPerTokenPerLayer, 0.0);
    EXPECT_EQ(s.streamThresholdTokens, 4);
}

// The pinned host staging is a ring of 4 chunks, not a layer's bytes: the plan's staging
// part, ModelInfo and the stream agree on its size, it stays within the ring's bound
// (128 MiB, and about one layer's experts at most: half the two slots), and a tiny chunk (ASSISTANT_MOE_STREAM_CHUNK)
// makes it 4 chunks of 8 rows, far below one layer's experts. A chunk size that is not one
// streams nothing and says why.
TEST_P(GpuMoeStream, TheStagingIsABoundedRing) {
    const ScopedEnv threshold("ASSISTANT_MOE_STREAM", "4");
    const auto staging = [](const PlacementReport& r) {
        uint64_t bytes = 0;
        for (const PlacementPart& part : r.parts)
            if (part.what.rfind("prefill expert stream staging", 0) == 0) {
                EXPECT_EQ(part.where, "cpu");
                bytes += part.bytes;
            }
        return bytes;
    };
    auto open = planPlacement(m_path, hybrid(m_dev));
    ASSERT_TRUE(open.has_value()) << open.error().message;
    ASSERT_GT(open->expertStreamBytes, 0u);
    EXPECT_GT(open->expertStreamHostBytes, 0u);
    EXPECT_EQ(staging(*open), open->expertStreamHostBytes);
    EXPECT_LE(open->expertStreamHostBytes, 128u << 20);
    EXPECT_LE(open->expertStreamHostBytes, open->expertStreamBytes / 2 + 4);  // chunks of a quarter layer at most

    const ScopedEnv tiny("ASSISTANT_MOE_STREAM_CHUNK", "1K");
    auto small = planPlacement(m_path, hybrid(m_dev));
    ASSERT_TRUE(small.has_value()) << small.error().message;
    EXPECT_EQ(small->expertStreamBytes, open->expertStreamBytes);  // the slots stay whole layers
    EXPECT_EQ(staging(*small), small->expertStreamHostBytes);
    EXPECT_EQ(small->expertStreamHostBytes % 4, 0u);
    EXPECT_LT(small->expertStreamHostBytes * 4, small->expertStreamBytes / 2) << "4 chunks, far below one layer";
    auto m = load(m_path, hybrid(m_dev));
    ASSERT_TRUE(m);
    EXPECT_EQ(m->info().expertStreamHostBytes, small->expertStreamHostBytes);

    const ScopedEnv bad("ASSISTANT_MOE_STREAM_CHUNK", "lots");
    auto none = planPlacement(m_path, hybrid(m_dev));
    ASSERT_TRUE(none.has_value()) << none.error().message;
    EXPECT_EQ(none->expertStreamBytes, 0u);
    EXPECT_EQ(none->expertStreamHostBytes, 0u);
    EXPECT_NE(none->streamNote.find("ASSISTANT_MOE_STREAM_CHUNK=lots"), std::string::npos) << none->streamNote;
}

// A layer many times the ring (chunks of 8 rows: each layer reuses every chunk dozens of
// times) streams as the CPU computes, also with both sides of the double buffer held, and
// with each chunk's copy held until the host comes back to reuse that chunk
// (ASSISTANT_MOE_STREAM_HOLD=chunks, chunks of 16 KiB to keep the holds few: a missing wait
// for the chunk's copy overwrites it before the copy reads it).
TEST_P(GpuMoeStream, ALayerLargerThanTheRingStreams) {
    const ScopedEnv threshold("ASSISTANT_MOE_STREAM", "4");
    for (const char* hold : {"", "copies", "ops", "chunks"}) {
        const ScopedEnv tiny("ASSISTANT_MOE_STREAM_CHUNK", std::string_view(hold) == "chunks" ? "16K" : "1K");
        const ScopedEnv held("ASSISTANT_MOE_STREAM_HOLD", *hold ? hold : nullptr);
        auto m = load(m_path, hybrid(m_dev));
        ASSERT_TRUE(m);
        const std::string what = std::string("tiny chunks, hold '") + hold + "'";
        ASSERT_GT(m->info().expertStreamHostBytes, 0u) << what;
        ASSERT_LT(m->info().expertStreamHostBytes * 8, m->info().expertStreamBytes) << what;
        expectSameContinuation(m_want, run(m), m_tol, what);
        EXPECT_EQ(m->hotExperts().streamedLayers, 2u * kLayers) << what;
    }
}

// The device bytes of the dense part of `path`'s hybrid plan (the stream's parts apart).
uint64_t denseBytes(const PlacementReport& plan, const std::string& dev) {
    uint64_t dense = 0;
    for (const PlacementPart& part : plan.parts)
        if (part.where == dev && part.what.rfind("prefill expert stream", 0) != 0) dense += part.bytes;
    return dense;
}

const arch::ModelPlacement& placed(const Model& m) { return modelImpl(m).placement->placed(); }

// Per layer, the distinct experts the passes so far picked that the cache does not hold
// (the cache's own counts: nothing refreshed in between).
uint64_t missedExperts(const Model& m) {
    uint64_t missed = 0;
    const arch::ModelPlacement& mp = placed(m);
    for (size_t l = 0; l < mp.layers.size(); ++l) {
        const arch::HotExperts* hot = mp.hot(static_cast<int64_t>(l));
        if (!hot) continue;
        for (int32_t e = 0; e < static_cast<int32_t>(mp.layers[l].hostSet.gate.size()); ++e)
            if (hot->count(e) > 0 && !hot->resident(e)) ++missed;
    }
    return missed;
}

void evaluateOnce(const std::shared_ptr<const Model>& m, const std::vector<int32_t>& prompt) {
    SessionParams sp;
    sp.contextLength = 128;
    sp.threads = 1;
    auto session = Session::create(m, sp);
    ASSERT_TRUE(session.has_value()) << session.error().message;
    ASSERT_TRUE((*session)->evaluate(prompt, false).has_value());
}

// A cache of about a third of each layer's experts and the stream forced on
// (ASSISTANT_MOE_STREAM=1): each layer of the prompt's pass stages exactly the distinct
// uncached experts the batch picked (the cache's counts) and only their bytes (the same
// for each, a fraction of a whole layer's: a model without the cache stages every
// expert), and the continuation is the CPU's.
TEST_P(GpuMoeStream, ACacheStagesOnlyTheExpertsItLacks) {
    const ScopedEnv threshold("ASSISTANT_MOE_STREAM", "1");
    auto open = planPlacement(m_path, hybrid(m_dev));
    ASSERT_TRUE(open.has_value()) << open.error().message;
    const ModelParams both = hybrid(m_dev, denseBytes(*open, m_dev) + 2 * open->expertStreamBytes);

    auto whole = load(m_path, hybrid(m_dev));
    ASSERT_TRUE(whole);
    const int64_t X = whole->info().expertCount;
    evaluateOnce(whole, m_prompt);
    const Model::HotExpertStats w = whole->hotExperts();
    ASSERT_EQ(w.streamedLayers, static_cast<uint64_t>(kLayers));
    EXPECT_EQ(w.stagedExperts, static_cast<uint64_t>(kLayers * X));
    const uint64_t layerBytes = w.stagedBytes / kLayers;  // the router and every expert

    auto cached = load(m_path, both);
    ASSERT_TRUE(cached);
    ASSERT_GT(cached->info().hotExpertsPerLayer, 0);
    evaluateOnce(cached, m_prompt);
    const Model::HotExpertStats s = cached->hotExperts();
    EXPECT_EQ(s.streamedLayers, static_cast<uint64_t>(kLayers));
    EXPECT_GT(s.hits, 0u);
    const uint64_t missed = missedExperts(*cached);
    ASSERT_GT(missed, 0u) << "the prompt picks no uncached expert: nothing to check";
    EXPECT_EQ(s.stagedExperts, missed);
    EXPECT_LT(s.stagedExperts, static_cast<uint64_t>(kLayers * (X - cached->info().hotExpertsPerLayer)) + 1);
    ASSERT_GT(s.stagedExperts, 0u);
    EXPECT_EQ(s.stagedBytes % s.stagedExperts, 0u) << "every expert's rows are the same bytes";
    const uint64_t each = s.stagedBytes / s.stagedExperts;
    EXPECT_LE(each * static_cast<uint64_t>(X), layerBytes);
    EXPECT_LT(layerBytes - each * static_cast<uint64_t>(X), each) << "a whole layer: every expert and a router";

    auto again = load(m_path, both);
    ASSERT_TRUE(again);
    expectSameContinuation(m_want, run(again), m_tol, "cache, stream forced on");
    EXPECT_EQ(again->hotExperts().streamedLayers, 2u * kLayers);
    EXPECT_LT(again->hotExperts().stagedExperts, static_cast<uint64_t>(2 * kLayers * X));
}

// A prompt of one token repeated: every token of a layer picks the same experts, which a
// refresh then caches. The same prompt again streams its layers (the cache's miss rate so
// far is above the threshold) but stages nothing: every pick is cached.
TEST_P(GpuMoeStream, ALayerWhosePicksAreAllCachedStagesNothing) {
    const ScopedEnv threshold("ASSISTANT_MOE_STREAM", "1");
    auto open = planPlacement(m_path, hybrid(m_dev));
    ASSERT_TRUE(open.has_value()) << open.error().message;
    auto m = load(m_path, hybrid(m_dev, denseBytes(*open, m_dev) + 2 * open->expertStreamBytes));
    ASSERT_TRUE(m);
    ASSERT_GE(m->info().hotExpertsPerLayer, placed(*m).layers[0].hostSet.used);
    const std::vector<int32_t> same(12, m_prompt[1]);
    evaluateOnce(m, same);
    m->refreshHotExperts();
    const Model::HotExpertStats before = m->hotExperts();
    ASSERT_EQ(before.streamedLayers, static_cast<uint64_t>(kLayers));
    int64_t streaming = 0;  // the layers whose miss rate so far makes the 12 tokens stream
    const arch::ModelPlacement& mp = placed(*m);
    for (int64_t l = 0; l < kLayers; ++l) streaming += 12 * mp.hot(l)->missRate() >= 1.0 ? 1 : 0;
    ASSERT_GT(streaming, 0) << "every pick was cached already: nothing streams";

    evaluateOnce(m, same);
    const Model::HotExpertStats after = m->hotExperts();
    ASSERT_EQ(after.hits - before.hits, after.picks - before.picks) << "not every pick cached";
    EXPECT_EQ(after.streamedLayers - before.streamedLayers, static_cast<uint64_t>(streaming));
    EXPECT_EQ(after.stagedExperts, before.stagedExperts);
    EXPECT_EQ(after.stagedBytes, before.stagedBytes);
}

INSTANTIATE_TEST_SUITE_P(Conformance, GpuMoeStream, ::testing::Values("qwen3moe-a.gguf", "qwen3moe-a.Q8_0.gguf"),
                         [](const auto& info) {
                             std::string n = info.param;
                             for (char& c : n)
                                 if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                             return n;
                         });

}  // namespace
