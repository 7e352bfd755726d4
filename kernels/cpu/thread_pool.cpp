#include "kernels/thread_pool.h"

#include <chrono>

#include "kernels/cpu_features.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define KERNELS_PAUSE() _mm_pause()
#else
#define KERNELS_PAUSE() std::this_thread::yield()
#endif

namespace kernels {
namespace {

using Clock = std::chrono::steady_clock;

// Spins until pred() holds or kSpinMicros pass; true when pred() held.
template <typename Pred>
bool spinFor(Pred&& pred) {
    const auto deadline = Clock::now() + std::chrono::microseconds(ThreadPool::kSpinMicros);
    for (;;) {
        for (int i = 0; i < 64; ++i) {
            if (pred()) return true;
            KERNELS_PAUSE();
        }
        if (Clock::now() >= deadline) return pred();
    }
}

}  // namespace

ThreadPool::ThreadPool(int threads) {
    if (threads <= 0) threads = cpuFeatures().physicalCores;
    for (int i = 1; i < threads; ++i) m_workers.emplace_back([this, i] { workerLoop(i); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard lock(m_mutex);
        m_stop.store(true);
        m_generation.fetch_add(1);
    }
    m_wake.notify_all();
    for (std::thread& t : m_workers) t.join();
}

void ThreadPool::runTasks(int thread) {
    for (;;) {
        const int64_t task = m_next.fetch_add(1, std::memory_order_relaxed);
        if (task >= m_tasks) return;
        (*m_fn)(task, thread);
    }
}

void ThreadPool::workerLoop(int thread) {
    uint64_t seen = 0;
    for (;;) {
        auto changed = [&] { return m_generation.load(std::memory_order_acquire) != seen; };
        if (!spinFor(changed)) {
            // Sleep. The seq_cst pair (m_sleepers++ then reading m_generation here,
            // m_generation++ then reading m_sleepers in parallelFor) guarantees that
            // either this thread sees the new generation or the caller sees a sleeper.
            std::unique_lock lock(m_mutex);
            m_sleepers.fetch_add(1);
            m_wake.wait(lock, [&] { return m_generation.load() != seen; });
            m_sleepers.fetch_sub(1);
        }
        if (m_stop.load()) return;
        seen = m_generation.load(std::memory_order_acquire);
        runTasks(thread);
        if (m_pending.fetch_sub(1) == 1 && m_callerSleeping.load()) {
            std::lock_guard lock(m_mutex);
            m_done.notify_one();
        }
    }
}

void ThreadPool::parallelFor(int64_t tasks, const std::function<void(int64_t, int)>& fn) {
    if (tasks <= 0) return;
    if (m_workers.empty() || tasks == 1) {
        for (int64_t t = 0; t < tasks; ++t) fn(t, 0);
        return;
    }
    m_fn = &fn;
    m_tasks = tasks;
    m_next.store(0, std::memory_order_relaxed);
    m_pending.store(static_cast<int>(m_workers.size()), std::memory_order_relaxed);
    m_generation.fetch_add(1);  // seq_cst: publishes the fields above
    if (m_sleepers.load() > 0) {
        std::lock_guard lock(m_mutex);
        m_wake.notify_all();
    }
    runTasks(0);
    // Workers finish their last task soon after the caller runs out: spin, then sleep
    // (a descheduled worker on an oversubscribed machine needs this core).
    auto done = [&] { return m_pending.load(std::memory_order_acquire) == 0; };
    if (!spinFor(done)) {
        std::unique_lock lock(m_mutex);
        m_callerSleeping.store(true);
        m_done.wait(lock, [&] { return m_pending.load() == 0; });
        m_callerSleeping.store(false);
    }
    m_fn = nullptr;
}

}  // namespace kernels
