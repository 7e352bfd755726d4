#include "kernels/thread_pool.h"

#include "kernels/cpu_features.h"

namespace kernels {

ThreadPool::ThreadPool(int threads) {
    if (threads <= 0) threads = cpuFeatures().physicalCores;
    for (int i = 1; i < threads; ++i) m_workers.emplace_back([this, i] { workerLoop(i); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
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
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [&] { return m_stop || m_generation != seen; });
            if (m_stop) return;
            seen = m_generation;
        }
        runTasks(thread);
        std::lock_guard lock(m_mutex);
        if (--m_active == 0) m_done.notify_one();
    }
}

void ThreadPool::parallelFor(int64_t tasks, const std::function<void(int64_t, int)>& fn) {
    if (tasks <= 0) return;
    if (m_workers.empty() || tasks == 1) {
        for (int64_t t = 0; t < tasks; ++t) fn(t, 0);
        return;
    }
    {
        std::lock_guard lock(m_mutex);
        m_fn = &fn;
        m_tasks = tasks;
        m_next.store(0, std::memory_order_relaxed);
        m_active = static_cast<int>(m_workers.size());
        ++m_generation;
    }
    m_wake.notify_all();
    runTasks(0);
    std::unique_lock lock(m_mutex);
    m_done.wait(lock, [&] { return m_active == 0; });
    m_fn = nullptr;
}

}  // namespace kernels
