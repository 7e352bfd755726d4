// N generation slots and a bounded wait queue in front of them.
//
// A slot is one engine Session (its own KV cache and sampler, prefix reuse across the
// requests it serves) plus a cancel flag; every slot shares the one immutable Model.
// A request holds a slot for its whole generation, on the HTTP thread serving it.
// When all slots are busy, up to maxQueue requests wait (FIFO); beyond that acquire()
// fails at once so the server can answer 429 instead of piling up connections.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <expected>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "assistant/engine.h"

namespace server {

class SlotPool {
public:
    struct Slot {
        int index = 0;
        std::unique_ptr<assistant::Session> session;  // created on first use, replaced when the model changes
        std::atomic<bool> cancel{false};              // GenerateParams::cancel of the request holding the slot
    };

    // Held while a request generates; returns the slot (and wakes the next waiter) when destroyed.
    class Lease {
    public:
        Lease(SlotPool* pool, Slot* slot) : m_pool(pool), m_slot(slot) {}
        ~Lease();
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        Slot& slot() const { return *m_slot; }

    private:
        SlotPool* m_pool;
        Slot* m_slot;
    };

    enum class Rejection { QueueFull, Timeout, Stopped, Abandoned };

    SlotPool(int slots, int maxQueue);

    // Waits (FIFO) up to maxWait for a free slot. QueueFull at once when maxQueue
    // requests already wait; Stopped after stop(); Abandoned when `abandoned` (polled
    // every 50 ms while waiting: the client hung up) returns true.
    std::expected<std::shared_ptr<Lease>, Rejection> acquire(std::chrono::milliseconds maxWait,
                                                             const std::function<bool()>& abandoned = {});

    // Cancels every running generation and fails every waiter (server shutdown).
    void stop();
    // Cancels every running generation (model swap) but keeps serving.
    void cancelAll();

    int size() const { return static_cast<int>(m_slots.size()); }
    int busy() const;
    int queued() const;

private:
    void release(Slot* slot);

    std::vector<std::unique_ptr<Slot>> m_slots;
    std::vector<Slot*> m_free;        // LIFO: the most recently used slot keeps the warmest cache
    std::deque<uint64_t> m_waiting;   // tickets in arrival order
    uint64_t m_nextTicket = 0;
    int m_maxQueue;
    bool m_stopped = false;
    mutable std::mutex m_mutex;
    std::condition_variable m_freed;
};

}  // namespace server
