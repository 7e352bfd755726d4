#include "slot_pool.h"

#include <algorithm>

namespace server {

SlotPool::SlotPool(int slots, int maxQueue) : m_maxQueue(std::max(0, maxQueue)) {
    for (int i = 0; i < std::max(1, slots); ++i) {
        auto slot = std::make_unique<Slot>();
        slot->index = i;
        m_slots.push_back(std::move(slot));
    }
    for (auto it = m_slots.rbegin(); it != m_slots.rend(); ++it) m_free.push_back(it->get());
}

SlotPool::Lease::~Lease() { m_pool->release(m_slot); }

std::expected<std::shared_ptr<SlotPool::Lease>, SlotPool::Rejection> SlotPool::acquire(
    std::chrono::milliseconds maxWait, const std::function<bool()>& abandoned) {
    std::unique_lock lock(m_mutex);
    if (m_stopped) return std::unexpected(Rejection::Stopped);
    // A free slot goes to the oldest waiter first, so a newcomer may not jump the queue.
    if (m_waiting.empty() && !m_free.empty()) {
        Slot* slot = m_free.back();
        m_free.pop_back();
        slot->cancel.store(false);
        return std::make_shared<Lease>(this, slot);
    }
    if (static_cast<int>(m_waiting.size()) >= m_maxQueue) return std::unexpected(Rejection::QueueFull);
    const uint64_t ticket = m_nextTicket++;
    m_waiting.push_back(ticket);
    const auto deadline = std::chrono::steady_clock::now() + maxWait;
    auto ready = [&] { return m_stopped || (!m_free.empty() && m_waiting.front() == ticket); };
    bool gone = false;
    while (!ready() && std::chrono::steady_clock::now() < deadline) {
        m_freed.wait_until(lock, std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(50)), ready);
        if (!ready() && abandoned && abandoned()) {
            gone = true;
            break;
        }
    }
    const bool got = ready() && !gone;
    m_waiting.erase(std::find(m_waiting.begin(), m_waiting.end(), ticket));
    if (m_stopped || !got) {
        m_freed.notify_all();  // the next ticket may now be at the front
        return std::unexpected(m_stopped ? Rejection::Stopped : gone ? Rejection::Abandoned : Rejection::Timeout);
    }
    Slot* slot = m_free.back();
    m_free.pop_back();
    slot->cancel.store(false);
    m_freed.notify_all();
    return std::make_shared<Lease>(this, slot);
}

void SlotPool::release(Slot* slot) {
    {
        std::lock_guard lock(m_mutex);
        m_free.push_back(slot);
    }
    m_freed.notify_all();
}

void SlotPool::cancelAll() {
    std::lock_guard lock(m_mutex);
    for (auto& slot : m_slots)
        if (std::find(m_free.begin(), m_free.end(), slot.get()) == m_free.end()) slot->cancel.store(true);
}

void SlotPool::stop() {
    {
        std::lock_guard lock(m_mutex);
        m_stopped = true;
        for (auto& slot : m_slots) slot->cancel.store(true);
    }
    m_freed.notify_all();
}

int SlotPool::busy() const {
    std::lock_guard lock(m_mutex);
    return static_cast<int>(m_slots.size() - m_free.size());
}

int SlotPool::queued() const {
    std::lock_guard lock(m_mutex);
    return static_cast<int>(m_waiting.size());
}

}  // namespace server
