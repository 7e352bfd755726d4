// A pool of persistent worker threads for data-parallel loops. The calling thread
// takes part in every loop, so a pool of N threads starts N-1 workers.
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

private:
    void workerLoop(int thread);
    void runTasks(int thread);

    std::vector<std::thread> m_workers;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::condition_variable m_done;
    const std::function<void(int64_t, int)>* m_fn = nullptr;
    int64_t m_tasks = 0;
    std::atomic<int64_t> m_next{0};
    int m_active = 0;          // workers still inside the current loop
    uint64_t m_generation = 0; // bumped per loop so workers see new work
    bool m_stop = false;
};

}  // namespace kernels
