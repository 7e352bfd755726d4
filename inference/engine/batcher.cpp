// Continuous batching: one forward pass over the pending tokens of several sessions
// (batcher.h says how passes are formed and who runs them).
#include "engine/batcher.h"

#include <algorithm>
#include <chrono>

#include "common/log.h"
#include "engine/engine_access.h"

namespace assistant {

using detail::makeError;

struct Batcher::Impl::Request {
    arch::SessionPlacement* cache;
    std::span<const int32_t> tokens;
    int64_t pos0;
    bool allLogits;
    const std::atomic<bool>* cancel;
    size_t done = 0;  // tokens in the cache so far
    std::vector<float> logits;
    std::optional<Error> error;
    bool finished = false;
    size_t remaining() const { return tokens.size() - done; }
};

Batcher::Impl::Impl(std::shared_ptr<const Model> m, const BatcherParams& p)
    : model(std::move(m)), params(p), m_pool(p.threads) {
    m_work = modelImpl(*model).placement->createWorkspace(m_pool);
}

Batcher::Impl::~Impl() = default;

void Batcher::Impl::join() {
    std::lock_guard<std::mutex> g(mutex);
    ++m_active;
}

void Batcher::Impl::leave() {
    std::lock_guard<std::mutex> g(mutex);
    --m_active;
    m_changed.notify_all();  // a pass may be waiting for this session
}

Result<std::vector<float>> Batcher::Impl::evaluate(arch::SessionPlacement& cache, std::span<const int32_t> tokens,
                                                   int64_t pos0, bool allLogits, const std::atomic<bool>* cancel,
                                                   size_t& evaluated) {
    Request r{&cache, tokens, pos0, allLogits, cancel, 0, {}, std::nullopt, false};
    std::unique_lock<std::mutex> lock(mutex);
    m_pending.push_back(&r);
    m_changed.notify_all();
    while (!r.finished) {
        if (m_running) {
            m_changed.wait(lock);
            continue;
        }
        // Run the next pass for everyone waiting (this request included).
        m_running = true;
        gather(lock);
        const std::vector<Part> parts = plan();
        lock.unlock();
        if (!parts.empty()) run(parts);
        lock.lock();
        for (const Part& p : parts)
            if (p.request->done == p.request->tokens.size() || p.request->error) p.request->finished = true;
        std::erase_if(m_pending, [](const Request* q) { return q->finished; });
        m_running = false;
        m_changed.notify_all();
    }
    evaluated = r.done;
    if (r.error) return std::unexpected(*r.error);
    return std::move(r.logits);
}

void Batcher::Impl::gather(std::unique_lock<std::mutex>& lock) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(params.gatherMicros);
    m_changed.wait_until(lock, until, [&] { return static_cast<int>(m_pending.size()) >= m_active; });
}

std::vector<Batcher::Impl::Part> Batcher::Impl::plan() {
    const int64_t chunk = std::max(1, params.promptChunk);
    bool anyShort = false;
    for (const Request* r : m_pending)
        if (!r->finished && static_cast<int64_t>(r->remaining()) <= chunk) anyShort = true;
    std::vector<Part> parts;
    int64_t budget = std::max(1, params.maxBatchTokens);
    for (Request* r : m_pending) {
        if (r->finished) continue;
        if (r->cancel && r->cancel->load(std::memory_order_relaxed)) {
            r->error = Error{ErrorCode::Cancelled, "evaluation cancelled"};
            r->finished = true;
            continue;
        }
        int64_t take = std::min<int64_t>(static_cast<int64_t>(r->remaining()), budget);
        if (anyShort) take = std::min(take, chunk);  // a long prompt must not stall the others
        if (take <= 0) break;
        parts.push_back({r, take});
        budget -= take;
    }
    return parts;
}

void Batcher::Impl::run(const std::vector<Part>& parts) {
    const arch::Decoder& decoder = *modelImpl(*model).arch->decoder();
    const int64_t vocab = decoder.hparams().nVocab;
    m_tokens.clear();
    m_seqs.clear();
    for (const Part& p : parts) {
        const Request& r = *p.request;
        const bool last = r.done + static_cast<size_t>(p.count) == r.tokens.size();
        const auto logits = r.allLogits ? arch::SeqSpan::Logits::All
                            : last      ? arch::SeqSpan::Logits::Last
                                        : arch::SeqSpan::Logits::None;
        m_seqs.push_back({r.cache, static_cast<int64_t>(m_tokens.size()), p.count,
                          r.pos0 + static_cast<int64_t>(r.done), logits});
        m_tokens.insert(m_tokens.end(), r.tokens.begin() + static_cast<std::ptrdiff_t>(r.done),
                        r.tokens.begin() + static_cast<std::ptrdiff_t>(r.done + p.count));
    }
    std::optional<Error> failed;
    try {
        arch::ForwardContext ctx{m_pool, m_noKv, m_scratch, m_work.get()};
        decoder.forward(ctx, m_tokens, m_seqs);
        if (!m_work->error.empty()) failed = makeError(ErrorCode::DeviceError, "GPU: ", m_work->error);
    } catch (const std::exception& e) {  // e.g. out of memory growing the activations
        failed = makeError(ErrorCode::OutOfMemory, "batched evaluation: ", e.what());
    }
    // Results go to the requests here, outside the lock: their threads read them only
    // after `finished` is set under it.
    size_t row = 0;
    for (size_t i = 0; i < parts.size(); ++i) {
        Request& r = *parts[i].request;
        if (failed) {
            r.error = failed;
            continue;
        }
        const size_t rows = static_cast<size_t>(m_seqs[i].logitRows()) * static_cast<size_t>(vocab);
        const auto first = m_scratch.logits.begin() + static_cast<std::ptrdiff_t>(row);
        if (r.allLogits) r.logits.insert(r.logits.end(), first, first + static_cast<std::ptrdiff_t>(rows));
        else if (rows > 0) r.logits.assign(first, first + static_cast<std::ptrdiff_t>(rows));
        row += rows;
        r.done += static_cast<size_t>(parts[i].count);
    }
    std::lock_guard<std::mutex> g(mutex);
    ++stats.passes;
    stats.tokens += m_tokens.size();
    stats.sequences += parts.size();
}

// ----------------------------------------------------------------------------
// Public surface
// ----------------------------------------------------------------------------
Batcher::Batcher(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Batcher::~Batcher() = default;

Result<std::shared_ptr<Batcher>> Batcher::create(std::shared_ptr<const Model> model, const BatcherParams& params) {
    if (!model) return std::unexpected(Error{ErrorCode::InvalidArgument, "Batcher::create: no model"});
    if (!modelImpl(*model).arch->decoder() || !modelImpl(*model).placement)
        return std::unexpected(makeError(ErrorCode::InvalidArgument, model->info().architecture,
                                         " is an embedding model: it has no decoder to batch"));
    if (params.maxBatchTokens <= 0 || params.promptChunk <= 0 || params.gatherMicros < 0)
        return std::unexpected(makeError(ErrorCode::InvalidArgument, "invalid batcher parameters: batch ",
                                         params.maxBatchTokens, ", prompt chunk ", params.promptChunk, ", gather ",
                                         params.gatherMicros, " us"));
    return std::shared_ptr<Batcher>(new Batcher(std::make_unique<Impl>(std::move(model), params)));
}

Batcher::Stats Batcher::stats() const {
    std::lock_guard<std::mutex> g(m_impl->mutex);
    return m_impl->stats;
}

const std::shared_ptr<const Model>& Batcher::model() const { return m_impl->model; }

}  // namespace assistant
