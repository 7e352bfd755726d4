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
#pragma once

#include <atomic>
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

    // Calls fn(task, thread) for every task in [0, tasks), spread over the threads;
    // returns when all are done. `thread` is in [0, size()) (for per-thread scratch).
    // Not re-entrant: fn must not call parallelFor on the same pool.
    void parallelFor(int64_t tasks, const std::function<void(int64_t task, int thread)>& fn);

    static constexpr int kSpinMicros = 100;

private:
    void workerLoop(int thread);
    void runTasks(int thread, uint64_t gen);

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
};

}  // namespace kernels
