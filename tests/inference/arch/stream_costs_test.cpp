// The prefill stream's threshold from measured costs (inference/arch/streamed_experts.h:
// StreamCosts, streamThreshold): the default threshold until both a layer's stream and
// the CPU experts' time a token are measured, then their break-even; a fixed
// ASSISTANT_MOE_STREAM=N stays fixed. The passes that feed it are tested on the device
// (gpu_moe_stream_test: MeasuredCostsMoveOnlyTheDefaultThreshold).
#include <gtest/gtest.h>

#include "arch/placed_layers.h"
#include "arch/streamed_experts.h"

namespace {

using arch::StreamCosts;

TEST(StreamCosts, BreakEvenOnceBothSidesAreMeasured) {
    StreamCosts c;
    EXPECT_EQ(c.breakEvenTokens(), 0);
    c.addStream(0.010);  // a layer streams in 10 ms
    EXPECT_EQ(c.breakEvenTokens(), 0);
    c.addCpu(0.001, 16);  // too small a batch: reading the experts dominates it
    EXPECT_EQ(c.cpuSecondsPerToken(), 0.0);
    EXPECT_EQ(c.breakEvenTokens(), 0);
    c.addCpu(0.004, 64);  // 62.5 us a token
    EXPECT_DOUBLE_EQ(c.cpuSecondsPerToken(), 0.004 / 64);
    EXPECT_EQ(c.breakEvenTokens(), 160);  // 10 ms / 62.5 us
    // A moving average: later samples move it a quarter of the way each.
    c.addStream(0.020);
    EXPECT_DOUBLE_EQ(c.streamSeconds(), 0.0125);
    EXPECT_EQ(c.breakEvenTokens(), 200);
    c.addStream(0.0);    // no time: ignored
    c.addCpu(-1.0, 64);  // likewise
    EXPECT_DOUBLE_EQ(c.streamSeconds(), 0.0125);
    EXPECT_DOUBLE_EQ(c.cpuSecondsPerToken(), 0.004 / 64);
    // A link far faster than the CPU still never streams tiny batches.
    StreamCosts fast;
    fast.addStream(1e-6);
    fast.addCpu(0.064, 64);
    EXPECT_EQ(fast.breakEvenTokens(), StreamCosts::kMinBreakEven);
}

// A layer with a hot-expert cache stages only the experts its batch misses: its time counts
// per whole layer (divided by the share of the experts staged), so the break-even against
// the CPU's time a token is the same as from whole layers. Shares too small to tell the
// copy from the staging's fixed costs, or not shares, are ignored.
TEST(StreamCosts, APartialStagingCountsPerWholeLayer) {
    StreamCosts c;
    c.addStream(0.0025, 0.25);  // a quarter of the experts in 2.5 ms: 10 ms a layer
    EXPECT_DOUBLE_EQ(c.streamSeconds(), 0.010);
    c.addCpu(0.004, 64);
    EXPECT_EQ(c.breakEvenTokens(), 160);  // as BreakEvenOnceBothSidesAreMeasured's whole layers
    c.addStream(0.001, StreamCosts::kMinShare / 2);  // one expert of 32: its fixed costs dominate
    c.addStream(0.001, 0.0);
    c.addStream(0.001, 1.5);
    EXPECT_DOUBLE_EQ(c.streamSeconds(), 0.010);
    c.addStream(0.005, 0.5);  // 10 ms a layer again
    c.addStream(0.020);       // a whole layer
    EXPECT_DOUBLE_EQ(c.streamSeconds(), 0.0125);
}

TEST(StreamCosts, OnlyTheDefaultThresholdMoves) {
    arch::ModelPlacement mp;
    mp.streamMinTokens = 192;
    mp.streamAdaptive = true;
    EXPECT_EQ(arch::streamThreshold(mp), 192);  // nothing measured yet
    mp.streamCosts.addStream(0.009);
    mp.streamCosts.addCpu(0.0032, 64);  // 50 us a token: 180 tokens
    EXPECT_EQ(arch::streamThreshold(mp), 180);
    mp.streamAdaptive = false;  // ASSISTANT_MOE_STREAM=192 set by hand
    EXPECT_EQ(arch::streamThreshold(mp), 192);
    mp.streamMinTokens = 0;  // streaming off
    mp.streamAdaptive = true;
    EXPECT_EQ(arch::streamThreshold(mp), 0);
}

}  // namespace
