// Continuous batching (assistant::Batcher, engine.h): sessions hand their tokens to
// the batcher, which runs one forward pass over the pending tokens of all of them.
//
// There is no thread of its own. A session thread that submits tokens waits; when no
// pass is running it runs the next one itself (on the batcher's thread pool) for
// every session that is waiting, then hands over to the next waiting thread. Before a
// pass it waits up to gatherMicros for the sessions that are generating but still
// sampling their previous token (joined, not yet waiting), so that one pass carries
// the next token of each.
//
// A pass takes from each waiting request, in arrival order: all its tokens when it
// has few (decode steps, speculative drafts), at most promptChunk of a long prompt
// while shorter requests ride along, and at most maxBatchTokens in all. A request
// whose tokens span several passes gets logits only from its last (or, when all rows
// are wanted, from each).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "arch/arch.h"
#include "assistant/engine.h"
#include "kernels/thread_pool.h"

namespace assistant {

struct Batcher::Impl {
    Impl(std::shared_ptr<const Model> m, const BatcherParams& p);
    ~Impl();

    // Evaluates `tokens` at positions pos0... into `cache` (a session's) within
    // shared passes. Returns the logits ([tokens][vocab] when allLogits, else the last
    // token's row); `evaluated` says how many tokens reached the cache (all, or fewer
    // when cancelled or failed).
    Result<std::vector<float>> evaluate(arch::SessionPlacement& cache, std::span<const int32_t> tokens, int64_t pos0,
                                        bool allLogits, const std::atomic<bool>* cancel, size_t& evaluated);
    // A session starts / ends generating: passes wait briefly for its next token.
    void join();
    void leave();

    // Prompt prefixes shared among the batcher's sessions (batcher_prefix.cpp). A
    // session publishes the tokens its cache rows hold when a request ends, and
    // withdraws them (down to `keep` rows) before it changes any of those rows;
    // `forget` when it goes away. adoptPrefix copies into `cache` rows [from, n) of the
    // published session whose tokens share the longest prefix n with `prompt`
    // (n <= limit), when n > from; it returns n, or `from` when no session has more.
    // Rows are read only while published, under the registry's lock.
    void publish(const void* owner, const arch::SessionPlacement& cache, std::span<const int32_t> tokens);
    void withdraw(const void* owner, size_t keep);
    void forget(const void* owner);
    size_t adoptPrefix(const void* owner, arch::SessionPlacement& cache, std::span<const int32_t> prompt, size_t from,
                       size_t limit);

    std::shared_ptr<const Model> model;
    BatcherParams params;
    mutable std::mutex mutex;
    Stats stats;

private:
    struct Published {
        const void* owner;
        const arch::SessionPlacement* cache;
        std::vector<int32_t> tokens;  // what rows [0, size) of its cache hold
    };
    std::mutex m_shareMutex;
    std::vector<Published> m_published;

    struct Request;
    struct Part {
        Request* request;
        int64_t count;
    };
    void gather(std::unique_lock<std::mutex>& lock);
    std::vector<Part> plan();
    void run(const std::vector<Part>& parts);

    std::condition_variable m_changed;
    std::vector<Request*> m_pending;  // arrival order
    bool m_running = false;
    int m_active = 0;  // sessions between join() and leave()
    kernels::ThreadPool m_pool;
    std::unique_ptr<arch::SessionPlacement> m_work;  // activations of the passes
    kv::Cache m_noKv;
    arch::Scratch m_scratch;
    std::vector<int32_t> m_tokens;
    std::vector<arch::SeqSpan> m_seqs;
};

// join() for a scope (a generation).
class BatcherMembership {
public:
    explicit BatcherMembership(Batcher::Impl* b) : m_b(b) {
        if (m_b) m_b->join();
    }
    ~BatcherMembership() {
        if (m_b) m_b->leave();
    }
    BatcherMembership(const BatcherMembership&) = delete;
    BatcherMembership& operator=(const BatcherMembership&) = delete;

private:
    Batcher::Impl* m_b;
};

}  // namespace assistant
