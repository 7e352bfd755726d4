// Admission control in front of the generation slots: FIFO waiting, 429 beyond the
// queue, timeouts, shutdown waking every waiter.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "slot_pool.h"

using namespace std::chrono_literals;
using server::SlotPool;

TEST(ServerSlotPool, GrantsUpToSizeThenQueuesThenRejects) {
    SlotPool pool(2, 1);
    auto a = pool.acquire(0ms);
    auto b = pool.acquire(0ms);
    ASSERT_TRUE(a && b);
    EXPECT_NE(&(*a)->slot(), &(*b)->slot());
    EXPECT_EQ(pool.busy(), 2);

    std::expected<std::shared_ptr<SlotPool::Lease>, SlotPool::Rejection> waited;
    std::thread waiter([&] { waited = pool.acquire(5s); });
    while (pool.queued() == 0) std::this_thread::yield();
    auto rejected = pool.acquire(5s);  // the one queue place is taken
    ASSERT_FALSE(rejected);
    EXPECT_EQ(rejected.error(), SlotPool::Rejection::QueueFull);

    SlotPool::Slot* freed = &(*a)->slot();
    a->reset();
    waiter.join();
    ASSERT_TRUE(waited);
    EXPECT_EQ(&(*waited)->slot(), freed);
    EXPECT_EQ(pool.queued(), 0);
}

TEST(ServerSlotPool, TimeoutAndStop) {
    SlotPool pool(1, 4);
    auto a = pool.acquire(0ms);
    ASSERT_TRUE(a);
    auto t = pool.acquire(20ms);
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error(), SlotPool::Rejection::Timeout);
    EXPECT_EQ(pool.queued(), 0);

    std::expected<std::shared_ptr<SlotPool::Lease>, SlotPool::Rejection> waited;
    std::thread waiter([&] { waited = pool.acquire(10s); });
    while (pool.queued() == 0) std::this_thread::yield();
    pool.stop();
    waiter.join();
    ASSERT_FALSE(waited);
    EXPECT_EQ(waited.error(), SlotPool::Rejection::Stopped);
    EXPECT_TRUE((*a)->slot().cancel.load());  // the running generation is told to stop
    EXPECT_FALSE(pool.acquire(0ms));
}

TEST(ServerSlotPool, CancelAllTouchesOnlyBusySlots) {
    SlotPool pool(2, 0);
    auto a = pool.acquire(0ms);
    ASSERT_TRUE(a);
    pool.cancelAll();
    EXPECT_TRUE((*a)->slot().cancel.load());
    auto b = pool.acquire(0ms);
    ASSERT_TRUE(b);
    EXPECT_FALSE((*b)->slot().cancel.load());  // a fresh lease starts uncancelled
}

TEST(ServerSlotPool, AWaiterWhoseClientLeftGivesUpItsPlace) {
    SlotPool pool(1, 2);
    auto a = pool.acquire(0ms);
    ASSERT_TRUE(a);
    std::atomic<bool> gone{false};
    std::expected<std::shared_ptr<SlotPool::Lease>, SlotPool::Rejection> waited;
    std::thread waiter([&] { waited = pool.acquire(10s, [&] { return gone.load(); }); });
    while (pool.queued() == 0) std::this_thread::yield();
    gone = true;
    waiter.join();
    ASSERT_FALSE(waited);
    EXPECT_EQ(waited.error(), SlotPool::Rejection::Abandoned);
    EXPECT_EQ(pool.queued(), 0);
}
