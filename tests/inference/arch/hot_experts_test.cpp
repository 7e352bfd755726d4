// The hot-expert cache's bookkeeping (inference/arch/hot_experts.h): how a batch's
// choices split between the cached slots and the CPU, the counts, and the swaps a
// refresh plans. The ops themselves are tested on the device (device_expert_slots_test,
// gpu_moe_test).
#include <gtest/gtest.h>

#include "arch/hot_experts.h"

namespace {

using arch::HotExperts;
using kernels::ExpertChoice;

TEST(HotExperts, SpreadsTheFirstResidentsEvenly) {
    EXPECT_EQ(arch::spreadExperts(8, 4), (std::vector<int32_t>{0, 2, 4, 6}));
    EXPECT_EQ(arch::spreadExperts(128, 3), (std::vector<int32_t>{0, 42, 85}));
    EXPECT_EQ(arch::spreadExperts(5, 5), (std::vector<int32_t>{0, 1, 2, 3, 4}));
}

TEST(HotExperts, SplitsEachTokensExpertsInSlotOrder) {
    HotExperts hot(8, {6, 1, 3}, nullptr);  // slot 0: expert 6, slot 1: expert 1, slot 2: expert 3
    // Two tokens of K = 3: token 0 has experts 1 and 3 cached, token 1 only 6.
    const std::vector<ExpertChoice> choice = {{3, 0.5f}, {0, 0.3f}, {1, 0.2f}, {2, 0.6f}, {6, 0.3f}, {7, 0.1f}};
    std::vector<ExpertChoice> onDevice, onHost;
    int64_t Kd = 0;
    hot.split(choice, 2, 3, onDevice, Kd, onHost);
    ASSERT_EQ(Kd, 2);
    ASSERT_EQ(onDevice.size(), 4u);
    EXPECT_EQ(onDevice[0].expert, 2);  // expert 3's slot, first: its weight is the larger
    EXPECT_EQ(onDevice[0].weight, 0.5f);
    EXPECT_EQ(onDevice[1].expert, 1);  // expert 1's slot
    EXPECT_EQ(onDevice[2].expert, 0);  // token 1: expert 6's slot
    EXPECT_EQ(onDevice[2].weight, 0.3f);
    EXPECT_EQ(onDevice[3].expert, -1);  // padding
    const std::vector<int32_t> hostIds = {-1, 0, -1, 2, -1, 7};
    for (size_t i = 0; i < hostIds.size(); ++i) EXPECT_EQ(onHost[i].expert, hostIds[i]) << i;
    EXPECT_EQ(onHost[5].weight, 0.1f);
    EXPECT_EQ(hot.picks.load(), 6u);
    EXPECT_EQ(hot.hits.load(), 3u);
}

TEST(HotExperts, RefreshSwapsOnlyAClearLeadAndForgetsByHalves) {
    HotExperts hot(4, {0, 1}, nullptr);
    std::vector<ExpertChoice> onDevice, onHost;
    int64_t Kd = 0;
    auto pick = [&](int32_t e, int times) {
        const std::vector<ExpertChoice> one(static_cast<size_t>(times), ExpertChoice{e, 1.0f});
        hot.split(one, times, 1, onDevice, Kd, onHost);
    };
    pick(0, 20);
    pick(1, 10);
    pick(2, 11);  // pairs with expert 0 (20): behind it
    pick(3, 30);  // far ahead of expert 1 (the least picked resident)
    auto swaps = hot.plan();
    ASSERT_EQ(swaps.size(), 1u);
    EXPECT_EQ(swaps[0], (std::pair<int64_t, int32_t>{1, 3}));  // expert 1's slot now holds expert 3
    hot.swap(swaps[0].first, swaps[0].second);
    EXPECT_TRUE(hot.resident(3));
    EXPECT_FALSE(hot.resident(1));
    EXPECT_EQ(hot.expertIn(1), 3);
    EXPECT_EQ(hot.swaps.load(), 1u);
    EXPECT_TRUE(hot.plan().empty());
    hot.decay();  // 0: 10, 1: 5, 2: 5, 3: 15
    pick(2, 20);  // 2: 25, now clearly ahead of expert 0 (10)
    swaps = hot.plan();
    ASSERT_EQ(swaps.size(), 1u);
    EXPECT_EQ(swaps[0], (std::pair<int64_t, int32_t>{0, 2}));
}

}  // namespace
