#include "kernels/thread_pool.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

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
    m_limit.store(std::max(threads, 1));
    for (int i = 1; i < threads; ++i) m_workers.emplace_back([this, i] { workerLoop(i); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard lock(m_mutex);
        m_stop.store(true);
        m_generation.fetch_add(1);
    }
    m_wake.notify_all();
    m_unpark.notify_all();
    for (std::thread& t : m_workers) t.join();
}

// Task claims: one word holds the loop's generation, its task count and the next
// task, so a worker that wakes late (descheduled on a busy machine) can never claim
// a task of a loop it did not see, and a loop ends when its tasks are done, not when
// every worker has checked in.
namespace {
constexpr uint64_t kIndexBits = 20, kTasksBits = 20;
constexpr uint64_t kIndexMask = (uint64_t{1} << kIndexBits) - 1;
constexpr uint64_t kGenMask = (uint64_t{1} << (64 - kIndexBits - kTasksBits)) - 1;  // generations wrap
inline uint64_t packClaim(uint64_t gen, uint64_t tasks) { return (gen << (kIndexBits + kTasksBits)) | (tasks << kIndexBits); }
inline uint64_t claimGen(uint64_t v) { return v >> (kIndexBits + kTasksBits); }
inline uint64_t claimTasks(uint64_t v) { return (v >> kIndexBits) & kIndexMask; }
}  // namespace

void ThreadPool::runTasks(int thread, uint64_t gen) {
    uint64_t v = m_next.load(std::memory_order_acquire);
    for (;;) {
        if (claimGen(v) != gen || (v & kIndexMask) >= claimTasks(v)) return;
        if (!m_next.compare_exchange_weak(v, v + 1, std::memory_order_acq_rel)) continue;
        // a claimed task keeps its loop (and m_fn) alive until it is counted done
        (*m_fn)(static_cast<int64_t>(v & kIndexMask), thread);
        const uint64_t done = m_completed.fetch_add(1) + 1;  // seq_cst: pairs with m_callerSleeping
        if (done == claimTasks(v) && m_callerSleeping.load()) {
            std::lock_guard lock(m_mutex);
            m_done.notify_one();
        }
        v = m_next.load(std::memory_order_acquire);
    }
}

void ThreadPool::workerLoop(int thread) {
    uint64_t seen = 0;
    for (;;) {
        if (thread >= m_limit.load(std::memory_order_relaxed)) {
            // Parked while the machine is busy: no spinning, no waking per loop.
            std::unique_lock lock(m_mutex);
            m_unpark.wait(lock, [&] { return thread < m_limit.load() || m_stop.load(); });
            if (m_stop.load()) return;
            seen = m_generation.load();  // loops that ran while parked are not this worker's
            continue;
        }
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
        // generation before stop: a loop ends without waiting for late workers, so the
        // destructor may bump the generation right after a worker woke for an earlier
        // loop; reading it first means that worker then sees m_stop (set before the bump)
        seen = m_generation.load();
        if (m_stop.load()) return;
        if (thread >= m_limit.load(std::memory_order_relaxed)) continue;  // parked meanwhile
        runTasks(thread, seen & kGenMask);
    }
}

void ThreadPool::parallelFor(int64_t tasks, const std::function<void(int64_t, int)>& fn) {
    if (tasks <= 0) return;
    if (m_workers.empty() || tasks == 1) {
        for (int64_t t = 0; t < tasks; ++t) fn(t, 0);
        return;
    }
    constexpr int64_t kMaxTasks = int64_t{1} << kTasksBits;
    if (tasks >= kMaxTasks) {  // a claim word counts fewer: run it as several loops
        for (int64_t base = 0; base < tasks; base += kMaxTasks - 1)
            parallelFor(std::min(kMaxTasks - 1, tasks - base), [&](int64_t t, int th) { fn(base + t, th); });
        return;
    }
    const uint64_t gen = (m_generation.load() + 1) & kGenMask;
    m_fn = &fn;
    m_completed.store(0, std::memory_order_relaxed);
    m_next.store(packClaim(gen, static_cast<uint64_t>(tasks)), std::memory_order_release);
    m_generation.fetch_add(1);  // seq_cst: publishes the fields above
    if (m_sleepers.load() > 0) {
        std::lock_guard lock(m_mutex);
        m_wake.notify_all();
    }
    runTasks(0, gen);
    // The loop is over when every task is done; workers that have not woken yet find
    // nothing to claim. Spin for the last tasks, then sleep (a descheduled worker on
    // an oversubscribed machine needs this core).
    auto done = [&] { return m_completed.load() == static_cast<uint64_t>(tasks); };
    if (!spinFor(done)) {
        std::unique_lock lock(m_mutex);
        m_callerSleeping.store(true);
        m_done.wait(lock, done);
        m_callerSleeping.store(false);
    }
    m_fn = nullptr;
    adapt();
}

namespace {

// Runnable tasks on the whole machine now (/proc/loadavg's "running/total"), the
// reading thread included; -1 when unknown (not Linux).
int runnableTasks() {
    std::FILE* f = std::fopen("/proc/loadavg", "r");
    if (!f) return -1;
    double a, b, c;
    int running = -1, total = 0;
    if (std::fscanf(f, "%lf %lf %lf %d/%d", &a, &b, &c, &running, &total) != 5) running = -1;
    std::fclose(f);
    return running;
}

}  // namespace

void ThreadPool::adapt() {
    // Every 64 loops (a token is ~150) and at most every 20 ms: how many runnable
    // threads are not ours. Ours that run now are at most m_limit (spinning workers
    // count as running), so others >= running - m_limit.
    constexpr int kLoopsPerProbe = 64;
    if (++m_loopsSinceProbe < kLoopsPerProbe) return;
    const Clock::time_point now = Clock::now();
    if (now - m_lastProbe < std::chrono::milliseconds(20)) return;
    m_loopsSinceProbe = 0;
    m_lastProbe = now;
    const int running = runnableTasks();
    if (running < 0) return;
    const int limit = m_limit.load(), cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    const int others = std::max(0, running - limit);
    const int target = std::clamp(cores - others, 1, size());
    // Two probes in a row must agree before the count changes (a compiler process
    // that lives 50 ms should not reshape the pool).
    if (target == limit || target != m_pendingLimit) {
        m_pendingLimit = target;
        return;
    }
    {
        std::lock_guard lock(m_mutex);
        m_limit.store(target);
    }
    if (target > limit) m_unpark.notify_all();
}

}  // namespace kernels
