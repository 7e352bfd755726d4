// A pool of persistent worker threads for data-parallel loops. The calling thread
// takes part in every loop, so a pool of N threads starts N-1 workers.
//
// A loop ends when its tasks are done: a worker that is asleep or descheduled when
// it starts simply finds nothing left to claim, so on a busy machine the caller does
// not wait for a thread the scheduler has not run.
//
// Waiting: between loops a worker spins (with pause) for about kSpinMicros, so the
// back-to-back matmuls of a forward pass start without a futex round trip, then
// sleeps on a condition variable: an idle pool burns no core.
//
// A busy machine (a build beside a chat): more runnable threads than cores means our
// threads, the caller included, are preempted mid-loop and everyone waits a
// scheduler slice. Every 64 loops (at most every 20 ms) the caller counts the
// machine's runnable threads that are not ours (Linux: /proc/loadavg) and lets only
// as many threads take part as there are cores left (at least 1; the others park);
// when the load goes away they take part again. Measured on the device machine's
// 16-core Xeon beside 8 spinning shells: bench/RESULTS.md.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace kernels {

class ThreadPool {
public:
    // threads <= 0: the machine's physical core count.
    explicit ThreadPool(int threads = 0);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int size() const { return static_cast<int>(m_workers.size()) + 1; }
    // Threads (the caller included) that take tasks now: size(), or fewer on a busy machine.
    int activeThreads() const { return m_limit.load(std::memory_order_relaxed); }

    // Calls fn(task, thread) for every task in [0, tasks), spread over the threads;
    // returns when all are done. `thread` is in [0, size()) (for per-thread scratch).
    // Not re-entrant: fn must not call parallelFor on the same pool.
    void parallelFor(int64_t tasks, const std::function<void(int64_t task, int thread)>& fn);

    static constexpr int kSpinMicros = 100;

private:
    void workerLoop(int thread);
    void runTasks(int thread, uint64_t gen);
    void adapt();  // the busy-machine rule above

    std::vector<std::thread> m_workers;
    std::mutex m_mutex;                        // guards sleeping only
    std::condition_variable m_wake;
    std::condition_variable m_done;            // the caller sleeps here after its spin
    const std::function<void(int64_t, int)>* m_fn = nullptr;
    alignas(64) std::atomic<uint64_t> m_next{0};       // claim word: generation | tasks | next task
    alignas(64) std::atomic<uint64_t> m_completed{0};  // tasks of the current loop done
    alignas(64) std::atomic<uint64_t> m_generation{0};  // bumped per loop so workers see new work
    std::atomic<int> m_sleepers{0};            // workers waiting on m_wake
    std::atomic<bool> m_callerSleeping{false}; // the caller waits on m_done
    std::atomic<bool> m_stop{false};
    std::atomic<int> m_limit{1};               // activeThreads()
    std::condition_variable m_unpark;          // workers >= m_limit wait here
    // adapt(): loops since the last look at the machine, when that was, and the
    // thread count the last look proposed.
    int m_loopsSinceProbe = 0, m_pendingLimit = 0;
    std::chrono::steady_clock::time_point m_lastProbe{};
};

}  // namespace kernels
